from __future__ import annotations

from collections.abc import Callable

from lint.checks import check_source

Lint = Callable[[str], list[str]]
SUFFIX = "; log an event key with fields"


def test_hz003_reports_log_messages_built_at_the_call_site(lint_fixture: Lint) -> None:
    assert lint_fixture("analytics/forwarding.py") == [
        f"analytics/forwarding.py:12: HZ003 log message built with an f-string{SUFFIX}",
        f"analytics/forwarding.py:13: HZ003 log message built with %-formatting{SUFFIX}",
        f"analytics/forwarding.py:14: HZ003 log message built with .format(){SUFFIX}",
        f"analytics/forwarding.py:15: HZ003 log message built with string concatenation{SUFFIX}",
        f"analytics/forwarding.py:16: HZ003 log message built with an f-string{SUFFIX}",
        "analytics/forwarding.py:18: HZ008 log message 'analytics.forward.failed destination=%s' "
        "is not a dotted event key",
        f"analytics/forwarding.py:24: HZ003 log message built with an f-string{SUFFIX}",
        "analytics/forwarding.py:29: HZ008 log message 'Forwarded install' "
        "is not a dotted event key",
        "analytics/forwarding.py:31: HZ008 log message 'analytics.Forward.sent' "
        "is not a dotted event key",
    ]


def test_hz003_ignores_formatting_that_is_not_a_log_message() -> None:
    source = (
        "import math\n"
        "def run(x):\n"
        "    math.log(f'{x}')\n"
        "    log.info('attribution.install.attributed', detail=f'{x}')\n"
        "    print(f'{x}')\n"
    )

    assert check_source("attribution/installs.py", source) == []


def test_hz003_reads_the_event_keyword_of_structlog_calls() -> None:
    source = "def run(x):\n    log.info(event=f'ran {x}')\n"

    assert [str(v) for v in check_source("attribution/installs.py", source)] == [
        f"attribution/installs.py:2: HZ003 log message built with an f-string{SUFFIX}"
    ]
