"""`manage.py caches`: warm rebuilds the click store the engine reads from PostgreSQL, and stats
reports what each cache holds (Redis families) and how well it answers (in-process lookups)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import random
import uuid
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from attribution import clickstore
from attribution.models import AdNetwork, Campaign, Click, Project
from ingest import auth, caches

DAY = 86_400


@pytest.fixture
def client() -> redis.Redis:
    return caches.connection()


@pytest.fixture
def lone_project(db: None, client: redis.Redis) -> Project:
    """A project whose id no other test (nor another run on a shared Redis) is likely to use."""
    project, _ = Project.new("Caches", website="https://caches.example.test")
    project.pk = random.randint(10**8, 2 * 10**9)
    project.save(force_insert=True)
    for key in client.scan_iter(f"hz:clicks:{project.pk}:*"):
        client.delete(key)
    return project


def _click(project: Project, age_days: float, **fields: Any) -> Click:
    network, _ = AdNetwork.objects.get_or_create(code="META", defaults={"name": "Meta"})
    campaign, _ = Campaign.objects.get_or_create(
        project=project,
        display_id=f"cmp-{project.pk}",
        defaults={"name": "Warm", "network": network},
    )
    return Click.objects.create(
        project=project,
        campaign=campaign,
        click_id=f"warm-{uuid.uuid4().hex}",
        clicked_at=timezone.now() - dt.timedelta(days=age_days),
        platform="ANDROID",
        **fields,
    )


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("caches", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _stats(*args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_run("stats", "--json", *args)[0])
    return document


def test_warm_rebuilds_the_click_store_the_engine_reads(
    lone_project: Project, project: Project, client: redis.Redis
) -> None:
    gaid, shared_ip = str(uuid.uuid4()), "198.51.100.7"
    fresh = [
        _click(lone_project, 10, gaid=gaid, ip=shared_ip),
        _click(lone_project, 1, gaid=str(uuid.uuid4()), ip=shared_ip),
        _click(lone_project, 2, idfa=str(uuid.uuid4()).upper(), ip="198.51.100.8"),
        _click(lone_project, 3, ip="198.51.100.9"),
    ]
    too_old = _click(lone_project, 40, gaid=str(uuid.uuid4()), ip="198.51.100.10")
    elsewhere = _click(project, 1, gaid=str(uuid.uuid4()))

    out, err = _run("warm", "--project", str(lone_project.pk))

    assert out.strip() == "click store: 4 clicks stored"
    assert "4/4" in err  # the progress bar
    summaries = [f"hz:click:{c.click_id}" for c in (*fresh, too_old, elsewhere)]
    assert [client.exists(key) for key in summaries] == [1, 1, 1, 1, 0, 0]
    expected_ttl = 20 * DAY  # clicked ten days ago, in a 30-day store
    assert abs(int(client.ttl(summaries[0])) - expected_ttl) < 60
    lookup = clickstore.Lookup(lone_project.pk, timezone.now(), gaid, None, None, None, 30 * DAY, 0)
    assert [c.click_id for c in clickstore.find(lookup, client).by_device] == [fresh[0].click_id]

    stats = _stats("--project", str(lone_project.pk))
    indexes = stats["redis"]["click indexes"]
    assert indexes["keys"] == 6  # 2 gaids, 1 idfa, 3 distinct IPs
    assert indexes["memory_bytes"] > 0
    assert stats["redis"]["click summaries"] == {"keys": 0, "memory_bytes": 0}  # not per project
    assert "other" not in stats["redis"]

    everything = _stats()
    assert everything["redis"]["click summaries"]["keys"] >= 4
    assert everything["redis"]["click indexes"]["keys"] >= 6
    assert everything["scanned"] >= 10


def test_warming_twice_changes_nothing(lone_project: Project, client: redis.Redis) -> None:
    _click(lone_project, 1, gaid=str(uuid.uuid4()), ip="198.51.100.20")
    _run("warm", "--project", str(lone_project.pk))
    first = _stats("--project", str(lone_project.pk))["redis"]["click indexes"]
    out, _ = _run("warm", "--project", str(lone_project.pk))
    assert out.strip() == "click store: 1 clicks stored"
    assert _stats("--project", str(lone_project.pk))["redis"]["click indexes"] == first
    assert first["keys"] == 2


def test_stats_reports_hits_and_misses_of_the_in_process_caches() -> None:
    before = caches.lookups().get("guard-test", {"hit": 0, "miss": 0})
    auth.clear_cache()
    loads: list[str] = []

    def load(key: str) -> str:
        loads.append(key)
        return key.upper()

    answers = [auth.cached("guard-test", key, functools.partial(load, key)) for key in "aaab"]
    assert answers == ["A", "A", "A", "B"]
    after = _stats()["in_process"]["guard-test"]
    assert loads == ["a", "b"]
    assert (after["hit"] - before["hit"], after["miss"] - before["miss"]) == (2, 2)
    table, _ = _run("stats")
    assert "guard-test" in table
    assert "in-process cache" in table
