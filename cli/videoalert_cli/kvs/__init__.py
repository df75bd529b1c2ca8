"""Kinesis Video Streams producer: Matroska packing, PutMedia streaming, acknowledgements, SigV4."""
