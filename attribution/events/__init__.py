"""In-app events after the install: signups, payments, custom events, and SKAN values."""
