"""Bad input gets a 4xx envelope that says what is wrong, and nothing is published."""

from __future__ import annotations

import json

import pytest

from tests.ingest.conftest import Api, Published

PAYMENT = {
    "user_id": "user-1",
    "payment_id": "T-1",
    "amount": 1.5,
    "platform": "IOS",
    "install_instance_id": "inst-1",
}


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"amount": -1}, "invalid_amount", "amount"),
        ({"amount": "ten"}, "invalid_amount", "amount"),
        ({"amount": True}, "invalid_amount", "amount"),
        ({"amount": None}, "missing_field", "amount"),
        ({"amount": 1e30}, "invalid_amount", "amount"),
        ({"currency": "US$"}, "invalid_currency", "currency"),
        ({"currency": "XYZ"}, "invalid_currency", "currency"),
        ({"type": "GIFT"}, "invalid_choice", "type"),
        ({"payment_id": "x" * 201}, "too_long", "payment_id"),
        ({"user_id": 12}, "invalid_type", "user_id"),
        ({"event_data": [1, 2]}, "invalid_type", "event_data"),
    ],
)
def test_bad_payment_is_refused(
    api: Api, published: Published, change: dict[str, object], code: str, field: str
) -> None:
    response = api.sdk("capture-payment", {**PAYMENT, **change})

    assert response.status_code == 400
    assert api.envelope(response)["data"] == {"error": code, "field": field}
    assert published.messages == []


def test_an_event_data_amount_must_fit_a_money_column(api: Api, published: Published) -> None:
    event = {"event_name": "purchase", "install_instance_id": "inst-1"}
    huge = api.sdk("capture-event", {**event, "event_data": {"amount": 1e308}})
    refund = api.sdk("capture-event", {**event, "event_data": {"amount": -12.5}})

    assert huge.status_code == 400
    assert api.envelope(huge)["data"] == {"error": "invalid_amount", "field": "event_data.amount"}
    assert refund.status_code == 201
    assert [body["body"]["event_data"] for _, body in published.messages] == [{"amount": -12.5}]


def test_amount_as_decimal_string_is_exact(api: Api, published: Published) -> None:
    response = api.sdk("capture-payment", {**PAYMENT, "amount": "0.1"})

    assert response.status_code == 201
    assert published.messages[0][1]["body"]["amount"] == "0.1"


def test_float_amount_never_rounds_through_binary(api: Api, published: Published) -> None:
    api.raw(
        "/api/client/capture-payment",
        json.dumps({**PAYMENT, "token": api.project.token})
        .replace('"amount": 1.5', '"amount": 12345678901234.1234')
        .encode(),
    )

    assert published.messages[0][1]["body"]["amount"] == "12345678901234.1234"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b"", "invalid_json"),
        (b'{"token": NaN}', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
    ],
)
def test_malformed_body_is_refused(api: Api, published: Published, data: bytes, code: str) -> None:
    response = api.raw("/api/client/capture-event", data)

    assert response.status_code == 400
    assert api.envelope(response)["data"]["error"] == code
    assert published.messages == []


def _nested_json(depth: int) -> str:
    """JSON text of objects and arrays in turn, `depth` levels deep (written out, since the
    standard encoder itself gives up long before 5,000 levels)."""
    opening = "".join('{"a":' if level % 2 else "[" for level in range(depth - 1))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth - 1)))
    return opening + "{}" + closing


@pytest.mark.parametrize(
    ("route", "field", "depth", "status"),
    [
        ("init", "device_data", 32, 200),
        ("init", "device_data", 33, 400),
        ("init", "device_data", 900, 400),
        ("capture-event", "event_data", 33, 400),
        ("capture-event", "event_data", 5000, 400),
    ],
)
def test_nesting_past_32_levels_is_refused(
    api: Api, published: Published, route: str, field: str, depth: int, status: int
) -> None:
    body = {
        "token": api.project.token,
        "install_instance_id": "inst-deep",
        "platform": "ANDROID",
        "event_name": "deep",
        "event_id": f"deep-{depth}",
    }
    # The body is the first level, so the field holds the other depth - 1.
    text = json.dumps(body)[:-1] + f', "{field}": {{"x": {_nested_json(depth - 2)}}}}}'

    response = api.raw(f"/api/client/{route}", text.encode())

    assert response.status_code == status, api.envelope(response)
    if status == 400:
        assert api.envelope(response)["data"]["error"] == "invalid_json"
        assert "32 levels" in api.envelope(response)["msg"]
        assert published.messages == []
    else:
        assert len(published.messages) == 1


def test_a_token_that_is_not_a_string_is_named_as_such(api: Api, published: Published) -> None:
    response = api.raw("/api/client/init", json.dumps({"token": 123}).encode())

    assert response.status_code == 400
    assert api.envelope(response)["msg"] == "'token' must be a string."
    assert api.envelope(response)["data"]["error"] == "invalid_type"
    assert published.messages == []


def test_a_chunked_body_without_length_is_answered_411(api: Api, published: Published) -> None:
    response = api.client.generic(
        "POST",
        "/api/client/init",
        b"",
        content_type="application/json",
        headers={"transfer-encoding": "chunked"},
    )

    assert response.status_code == 411
    assert api.envelope(response)["data"]["error"] == "length_required"
    assert published.messages == []


