"""Fake analytics platforms: each checks its documented required fields and answers in its own
style (Braze 201, CleverTap's partial, GA4's 204 for anything)."""

from __future__ import annotations

import base64
import re

from tests.postbacks.receivers import Answer, Request


def amplitude(request: Request) -> Answer:
    if request.headers.get("Content-Type") != "application/json":
        return Answer(400, {"code": 400, "error": "Invalid content type"})
    body = request.json()
    if not body.get("api_key"):
        return Answer(400, {"code": 400, "error": "Invalid API key", "missing_field": "api_key"})
    for event in body.get("events", []):
        device, user = event.get("device_id", ""), event.get("user_id", "")
        if not event.get("event_type") or max(len(device), len(user)) < 5:
            return Answer(400, {"code": 400, "error": "Request missing required field"})
        if not isinstance(event.get("time"), int) or event["time"] < 10**12:
            return Answer(400, {"code": 400, "error": "time must be milliseconds"})
    return Answer(200, {"code": 200, "events_ingested": len(body["events"])})


def braze(request: Request) -> Answer:
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return Answer(401, {"message": "Invalid API key"})
    body = request.json()
    if request.path == "/users/export/ids":
        found = body.get("device_id") == "braze-device-1"
        return Answer(
            201, {"users": [{"braze_id": "bz-77"}] if found else [], "message": "success"}
        )
    items = body.get("events", []) + body.get("purchases", [])
    if not items:
        message = (
            "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."
        )
        return Answer(400, {"message": message, "errors": []})
    errors = []
    for index, item in enumerate(items):
        if not any(key in item for key in ("external_id", "braze_id", "user_alias")):
            errors.append({"type": "missing user key", "input_array": "events", "index": index})
        if not re.match(r"\d{4}-\d\d-\d\dT", str(item.get("time", ""))):
            errors.append(
                {"type": "time must be ISO-8601", "input_array": "events", "index": index}
            )
    if errors and len(errors) >= len(items):
        return Answer(201, {"message": "All items failed", "errors": errors})
    return Answer(
        201, {"message": "success", "errors": errors} if errors else {"message": "success"}
    )


def clevertap(request: Request) -> Answer:
    if not request.headers.get("X-CleverTap-Account-Id") or not request.headers.get(
        "X-CleverTap-Passcode"
    ):
        return Answer(401, {"status": "fail", "error": "Invalid Credentials", "code": 401})
    records = request.json().get("d", [])
    bad = [
        r for r in records if not (r.get("identity") or r.get("objectId")) or not r.get("evtName")
    ]
    if bad:
        unprocessed = [
            {"status": "fail", "code": 509, "error": "identity missing", "record": r} for r in bad
        ]
        status = "partial" if len(bad) < len(records) else "fail"
        return Answer(
            200,
            {"status": status, "processed": len(records) - len(bad), "unprocessed": unprocessed},
        )
    return Answer(200, {"status": "success", "processed": len(records), "unprocessed": []})


def mixpanel(request: Request) -> Answer:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Basic ") or not base64.b64decode(auth[6:]).decode().endswith(":"):
        return Answer(401, {"error": "Unauthorized", "status": 0})
    events = request.json()
    failed = [
        {"index": i, "message": "missing $insert_id or distinct_id"}
        for i, e in enumerate(events)
        if not e["properties"].get("$insert_id")
        or not e["properties"].get("distinct_id")
        or e["properties"]["distinct_id"] == "00000000-0000-0000-0000-000000000000"
    ]
    if failed:
        return Answer(400, {"code": 400, "status": "Bad Request", "failed_records": failed})
    return Answer(200, {"code": 200, "num_records_imported": len(events), "status": "OK"})


def posthog(request: Request) -> Answer:
    body = request.json()
    if not all(body.get(key) for key in ("api_key", "event", "distinct_id")):
        return Answer(400, {"type": "validation_error", "code": "invalid_payload"})
    return Answer(200, {"status": 1})


def moengage(request: Request) -> Answer:
    if not request.headers.get("Authorization", "").startswith("Basic "):
        return Answer(401, {"status": "fail"})
    body = request.json()
    if body.get("type") != "event" or not body.get("customer_id") or not body.get("actions"):
        return Answer(400, {"status": "fail", "error": {"message": "bad payload"}})
    return Answer(200, {"status": "success", "message": "Your request has been accepted."})


def ga4(request: Request) -> Answer:
    # Production GA4 says 204 to anything, so the checks record problems for the test to read.
    body = request.json()
    problems = []
    if not re.fullmatch(r"[0-9a-f]{32}", body.get("app_instance_id", "")):
        problems.append("app_instance_id")
    names = [event["name"] for event in body.get("events", [])]
    problems.extend(n for n in names if len(n) > 40 or n in ("first_open", "session_start"))
    request.headers["X-Problems"] = ",".join(problems)
    return Answer(204)
