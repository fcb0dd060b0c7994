"""Event tests share the postback fixtures: installs, accounts, receivers, in-process tasks."""

from tests.postbacks.conftest import (  # noqa: F401
    _allow_loopback,
    _clean_throttle,
    account,
    http,
    make_install,
    run_tasks,
    warehouse,
)
