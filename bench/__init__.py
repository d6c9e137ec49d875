"""Benchmarks (`make bench`): core hot paths against hand-written SQL at large scale."""
