from __future__ import annotations

from collections.abc import Callable

from lint.checks import check_source

Lint = Callable[[str], list[str]]


def test_hz002_reports_model_instances_passed_to_tasks(lint_fixture: Lint) -> None:
    assert lint_fixture("postbacks/fanout.py") == [
        "postbacks/fanout.py:12: HZ002 model instance 'install' passed to a task; pass its id",
        "postbacks/fanout.py:19: HZ002 model instance 'delivery' passed to a task; pass its id",
        "postbacks/fanout.py:20: HZ002 model instance 'delivery' passed to a task; pass its id",
        "postbacks/fanout.py:24: HZ002 model instance 'install' passed to a task; pass its id",
        "postbacks/fanout.py:25: HZ002 model instance 'delivery' passed to a task; pass its id",
        "postbacks/fanout.py:30: HZ002 model instance 'delivery' passed to a task; pass its id",
        "postbacks/fanout.py:35: HZ002 model instance 'Install.objects.get(pk=install_id)' "
        "passed to a task; pass its id",
        "postbacks/fanout.py:36: HZ002 model instance 'get_object_or_404(Install, pk=install_id)' "
        "passed to a task; pass its id",
        "postbacks/fanout.py:41: HZ002 model instance 'self.object' passed to a task; pass its id",
        "postbacks/fanout.py:42: HZ002 model instance 'self.get_object()' passed to a task; "
        "pass its id",
        "postbacks/fanout.py:48: HZ002 model instance 'install' passed to a task; pass its id",
        "postbacks/fanout.py:54: HZ002 model instance 'install' passed to a task; pass its id",
    ]


def test_hz002_does_not_confuse_django_query_helpers_with_models() -> None:
    source = (
        "from django.db.models import Q\n"
        "def run(query: Q, install_id: int):\n"
        "    task.delay(query, install_id)\n"
    )

    assert check_source("attribution/installs.py", source) == []


def test_hz002_only_looks_at_the_scope_that_bound_the_name() -> None:
    source = (
        "def load(install_id):\n"
        "    install = Install.objects.get(pk=install_id)\n"
        "    return install.pk\n"
        "def send(install):\n"
        "    task.delay(install)\n"
    )

    assert check_source("attribution/installs.py", source) == []
