"""Pure rules and typed records: no I/O, no boto3 (what may import what: docs/layers.md)."""
