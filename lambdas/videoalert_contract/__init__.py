"""What the dispatcher, the inference image, the stack and the CLI share: payloads, codes, names. Standard library
only."""
