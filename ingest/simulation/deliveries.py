"""The postbacks of a run per network and event kind: what was made, which kinds each network
should have heard of, and whether any request was aimed off this machine.

A network should hear of a kind when the project has an active account on it, the kind is
mapped to it (a PostbackEventMap, or the default names installs and signups go out under) and
at least one user of the run did it: a user the network is credited with, or anyone when the
map does not ask for attributed users only. A custom event counts under the map that names it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from attribution.models import CustomEvent, Install, NetworkAccount, Payment, UserIdentity
from hazelnut.net import is_loopback_host
from postbacks.fanout import DEFAULT_NAMES
from postbacks.models import Delivery, EventKind, PostbackEventMap
from postbacks.networks import CLIENTS

KINDS: tuple[str, ...] = (
    EventKind.INSTALL.value,
    EventKind.SIGNUP.value,
    EventKind.PAYMENT.value,
    EventKind.CUSTOM.value,
)
_ANY = ""  # a network the event is credited to nobody
# How a builder's skip reads when the network could not match the user at all (Google without an
# advertising id or click id): such a kind was heard of as far as the network can hear.
UNMATCHABLE = "cannot match"


def by_kind(project_id: int, since: datetime) -> dict[str, dict[str, dict[str, int]]]:
    """destination -> event kind -> delivery state -> deliveries made since the run began."""
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    rows = Delivery.objects.filter(project_id=project_id, created_at__gte=since).values_list(
        "destination", "event_kind", "state", "last_error"
    )
    for destination, kind, state, reason in rows:
        if state == Delivery.State.SKIPPED and UNMATCHABLE in (reason or ""):
            state = "unmatchable"  # the network was told nothing because it could match nothing
        table[destination][kind][state] = table[destination][kind].get(state, 0) + 1
    return {destination: dict(kinds) for destination, kinds in table.items()}


def off_machine(project_id: int, since: datetime) -> list[str]:
    """Destinations of the run's deliveries whose request leaves the loopback interface."""
    rows = Delivery.objects.filter(project_id=project_id, created_at__gte=since).values_list(
        "destination", "request"
    )
    return sorted({d for d, request in rows if not _loopback(str((request or {}).get("url", "")))})


def _loopback(url: str) -> bool:
    if not url:
        return True  # a skipped delivery sends nothing
    return is_loopback_host(urlsplit(url).hostname or "")


def expected(project_id: int, installs: Iterable[Install], since: datetime) -> dict[str, list[str]]:
    """destination -> the event kinds it should have received in this run."""
    network_of = {i.pk: i.network_code for i in installs}
    done = _done(project_id, network_of, since)
    active = set(
        NetworkAccount.objects.filter(
            project_id=project_id, active=True, network__code__in=list(CLIENTS)
        ).values_list("network__code", flat=True)
    )
    maps: dict[tuple[str, str], list[tuple[str, bool]]] = defaultdict(list)
    for code, kind, source, only_attributed in PostbackEventMap.objects.filter(
        project_id=project_id, active=True
    ).values_list("network__code", "event_kind", "source_event_name", "only_attributed"):
        maps[(code, kind)].append((source, only_attributed))
    wanted: dict[str, list[str]] = {}
    for code in sorted(active):
        kinds = [k for k in KINDS if _heard(code, k, maps.get((code, k)), done)]
        if kinds:
            wanted[CLIENTS[code].destination] = kinds
    return wanted


def _heard(
    code: str,
    kind: str,
    rows: list[tuple[str, bool]] | None,
    done: dict[tuple[str, str], set[str]],
) -> bool:
    if not rows:  # no map: the default name, to the credited network only
        return bool(DEFAULT_NAMES.get(code, {}).get(kind)) and bool(done.get((code, kind)))
    for source, only_attributed in rows:
        names = done.get((code, kind), set()) | (
            set() if only_attributed else _all_names(done, kind)
        )
        if kind == EventKind.CUSTOM and source in names:
            return True
        if kind != EventKind.CUSTOM and names and (not source or source in names):
            return True
    return False


def _all_names(done: dict[tuple[str, str], set[str]], kind: str) -> set[str]:
    return {name for (_, k), names in done.items() if k == kind for name in names}


def _done(
    project_id: int, network_of: dict[int, str], since: datetime
) -> dict[tuple[str, str], set[str]]:
    """(credited network or "", kind) -> the event names the run's users sent of that kind."""
    done: dict[tuple[str, str], set[str]] = defaultdict(set)
    for network in network_of.values():
        done[(network or _ANY, EventKind.INSTALL)].add("install")
    users = dict(
        UserIdentity.objects.filter(
            project_id=project_id, created_at__gte=since, install__isnull=False
        ).values_list("user_id", "install_id")
    )
    for install_id in users.values():
        if install_id in network_of:
            done[(network_of[install_id] or _ANY, EventKind.SIGNUP)].add("signup")
    payments = Payment.objects.filter(project_id=project_id, received_at__gte=since)
    events = CustomEvent.objects.filter(project_id=project_id, received_at__gte=since)
    for kind, rows in (
        (EventKind.PAYMENT, payments.values_list("install_id", "user_id", "type")),
        (EventKind.CUSTOM, events.values_list("install_id", "user_id", "name")),
    ):
        for install_id, user_id, name in rows:
            owner = install_id or users.get(user_id)
            if owner in network_of:
                done[(network_of[owner] or _ANY, kind)].add(name)
    return done


def missing(wanted: dict[str, list[str]], made: dict[str, dict[str, Any]]) -> list[str]:
    """ "<destination> <kind>" for every expected kind with no postback delivered, and none
    skipped because the network could not have matched it."""
    return [
        f"{destination} {kind}"
        for destination, kinds in sorted(wanted.items())
        for kind in kinds
        if not any(
            made.get(destination, {}).get(kind, {}).get(state)
            for state in (Delivery.State.DELIVERED, "unmatchable")
        )
    ]
