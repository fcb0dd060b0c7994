"""Routes the attribution app serves: the reporting API (the decision trace is the edge's,
ingest.views.decisions, which can tell a pending install from an unknown one)."""

from django.urls import include, path

urlpatterns = [
    path("", include("attribution.reports.urls")),
]
