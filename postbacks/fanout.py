"""Turn an attributed install or a stored event into one delivery per destination.

Destinations are the project's active network accounts with a client (Meta, Google Ads,
TikTok, Snapchat), affiliates with a URL template and a mapping, and the customer webhook
(installs and signups, as LinkRunner sends). A network hears only of the users it is credited
with: installs and signups go out under default event names without a mapping, but only to the
network that won the install; a project's PostbackEventMap for that network and event decides
otherwise (`only_attributed` off sends it every user's). The webhook gets every install and
signup. Each delivery's idempotency key names the event and the destination, so running a
fan-out twice (a redelivered task, a second SDK init) finds the deliveries already made and
sends nothing new.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import structlog
from django.utils import timezone

from attribution.api import EventFacts, InstallFacts
from attribution.models import AdNetwork, NetworkAccount, Project
from postbacks.frozen import DeliverySpec, FrozenRequest, Skip
from postbacks.models import EventKind, PostbackEventMap
from postbacks.networks import CLIENTS, affiliate, webhook
from postbacks.networks.base import Context, credentials

log = structlog.get_logger(__name__)

# Sent without a mapping to the credited network only, under the names each network documents.
DEFAULT_NAMES: dict[str, dict[str, str]] = {
    "META": {EventKind.INSTALL: "MobileAppInstall", EventKind.SIGNUP: "CompleteRegistration"},
    "GOOGLE": {EventKind.INSTALL: "first_open", EventKind.SIGNUP: "sign_up"},
    "TIKTOK": {EventKind.INSTALL: "InstallApp", EventKind.SIGNUP: "CompleteRegistration"},
    "SNAPCHAT": {EventKind.INSTALL: "APP_INSTALL", EventKind.SIGNUP: "SIGN_UP"},
}
_NAMESPACE = uuid.UUID("5b0d3f6e-3c56-4f1e-9a57-6e2f1c7b1d20")


@dataclass(frozen=True)
class Mapping:
    network_event_name: str
    send_revenue: bool
    only_attributed: bool
    # A project's own map (a skipped send is recorded) or a default (nothing is recorded).
    explicit: bool = True


def delivery_id(key: str) -> str:
    """The id receivers see: derived from the idempotency key, so it never changes."""
    return str(uuid.uuid5(_NAMESPACE, key))


def specs(
    install: InstallFacts,
    event: EventFacts | None,
    now: dt.datetime | None = None,
    *,
    quiet: bool = False,
) -> Iterator[DeliverySpec]:
    """The deliveries an install (event None) or event leads to. `quiet`: a caller that only
    predicts them (the simulator's drain) does not log the unmapped events again."""
    now = now or timezone.now()
    kind = EventKind.INSTALL if event is None else event.kind
    maps = list(
        PostbackEventMap.objects.select_related("network").filter(
            project_id=install.project_id, event_kind=kind, active=True
        )
    )
    yield from _network_specs(install, event, kind, maps, now, quiet=quiet)
    yield from _affiliate_specs(install, event, kind, maps, now)
    if kind in (EventKind.INSTALL, EventKind.SIGNUP):
        yield from _webhook_specs(install, event, kind, now)


def _mapping(
    code: str, kind: str, event: EventFacts | None, maps: list[PostbackEventMap]
) -> Mapping | None:
    name = event.name if event is not None else ""
    candidates = [m for m in maps if m.network.code == code]
    for row in candidates:
        if kind == EventKind.CUSTOM and row.source_event_name != name:
            continue
        if kind == EventKind.PAYMENT and row.source_event_name not in ("", name):
            continue
        return Mapping(row.network_event_name, row.send_revenue, row.only_attributed)
    default = DEFAULT_NAMES.get(code, {}).get(kind)
    return Mapping(default, True, only_attributed=True, explicit=False) if default else None


def _key(kind: str, install: InstallFacts, event: EventFacts | None, destination: str) -> str:
    subject = f"install:{install.install_id}" if event is None else f"{kind}:{event.object_id}"
    return f"{subject}:{destination}"


def _subject(install: InstallFacts, event: EventFacts | None) -> dict[str, object]:
    subject: dict[str, object] = {"install_id": install.install_id}
    if event is not None:
        subject.update(kind=event.kind, object_id=event.object_id, user_id=event.user_id)
    return subject


def _spec(
    install: InstallFacts,
    event: EventFacts | None,
    kind: str,
    destination: str,
    name: str,
    request: FrozenRequest | Skip,
    key: str,
) -> DeliverySpec:
    return DeliverySpec(
        project_id=install.project_id,
        destination=destination,
        event_kind=kind,
        event_name=name,
        idempotency_key=key,
        subject=_subject(install, event),
        request=request,
    )


def _network_specs(
    install: InstallFacts,
    event: EventFacts | None,
    kind: str,
    maps: list[PostbackEventMap],
    now: dt.datetime,
    *,
    quiet: bool,
) -> Iterator[DeliverySpec]:
    accounts = NetworkAccount.objects.select_related("network").filter(
        project_id=install.project_id, active=True, network__code__in=list(CLIENTS)
    )
    for account in accounts:
        client = CLIENTS[account.network.code]
        mapping = _mapping(client.code, kind, event, maps)
        if mapping is None:
            if event is not None and not quiet:
                log.info(
                    "postbacks.fanout.unmapped",
                    destination=client.destination,
                    kind=kind,
                    object_id=event.object_id,
                )
            continue
        credited = install.network_code == client.code
        if not credited and not mapping.explicit:
            continue  # no map asked for other networks' users: no delivery row at all
        key = _key(kind, install, event, client.destination)
        request: FrozenRequest | Skip
        if mapping.only_attributed and not credited:
            request = Skip("install not attributed to this network")
        else:
            context = Context(
                mapping.network_event_name,
                mapping.send_revenue,
                credentials(account.credentials),
                now,
                delivery_id(key),
            )
            request = client.build(install, event, context)
        yield _spec(
            install, event, kind, client.destination, mapping.network_event_name, request, key
        )


def _affiliate_specs(
    install: InstallFacts,
    event: EventFacts | None,
    kind: str,
    maps: list[PostbackEventMap],
    now: dt.datetime,
) -> Iterator[DeliverySpec]:
    affiliates = {
        m.network.code: m.network for m in maps if m.network.kind == AdNetwork.Kind.AFFILIATE
    }
    for code, network in affiliates.items():
        mapping = _mapping(code, kind, event, maps)
        if mapping is None:
            continue
        destination = f"affiliate:{code.lower()}"
        key = _key(kind, install, event, destination)
        request: FrozenRequest | Skip
        if mapping.only_attributed and install.network_code != code:
            request = Skip("install not attributed to this affiliate")
        else:
            context = Context(
                mapping.network_event_name, mapping.send_revenue, {}, now, delivery_id(key)
            )
            request = affiliate.build(network.postback_url_template, code, install, event, context)
        yield _spec(install, event, kind, destination, mapping.network_event_name, request, key)


def _webhook_specs(
    install: InstallFacts, event: EventFacts | None, kind: str, now: dt.datetime
) -> Iterator[DeliverySpec]:
    project = (
        Project.objects.filter(pk=install.project_id)
        .only("webhook_url", "webhook_key", "webhook_signing_secret")
        .first()
    )
    if project is None or not project.webhook_url:
        return
    key = _key(kind, install, event, webhook.DESTINATION)
    request = webhook.build(
        project.webhook_url,
        project.webhook_key or "",
        project.webhook_signing_secret or "",
        install,
        event,
        delivery_id(key),
        now,
    )
    yield _spec(install, event, kind, webhook.DESTINATION, kind, request, key)
