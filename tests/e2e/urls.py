"""The platform's URL map plus the simulator's landing page (kept out of production URLs)."""

from django.urls import include, path

from ingest.simulation import landing

urlpatterns = [*landing.urlpatterns, path("", include("hazelnut.urls"))]
