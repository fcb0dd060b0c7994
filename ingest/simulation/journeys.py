"""Playing one journey through the public API: the browser click (when there is one), the first
app open with whatever the store or the network handed the app, then the user's activity.

Waits between steps are real but compressed (`pace` seconds stand for minutes), so a day of
traffic runs in minutes and the pipeline still sees clicks before the installs they lead to.
"""

from __future__ import annotations

import base64
import random
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from ingest.simulation import pageviews, plan, referrers
from ingest.simulation.client import Answer, Client
from ingest.simulation.devices import Device, device_data
from ingest.simulation.fakes import OutsideWorld
from ingest.simulation.ledger import Ledger, SentInstall
from ingest.simulation.stage import LinkCampaign, Stage

SDK_VERSION = {"IOS": "4.0.1", "ANDROID": "3.0.0"}
PAYMENT_TYPES = ("FIRST_PAYMENT", "ONE_TIME", "SUBSCRIPTION_CREATED", "WALLET_TOPUP")
PAGE_VIEW_SHARE = 0.4  # link taps that come from our landing page rather than an ad
EVENT_NAMES = ("item_viewed", "cart_added", "checkout_started", "level_completed", "search")


@dataclass
class Player:
    client: Client
    stage: Stage
    world: OutsideWorld
    ledger: Ledger
    run_tag: str  # makes user, payment and event ids unique across runs
    pace: float = 1.0

    def play(self, journey: plan.Journey) -> None:
        rng = random.Random(f"{self.run_tag}:{journey.device.serial}")
        handler = {
            plan.ORGANIC: self._organic,
            plan.LINK_IP_MATCH: self._link_ip_match,
            plan.LINK_PLAY_REFERRER: self._link_play_referrer,
            plan.META_REFERRER: self._meta_referrer,
            plan.APPLE_SEARCH_ADS: self._apple_search_ads,
            plan.REINSTALL: self._reinstall,
            plan.CLICK_ONLY: self._click_only,
        }[journey.kind]
        device = handler(journey, rng)
        if device is not None:
            self._activity(journey, device, rng)

    # Journeys: each returns the device that ends up with the app (None: no install) --------

    def _organic(self, journey: plan.Journey, rng: random.Random) -> Device:
        self._init(journey, journey.device, None, self._store_extras(journey.device))
        return journey.device

    def _click_only(self, journey: plan.Journey, rng: random.Random) -> None:
        self._click(journey.device, self._link(journey))

    def _link_ip_match(self, journey: plan.Journey, rng: random.Random) -> Device:
        campaign = self._link(journey)
        self._click(journey.device, campaign)
        self._wait(rng, 0.3, 1.5)
        self._init(journey, journey.device, campaign.id, self._store_extras(journey.device))
        return journey.device

    def _link_play_referrer(self, journey: plan.Journey, rng: random.Random) -> Device:
        campaign = self._link(journey)
        clicked_at = time.time()
        answer = self._click(journey.device, campaign)
        referrer = referrers.play_referrer_from_location(referrers.store_link(answer))
        if referrer is None:
            self.ledger.note("Android click redirect without a Play referrer")
            referrer = referrers.ORGANIC
        self._wait(rng, 0.3, 1.5)
        extras = {
            "install_ref": referrer,
            "install_ref_referrerClickTimestampSeconds": int(clicked_at),
            "install_ref_installBeginTimestampSeconds": int(time.time()),
        }
        self._init(journey, journey.device, campaign.id, extras)
        return journey.device

    def _meta_referrer(self, journey: plan.Journey, rng: random.Random) -> Device:
        facts = referrers.meta_facts(
            self.stage.meta_campaign_group_id, self.stage.meta_campaign.name, journey.device.serial
        )
        extras = {"install_ref": referrers.meta_referrer(self.stage.meta_key, facts)}
        self._init(journey, journey.device, self.stage.meta_campaign.id, extras)
        return journey.device

    def _apple_search_ads(self, journey: plan.Journey, rng: random.Random) -> Device:
        token = _adservices_token(rng)
        self.world.register_apple(token, self.stage.apple_campaign_id, self.stage.apple_ad_group_id)
        extras = {"adservices_attribution_token": token}
        self._init(journey, journey.device, self.stage.apple_campaign.id, extras)
        return journey.device

    def _reinstall(self, journey: plan.Journey, rng: random.Random) -> Device:
        device = journey.device
        if not device.gaid:  # a reinstall is only recognisable by a device id that survives
            device = replace(device, gaid=str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        self._init(journey, device, None, self._store_extras(device))
        self._wait(rng, 1.5, 3.0)
        again = device.reinstalled(rng)
        self._init(journey, again, None, self._store_extras(again), reinstall=True)
        return again

    # Steps -------------------------------------------------------------------------------

    def _link(self, journey: plan.Journey) -> LinkCampaign:
        links = self.stage.link_campaigns
        return links[journey.link_index % len(links)]

    def _click(self, device: Device, campaign: LinkCampaign) -> Answer:
        source = (campaign.network or "newsletter").lower()
        query = f"utm_source={source}&utm_medium={'cpc' if campaign.network else 'email'}"
        rng = random.Random(f"{self.run_tag}:page:{device.serial}")
        if rng.random() < PAGE_VIEW_SHARE:
            self._page_view(
                device, f"{pageviews.LANDING}?{query}&utm_campaign={campaign.display_id}", rng
            )
        answer = self.client.click(
            device.ip, f"/{campaign.display_id}?{query}", device.browser_agent
        )
        self.ledger.count("link clicks")
        if answer.status is not None and 300 <= answer.status < 400:
            self.ledger.count("link clicks redirected")
        return answer

    def _page_view(self, device: Device, url: str, rng: random.Random) -> None:
        """The landing page the link sits on, seen first (no Origin: the page is not ours)."""
        event = pageviews.page_view(device, self.stage.web_token, url, rng)
        answer = self.client.web(device.ip, event, device.browser_agent)
        self.ledger.count("/web/ingest")
        self._check(answer, "/web/ingest")

    def _store_extras(self, device: Device) -> dict[str, Any]:
        """What an unpaid first open carries: Play's organic referrer, or an AdServices token
        Apple will say it knows nothing about."""
        if device.platform == "ANDROID":
            now = int(time.time())
            return {
                "install_ref": referrers.ORGANIC,
                "install_ref_installBeginTimestampSeconds": now,
            }
        return {"adservices_attribution_token": _adservices_token(random.Random(device.idfv))}

    def _init(
        self,
        journey: plan.Journey,
        device: Device,
        expected_campaign: int | None,
        extras: dict[str, Any],
        *,
        reinstall: bool = False,
    ) -> None:
        body = {
            "token": self.stage.credentials.token,
            "package_version": SDK_VERSION[device.platform],
            "app_version": device.app_version,
            "device_data": self._device_data(device, **extras),
            "platform": device.platform,
            "source": "GENERAL",
            "install_instance_id": device.install_instance_id,
            "debug": False,
        }
        answer = self._sdk(device, "init", body)
        self.ledger.install(SentInstall(
            device.install_instance_id, journey.kind, device.platform, expected_campaign,
            answer.sent_at, answer.ok, reinstall,
        ))  # fmt: skip

    def _activity(self, journey: plan.Journey, device: Device, rng: random.Random) -> None:
        activity = journey.activity
        user_id = f"user_{self.run_tag}_{device.serial}"
        if activity.signs_up:
            self._wait(rng, 1.0, 2.5)
            self._signup(device, user_id, rng)
        for number in range(activity.payments):
            self._wait(rng, 0.2, 1.0)
            self._payment(
                device, user_id, number, rng, server=activity.server_side_payment and number == 0
            )
        for _ in range(activity.custom_events):
            self._wait(rng, 0.2, 1.0)
            self._custom_event(device, user_id if activity.signs_up else "", rng)

    def _signup(self, device: Device, user_id: str, rng: random.Random) -> None:
        data = {"device_data": self._device_data(device), "referral_code": f"R{rng.randrange(999)}"}
        body = {
            "token": self.stage.credentials.token,
            "user_data": {
                "id": user_id,
                "name": f"User {device.serial}",
                "is_first_time_user": True,
            },
            "platform": device.platform,
            "install_instance_id": device.install_instance_id,
            "data": data,
            "time_since_app_install": round(rng.uniform(20, 600), 1),
        }
        self._sdk(device, "trigger", body)

    def _payment(
        self, device: Device, user_id: str, number: int, rng: random.Random, *, server: bool
    ) -> None:
        payment = {
            "user_id": user_id,
            "payment_id": f"pay_{self.run_tag}_{device.serial}_{number}",
            "amount": rng.choice((0.99, 4.99, 9.99, 19.99, 49.0)),
            "type": PAYMENT_TYPES[min(number, len(PAYMENT_TYPES) - 1)],
            "status": "PAYMENT_COMPLETED",
            "event_data": {"currency": "USD", "content_ids": [f"sku_{rng.randrange(20)}"]},
        }
        if server:
            answer = self.client.server("127.0.0.2", "capture-payment", payment)
            self.ledger.count("/api/v1/capture-payment")
            self._check(answer, "/api/v1/capture-payment")
            return
        body = {
            **payment,
            "token": self.stage.credentials.token,
            "platform": device.platform,
            "install_instance_id": device.install_instance_id,
            "data": {"device_data": self._device_data(device)},
        }
        self._sdk(device, "capture-payment", body)

    def _custom_event(self, device: Device, user_id: str, rng: random.Random) -> None:
        body: dict[str, Any] = {
            "token": self.stage.credentials.token,
            "event_name": rng.choice(EVENT_NAMES),
            "event_data": {"amount": rng.choice((0, 0, 2.5))} if rng.random() < 0.5 else None,
            "device_data": self._device_data(device),
            "install_instance_id": device.install_instance_id,
            "platform": device.platform,
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        }
        if user_id:
            body["user_id"] = user_id
        self._sdk(device, "capture-event", body)

    # Plumbing ----------------------------------------------------------------------------

    def _device_data(self, device: Device, **extras: Any) -> dict[str, Any]:
        bundle = self.stage.ios_bundle if device.platform == "IOS" else self.stage.android_bundle
        return device_data(device, bundle, **extras)

    def _sdk(self, device: Device, name: str, body: dict[str, Any]) -> Answer:
        # iOS apps of the demo sign their calls, as LinkrunnerKit does when given a key.
        signed = device.platform == "IOS"
        answer = self.client.sdk(device.ip, name, body, device.app_agent, signed=signed)
        self.ledger.count(f"/api/client/{name}")
        self._check(answer, f"/api/client/{name}")
        return answer

    def _check(self, answer: Answer, route: str) -> None:
        if not answer.ok:
            self.ledger.note(f"{route} not answered 2xx")

    def _wait(self, rng: random.Random, low: float, high: float) -> None:
        if self.pace > 0:
            time.sleep(rng.uniform(low, high) * self.pace)


def _adservices_token(rng: random.Random) -> str:
    return base64.b64encode(rng.randbytes(96)).decode()
