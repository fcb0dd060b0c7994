"""Times a device or a network sends that no datetime can hold are unknown, never a lost install.

`1e300` seconds once raised OverflowError inside the attribution task: the init had already been
answered, the install row was never written, and the next init made an organic install that had
lost its referrer.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from attribution.contracts import ATTRIBUTE_INSTALL
from attribution.events import times
from attribution.models import Install, Project
from attribution.strategies.apple_adservices import _apple_time
from attribution.strategies.google_ads import _epoch
from ingest import auth, kv
from tests.attribution.conftest import Sent, install_message

Run = Callable[[str, dict[str, Any]], None]
CLICK_KEY = "referrer_click_timestamp_seconds"
BEGIN_KEY = "install_begin_timestamp_seconds"
GARBAGE = [
    pytest.param(1e300, id="1e300"),
    pytest.param(10**400, id="400-digit-int"),
    pytest.param(-1717000000, id="negative"),
    pytest.param(253402300800, id="after-year-9999"),
    pytest.param("NaN", id="nan-string"),
    pytest.param("-Infinity", id="inf-string"),
    pytest.param("yesterday", id="word"),
    pytest.param(True, id="true"),
    pytest.param({"seconds": 1717000000}, id="object"),
    pytest.param([1717000000], id="array"),
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_unreadable_referrer_times_leave_the_referrer_attributing(
    project: Project, run: Run, garbage: object
) -> None:
    data = {
        "install_ref": "utm_source=a&utm_campaign=spring",
        CLICK_KEY: garbage,
        BEGIN_KEY: garbage,
    }

    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-junk", at="2024-05-29T16:40:00Z", device_data=data),
    )

    install = Install.objects.get(project=project, install_instance_id="inst-junk")
    assert install.status == Install.Status.ATTRIBUTED
    assert install.attribution_type == "INORGANIC"
    assert install.source == "play_referrer"
    assert install.decision["winner"]["details"]["utm"] == {
        "utm_source": "a",
        "utm_campaign": "spring",
    }
    assert install.store_click_at is None
    referrer = install.decision["referrer"]
    assert referrer["click_time"] is None
    assert referrer["install_begin_time"] is None
    assert referrer["unreadable_times"] == [CLICK_KEY, BEGIN_KEY]


def test_a_readable_time_beside_an_unreadable_one_is_kept(project: Project, run: Run) -> None:
    data = {"install_ref": "utm_source=a", CLICK_KEY: "1717000000", BEGIN_KEY: "NaN"}

    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-half", at="2024-05-29T16:40:00Z", device_data=data),
    )

    install = Install.objects.get(project=project, install_instance_id="inst-half")
    assert install.store_click_at == dt.datetime(2024, 5, 29, 16, 26, 40, tzinfo=dt.UTC)
    assert install.decision["referrer"]["click_time"] == "2024-05-29T16:26:40Z"
    assert install.decision["referrer"]["unreadable_times"] == [BEGIN_KEY]


def test_zero_is_unknown_without_being_noted(project: Project, run: Run) -> None:
    data = {"install_ref": "utm_source=a", CLICK_KEY: 1717000000, BEGIN_KEY: 0}

    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-zero", at="2024-05-29T16:40:00Z", device_data=data),
    )

    referrer = Install.objects.get(project=project, install_instance_id="inst-zero").decision[
        "referrer"
    ]
    assert referrer["install_begin_time"] is None
    assert "unreadable_times" not in referrer


@pytest.fixture
def _edge_namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    prefix = f"hztest-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(kv, "PREFIX", prefix)
    auth.clear_cache()
    yield
    keys = list(kv.client().scan_iter(f"{prefix}:*"))
    if keys:
        kv.client().delete(*keys)


@pytest.mark.usefixtures("_edge_namespace")
def test_init_with_an_overflowing_click_time_creates_the_attributed_install(
    project: Project, sent: Sent
) -> None:
    body = {
        "token": project.token,
        "platform": "ANDROID",
        "install_instance_id": "inst-http-junk",
        "device_data": {"install_ref": "utm_source=a", CLICK_KEY: 1e300},
    }

    response = Client().post(
        "/api/client/init", data=json.dumps(body).encode(), content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["is_first_launch"] is True
    assert len(sent.named(ATTRIBUTE_INSTALL)) == 1
    install = Install.objects.get(project=project, install_instance_id="inst-http-junk")
    assert install.source == "play_referrer"
    assert install.decision["winner"]["details"]["utm"] == {"utm_source": "a"}
    assert install.decision["referrer"]["unreadable_times"] == [CLICK_KEY]


INSTALLED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "garbage",
    [1e300, 10**400, -5, "NaN", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", True],
    ids=["1e300", "400-digit-int", "negative", "nan", "past-9999-in-utc", "before-year-1", "true"],
)
def test_unreadable_event_times_fall_back_to_none(garbage: object) -> None:
    assert times.parse_instant(garbage) is None
    assert times.client_time({"event_time": garbage}, None) is None
    assert times.client_time({"time_since_app_install": garbage}, INSTALLED) is None


def test_event_times_still_read_seconds_milliseconds_iso_and_offsets() -> None:
    expected = dt.datetime(2024, 5, 29, 16, 26, 40, tzinfo=dt.UTC)

    assert times.parse_instant(1717000000) == expected
    assert times.parse_instant(Decimal("1717000000000")) == expected
    assert times.parse_instant("2024-05-29T18:26:40+02:00") == expected
    assert times.parse_instant("2024-05-29T16:26:40Z") == expected
    assert times.client_time({"time_since_app_install": 90.5}, INSTALLED) == INSTALLED + (
        dt.timedelta(seconds=90.5)
    )


@pytest.mark.parametrize("garbage", [1e300, "inf", "NaN", -1, True, None, {"t": 1}])
def test_network_answer_times_are_unknown_when_unreadable(garbage: object) -> None:
    assert _epoch(garbage) is None
    assert _apple_time(garbage) is None


def test_network_answer_times_are_read() -> None:
    assert _epoch("1717000000.5") == 1717000000.5
    assert _apple_time("2024-05-29T16:26Z") == 1716999960.0
    assert _apple_time("10000-01-01T00:00Z") is None
