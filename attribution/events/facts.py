"""Read-only snapshots of an install and its events, for the apps that send them on.

Postbacks and analytics never touch attribution models: they ask for these frozen facts by id
and build their requests from them. Zeroed advertising ids count as absent everywhere, and the
OS and app versions come from the best source the install has, so no network is told "unknown"
about something the install row knows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attribution.models import Install

# The models are imported where used: attribution.api re-exports this module and may be imported
# before the app registry is ready.

ZERO_ID = "00000000-0000-0000-0000-000000000000"
ATTRIBUTED = "ATTRIBUTED"
CLICK_ID_KEYS = ("gclid", "gbraid", "wbraid", "fbclid", "ttclid", "sccid", "msclkid")

# What SDKs send for a value they could not read; a version of "0" is no version either.
_UNKNOWN = frozenset({"", "0", "null", "undefined", "unknown", "none"})


def real_id(value: Any) -> str:
    """A device id, or "" for absent, zeroed and placeholder ids (see `clean_device_id`)."""
    from attribution.identifiers import clean_device_id

    return clean_device_id(value) or ""


def _known(value: Any) -> str:
    text = str(value if value is not None else "").strip()
    return "" if text.lower() in _UNKNOWN else text


def os_version_of(install: Install) -> str:
    """The SDK's own `system_version` (full precision), else the version in the user agent."""
    from attribution.useragent import parse_user_agent

    device = install.device_data if isinstance(install.device_data, dict) else {}
    return _known(device.get("system_version")) or parse_user_agent(install.user_agent).os_version


def app_version_of(install: Install) -> str:
    """init's `app_version`, else the app version the SDK put in device_data."""
    device = install.device_data if isinstance(install.device_data, dict) else {}
    candidates = (install.app_version, device.get("app_version"), device.get("version"))
    return next((_known(value) for value in candidates if _known(value)), "")


def referrer_gclid(install: Install) -> str:
    """The gclid in the Play install referrer (Google's `market_referrer_gclid`), "" if none."""
    from attribution.referrer import parse_play_referrer, referrer_text

    device = install.device_data if isinstance(install.device_data, dict) else {}
    return parse_play_referrer(referrer_text(device)).params.get("gclid", "").strip()


@dataclass(frozen=True)
class InstallFacts:
    install_id: int
    project_id: int
    install_instance_id: str
    os: str  # "ios" or "android" (wrappers report their own platform name)
    app_version: str
    os_version: str
    device_model: str
    locale: str
    timezone: str
    bundle_id: str
    store_id: str
    gaid: str
    idfa: str
    idfv: str
    ip: str
    user_agent: str
    attributed: bool
    paid: bool
    network_code: str
    campaign_id: int | None
    campaign_display_id: str
    campaign_name: str
    network_campaign_id: str
    ad_set_id: str
    ad_set_name: str
    ad_creative_id: str
    ad_creative_name: str
    click_ids: dict[str, str]
    click_params: dict[str, str]
    link: str
    installed_at: dt.datetime
    attributed_at: dt.datetime | None
    store_click_at: dt.datetime | None
    device_data: dict[str, Any] = field(default_factory=dict)
    integrations: dict[str, Any] = field(default_factory=dict)
    # The gclid Google put in the Play referrer, kept apart from a deep link's gclid.
    referrer_gclid: str = ""
    network_name: str = ""  # the AdNetwork's display name
    # What the winning strategy learnt (a Meta referrer's ad facts, Google's answer), as traced.
    winner_details: dict[str, Any] = field(default_factory=dict)

    @property
    def advertising_id(self) -> str:
        return self.idfa if self.os == "ios" else self.gaid

    @property
    def tracking_enabled(self) -> bool:
        return bool(self.advertising_id)


@dataclass(frozen=True)
class EventFacts:
    kind: str  # signup, payment, custom
    object_id: int
    project_id: int
    name: str
    dedup_id: str
    user_id: str
    amount: Decimal | None
    currency: str
    occurred_at: dt.datetime
    received_at: dt.datetime
    data: dict[str, Any]
    install: InstallFacts | None
    user: dict[str, str] = field(default_factory=dict)


