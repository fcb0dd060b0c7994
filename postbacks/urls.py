"""Routes the postbacks app serves at the site root (the lead includes them)."""

from django.urls import path

from postbacks import views

urlpatterns = [
    path(
        ".well-known/skadnetwork/report-attribution/",
        views.report_attribution,
        name="skan-report-attribution",
    ),
]
