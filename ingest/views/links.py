"""`GET /<display_id>` (or `/?c=<display_id>`): record the click, send the visitor on.

The click is published, not stored here; the redirect never waits for attribution. It is also
announced under its IP in the click store, so an install that overtakes it waits for it. The
click id (`lr_ia_id`) is made here so the Play Store referrer can carry it to the app. A link is
served only on its project's link domains once it has one (`links.served_on`), and clicks are
recorded up to a per-IP rate (HAZELNUT_RATE_LIMIT_CLICK_PER_SECOND).
"""

from __future__ import annotations

import html
import json
import time
import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from attribution import clickstore, queries
from attribution.contracts import RECORD_CLICK, ClickMessage
from hazelnut import metrics
from ingest import links, messages, ratelimit
from ingest.publish import publish

_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")
NOT_FOUND = "<!doctype html><title>Link not found</title><p>This link does not exist.</p>"


# A link is only ever followed: any other method is a 405, not the CSRF check's 403 page.
@csrf_exempt
@require_safe
def campaign_link(request: HttpRequest, display_id: str = "") -> HttpResponse:
    display_id = display_id or request.GET.get(links.CAMPAIGN_PARAM, "")
    # NUL never names a campaign, and PostgreSQL would refuse it in the lookup.
    found = bool(display_id) and "\x00" not in display_id
    campaign = queries.campaign_for_link(display_id) if found else None
    if campaign is None:
        return HttpResponse(NOT_FOUND, status=404)
    if not links.served_on(campaign, request.get_host()):
        # Answered like an unknown link: on this host it is one, and its destinations stay private.
        metrics.LINK_CLICKS_UNRECORDED.labels("foreign_host").inc()
        return HttpResponse(NOT_FOUND, status=404)
    user_agent = messages.user_agent(request)
    visitor = links.detect(user_agent)
    params = links.click_params((key, str(value)) for key, value in request.GET.items())
    click_id = uuid.uuid4().hex
    if campaign.active and campaign.project.active and request.method == "GET":
        _record(request, campaign.project_id, campaign.pk, click_id, params)
    redirect = links.destination(campaign, visitor, click_id, params)
    if redirect.deeplink:
        return _app_first_page(redirect)
    if not redirect.url:
        return HttpResponse(NOT_FOUND, status=404)
    response = HttpResponseRedirect(redirect.url)
    response["Cache-Control"] = "no-store"
    return response


def _record(
    request: HttpRequest, project_id: int, campaign_id: int, click_id: str, params: dict[str, str]
) -> None:
    # Over the limit the visitor is still sent on (maybe a real person behind busy NAT), unrecorded.
    if not ratelimit.allows(ratelimit.CLICK_IP, messages.request_ip(request)):
        metrics.LINK_CLICKS_UNRECORDED.labels("rate_limited").inc()
        return
    click = _click(request, project_id, campaign_id, click_id, params)
    publish(RECORD_CLICK, click)
    clickstore.announce(project_id, click["ip"], click_id, time.time())


def _click(
    request: HttpRequest, project_id: int, campaign_id: int, click_id: str, params: dict[str, str]
) -> ClickMessage:
    host = request.META.get("HTTP_HOST", "")[:253]
    scheme = "https" if request.is_secure() else "http"
    return {
        "project_id": project_id,
        "campaign_id": campaign_id,
        "click_id": click_id,
        "clicked_at": messages.now_iso(),
        "ip": messages.request_ip(request),
        "user_agent": messages.user_agent(request),
        "url": f"{scheme}://{host}{request.get_full_path()}"[:4000],
        "host": host,
        "params": params,
    }


def _app_first_page(redirect: links.Redirect) -> HttpResponse:
    """In-app browsers: try the app's deep link, then fall back to the store or site."""
    deeplink = _js_string(redirect.deeplink)
    fallback = _js_string(redirect.url)
    body = (
        "<!doctype html><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width">'
        f'<p>Opening the app&hellip; <a href="{html.escape(redirect.url)}">Continue</a></p>'
        f"<script>var d={deeplink},f={fallback};if(d)location.href=d;"
        f"setTimeout(function(){{if(f)location.href=f;}},{redirect.delay_ms});</script>"
    )
    response = HttpResponse(body)
    response["Cache-Control"] = "no-store"
    return response


def _js_string(value: str) -> str:
    """A JS string literal safe inside a <script> element; script-running schemes are dropped."""
    if value.strip().lower().startswith(_UNSAFE_SCHEMES):
        value = ""
    literal = json.dumps(value)
    return literal.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
