"""Benchmarks run by hand (`python -m bench.<name>`); they print a few lines, never assert."""
