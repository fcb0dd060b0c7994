"""The batcher that turns one-install tasks running on threads into micro-batches: every task gets
its own outcome, errors stay with their own message, and the real engine stores each install
once with one fan-out."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from attribution.contracts import InstallMessage
from attribution.engine import coalescer
from attribution.installs import attribute_each
from attribution.models import Install, Project
from postbacks.api import FAN_OUT_INSTALL
from tests.attribution.conftest import Sent, install_message


def _message(n: int) -> InstallMessage:
    return {"project_id": 1, "install_instance_id": f"inst-{n}"}  # type: ignore[typeddict-item]


def test_tasks_waiting_together_form_one_batch_and_each_gets_its_own_outcome() -> None:
    batches: list[list[str]] = []
    release = threading.Event()

    def attribute(messages: Sequence[InstallMessage]) -> list[int | Exception]:
        batches.append([m["install_instance_id"] for m in messages])
        if len(batches) == 1:
            release.wait(5)
        return [
            ValueError(m["install_instance_id"])
            if m["install_instance_id"] == "inst-3"
            else int(m["install_instance_id"].removeprefix("inst-")) * 10
            for m in messages
        ]

    batcher = coalescer.Coalescer(attribute, max_batch=3)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(batcher.attribute, _message(0))
        while not batches:
            time.sleep(0.001)
        rest = [pool.submit(batcher.attribute, _message(n)) for n in range(1, 6)]
        while batcher._waiting.qsize() < 5:
            time.sleep(0.001)
        release.set()
        outcomes = [first.exception() or first.result()]
        outcomes += [future.exception() or future.result() for future in rest]

    assert batches == [["inst-0"], ["inst-1", "inst-2", "inst-3"], ["inst-4", "inst-5"]]
    assert outcomes[:3] == [0, 10, 20]
    assert isinstance(outcomes[3], ValueError)
    assert outcomes[4:] == [40, 50]


def test_a_batch_that_blows_up_fails_every_task_in_it_and_the_batcher_goes_on() -> None:
    calls: list[int] = []

    def attribute(messages: Sequence[InstallMessage]) -> list[int | Exception]:
        calls.append(len(messages))
        if len(calls) == 1:
            raise ConnectionError("redis down")
        return [7 for _ in messages]

    batcher = coalescer.Coalescer(attribute)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(ConnectionError):
            pool.submit(batcher.attribute, _message(1)).result()
        assert pool.submit(batcher.attribute, _message(2)).result() == 7


def test_the_main_thread_attributes_directly() -> None:
    seen: list[str] = []

    def direct(message: InstallMessage) -> int:
        seen.append(message["install_instance_id"])
        return 5

    assert coalescer.attribute(_message(9), direct) == 5
    assert seen == ["inst-9"]


@pytest.mark.django_db(transaction=True)
def test_installs_sent_from_many_threads_are_stored_once_with_one_fan_out_each(
    project: Project, sent: Sent
) -> None:
    def attribute(messages: Sequence[InstallMessage]) -> list[int | Exception]:
        try:
            return attribute_each(messages)
        finally:
            connection.close()  # the batcher thread's own connection, not the test's

    messages: list[dict[str, Any]] = [
        install_message(project, f"inst-{n}", at="2024-05-01T10:00:00Z", ip=f"192.0.2.{n}")
        for n in range(12)
    ]
    batcher = coalescer.Coalescer(attribute)
    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = list(pool.map(batcher.attribute, [*messages, *messages]))

    installs = Install.objects.filter(project=project)
    assert installs.count() == 12
    assert (
        ids[:12]
        == ids[12:]
        == [installs.get(install_instance_id=f"inst-{n}").id for n in range(12)]
    )
    assert all(i.status == Install.Status.ATTRIBUTED and i.decision["strategies"] for i in installs)
    assert sorted(k["install_id"] for k in sent.named(FAN_OUT_INSTALL)) == sorted(ids[:12])
