"""Synchronous reads and writes the HTTP edge needs, in one place.

Everything asynchronous goes through the queues; what must be answered in the same request
(who is this token, does this payment exist, what was this install attributed to, the
campaign CRUD of the server API, small install updates) is done here against the database.
Functions return models or plain dicts; none of them publish anything.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from attribution.events import payments, skan
from attribution.models import (
    App,
    Campaign,
    CustomEvent,
    Domain,
    Install,
    Payment,
    Project,
    SigningCredential,
    SkanConfig,
    UserIdentity,
)
from hazelnut import secrets as hz_secrets

T = TypeVar("T")

# The install row is written by the attribution worker a moment after `init` is accepted; calls
# that need it wait this long for it before answering without it.
INSTALL_WAIT_ATTEMPTS = 4
INSTALL_WAIT_SECONDS = 0.15
DISPLAY_ID_ALPHABET = string.ascii_lowercase + string.digits


# Projects and credentials


def project_by_token(token: str) -> Project | None:
    return Project.objects.filter(token=token, active=True).first()


def project_by_web_token(token: str) -> Project | None:
    return Project.objects.filter(web_token=token, active=True).first()


def project_by_server_key(key: str) -> Project | None:
    # The digest is the lookup key; the constant-time compare guards the final decision.
    project = Project.objects.filter(server_key_digest=hz_secrets.digest(key), active=True).first()
    if project is None or not project.check_server_key(key):
        return None
    return project


def project_by_revenuecat_token(token: str) -> Project | None:
    digest = hz_secrets.digest(token)
    project = Project.objects.filter(revenuecat_token_digest=digest, active=True).first()
    if project is None or not hz_secrets.matches_digest(token, project.revenuecat_token_digest):
        return None
    return project


def allowed_origins() -> set[str]:
    """Every origin any active project lets call the web collector (for CORS preflights)."""
    origins: set[str] = set()
    for text in Project.objects.filter(active=True).values_list("allowed_origins", flat=True):
        origins |= {line.strip().rstrip("/") for line in text.splitlines() if line.strip()}
    return origins


def signing_secret(project_id: int, key_id: str) -> str | None:
    credential = SigningCredential.objects.filter(
        project_id=project_id, key_id=key_id, active=True
    ).first()
    return credential.secret if credential else None


def has_signing_credentials(project_id: int) -> bool:
    return SigningCredential.objects.filter(project_id=project_id, active=True).exists()


# Existence checks behind the edge's fast idempotency answers


def install_exists(project_id: int, install_instance_id: str) -> bool:
    return Install.objects.filter(
        project_id=project_id, install_instance_id=install_instance_id
    ).exists()


def payment_exists(project_id: int, payment_type: str, payment_id: str) -> bool:
    return Payment.objects.filter(
        project_id=project_id, type=payment_type, payment_id=payment_id
    ).exists()


def event_exists(project_id: int, event_id: str) -> bool:
    return CustomEvent.objects.filter(project_id=project_id, event_id=event_id).exists()


# Installs


def wait_for_install(project_id: int, install_instance_id: str) -> Install | None:
    return _retry(
        lambda: (
            Install.objects.select_related("campaign", "campaign__network", "click")
            .filter(project_id=project_id, install_instance_id=install_instance_id)
            .first()
        )
    )


def decision_of(project_id: int, install_instance_id: str) -> dict[str, Any] | None:
    """How an install's attribution was decided (the decision-trace route's data); None when
    there is no install row."""
    install = (
        Install.objects.select_related("campaign")
        .filter(project_id=project_id, install_instance_id=install_instance_id)
        .first()
    )
    if install is None:
        return None
    return {
        "install_instance_id": install.install_instance_id,
        "status": install.status,
        "attribution_type": install.attribution_type,
        "source": install.source,
        "network": install.network_code or None,
        "campaign": install.campaign.display_id if install.campaign else None,
        "is_reinstall": install.is_reinstall,
        "decision": install.decision,
    }


def unopened_deeplink(project_id: int, install_instance_id: str) -> tuple[str, str] | None:
    """The campaign deep link of an attributed install that no legacy SDK has opened yet, and
    the URL of the click that won it ("" without one)."""
    found = (
        Install.objects.filter(
            project_id=project_id,
            install_instance_id=install_instance_id,
            status=Install.Status.ATTRIBUTED,
            deeplink_opened_at__isnull=True,
        )
        .exclude(campaign__deeplink="")
        .values_list("campaign__deeplink", "click__url")
        .first()
    )
    if not found or not found[0]:
        return None
    return found[0], found[1] or ""


def mark_deeplink_opened(project_id: int, install_instance_id: str) -> bool:
    """Remember that the app opened its deferred deep link; False if already known or no install."""
    return bool(
        Install.objects.filter(
            project_id=project_id,
            install_instance_id=install_instance_id,
            deeplink_opened_at__isnull=True,
        ).update(deeplink_opened_at=timezone.now())
    )


def update_install(project_id: int, install_instance_id: str, **fields: Any) -> bool:
    """Set fields on an install (push token, customer user id); False if it never appeared."""

    def attempt() -> bool | None:
        updated = Install.objects.filter(
            project_id=project_id, install_instance_id=install_instance_id
        ).update(**fields)
        return True if updated else None

    return bool(_retry(attempt))


def merge_integrations(project_id: int, install_instance_id: str, info: dict[str, Any]) -> bool:
    def attempt() -> bool | None:
        with transaction.atomic():
            install = (
                Install.objects.select_for_update()
                .filter(project_id=project_id, install_instance_id=install_instance_id)
                .first()
            )
            if install is None:
                return None
            install.integrations = {**install.integrations, **info}
            install.save(update_fields=["integrations"])
            return True

    return bool(_retry(attempt))


def set_user_data(
    project_id: int, install_instance_id: str | None, user_data: dict[str, Any]
) -> UserIdentity:
    """Create or update the user `user_data["id"]`, linked to the install when it exists.

    Only what `user_data` states changes: SDKs leave out the keys they have no value for, so a
    missing or empty name, email or phone keeps the stored one, and extra keys are merged in.
    """
    install = wait_for_install(project_id, install_instance_id) if install_instance_id else None
    limits = {"name": 200, "email": 320, "phone": 64}
    profile = {
        key: _text(user_data[key], limit)
        for key, limit in limits.items()
        if user_data.get(key) not in (None, "")
    }
    extra = {key: value for key, value in user_data.items() if key not in {"id", *limits}}
    user_id = str(user_data["id"])
    with transaction.atomic():
        identity = _locked_identity(project_id, user_id)
        for key, value in profile.items():
            setattr(identity, key, value)
        identity.data = {**(identity.data or {}), **extra}
        if install is not None:
            identity.install = install
        identity.save()
    return identity


def _locked_identity(project_id: int, user_id: str) -> UserIdentity:
    found = UserIdentity.objects.select_for_update().filter(project_id=project_id, user_id=user_id)
    identity = found.first()
    if identity is not None:
        return identity
    try:
        with transaction.atomic():
            return UserIdentity.objects.create(project_id=project_id, user_id=user_id)
    except IntegrityError:  # a concurrent first write won the race; update its row instead
        return found.get()


def _text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


# Payments


def live_payment_count(project_id: int, user_id: str | None, payment_id: str | None) -> int:
    """How many unremoved payments a removal request names (payments.removable)."""
    match = payments.removable(project_id, user_id, payment_id)
    return 0 if match is None else Payment.objects.filter(match).count()


# SKAdNetwork conversion values for SDK responses


def skan_rules(project_id: int) -> list[dict[str, Any]]:
    """The active SKAN rules of the project ([] without a config)."""
    config = SkanConfig.objects.filter(project_id=project_id, active=True).first()
    return list(config.rules) if config else []


def skan_values(
    rules: list[dict[str, Any]], event: str, revenue: Decimal | None = None
) -> dict[str, Any]:
    """fine/coarse/lock for `event` ("signup", "payment" or a custom name); {} when none match."""
    return skan.conversion_values(rules, event, revenue)


# Attribution results


def iso_seconds(value: datetime | None) -> str | None:
    """ISO-8601 UTC without fractions: the only form the iOS SDK's date parser accepts."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sdk_attribution_data(install: Install | None) -> dict[str, Any]:
    """The `data` of `attribution-data`, exactly the keys the SDKs read."""
    if install is None or install.status != Install.Status.ATTRIBUTED:
        return {"attribution_source": "UNKNOWN", "deeplink": None, "campaign_data": None}
    campaign = install.campaign
    source = install.network_code or install.attribution_type
    if campaign is None:
        return {"attribution_source": source, "deeplink": None, "campaign_data": None}
    return {
        "attribution_source": source,
        "deeplink": campaign.deeplink or None,
        "campaign_data": {
            "id": campaign.display_id,
            "name": campaign.name,
            "type": install.attribution_type,
            "ad_network": install.network_code or campaign.network_code,
            "group_name": campaign.group_name or None,
            "asset_group_name": campaign.ad_set_name or None,
            "asset_name": campaign.ad_creative_name or None,
            "ad_network_campaign_id": campaign.ad_network_campaign_id or None,
            "ad_set_id": campaign.ad_set_id or None,
            "ad_set_name": campaign.ad_set_name or None,
            "ad_creative_id": campaign.ad_creative_id or None,
            "ad_creative_name": campaign.ad_creative_name or None,
            "installed_at": iso_seconds(install.installed_at),
            "store_click_at": iso_seconds(install.store_click_at),
        },
    }


