"""PostHog capture endpoint: api_key, event and distinct_id required, `uuid` dedup."""

from __future__ import annotations

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from postbacks.api import JSON_HEADERS, FrozenRequest, Skip, Verdict, by_status, json_body

CODE = "posthog"


def classify(status: int, body: bytes) -> Verdict:
    return by_status(status, body)


def build(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> FrozenRequest | Skip:
    api_key = context.credentials.get("api_key")
    if not api_key:
        return Skip("posthog credentials lack api_key")
    properties = base.properties(install, event)
    money = base.money(event)
    if money is not None:
        properties.update(revenue=float(money[0]), currency=money[1])
    payload = {
        "api_key": api_key,
        "event": base.event_name(event),
        "distinct_id": base.platform_id(install, event, "posthog_distinct_id")
        or base.user_id(event)
        or install.install_instance_id,
        "properties": properties,
        "timestamp": base.iso(base.happened(install, event, context.frozen_at)),
        "uuid": context.insert_id,
    }
    url = context.base_url("https://us.i.posthog.com") + "/i/v0/e/"
    return FrozenRequest("POST", url, JSON_HEADERS, json_body(payload), CODE, label=CODE)
