"""Inference side of videoalert: frame sampling, preprocessing and the ONNX person classifier."""
