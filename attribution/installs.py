"""Install attribution, first half: create the install once, then run the strategies.

Idempotency rests on two things: the Install unique constraint (project, install_instance_id)
makes the row the anchor, and a short Redis lock per install keeps two deliveries of the same
message from racing through the strategies. A message for an install that already exists is a
later app open (a session) or a redelivery, never a second install (case C12).

Task shape (measured with bench/s2_attribution.py on the 2-core box): all local strategies
together (referrers, Meta decryption, click lookup) cost less than one Celery task hop (S3: 0.6-1
ms of CPU plus broker latency per hop, and a group would also need a join), so they run inside
the attribute task, which also finishes the install. Only when an external strategy applies (an
Apple AdServices token, a Google Ads account) is one more task sent,
`attribution.strategies.external`, which calls the APIs with their own retries and then
finishes the install; the local results wait in the pending row's decision trace.

Every install goes through `attribute_installs`, which takes a micro-batch (a single install is
a batch of one): per batch one Redis round trip to lock, one for every click lookup, one to
unlock, and per round (`attribution.engine.rounds`) one transaction of a few statements, so the
per-install cost is the Python work, not the round trips. `attribution.installs.attribute_batch`
takes up to a few hundred messages in one task.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db import transaction

from attribution import clickstore, finish
from attribution.contracts import InstallMessage
from attribution.engine import binding, claims, coalescer, locks, rounds, rows
from attribution.events.facts import app_version_of
from attribution.identifiers import short_id
from attribution.models import Install, Project
from attribution.referrer import parse_play_referrer, referrer_text
from attribution.strategies import (
    BY_NAME,
    CLICK_MATCH,
    EXTERNAL,
    LOCAL,
    PLAY_REFERRER,
    Strategy,
    accounts,
)
from attribution.strategies.base import ClickPending, InstallContext, Windows
from attribution.useragent import normalize_version, parse_user_agent
from hazelnut import metrics
from hazelnut.celery import app

log = structlog.get_logger(__name__)

RUN_EXTERNAL = "attribution.strategies.external"
ATTRIBUTE_BATCH = "attribution.installs.attribute_batch"
LOCK_SECONDS = locks.LOCK_SECONDS

Key = tuple[int, str]


class InstallBusy(Exception):
    """Another worker holds this install's lock; the task retries later."""


# What a task retries rather than fails on: a lock held elsewhere, a referrer's click not stored.
RETRY_LATER = (InstallBusy, ClickPending)


def attribute_install(message: InstallMessage) -> int:
    """Create and attribute the install, or record a session on an existing one; its row id."""
    return attribute_installs([message])[0]


def attribute_installs(messages: Sequence[InstallMessage]) -> list[int]:
    """`attribute_install` for a micro-batch: the Install row id of each message, in order.

    Raises the first error that stopped a message once every other message is done; an install
    another worker holds (InstallBusy) or whose referrer's click is not stored yet (ClickPending)
    raises after the rest, so the message is retried and the finished installs are then no-ops.
    """
    outcomes = attribute_each(messages)
    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    for failure in failures:
        if not isinstance(failure, RETRY_LATER):
            raise failure
    if failures:
        raise failures[0]
    return [outcome for outcome in outcomes if not isinstance(outcome, Exception)]


def attribute_each(messages: Sequence[InstallMessage]) -> list[int | Exception]:
    """Per message, in order, its Install row id or the error that stopped it.

    Every install is still idempotent per install_instance_id and gets its own decision trace
    and its own exactly-once fan-out; the batch only shares round trips. An install whose lock
    another worker holds is left alone (InstallBusy). A round that fails is redone one install
    at a time, so one bad message cannot hold up the rest.
    """
    held = locks.Locks()
    try:
        taken = held.acquire(locks.key_for(*_key(m)) for m in messages)
        done = _attribute_rounds([m for m in messages if locks.key_for(*_key(m)) in taken])
    finally:
        held.release()
    return [done.get(_key(m)) or InstallBusy(m["install_instance_id"]) for m in messages]


def _attribute_rounds(messages: list[InstallMessage]) -> dict[Key, int | Exception]:
    done: dict[Key, int | Exception] = {}
    projects = rows.projects_of(messages)
    with accounts.remembered():
        for batch in rounds.split(messages):
            done.update(_attribute_round(batch, projects))
    return done


