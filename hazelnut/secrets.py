"""Encryption at rest for credentials, and the hashing and generation of API secrets.

Credentials we must send on (network tokens, webhook keys, signing secrets) are encrypted with
Fernet under HAZELNUT_ENCRYPTION_KEY; keys we only need to recognise (the server API key) are
stored as a SHA-256 digest and compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    # django-stubs types a field by its Field[set type, get type] parameters. Django's field
    # classes cannot be subscripted at run time (django-stubs-ext is a dev-only package), so the
    # parameterised bases exist for the checker only. No expressions on the set side: a value is
    # encrypted in Python, so an F() or other SQL expression cannot be stored in these columns.
    _TextBase = models.TextField[str, str]
    _JSONBase = models.TextField[dict[str, Any], dict[str, Any]]
else:
    _TextBase = _JSONBase = models.TextField


@cache
def _fernet() -> MultiFernet:
    configured = [key.strip() for key in settings.HAZELNUT_ENCRYPTION_KEY.split(",") if key.strip()]
    if not configured:
        # Development only (production refuses to start without the variable): a key derived
        # from SECRET_KEY, stable across restarts of the same checkout.
        digest = hashlib.sha256(b"hazelnut-dev-encryption:" + settings.SECRET_KEY.encode()).digest()
        configured = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in configured])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("stored secret cannot be decrypted with HAZELNUT_ENCRYPTION_KEY") from None


def new_token(prefix: str, nbytes: int = 24) -> str:
    return f"{prefix}{secrets.token_urlsafe(nbytes)}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches_digest(secret: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), expected_digest)


class EncryptedTextField(_TextBase):
    """A text column stored as a Fernet token; reads give back the plaintext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return encrypt(str(value))


class EncryptedJSONField(_JSONBase):
    """A JSON object stored encrypted; reads give back the decoded object."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def get_prep_value(self, value: Any) -> Any:
        return encrypt(json.dumps(value or {}, sort_keys=True))

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj))

    def formfield(self, **kwargs: Any) -> Any:
        return forms.JSONField(**{"required": not self.blank, **kwargs})