def _os_of(install: Install) -> str:
    platform = install.platform.upper()
    if platform == "IOS" or install.idfv or install.idfa:
        return "ios"
    if platform == "ANDROID" or install.gaid:
        return "android"
    system = str(install.device_data.get("system_name") or install.device_data.get("base_os") or "")
    return "ios" if "ios" in system.lower() else "android"


def _store(install: Install, os_name: str) -> tuple[str, str]:
    from attribution.models import App

    platform = "IOS" if os_name == "ios" else "ANDROID"
    app = App.objects.filter(project_id=install.project_id, platform=platform).first()
    bundle = str(install.device_data.get("bundle_id") or "")
    if app is None:
        return bundle, ""
    return app.bundle_id or bundle, app.store_id


def install_facts(install_id: int) -> InstallFacts | None:
    from attribution.models import Install

    install = (
        Install.objects.select_related("campaign", "campaign__network", "click")
        .filter(pk=install_id)
        .first()
    )
    return None if install is None else _install_facts(install)


def _install_facts(install: Install) -> InstallFacts:
    device = install.device_data if isinstance(install.device_data, dict) else {}
    os_name = _os_of(install)
    bundle_id, store_id = _store(install, os_name)
    campaign = install.campaign
    click = install.click
    click_ids = dict(click.ad_click_ids) if click is not None else {}
    params = {str(k): str(v) for k, v in (click.utm if click is not None else {}).items()}
    params.update({k: str(v) for k, v in click_ids.items()})
    if click is not None:
        params["click_id"] = click.click_id
    return InstallFacts(
        install_id=install.pk,
        project_id=install.project_id,
        install_instance_id=install.install_instance_id,
        os=os_name,
        app_version=app_version_of(install),
        os_version=os_version_of(install),
        device_model=str(device.get("device") or device.get("device_name") or ""),
        locale=str(device.get("locale") or ""),
        timezone=str(device.get("timezone") or ""),
        bundle_id=bundle_id,
        store_id=store_id,
        gaid=real_id(install.gaid or device.get("gaid")),
        idfa=real_id(install.idfa or device.get("idfa")),
        idfv=real_id(install.idfv or device.get("idfv")),
        ip=install.ip or "",
        user_agent=install.user_agent,
        attributed=install.status == ATTRIBUTED,
        paid=install.attribution_type == "INORGANIC",
        network_code=install.network_code or (campaign.network_code or "" if campaign else ""),
        campaign_id=install.campaign_id,
        campaign_display_id=campaign.display_id if campaign else "",
        campaign_name=campaign.name if campaign else "",
        network_campaign_id=campaign.ad_network_campaign_id if campaign else "",
        ad_set_id=campaign.ad_set_id if campaign else "",
        ad_set_name=campaign.ad_set_name if campaign else "",
        ad_creative_id=campaign.ad_creative_id if campaign else "",
        ad_creative_name=campaign.ad_creative_name if campaign else "",
        click_ids={k: str(v) for k, v in click_ids.items() if k in CLICK_ID_KEYS and v},
        click_params=params,
        link=click.url if click is not None else "",
        installed_at=install.installed_at,
        attributed_at=install.attributed_at,
        store_click_at=install.store_click_at,
        device_data=device,
        integrations=install.integrations if isinstance(install.integrations, dict) else {},
        referrer_gclid=referrer_gclid(install) if os_name == "android" else "",
        network_name=campaign.network.name if campaign and campaign.network else "",
        winner_details=_winner_details(install),
    )


def _winner_details(install: Install) -> dict[str, Any]:
    decision = install.decision if isinstance(install.decision, dict) else {}
    winner = decision.get("winner") or {}
    details = winner.get("details") if isinstance(winner, dict) else None
    return details if isinstance(details, dict) else {}