def _attribute_round(
    batch: list[InstallMessage], projects: dict[int, Project]
) -> dict[Key, int | Exception]:
    try:
        return dict(_attribute_together(batch, projects))
    except claims.Reshuffle:
        if len(batch) == 1:
            # The one install was finished by another worker meanwhile: nothing left to do.
            return {key: install.id for key, install in rows.existing([_key(batch[0])]).items()}
    except ClickPending as pending:
        if len(batch) == 1:
            return {_key(batch[0]): pending}
    except Exception as error:  # noqa: BLE001  (handed back as this message's outcome)
        if len(batch) == 1:
            return {_key(batch[0]): error}
        log.warning("attribution.batch.split", installs=len(batch), error=type(error).__name__)
    done: dict[Key, int | Exception] = {}
    for message in batch:
        done.update(_attribute_round([message], projects))
    return done


def _attribute_together(
    batch: list[InstallMessage], projects: dict[int, Project]
) -> dict[Key, int]:
    """One round in one transaction: rows, local strategies, decisions; fan-out after commit."""
    with transaction.atomic():
        with binding.server_binding():
            ids, work = _rows_of(batch, projects)
            local = _run_local(work)
            decided = claims.decide(local)
        finished = [item.install for item in decided]
        if finished:
            transaction.on_commit(lambda: _hand_downstream(finished))
    for item in decided:
        key = (item.install.project_id, item.install.install_instance_id)
        coalescer.in_origin(key, _count_outcome, item.install, item.fields)
    return ids


def _count_outcome(install: Install, fields: dict[str, Any]) -> None:
    metrics.ATTRIBUTION_OUTCOMES.labels(source=fields["source"] or "organic").inc()
    log.info(
        "attribution.install.attributed",
        project_id=install.project_id,
        source=fields["source"],
        network=fields["network_code"],
    )


def _hand_downstream(installs: list[Install]) -> None:
    for install in installs:
        key = (install.project_id, install.install_instance_id)
        coalescer.in_origin(key, finish.publish_fanout, install)
    finish.record_fanout([install.id for install in installs])


def _key(message: InstallMessage) -> Key:
    return rounds.install_key(message)


def _rows_of(
    batch: list[InstallMessage], projects: dict[int, Project]
) -> tuple[dict[Key, int], list[Install]]:
    """Every message's row (created, or the existing one with its session counted) and the
    installs whose local strategies must run now."""
    arrivals = {_key(m): datetime.fromisoformat(m["received_at"]) for m in batch}
    found = rows.existing(arrivals)
    fresh = [
        rows.build(m, _project(projects, m), _platform(m), arrivals[_key(m)])
        for m in batch
        if _key(m) not in found
    ]
    rows.mark_reinstalls(fresh)
    for install in rows.insert(fresh):
        found[(install.project_id, install.install_instance_id)] = install
    fresh = [i for i in fresh if i.pk is not None]
    work = list(fresh)
    for key, install in found.items():
        install.project = projects[install.project_id]
        if _resumes(install, arrivals[key]):
            work.append(install)
    # Claims between installs of a round are settled in batch order.
    order = {key: index for index, key in enumerate(arrivals)}
    work.sort(key=lambda install: order[(install.project_id, install.install_instance_id)])
    ids = {key: install.id for key, install in found.items()}
    ids.update({(i.project_id, i.install_instance_id): i.id for i in fresh})
    return ids, work


def _project(projects: dict[int, Project], message: InstallMessage) -> Project:
    project = projects.get(message["project_id"])
    if project is None:
        raise Project.DoesNotExist(message["project_id"])
    return project


def _resumes(install: Install, at: datetime) -> bool:
    """A message for an existing install: a later app open (counted once) or a redelivery. Only a
    redelivery of the message that created a still-pending install resumes it (the worker that
    created it died before finishing)."""
    counted = rows.record_session(install, at)
    log.info("attribution.install.session", project_id=install.project_id, counted=counted)
    if install.status != Install.Status.PENDING or install.installed_at != at:
        return False
    pending = (install.decision or {}).get("pending_external")
    if pending:
        _send_external(install.id, list(pending))
        return False
    return True


