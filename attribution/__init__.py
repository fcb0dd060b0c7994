"""Attribution: projects, campaigns and clicks, installs and the engine that credits them.

Other apps use `attribution.api`, never the models directly.
"""