def attribution_result(
    project_id: int, device_identifier: str | None, user_id: str | None
) -> dict[str, Any] | None:
    """The server API's attribution result; the user id wins when both are given."""
    install = None
    if user_id:
        identity = (
            UserIdentity.objects.select_related("install")
            .filter(project_id=project_id, user_id=user_id)
            .first()
        )
        install = identity.install if identity else None
    if install is None and device_identifier and not user_id:
        install = (
            Install.objects.filter(project_id=project_id)
            .filter(Q(gaid=device_identifier) | Q(idfa=device_identifier))
            .order_by("-installed_at")
            .first()
        )
    if install is None:
        return None
    campaign = None
    if install.campaign_id is not None:
        campaign = (
            Campaign.objects.select_related("domain", "network")
            .filter(pk=install.campaign_id)
            .first()
        )
    decision = install.decision or {}
    return {
        "campaign_name": campaign.name if campaign else None,
        "display_id": campaign.display_id if campaign else None,
        "deeplink": (campaign.deeplink or None) if campaign else None,
        "domain_name": campaign.domain.host if campaign and campaign.domain else None,
        "ad_set_id": (campaign.ad_set_id or None) if campaign else None,
        "ad_set_name": (campaign.ad_set_name or None) if campaign else None,
        "ad_creative_id": (campaign.ad_creative_id or None) if campaign else None,
        "ad_creative_name": (campaign.ad_creative_name or None) if campaign else None,
        "keyword_id": decision.get("keyword_id"),
        "keyword_name": decision.get("keyword_name"),
        "ad_network": install.network_code or None,
        "attribution_type": install.attribution_type,
    }


