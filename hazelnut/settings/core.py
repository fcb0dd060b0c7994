"""Django core: apps, middleware, templates, security and time."""

from __future__ import annotations

from hazelnut.settings.runtime import BASE_DIR, ENV, PRODUCTION, required_in_production

required_in_production("SECRET_KEY")
SECRET_KEY = ENV.string("SECRET_KEY", "dev-only-not-secret-hazelnut")
DEBUG = ENV.boolean("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = ENV.string_list("ALLOWED_HOSTS", [] if PRODUCTION else ["*"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hazelnut",
    "attribution",
    "postbacks",
    "analytics",
    "ingest",
]

MIDDLEWARE = [
    "hazelnut.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside CommonMiddleware, so its slash redirects go out before error pages are replaced.
    "ingest.middleware.ApiErrorPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hazelnut.urls"
WSGI_APPLICATION = "hazelnut.wsgi.application"
ASGI_APPLICATION = "hazelnut.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hazelnut" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".hazelnut" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Credentials of ad networks and analytics tools are encrypted at rest with this key (Fernet,
# comma-separated for rotation: the first encrypts, all decrypt).
required_in_production("HAZELNUT_ENCRYPTION_KEY")
HAZELNUT_ENCRYPTION_KEY = ENV.string("HAZELNUT_ENCRYPTION_KEY", "")

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
