"""Google Ads app conversion tracking (pagead): everything travels in the query string.

Google rejects a conversion carrying more than one of gclid, gbraid and wbraid, so exactly one is
sent, in that order of preference. Without an advertising id the privacy guide's two flows apply:
iOS sends the zeroed rdid Google asks for (with lat=1); Android sends no device id at all, but
`gclid_only_request=1` and the Play referrer's gclid as `market_referrer_gclid`. A conversion
with no ad id and no click id those flows take leaves Google nothing to match, so it is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from attribution.api import ZERO_ID, EventFacts, InstallFacts
from postbacks.frozen import FrozenRequest, Skip, with_query
from postbacks.networks import base
from postbacks.verdict import Outcome, Verdict, by_status

STANDARD_EVENTS = frozenset(
    {
        "first_open",
        "session_start",
        "in_app_purchase",
        "view_item_list",
        "view_item",
        "view_search_results",
        "add_to_cart",
        "ecommerce_purchase",
    }
)
CLICK_ID_PRIORITY = ("gclid", "gbraid", "wbraid")
# The privacy guide's Android flow matches on a gclid or gbraid only; wbraid is iOS web-to-app.
ANDROID_CLICK_IDS = ("gclid", "gbraid")
SDK_VERSION = "hazelnut-1"


def one_click_id(click_ids: dict[str, str]) -> dict[str, str]:
    """The single click id Google accepts: gclid, else gbraid, else wbraid."""
    for key in CLICK_ID_PRIORITY:
        if click_ids.get(key):
            return {key: click_ids[key]}
    return {}


def device_id(install: InstallFacts) -> dict[str, str]:
    """rdid, id_type and lat; without an ad id, what the privacy-compliant flow sends instead."""
    if install.advertising_id:
        id_type = "idfa" if install.os == "ios" else "advertisingid"
        return {"rdid": install.advertising_id, "id_type": id_type, "lat": "0"}
    if install.os == "ios":
        return {"rdid": ZERO_ID, "id_type": "idfa", "lat": "1"}
    params = {"lat": "1", "gclid_only_request": "1"}
    if install.referrer_gclid:
        params["market_referrer_gclid"] = install.referrer_gclid
    return params


def unmatchable(install: InstallFacts) -> Skip | None:
    """Why Google could not tie this conversion to an ad, or None when it can."""
    if install.advertising_id:
        return None
    if install.os == "ios":
        # The zeroed rdid identifies nobody; only a click id lets Google match the conversion.
        if one_click_id(install.click_ids):
            return None
        return Skip("no IDFA and no gclid, gbraid or wbraid: Google cannot match it")
    if install.referrer_gclid or any(install.click_ids.get(key) for key in ANDROID_CLICK_IDS):
        return None
    return Skip("no advertising id and no gclid: Google cannot match it")


def classify(status: int, body: bytes) -> Verdict:
    verdict = by_status(status, body)
    errors = base.body_json(body).get("errors")
    if verdict.outcome is Outcome.DELIVERED and errors:
        return Verdict(Outcome.TERMINAL, "google_errors")
    return verdict


@dataclass(frozen=True)
class GoogleAdsClient:
    code: str = "GOOGLE"
    destination: str = "google_ads"

    @staticmethod
    def classify(status: int, body: bytes) -> Verdict:
        return classify(status, body)

    def build(
        self, install: InstallFacts, event: EventFacts | None, context: base.Context
    ) -> FrozenRequest | Skip:
        credentials = context.credentials
        link_id = credentials.get(f"link_id_{install.os}") or credentials.get("link_id")
        if not credentials.get("dev_token") or not link_id:
            return Skip("google credentials lack dev_token or link_id")
        skip = unmatchable(install)
        if skip is not None:
            return skip
        happened = base.event_time(install, event, context.frozen_at)
        params = {
            "dev_token": str(credentials["dev_token"]),
            "link_id": str(link_id),
            **self._event_type(context.network_event_name),
            **device_id(install),
            # Both are required; Google documents no "unknown" value, so 0 stands in for one.
            "app_version": install.app_version or "0",
            "os_version": install.os_version or "0",
            "sdk_version": SDK_VERSION,
            "timestamp": f"{happened.timestamp():.6f}",
            **one_click_id(install.click_ids),
        }
        money = base.revenue(event, context)
        if money is not None:
            params.update(value=str(base.number(money[0])), currency_code=money[1])
        url = context.endpoint("https://www.googleadservices.com") + "/pagead/conversion/app/1.0"
        return FrozenRequest(
            "POST",
            with_query(url, params),
            (("Content-Length", "0"),),
            "",
            classifier=self.destination,
            label="google_ads",
        )

    @staticmethod
    def _event_type(name: str) -> dict[str, str]:
        if name in STANDARD_EVENTS:
            return {"app_event_type": name}
        return {"app_event_type": "custom", "app_event_name": name}


CLIENT = GoogleAdsClient()
