"""MoEngage Data API events: Basic auth with the workspace id and data key, times in ms."""

from __future__ import annotations

import base64

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from postbacks.api import FrozenRequest, Skip, Verdict, by_status, json_body

CODE = "moengage"


def classify(status: int, body: bytes) -> Verdict:
    return by_status(status, body)


def build(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> FrozenRequest | Skip:
    workspace = context.credentials.get("workspace_id")
    key = context.credentials.get("data_api_key")
    if not workspace or not key:
        return Skip("moengage credentials lack workspace_id or data_api_key")
    moment = int(base.happened(install, event, context.frozen_at).timestamp() * 1000)
    attributes = base.properties(install, event)
    money = base.money(event)
    if money is not None:
        attributes.update(revenue=float(money[0]), currency=money[1])
    payload = {
        "type": "event",
        "customer_id": base.user_id(event) or install.install_instance_id,
        "actions": [
            {
                "action": base.event_name(event),
                "attributes": attributes,
                "platform": install.os.upper(),
                "app_version": install.app_version,
                "user_time": str(moment),
                "current_time": str(moment),
            }
        ],
    }
    dc = str(context.credentials.get("data_center") or "01")
    auth = base64.b64encode(f"{workspace}:{key}".encode()).decode()
    headers = (("Content-Type", "application/json"), ("Authorization", f"Basic {auth}"))
    url = context.base_url(f"https://api-{dc}.moengage.com") + f"/v1/event/{workspace}"
    return FrozenRequest("POST", url, headers, json_body(payload), CODE, label=CODE)