def _user(project_id: int, user_id: str) -> tuple[dict[str, str], Install | None]:
    from attribution.models import UserIdentity

    identity = (
        UserIdentity.objects.select_related("install")
        .filter(project_id=project_id, user_id=user_id)
        .first()
    )
    if identity is None:
        return {}, None
    user = {"id": identity.user_id, "name": identity.name, "email": identity.email}
    user["phone"] = identity.phone
    user.update({k: str(v) for k, v in identity.data.items() if isinstance(v, str | int)})
    return user, identity.install


def event_facts(kind: str, object_id: int) -> EventFacts | None:
    if kind == "payment":
        return _payment_facts(object_id)
    if kind == "custom":
        return _custom_facts(object_id)
    if kind == "signup":
        return _signup_facts(object_id)
    if kind == "reengagement":
        return _reengagement_facts(object_id)
    return None


def _payment_facts(object_id: int) -> EventFacts | None:
    from attribution.models import Payment

    payment = Payment.objects.select_related("install").filter(pk=object_id).first()
    if payment is None:
        return None
    user, user_install = _user(payment.project_id, payment.user_id)
    install = payment.install or user_install
    return EventFacts(
        kind="payment",
        object_id=payment.pk,
        project_id=payment.project_id,
        name=payment.type,
        dedup_id=f"{payment.type}:{payment.payment_id}" if payment.payment_id else "",
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        occurred_at=payment.occurred_at,
        received_at=payment.received_at,
        data=payment.event_data or {},
        install=_install_facts(install) if install is not None else None,
        user=user,
    )


def _custom_facts(object_id: int) -> EventFacts | None:
    from attribution.models import CustomEvent

    event = CustomEvent.objects.select_related("install").filter(pk=object_id).first()
    if event is None:
        return None
    user, user_install = _user(event.project_id, event.user_id) if event.user_id else ({}, None)
    install = event.install or user_install
    data = event.data if isinstance(event.data, dict) else {}
    amount = data.get("amount")
    return EventFacts(
        kind="custom",
        object_id=event.pk,
        project_id=event.project_id,
        name=event.name,
        dedup_id=event.event_id,
        user_id=event.user_id,
        amount=Decimal(str(amount)) if isinstance(amount, int | float) else None,
        currency=str(data.get("currency") or "USD").upper(),
        occurred_at=event.occurred_at,
        received_at=event.received_at,
        data=data,
        install=_install_facts(install) if install is not None else None,
        user=user,
    )


def _signup_facts(object_id: int) -> EventFacts | None:
    from attribution.models import UserIdentity

    identity = UserIdentity.objects.select_related("install").filter(pk=object_id).first()
    if identity is None:
        return None
    user, _ = _user(identity.project_id, identity.user_id)
    return EventFacts(
        kind="signup",
        object_id=identity.pk,
        project_id=identity.project_id,
        name="signup",
        dedup_id=identity.user_id,
        user_id=identity.user_id,
        amount=None,
        currency="",
        occurred_at=identity.created_at,
        received_at=identity.created_at,
        data=dict(identity.data.get("additional_data") or {}),
        install=_install_facts(identity.install) if identity.install is not None else None,
        user=user,
    )


def _reengagement_facts(object_id: int) -> EventFacts | None:
    """A re-engagement, seen with the campaign that brought the user back."""
    from attribution.models import Reengagement

    row = Reengagement.objects.select_related("install", "campaign").filter(pk=object_id).first()
    if row is None:
        return None
    install = _install_facts(row.install)
    if row.campaign is not None:
        install = replace(
            install,
            campaign_id=row.campaign_id,
            campaign_display_id=row.campaign.display_id,
            campaign_name=row.campaign.name,
            network_code=row.campaign.network_code or install.network_code,
        )
    return EventFacts(
        kind="reengagement",
        object_id=row.pk,
        project_id=row.project_id,
        name=row.trigger,
        dedup_id=row.dedup_key,
        user_id="",
        amount=None,
        currency="",
        occurred_at=row.occurred_at,
        received_at=row.occurred_at,
        data={"deeplink_url": row.deeplink_url} if row.deeplink_url else {},
        install=install,
    )
