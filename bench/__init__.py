"""Benchmarks of the inference path (issue 7): run with `python -m bench.run_all`; figures in bench/README.md."""
