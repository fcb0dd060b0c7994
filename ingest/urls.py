"""Routes of the HTTP edge. The campaign-link catch-all comes last so it shadows nothing."""

from __future__ import annotations

from django.urls import URLPattern, path, register_converter

from ingest.links import DisplayIdConverter
from ingest.views import (
    campaigns,
    client,
    decisions,
    installs,
    legacy,
    links,
    revenuecat,
    server,
    shadows,
    web,
)
from ingest.views.init import init

register_converter(DisplayIdConverter, "display_id")

sdk = [
    path("api/client/init", init, name="sdk-init"),
    path("api/v1/attribution-decision", decisions.decision_trace, name="attribution-decision"),
    path(
        "api/v1/attribution-decision/<str:install_instance_id>",
        decisions.decision_trace,
        name="attribution-decision-by-id",
    ),
    # Same path, never reached: it only gives the plain `init` view an OpenAPI entry.
    path("api/client/init", client.InitDocView.as_view(), name="sdk-init-doc"),
    path("api/client/trigger", client.SignupView.as_view(), name="sdk-trigger"),
    path("api/client/set-user-data", installs.SetUserDataView.as_view(), name="sdk-set-user-data"),
    path("api/client/capture-event", client.CaptureEventView.as_view(), name="sdk-capture-event"),
    path(
        "api/client/capture-payment",
        client.CapturePaymentView.as_view(),
        name="sdk-capture-payment",
    ),
    path(
        "api/client/remove-captured-payment",
        client.RemovePaymentView.as_view(),
        name="sdk-remove-payment",
    ),
    path(
        "api/client/attribution-data",
        installs.AttributionDataView.as_view(),
        name="sdk-attribution-data",
    ),
    path(
        "api/client/handle-deeplink",
        client.HandleDeeplinkView.as_view(),
        name="sdk-handle-deeplink",
    ),
    path("api/client/integrations", installs.IntegrationsView.as_view(), name="sdk-integrations"),
    path("api/client/update-push-token", installs.PushTokenView.as_view(), name="sdk-push-token"),
    path(
        "api/client/updatePushToken",
        installs.PushTokenView.as_view(),
        name="sdk-push-token-legacy",
    ),
    path(
        "api/client/customer-user-id",
        installs.CustomerUserIdView.as_view(),
        name="sdk-customer-user-id",
    ),
    path(
        "api/client/deeplink-triggered",
        legacy.DeeplinkTriggeredView.as_view(),
        name="sdk-deeplink-triggered",
    ),
    path("api/client/log", legacy.LogView.as_view(), name="sdk-log"),
    path("api/client/getProfile", legacy.ProfileView.as_view(), name="sdk-get-profile"),
]

server_to_server = [
    path(
        "api/v1/capture-event",
        server.ServerCaptureEventView.as_view(),
        name="s2s-capture-event",
    ),
    path("webhook/revenuecat", revenuecat.RevenueCatView.as_view(), name="revenuecat-webhook"),
    path(
        "api/v1/capture-payment",
        server.ServerCapturePaymentView.as_view(),
        name="s2s-capture-payment",
    ),
    path(
        "api/v1/remove-payment",
        server.ServerRemovePaymentView.as_view(),
        name="s2s-remove-payment",
    ),
    path(
        "api/v1/get-attribution-result",
        server.AttributionResultView.as_view(),
        name="s2s-attribution-result",
    ),
    path(
        "api/v1/create-campaign",
        campaigns.CreateCampaignView.as_view(),
        name="s2s-create-campaign",
    ),
    path(
        "api/v1/campaigns/<str:display_id>",
        campaigns.CampaignView.as_view(),
        name="s2s-campaign",
    ),
]

web_collector = [
    path("web/ingest", web.collect, name="web-ingest"),
    path("web/collect", web.collect, name="web-collect"),
    path("web/ingest", shadows.WebCollectorDocView.as_view(), name="web-ingest-doc"),
    path("web/collect", shadows.WebCollectorDocView.as_view(), name="web-collect-doc"),
]

campaign_links = [
    path("", links.campaign_link, name="link-query"),
    path("<display_id:display_id>", links.campaign_link, name="link"),
    path("<display_id:display_id>/", links.campaign_link),
    path("c/<display_id:display_id>", links.campaign_link, name="link-c"),
    path("c/<display_id:display_id>/", links.campaign_link),
    path("<display_id:display_id>", shadows.CampaignLinkDocView.as_view()),
]

urlpatterns: list[URLPattern] = [*sdk, *server_to_server, *web_collector, *campaign_links]
