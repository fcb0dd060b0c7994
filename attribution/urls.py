"""Routes the attribution app serves: the decision trace and the reporting API."""

from django.urls import include, path

from attribution import views

urlpatterns = [
    path("api/v1/attribution-decision", views.decision_trace, name="attribution-decision"),
    path(
        "api/v1/attribution-decision/<str:install_instance_id>",
        views.decision_trace,
        name="attribution-decision-by-id",
    ),
    path("", include("attribution.reports.urls")),
]
