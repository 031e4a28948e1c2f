"""Benchmarks: ``make bench`` prints each as a table with ratios measured in one run."""
