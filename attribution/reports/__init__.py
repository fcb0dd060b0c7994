"""Reporting: the server-to-server data APIs (campaigns, attributed users, campaign reports)
and the per-project dashboard. Campaign and user data come from the models; counts and revenue
come from the warehouse (`hazelnut.warehouse`), so the same reports run on ClickHouse or SQL.
"""
