"""Postbacks: installs and in-app events reported to ad networks and customer webhooks.

Each report is a Delivery row with one Attempt row per try; other apps start deliveries through
`postbacks.api`.
"""
