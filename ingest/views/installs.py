"""The synchronous SDK routes: they read or update the install and its user in the database.

The install row is written by the attribution worker a moment after `init` is accepted, so
these routes wait briefly for it (attribution.queries) and otherwise ask the SDK to retry.
"""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.request import Request

from attribution import queries
from ingest import links, schemas
from ingest.errors import envelope
from ingest.publish import jsonable
from ingest.views.base import EdgeView
from ingest.views.client import IID, TAG, instance_of, user_data_id
from ingest.views.docs import INSTALL_UPDATE_ERRORS, SDK_ERRORS, documented
from ingest.views.sdk import accept, install_missing


class SetUserDataView(EdgeView):
    @documented(
        schemas.SET_USER_DATA,
        summary="Update the signed-up user's profile",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "user_data": {"id": "user-42", "email": "<sha256 hex>"},
            "device_data": {},
            "install_instance_id": IID,
        },
        responses={200: ("User data saved.", None)},
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.SET_USER_DATA)
        user_data_id(fields["user_data"])
        # Free-form JSON is decoded with Decimal numbers, which a JSONField cannot store.
        user_data = jsonable(fields["user_data"])
        queries.set_user_data(project.pk, instance_of(fields) or None, user_data)
        return envelope("User data saved.", 200)


class AttributionDataView(EdgeView):
    @documented(
        schemas.ATTRIBUTION_DATA,
        summary="Deferred deep link and campaign of this install",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "platform": "IOS",
            "install_instance_id": IID,
            "device_data": {},
            "debug": False,
        },
        responses={
            200: (
                "Attribution data.",
                {
                    "attribution_source": "META",
                    "deeplink": "myapp://promo/spring",
                    "campaign_data": {
                        "id": "spring24",
                        "name": "Spring sale",
                        "type": "INORGANIC",
                        "ad_network": "META",
                        "group_name": None,
                        "asset_group_name": None,
                        "asset_name": None,
                        "installed_at": "2026-01-02T03:04:05Z",
                        "store_click_at": "2026-01-02T03:01:00Z",
                    },
                },
            )
        },
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.ATTRIBUTION_DATA)
        install = queries.wait_for_install(project.pk, instance_of(fields))
        data = queries.sdk_attribution_data(install)
        if install is not None and install.click is not None:
            data["deeplink"] = links.deferred_deeplink(data["deeplink"], install.click.url)
        return envelope("Attribution data.", 200, data)


class IntegrationsView(EdgeView):
    @documented(
        schemas.INTEGRATIONS,
        summary="Third-party ids of this install (CleverTap...)",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "install_instance_id": IID,
            "platform": "IOS",
            "integration_info": {"clevertap_id": "ct-123"},
        },
        responses={200: ("Integrations saved.", None)},
        errors=INSTALL_UPDATE_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.INTEGRATIONS)
        if not queries.merge_integrations(
            project.pk, instance_of(fields), jsonable(fields["integration_info"])
        ):
            raise install_missing(project.pk, instance_of(fields))
        return envelope("Integrations saved.", 200)


class PushTokenView(EdgeView):
    @documented(
        schemas.PUSH_TOKEN,
        summary="Push token for uninstall tracking (also served as updatePushToken)",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "push_token": "fcm-or-apns-token",
            "platform": "ANDROID",
            "install_instance_id": IID,
        },
        responses={200: ("Push token saved.", None)},
        errors=INSTALL_UPDATE_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.PUSH_TOKEN)
        if not queries.update_install(
            project.pk, instance_of(fields), push_token=fields["push_token"]
        ):
            raise install_missing(project.pk, instance_of(fields))
        return envelope("Push token saved.", 200)


class CustomerUserIdView(EdgeView):
    @documented(
        schemas.CUSTOMER_USER_ID,
        summary="The app's own id for the user of this install",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "user_id": "user-42",
            "platform": "IOS",
            "install_instance_id": IID,
        },
        responses={200: ("Customer user id saved.", None)},
        errors=INSTALL_UPDATE_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.CUSTOMER_USER_ID)
        if not queries.update_install(
            project.pk, instance_of(fields), customer_user_id=fields["user_id"]
        ):
            raise install_missing(project.pk, instance_of(fields))
        return envelope("Customer user id saved.", 200)
