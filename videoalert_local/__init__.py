"""The local emulators: moto server with the stack's resources, the Kinesis Video Streams stand-in, the links
server, and the local run of the whole pipeline on them (`videoalert run-local`, the tests, the benches)."""
