"""Meta Conversions API, app events: one event per request, JSON body, token in the query.

Meta refuses events stamped in the future or older than seven days, so the event time is
clamped to the freeze time, stale events are skipped with the reason kept on the delivery, and
the frozen request carries the moment it turns seven days old: the delivery machine ends a retry
or a replay that comes later without sending it.
Errors come in Graph's envelope; its code says whether trying later can help.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from attribution.api import EventFacts, InstallFacts
from postbacks.frozen import JSON_HEADERS, FrozenRequest, Skip, json_body, with_query
from postbacks.networks import base
from postbacks.verdict import Outcome, Verdict, by_status

API_VERSION = "v25.0"
MAX_AGE = dt.timedelta(days=7)
_TRANSIENT_CODES = frozenset({1, 2, 4, 17, 341, 368, 80003})


def classify(status: int, body: bytes) -> Verdict:
    if 200 <= status < 300:
        return Verdict(Outcome.DELIVERED)
    error = base.body_json(body).get("error")
    if isinstance(error, dict) and "code" in error:
        code = error.get("code")
        reason = f"meta_error_{code}"
        if code in _TRANSIENT_CODES:
            return Verdict(Outcome.TRANSIENT, reason)
        if status < 500:
            return Verdict(Outcome.TERMINAL, reason)
    return by_status(status, body)


@dataclass(frozen=True)
class MetaClient:
    code: str = "META"
    destination: str = "meta"

    @staticmethod
    def classify(status: int, body: bytes) -> Verdict:
        return classify(status, body)

    def build(
        self, install: InstallFacts, event: EventFacts | None, context: base.Context
    ) -> FrozenRequest | Skip:
        dataset = context.credentials.get("dataset_id") or context.credentials.get("pixel_id")
        token = context.credentials.get("access_token")
        if not dataset or not token:
            return Skip("meta credentials lack dataset_id or access_token")
        happened = base.event_time(install, event, context.frozen_at)
        stale = base.too_old(happened, context.frozen_at, MAX_AGE)
        if stale is not None:
            return stale
        url = f"{context.endpoint('https://graph.facebook.com')}/{API_VERSION}/{dataset}/events"
        payload: dict[str, Any] = {"data": [self._event(install, event, context, happened)]}
        if context.credentials.get("test_event_code"):
            payload["test_event_code"] = context.credentials["test_event_code"]
        return FrozenRequest(
            "POST",
            with_query(url, {"access_token": str(token)}),
            JSON_HEADERS,
            json_body(payload),
            classifier=self.destination,
            label=f"meta:{dataset}",
            send_before=(happened + MAX_AGE).isoformat(),
        )

    def _event(
        self,
        install: InstallFacts,
        event: EventFacts | None,
        context: base.Context,
        happened: dt.datetime,
    ) -> dict[str, Any]:
        user_data: dict[str, Any] = {}
        if base.real_id(install.install_instance_id):
            user_data["anon_id"] = install.install_instance_id
        if install.advertising_id:
            user_data["madid"] = install.advertising_id
        if install.ip:
            user_data["client_ip_address"] = install.ip
        if install.user_agent:
            user_data["client_user_agent"] = install.user_agent
        if event is not None and event.user_id:
            user_data["external_id"] = [base.hashed(event.user_id)]
        if event is not None and event.user.get("email"):
            user_data["em"] = [base.hashed(event.user["email"])]
        if event is not None and (phone := base.phone_digits(event.user.get("phone", ""))):
            user_data["ph"] = [base.hashed(phone)]
        item: dict[str, Any] = {
            "event_name": context.network_event_name,
            "event_time": base.unix(happened),
            "event_id": context.delivery_id,
            "action_source": "app",
            "user_data": user_data,
            "app_data": {
                "advertiser_tracking_enabled": 1 if install.tracking_enabled else 0,
                "application_tracking_enabled": 1,
                "extinfo": base.extinfo(install),
            },
        }
        money = base.revenue(event, context)
        if money is not None:
            item["custom_data"] = {"value": base.number(money[0]), "currency": money[1]}
        return item


CLIENT = MetaClient()
