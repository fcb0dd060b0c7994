"""Splitting a batch into rounds that can be attributed together without changing any outcome.

Installs are attributed as if one after another: a later install sees the rows, reinstall marks
and click claims of the earlier ones. Two messages interact only through the same install
(a redelivery or a later app open) or the same device (a reinstall), so a round holds no two
messages that share either; the next round starts after the previous one committed. Click claims
between installs of one round are settled in order inside the round (`attribution.engine.claims`).
"""

from __future__ import annotations

from collections.abc import Sequence

from attribution.contracts import InstallMessage
from attribution.identifiers import device_ids


def device_keys(message: InstallMessage) -> set[tuple[int, str, str]]:
    """(project, kind, id) for each device id the message carries."""
    ids = device_ids(message.get("device_data") or {}, message["platform"])
    project = message["project_id"]
    return {(project, kind, value) for kind, value in ids.items() if value}


def install_key(message: InstallMessage) -> tuple[int, str]:
    return message["project_id"], message["install_instance_id"]


def split(messages: Sequence[InstallMessage]) -> list[list[InstallMessage]]:
    """Messages in rounds, batch order kept inside each; a message goes to the round after the
    last one holding an earlier message it interacts with."""
    rounds: list[list[InstallMessage]] = []
    last_round: dict[object, int] = {}
    for message in messages:
        keys: list[object] = [install_key(message), *device_keys(message)]
        index = max((last_round[key] + 1 for key in keys if key in last_round), default=0)
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(message)
        for key in keys:
            last_round[key] = index
    return rounds
