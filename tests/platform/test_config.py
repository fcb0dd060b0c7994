"""The environment helper and the settings it feeds."""

from __future__ import annotations

import pytest

from hazelnut.config import ConfigError, Env
from hazelnut.net import client_ip, normalize_ip


def test_missing_required_variable_names_it() -> None:
    with pytest.raises(ConfigError, match=r"^SECRET_KEY is required but not set$"):
        Env({}).string("SECRET_KEY")


def test_malformed_url_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^DATABASE_URL is not a valid URL"):
        Env({"DATABASE_URL": "postgres://host:notaport/db"}).url("DATABASE_URL", ("postgres",))


def test_url_with_wrong_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="REDIS_URL must use one of the schemes redis"):
        Env({"REDIS_URL": "http://localhost"}).url("REDIS_URL", ("redis",))


def test_typed_values() -> None:
    env = Env({"N": "12", "B": "off", "L": "a, b,,c"})
    assert env.integer("N", 1) == 12
    assert env.boolean("B", True) is False
    assert env.string_list("L", []) == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="N must be a whole number"):
        Env({"N": "x"}).integer("N", 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8::9", "2001:db8::9"),
        ("[2001:DB8::9]", "2001:db8::9"),
        ("not-an-ip", None),
        ("", None),
    ],
)
def test_normalize_ip(raw: str, expected: str | None) -> None:
    assert normalize_ip(raw) == expected


def test_client_ip_honours_only_trusted_proxies() -> None:
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 198.51.100.7"}
    assert client_ip(meta, trusted_proxies=0) == "10.0.0.2"
    assert client_ip(meta, trusted_proxies=1) == "198.51.100.7"
    assert client_ip(meta, trusted_proxies=2) == "1.1.1.1"
