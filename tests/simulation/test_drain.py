"""The simulator's drain: it knows every delivery a run's installs and events lead to before
their fan-out tasks have run, and waits for each to reach a final state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from attribution import demo
from attribution.models import AdNetwork, Install, NetworkAccount, Project, UserIdentity
from ingest.simulation import drain
from postbacks.models import Delivery

pytestmark = pytest.mark.django_db

SINCE = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture
def signed_up(project: Project) -> Install:
    """A Meta-credited install whose user signed up; no fan-out has run yet."""
    meta, _ = AdNetwork.objects.get_or_create(code="META", defaults={"name": "Meta"})
    NetworkAccount.objects.create(
        project=project,
        network=meta,
        account_id="a",
        credentials=demo.account_credentials("META", demo.SINK),
    )
    install = Install.objects.create(
        project=project,
        install_instance_id="i-meta",
        platform="ANDROID",
        installed_at=SINCE,
        last_seen_at=SINCE,
        status=Install.Status.ATTRIBUTED,
        network_code="META",
        attribution_type="INORGANIC",
    )
    UserIdentity.objects.create(project=project, user_id="u-meta", install=install)
    return install


def _deliver(project: Project, key: str, state: str) -> None:
    Delivery.objects.create(
        project=project, destination="meta", event_kind="install", idempotency_key=key, state=state
    )


def test_the_deliveries_a_run_causes_are_known_before_any_is_made(
    project: Project, signed_up: Install
) -> None:
    identity = UserIdentity.objects.get(user_id="u-meta")

    keys = drain.caused(project.pk, ["i-meta"], SINCE)

    assert keys == {f"install:{signed_up.pk}:meta", f"signup:{identity.pk}:meta"}
    assert drain.open_deliveries(project.pk, SINCE) == 0
    assert drain.unfinished(project.pk, keys, SINCE) == 2


def test_only_final_states_finish_a_delivery(project: Project, signed_up: Install) -> None:
    keys = drain.caused(project.pk, ["i-meta"], SINCE)
    install_key, signup_key = sorted(keys)
    _deliver(project, install_key, Delivery.State.DELIVERED)
    _deliver(project, signup_key, Delivery.State.RETRYING)

    assert drain.unfinished(project.pk, keys, SINCE) == 1

    Delivery.objects.filter(idempotency_key=signup_key).update(state=Delivery.State.DEAD)
    _deliver(project, "install:0:tiktok", Delivery.State.PENDING)  # open, not foreseen: counts

    assert drain.unfinished(project.pk, keys, SINCE) == 1


def test_a_drain_with_a_delivery_not_yet_made_times_out(
    project: Project, signed_up: Install
) -> None:
    drained = drain.wait(project.pk, ["i-meta"], SINCE, 0.2, progress=False)

    assert drained.timed_out
    assert drained.attributed == 1
    assert drained.open_deliveries == 2

    for key in drain.caused(project.pk, ["i-meta"], SINCE):
        _deliver(project, key, Delivery.State.DELIVERED)

    drained = drain.wait(project.pk, ["i-meta"], SINCE, 5.0, progress=False)

    assert not drained.timed_out
    assert drained.open_deliveries == 0
