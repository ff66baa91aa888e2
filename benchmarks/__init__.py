"""Benchmarks: autodiff against micrograd and PyTorch (run with ``python -m benchmarks``)."""
