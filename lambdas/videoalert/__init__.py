"""The runtime library of the zip functions, one folder per layer (docs/layers.md)."""
