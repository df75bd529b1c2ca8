"""Training, evaluation, threshold choice and ONNX export of the person classifier."""
