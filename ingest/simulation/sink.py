"""The development server's stand-in for the ad networks: `make run`'s demo network accounts
point here (attribution.demo), so a postback made while trying the API by hand is answered as
the network would answer it and ends delivered, without leaving the machine.

The answers are the simulator's fakes (`fakes.answer`), without a run's Apple registrations or
counters. hazelnut/urls.py mounts this only outside production, and the view refuses there too.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ingest.simulation.fakes import answer


@csrf_exempt
@require_http_methods(["GET", "POST"])
def outside(request: HttpRequest, rest: str) -> JsonResponse:
    if settings.PRODUCTION:
        raise Http404
    status, payload = answer(request.method or "GET", "/" + rest, request.body)
    return JsonResponse(payload, status=status)


urlpatterns = [path("<path:rest>", outside, name="dev-outside")]
