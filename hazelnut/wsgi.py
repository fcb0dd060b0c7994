"""WSGI entry point: settings checked, telemetry started, then the Django application."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from hazelnut import telemetry
from hazelnut.config import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
settings_or_exit()
telemetry.init(settings.SENTRY_DSN)
application = get_wsgi_application()
