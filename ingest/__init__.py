"""Ingest: the HTTP edge (SDK, server-to-server, web collector, campaign links).

It authenticates, validates and publishes work to the queues; it owns no domain logic.
"""