# Campaigns


def campaign_for_link(display_id: str) -> Campaign | None:
    # With the link domains, so the edge can tell whether a click arrived on one of them.
    return (
        Campaign.objects.select_related("project", "network", "domain")
        .prefetch_related("store_listings", "project__domains")
        .filter(display_id=display_id, reported_by_network=False)
        .first()
    )


def project_campaign(project_id: int, display_id: str) -> Campaign | None:
    return (
        Campaign.objects.select_related("domain")
        .prefetch_related("store_listings")
        .filter(project_id=project_id, display_id=display_id)
        .first()
    )


class CampaignError(ValueError):
    """A campaign request that cannot be carried out; the message is shown to the caller."""


def create_campaign(project: Project, fields: dict[str, Any]) -> Campaign:
    domain = _domain(project, fields.get("domain"))
    listings = _store_listings(project, fields.get("store_listing_ids") or [])
    display_id = fields.get("custom_display_id") or _new_display_id()
    if Campaign.objects.filter(display_id=display_id).exists():
        raise CampaignError("A campaign with this display id already exists.")
    campaign = Campaign(
        project=project,
        display_id=display_id,
        name=fields["name"],
        domain=domain,
        deeplink=fields.get("deeplink") or "",
        website=fields.get("link_for_desktop_users") or "",
        android_web_redirect=fields.get("android_web_redirect") or "",
        ios_web_redirect=fields.get("ios_web_redirect") or "",
    )
    try:
        with transaction.atomic():
            campaign.save()
            campaign.store_listings.set(listings)
    except IntegrityError:
        raise CampaignError("A campaign with this display id already exists.") from None
    return campaign


def update_campaign(campaign: Campaign, fields: dict[str, Any]) -> Campaign:
    changed = [name for name in ("name", "active") if name in fields]
    for name in changed:
        setattr(campaign, name, fields[name])
    campaign.save(update_fields=[*changed, "updated_at"])
    return campaign


def _domain(project: Project, host: str | None) -> Domain | None:
    if not host:
        return Domain.objects.filter(project=project, is_default=True).first()
    domain = Domain.objects.filter(project=project, host=host.lower()).first()
    if domain is None:
        raise CampaignError(f"Domain '{host}' is not configured for this project.")
    return domain


def _store_listings(project: Project, ids: list[str]) -> list[App]:
    wanted = {str(value) for value in ids}
    if not wanted:
        return []
    # Row ids fit a signed 64-bit column; a longer number names no listing (and no query).
    numeric = [int(value) for value in wanted if value.isdigit() and len(value) < 19]
    apps = list(App.objects.filter(project=project, pk__in=numeric))
    if len(apps) != len(wanted):
        raise CampaignError("Unknown store listing id.")
    platforms = [app.platform for app in apps]
    if len(platforms) != len(set(platforms)):
        raise CampaignError("At most one store listing per platform.")
    return apps


def _new_display_id() -> str:
    return "".join(secrets.choice(DISPLAY_ID_ALPHABET) for _ in range(8))


def _retry(attempt: Callable[[], T | None]) -> T | None:
    for index in range(INSTALL_WAIT_ATTEMPTS):
        result = attempt()
        if result is not None:
            return result
        if index + 1 < INSTALL_WAIT_ATTEMPTS:
            time.sleep(INSTALL_WAIT_SECONDS)
    return None
