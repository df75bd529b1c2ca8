"""AWS adapters: Kinesis Video Streams, S3, Lambda (inference) and SNS, each over an injected boto3 client."""
