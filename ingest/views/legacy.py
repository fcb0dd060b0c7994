"""Routes only old SDKs call; they are answered so those apps keep working."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.request import Request

from attribution import queries
from ingest import auth, ratelimit, schemas
from ingest.body import raw_body
from ingest.errors import envelope
from ingest.views.base import EdgeView
from ingest.views.client import IID, TAG, instance_of
from ingest.views.docs import SDK_ERRORS, documented
from ingest.views.sdk import accept


class DeeplinkTriggeredView(EdgeView):
    @documented(
        schemas.DEEPLINK_TRIGGERED,
        summary="Legacy: the app opened its stored deferred deep link",
        tag=TAG,
        request_example={"token": "proj_tok_example", "install_instance_id": IID},
        responses={200: ("Deep link trigger recorded.", None)},
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.DEEPLINK_TRIGGERED)
        queries.mark_deeplink_opened(project.pk, instance_of(fields))
        return envelope("Deep link trigger recorded.", 200)


class LogView(EdgeView):
    @documented(
        None,
        summary="Legacy: free-form client log line (accepted and dropped)",
        tag=TAG,
        responses={200: ("Logged.", None)},
        errors={413: SDK_ERRORS[413]},
    )
    def post(self, request: Request) -> HttpResponse:
        # Old Android clients send diagnostics here; we only bound the size and acknowledge.
        raw_body(request)
        return envelope("Logged.", 200)


class ProfileView(EdgeView):
    @documented(
        None,
        summary="Legacy: `GET getProfile?token=`, the project's public profile",
        tag=TAG,
        responses={200: ("Profile.", {"name": "My app"})},
        errors={401: SDK_ERRORS[401], 429: SDK_ERRORS[429]},
        method="GET",
    )
    def get(self, request: Request) -> HttpResponse:
        project = auth.project_for_token(request.GET.get("token", ""))
        ratelimit.check(ratelimit.SDK, project.pk)
        return envelope("Profile.", 200, {"name": project.name})
