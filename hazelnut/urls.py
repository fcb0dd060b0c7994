"""The URL map: admin, health, the API schema, and each app's routes."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hazelnut import health, metrics


def development_only() -> list[URLResolver]:
    """Outside production: the local stand-in for the ad networks that the demo's accounts
    point at (attribution.demo.LOCAL_SINK)."""
    if settings.PRODUCTION:
        return []
    return [path("dev/outside/", include("ingest.simulation.sink"))]


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("attribution.urls")),
    path("", include("postbacks.urls")),
    *development_only(),
    # Last: the HTTP edge ends with the campaign-link catch-all.
    path("", include("ingest.urls")),
]
