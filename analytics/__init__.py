"""Analytics fan-out: attributed installs and events forwarded to product analytics tools."""
