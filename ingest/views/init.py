"""`POST /api/client/init`: the hot path, kept to a plain Django view and a hand validator.

It answers at once: the install is attributed by a worker. `is_first_launch` is decided here so
the app learns whether this is an install or a later session (an SDK's own flag is not trusted).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from attribution.contracts import ATTRIBUTE_INSTALL
from ingest import auth, idempotency, kv, messages, ratelimit, schemas
from ingest.body import read_object
from ingest.errors import ApiError, envelope, error_response
from ingest.publish import publish


@csrf_exempt
def init(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = envelope("Method not allowed.", 405, {"error": "method_not_allowed"})
        response["Allow"] = "POST"
        return response
    try:
        first = _accept(request)
    except ApiError as error:
        return error_response(error)
    data = {"is_first_launch": first, "deeplink": None, "campaign_data": None}
    return envelope("Init successful.", 200, data)


def _accept(request: HttpRequest) -> bool:
    """Validate and publish one init; True when it is the install's first launch."""
    raw, body = read_object(request)
    project = auth.sdk_project(request, raw, body)
    message = messages.install(project.pk, schemas.INIT.validate(body), request)

    # One Redis round trip for both the rate limit and the first-launch claim.
    batch = kv.Batch()
    within_limit = ratelimit.queue(batch, ratelimit.SDK, project.pk)
    claim = idempotency.LaunchClaim(batch, project.pk, message["install_instance_id"])
    batch.run()

    try:
        within_limit()
        first = claim.is_first()
        publish(ATTRIBUTE_INSTALL, message)
    except ApiError:
        claim.undo()
        raise
    return first
