"""DynamoDB adapters: every conditional write of a record goes through one of these."""
