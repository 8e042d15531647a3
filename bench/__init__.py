"""Benchmarks: each module prints a table and writes JSON to bench/results/.

Machines here are shared and noisy, so every benchmark reports its figures
next to a baseline measured in the same run (as a ratio), not only as
absolute numbers.
"""
