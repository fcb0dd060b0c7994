from __future__ import annotations

from collections.abc import Callable

Lint = Callable[[str], list[str]]
SUFFIX = "spelled at the call site; name it through hazelnut.queues.Queue"


def test_hz004_reports_queues_and_topics_named_by_literals(lint_fixture: Lint) -> None:
    assert lint_fixture("hazelnut/routing.py") == [
        f"hazelnut/routing.py:10: HZ004 queue/topic 'postbacks' {SUFFIX}",
        f"hazelnut/routing.py:16: HZ004 queue/topic 'postbacks' {SUFFIX}",
        f"hazelnut/routing.py:17: HZ004 queue/topic f'postbacks-{{suffix}}' {SUFFIX}",
        f"hazelnut/routing.py:18: HZ004 queue/topic 'clicks' {SUFFIX}",
        f"hazelnut/routing.py:19: HZ004 queue/topic 'clicks' {SUFFIX}",
        f"hazelnut/routing.py:21: HZ004 queue/topic 'analytics' {SUFFIX}",
        f"hazelnut/routing.py:22: HZ004 queue/topic 'maintenance' {SUFFIX}",
    ]


def test_hz004_lets_the_registry_spell_the_names(lint_fixture: Lint) -> None:
    assert lint_fixture("hazelnut/queues.py") == []
