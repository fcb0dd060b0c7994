"""The HTTP edge's views, one module per family of routes."""
