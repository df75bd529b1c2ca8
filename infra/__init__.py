"""CDK infrastructure of videoalert: one construct per concern, wired together in stack.py."""
