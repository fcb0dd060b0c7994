"""Benchmarks for the scenarios S1-S6 of the performance anchors; run them with `make bench`."""