def test_body_over_64_kb_is_refused(api: Api, published: Published) -> None:
    body = {"event_name": "big", "event_data": {"blob": "x" * 70_000}}

    response = api.sdk("capture-event", body)

    assert response.status_code == 413
    assert api.envelope(response)["data"]["error"] == "body_too_large"
    assert published.messages == []


def test_unknown_token_is_refused(api: Api, published: Published) -> None:
    response = api.raw("/api/client/init", json.dumps({"token": "nope"}).encode())

    assert response.status_code == 401
    assert api.envelope(response)["msg"] == "Invalid project token."
    assert published.messages == []


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("init", {"platform": "IOS", "device_data": {}}, "install_instance_id"),
        ("init", {"install_instance_id": "i", "device_data": {}}, "platform"),
        (
            "init",
            {"install_instance_id": "i", "platform": "IOS", "device_data": "x"},
            "device_data",
        ),
        (
            "init",
            {"install_instance_id": "i" * 65, "platform": "IOS", "device_data": {}},
            "install_instance_id",
        ),
        ("capture-event", {"install_instance_id": "i"}, "event_name"),
        ("capture-event", {"event_name": "  "}, "event_name"),
        ("capture-event", {"event_name": "x" * 501}, "event_name"),
        ("trigger", {"install_instance_id": "i"}, "user_data"),
        ("trigger", {"user_data": {"name": "no id"}}, "user_data.id"),
        ("handle-deeplink", {"install_instance_id": "i"}, "deeplink_url"),
        ("update-push-token", {"install_instance_id": "i"}, "push_token"),
    ],
)
def test_missing_or_wrong_fields_are_named(
    api: Api, published: Published, route: str, body: dict[str, object], field: str
) -> None:
    response = api.sdk(route, body)

    assert response.status_code == 400
    assert api.envelope(response)["data"]["field"] == field
    assert published.messages == []


@pytest.mark.parametrize("route", ["trigger", "set-user-data"])
@pytest.mark.parametrize(
    ("user_id", "code", "msg"),
    [
        (None, "missing_field", "'user_data.id' is required."),
        ("", "missing_field", "'user_data.id' is required."),
        ({"v": "u1"}, "invalid_type", "'user_data.id' must be a string."),
        (["u1"], "invalid_type", "'user_data.id' must be a string."),
        (True, "invalid_type", "'user_data.id' must be a string."),
        (1.5, "invalid_type", "'user_data.id' must be a string."),
        ("u" * 201, "too_long", "'user_data.id' is longer than 200 characters."),
    ],
    ids=["null", "empty", "object", "array", "boolean", "fraction", "too-long"],
)
def test_user_data_id_errors_say_what_is_wrong(
    api: Api, published: Published, route: str, user_id: object, code: str, msg: str
) -> None:
    response = api.sdk(route, {"user_data": {"id": user_id}, "install_instance_id": "i"})

    assert response.status_code == 400
    body = api.envelope(response)
    assert (body["msg"], body["data"]) == (msg, {"error": code, "field": "user_data.id"})
    assert published.messages == []


def test_missing_token_is_a_400(api: Api) -> None:
    response = api.raw("/api/client/capture-event", b'{"event_name": "x"}')

    assert response.status_code == 400
    assert api.envelope(response)["data"] == {"error": "missing_field", "field": "token"}


def test_wrong_method_gets_the_envelope(api: Api) -> None:
    assert api.client.get("/api/client/capture-event").status_code == 405
    response = api.client.get("/api/client/init")
    assert response.status_code == 405
    assert api.envelope(response)["data"]["error"] == "method_not_allowed"


def test_any_accept_header_gets_json(api: Api, published: Published) -> None:
    response = api.sdk("capture-event", {"event_name": "x"}, Accept="text/html")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("text", ["\\ud800", "a\\udc00b", "nul\\u0000"])
@pytest.mark.parametrize("route", ["update-push-token", "capture-event", "init"])
def test_unstorable_string_is_refused(
    api: Api, published: Published, text: str, route: str
) -> None:
    # Found by schemathesis: a lone surrogate reached the database and answered 500.
    token = api.project.token
    data = f'{{"token": "{token}", "install_instance_id": "i-1", "push_token": "{text}", '
    data += f'"device_data": {{"k": "{text}"}}, "platform": "IOS"}}'

    response = api.raw(f"/api/client/{route}", data.encode())

    assert response.status_code == 400
    assert api.envelope(response) == {
        "msg": "Request body has a string with a NUL or unpaired surrogate character.",
        "status": 400,
        "data": {"error": "invalid_json"},
    }
    assert published.messages == []


def test_escaped_surrogate_pair_is_accepted(api: Api, published: Published) -> None:
    data = f'{{"token": "{api.project.token}", "event_name": "smile \\ud83d\\ude00"}}'

    response = api.raw("/api/client/capture-event", data.encode())

    assert response.status_code == 201
    assert published.messages[0][1]["body"]["event_name"] == "smile \U0001f600"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/get-attribution-result?user_id=u%001",
        "/api/v1/get-attribution-result?device_identifier=ok&x%00=1",
        "/api/client/getProfile?token=hz%00",
    ],
)
def test_nul_in_query_is_refused(api: Api, path: str) -> None:
    # PostgreSQL cannot hold NUL in text: the lookup would fail (500) rather than miss.
    response = api.client.get(path, headers={"linkrunner-key": api.server_key})

    assert response.status_code == 400
    assert api.envelope(response) == {
        "msg": "Query parameters may not contain NUL characters.",
        "status": 400,
        "data": {"error": "invalid_query"},
    }
