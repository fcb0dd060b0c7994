"""ASGI entry point (uvicorn serves the API with it)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
application = get_asgi_application()
