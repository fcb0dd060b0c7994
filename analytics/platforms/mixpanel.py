"""Mixpanel /import: a JSON array, HTTP Basic with the project secret, `$insert_id` dedup.
Zeroed advertising ids are never used as distinct_id (Mixpanel rejects them)."""

from __future__ import annotations

import base64

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from postbacks.api import FrozenRequest, Skip, Verdict, by_status, json_body, with_query

CODE = "mixpanel"


def classify(status: int, body: bytes) -> Verdict:
    return by_status(status, body)


def build(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> FrozenRequest | Skip:
    secret = context.credentials.get("api_secret")
    if not secret:
        return Skip("mixpanel credentials lack api_secret")
    distinct_id = (
        base.platform_id(install, event, "mixpanel_distinct_id")
        or base.user_id(event)
        or install.install_instance_id
    )
    properties = {
        **base.properties(install, event),
        "distinct_id": distinct_id,
        "time": int(base.happened(install, event, context.frozen_at).timestamp()),
        "$insert_id": context.insert_id.replace("-", "")[:36],
    }
    money = base.money(event)
    if money is not None:
        properties.update(revenue=float(money[0]), currency=money[1])
    params = {"strict": "1"}
    if context.credentials.get("project_id"):
        params["project_id"] = str(context.credentials["project_id"])
    url = with_query(context.base_url("https://api.mixpanel.com") + "/import", params)
    auth = base64.b64encode(f"{secret}:".encode()).decode()
    headers = (("Content-Type", "application/json"), ("Authorization", f"Basic {auth}"))
    payload = [{"event": base.event_name(event), "properties": properties}]
    return FrozenRequest("POST", url, headers, json_body(payload), CODE, label=CODE)
