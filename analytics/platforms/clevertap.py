"""CleverTap upload API: answers 200 with status success, partial or fail; any unprocessed
record is a rejection, not a reason to try again."""

from __future__ import annotations

from typing import Any

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from postbacks.api import FrozenRequest, Outcome, Skip, Verdict, body_json, by_status, json_body

CODE = "clevertap"


def classify(status: int, body: bytes) -> Verdict:
    verdict = by_status(status, body)
    if verdict.outcome is not Outcome.DELIVERED:
        return verdict
    answer = body_json(body)
    if answer.get("status") == "success" and not answer.get("unprocessed"):
        return verdict
    failures = answer.get("unprocessed") or []
    reason = failures[0].get("error", "") if failures and isinstance(failures[0], dict) else ""
    return Verdict(Outcome.TERMINAL, f"clevertap {answer.get('status')}: {reason}".strip())


def build(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> FrozenRequest | Skip:
    account = context.credentials.get("account_id")
    passcode = context.credentials.get("passcode")
    if not account or not passcode:
        return Skip("clevertap credentials lack account_id or passcode")
    region = context.credentials.get("region")
    host = f"https://{region}.api.clevertap.com" if region else "https://api.clevertap.com"
    record: dict[str, Any] = {
        "type": "event",
        "evtName": base.event_name(event),
        "evtData": base.properties(install, event),
        "ts": int(base.happened(install, event, context.frozen_at).timestamp()),
    }
    if base.user_id(event):
        record["identity"] = base.user_id(event)
    else:
        record["objectId"] = install.install_instance_id
    money = base.money(event)
    if money is not None:
        record["evtData"].update(Amount=float(money[0]), Currency=money[1])
    headers = (
        ("Content-Type", "application/json"),
        ("X-CleverTap-Account-Id", str(account)),
        ("X-CleverTap-Passcode", str(passcode)),
    )
    url = context.base_url(host) + "/1/upload"
    return FrozenRequest("POST", url, headers, json_body({"d": [record]}), CODE, label=CODE)
