"""The batch machinery of install attribution: locks, rows, claims and rounds for many installs
at once, so a batch costs a few round trips instead of a few per install.

`attribution.installs` drives it; a single install is a batch of one.
"""
