"""One validated settings model per handler, built once per cold start from the environment."""