def _run_local(work: list[Install]) -> list[tuple[Install, dict[str, Any]]]:
    """Local strategies for every install (click lookups in one batched round trip); installs
    an external strategy must still see are parked pending, the rest returned with their
    trace."""
    contexts = [context_for(install) for install in work]
    lookups = [lookup for context in contexts for lookup in _lookups(context)]
    local: list[tuple[Install, dict[str, Any]]] = []
    with clickstore.prefetched(lookups):
        for install, context in zip(work, contexts, strict=True):
            trace: dict[str, Any] = {
                "identifiers": _identifiers(context),
                "referrer": context.referrer.describe(),
                "windows_seconds": asdict(context.windows),
                "strategies": run_strategies(context, LOCAL),
            }
            external = [s.name for s in EXTERNAL if s.can_handle(context)]
            if external:
                trace["pending_external"] = external
                Install.objects.filter(id=install.id).update(decision=trace)
                _send_external(install.id, external)
            else:
                local.append((install, trace))
    return local


def _lookups(context: InstallContext) -> list[clickstore.Lookup]:
    return [
        lookup
        for strategy in (CLICK_MATCH, PLAY_REFERRER)
        if strategy.can_handle(context) and (lookup := strategy.lookup(context)) is not None
    ]


def _send_external(install_id: int, names: list[str]) -> None:
    # If this task is lost, attribution.sweeper re-drives the still-pending install.
    transaction.on_commit(
        lambda: app.send_task(RUN_EXTERNAL, kwargs={"install_id": install_id, "names": names})
    )


def run_external(install_id: int, names: list[str]) -> None:
    """The external strategies of a pending install, then its finish (task body)."""
    install = Install.objects.select_related("project").filter(id=install_id).first()
    if install is None or install.status != Install.Status.PENDING:
        return
    trace: dict[str, Any] = dict(install.decision or {})
    context = context_for(install)
    strategies = [BY_NAME[name] for name in names if name in BY_NAME]
    trace["strategies"] = [*trace.get("strategies", []), *run_strategies(context, strategies)]
    trace.pop("pending_external", None)
    finish.finish_install(install_id, trace, install)


def _platform(message: InstallMessage) -> str:
    """IOS or ANDROID; cross-platform SDKs (React Native, Flutter, Expo) say which via the UA or
    the device data."""
    platform = message["platform"].upper()
    if platform in {"IOS", "ANDROID"}:
        return platform
    agent = parse_user_agent(message.get("user_agent") or "")
    if agent.platform in {"IOS", "ANDROID"}:
        return agent.platform
    data = message.get("device_data") or {}
    apple = str(data.get("brand", "")).lower() == "apple" or bool(data.get("idfv"))
    return "IOS" if apple else "ANDROID" if data else platform


def windows_of(project: Project) -> Windows:
    return Windows(
        click_lookback=project.click_lookback_hours * 3600,
        probabilistic=project.probabilistic_window_hours * 3600,
        view_through=project.view_through_hours * 3600,
        reinstall=int(timedelta(days=project.reinstall_window_days).total_seconds()),
    )


def context_for(install: Install) -> InstallContext:
    data = install.device_data or {}
    agent = parse_user_agent(install.user_agent)
    os_version = normalize_version(str(data.get("system_version") or "")) or agent.os_version
    return InstallContext(
        project_id=install.project_id,
        install_id=install.id,
        install_instance_id=install.install_instance_id,
        platform=install.platform,
        at=install.installed_at,
        gaid=install.gaid or None,
        idfa=install.idfa or None,
        idfv=install.idfv or None,
        ip=install.ip,
        os_version=os_version,
        device_data=data,
        referrer=parse_play_referrer(referrer_text(data), data),
        windows=windows_of(install.project),
        app_version=app_version_of(install),
    )


def _identifiers(context: InstallContext) -> dict[str, Any]:
    """Which identifiers the install had; device ids shortened (the row keeps them in full)."""
    return {
        "gaid": short_id(context.gaid),
        "idfa": short_id(context.idfa),
        "idfv": short_id(context.idfv),
        "ip": context.ip,
        "platform": context.platform,
        "os_version": context.os_version,
    }


def run_strategies(context: InstallContext, strategies: Iterable[Strategy]) -> list[dict[str, Any]]:
    """Run each strategy that can handle the install; one trace entry per strategy."""
    entries: list[dict[str, Any]] = []
    for strategy in strategies:
        if not strategy.can_handle(context):
            entries.append({"name": strategy.name, "ran": False})
            continue
        outcome = strategy.run(context)
        entries.append(
            {
                "name": strategy.name,
                "ran": True,
                "note": outcome.note,
                "details": outcome.details,
                "candidates": [c.to_json() for c in outcome.candidates],
            }
        )
    return entries
