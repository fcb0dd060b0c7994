"""The public API: DRF defaults, the OpenAPI schema, request signing and rate limits."""

from __future__ import annotations

from hazelnut.settings.runtime import ENV

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hazelnut API",
    "DESCRIPTION": "SDK, server-to-server and web collector API, wire-compatible with LinkRunner.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from our own static files, so /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Off: Swagger UI would otherwise fetch a validity badge from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# HMAC request signing: how far a signed timestamp may stray from our clock.
HAZELNUT_SIGNATURE_MAX_SKEW_SECONDS = ENV.integer("HAZELNUT_SIGNATURE_MAX_SKEW_SECONDS", 300)

# Rate limits (requests per second), defaults from the LinkRunner contract.
HAZELNUT_RATE_LIMIT_DATA_PER_SECOND = ENV.integer("HAZELNUT_RATE_LIMIT_DATA_PER_SECOND", 30)
HAZELNUT_RATE_LIMIT_CAMPAIGN_PER_SECOND = ENV.integer("HAZELNUT_RATE_LIMIT_CAMPAIGN_PER_SECOND", 10)
HAZELNUT_RATE_LIMIT_IP_PER_SECOND = ENV.integer("HAZELNUT_RATE_LIMIT_IP_PER_SECOND", 30)
HAZELNUT_RATE_LIMIT_SDK_PER_SECOND = ENV.integer("HAZELNUT_RATE_LIMIT_SDK_PER_SECOND", 1000)
HAZELNUT_RATE_LIMIT_REPORTING_PER_MINUTE = ENV.integer(
    "HAZELNUT_RATE_LIMIT_REPORTING_PER_MINUTE", 1
)
# Campaign-link clicks recorded per visitor IP and second; the contract names no number. Carrier
# NAT puts many phones behind one address, so it sits well above one person's clicking.
HAZELNUT_RATE_LIMIT_CLICK_PER_SECOND = ENV.integer("HAZELNUT_RATE_LIMIT_CLICK_PER_SECOND", 20)

# Client IP: how many reverse proxies in front of us append to X-Forwarded-For.
HAZELNUT_TRUSTED_PROXIES = ENV.integer("HAZELNUT_TRUSTED_PROXIES", 0)

# Customer-configured URLs (webhooks, affiliate templates) may not reach private networks
# unless this is on (tests turn it on for loopback receivers).
HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = ENV.boolean("HAZELNUT_ALLOW_PRIVATE_DESTINATIONS", False)

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
