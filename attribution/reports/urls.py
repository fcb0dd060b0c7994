"""Reporting routes; the project URL map includes these at the root."""

from django.urls import path

from attribution.reports import campaigns, dashboard, reporting, users

app_name = "reports"

urlpatterns = [
    path("api/v1/campaigns", campaigns.list_campaigns, name="campaigns"),
    path("api/v1/attributed-users", users.attributed_users, name="attributed-users"),
    path("api/v1/reporting/campaigns", reporting.campaign_report, name="campaign-report"),
    path("dashboard/<int:project_id>/", dashboard.project_dashboard, name="dashboard"),
]
