"""Signups (`trigger`): the user's identity, mapped to the install it signed up on.

A user signs up once per project: a later trigger for the same user id (a login, an SDK retry)
updates the identity and sends nothing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from analytics import api as analytics
from attribution.contracts import EventMessage
from attribution.events import ledger, linking
from attribution.models import UserIdentity
from postbacks import api as postbacks

_PROFILE_FIELDS = ("name", "email", "phone")


@dataclass(frozen=True)
class SignupResult:
    identity_id: int
    created: bool


def _profile(user_data: dict[str, Any]) -> dict[str, str]:
    return {key: str(user_data.get(key) or "")[:320] for key in _PROFILE_FIELDS}


def _extra(message: EventMessage) -> dict[str, Any]:
    body = message["body"]
    user_data = body.get("user_data") or {}
    extra = {k: v for k, v in user_data.items() if k not in (*_PROFILE_FIELDS, "id") and v}
    data = body.get("data")
    if isinstance(data, dict):
        extra["additional_data"] = data
    return extra


def record(message: EventMessage) -> SignupResult:
    body = message["body"]
    user_id = str((body.get("user_data") or {}).get("id") or message["user_id"] or "")
    if not user_id:
        raise ValueError("signup without a user id")
    project_id = message["project_id"]
    install = linking.install_for(project_id, message["install_instance_id"], None)
    fields: dict[str, Any] = {**_profile(body.get("user_data") or {}), "data": _extra(message)}
    if linking.must_wait(install, message["install_instance_id"]):
        # UserIdentity has no column for it: the parked mark and instance id live in `data`.
        fields["data"].update(parked=True, install_instance_id=message["install_instance_id"])
    with transaction.atomic():
        identity = UserIdentity.objects.filter(project_id=project_id, user_id=user_id).first()
        if identity is not None:
            _update(identity, fields, install)
            return SignupResult(identity.pk, created=False)
        try:
            with transaction.atomic():
                identity = UserIdentity.objects.create(
                    project_id=project_id, user_id=user_id, install=install, **fields
                )
        except IntegrityError:
            identity = UserIdentity.objects.get(project_id=project_id, user_id=user_id)
            return SignupResult(identity.pk, created=False)
        if not identity.data.get("parked"):
            release(identity, install)
    return SignupResult(identity.pk, created=True)


def release(identity: UserIdentity, install: Any) -> None:
    """Send a stored signup on: warehouse row, postbacks and analytics."""
    ledger.write(
        [
            ledger.row(
                identity.project_id,
                install,
                user_id=identity.user_id,
                kind="signup",
                name="signup",
                event_key=identity.user_id,
                occurred_at=identity.created_at,
            )
        ]
    )
    if install is not None:
        postbacks.fan_out_event("signup", identity.pk)
        analytics.forward_event("signup", identity.pk)


def _update(identity: UserIdentity, fields: dict[str, Any], install: Any) -> None:
    for key in _PROFILE_FIELDS:
        if fields[key]:
            setattr(identity, key, fields[key])
    data = fields["data"]
    if not identity.data.get("parked"):
        # Sent already (adopted, released or never waiting): a later trigger must not park it
        # again, or the sweep would send the signup a second time.
        data = {key: value for key, value in data.items() if key != "parked"}
    identity.data = {**identity.data, **data}
    if identity.install_id is None and install is not None:
        identity.install = install
    identity.save()
