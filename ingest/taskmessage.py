"""Celery task messages for the edge's publishes, each a copy of one template per task name.

`send_task` routes the name, renders a repr of the arguments, serializes the body and lays the
message out for kombu on every call; on the SDK's hot path that was most of a request's cost. The
edge's messages of one task differ only in their id, keyword arguments and Kafka key, so Celery
builds one message per task name and process, which a `Recorder` keeps instead of sending, and
every later message is that template with those fields replaced: the same protocol-2 message a
worker gets from `send_task` (tests/ingest/test_taskmessage.py holds the two side by side).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from kombu import Connection, Producer
from kombu.utils import json as kombu_json

from hazelnut.broker import KEY_PROPERTY

# Set per copy (or left out); the rest of the properties, and of the headers, are the template's.
_PER_MESSAGE_PROPERTIES = ("correlation_id", KEY_PROPERTY)


class Recorder:
    """A kombu producer whose channel keeps what it is asked to publish instead of sending it."""

    def __init__(self) -> None:
        self._connection = Connection("memory://")
        self.producer = Producer(self._connection)
        self.published: list[tuple[dict[str, Any], str, str]] = []
        # An instance attribute shadows the channel's method: kombu calls it last, with the
        # message exactly as a real channel would receive it.
        self.producer.channel.basic_publish = self._keep

    def _keep(self, message: dict[str, Any], exchange: str, routing_key: str, **_: Any) -> None:
        self.published.append((message, exchange, routing_key))

    def close(self) -> None:
        self._connection.release()


class Template:
    """One recorded task message, ready to be copied with new arguments."""

    def __init__(self, message: Mapping[str, Any], routing_key: str, repr_limit: int) -> None:
        self.queue = routing_key
        self._repr_limit = repr_limit
        self._headers = dict(message["headers"])
        self._properties = dict(message["properties"])
        for name in _PER_MESSAGE_PROPERTIES:
            self._properties.pop(name, None)
        self._content_type = message["content-type"]
        self._content_encoding = message["content-encoding"]
        args, _kwargs, embed = kombu_json.loads(message["body"])
        self._args: list[Any] = args
        self._embed: dict[str, Any] = embed

    @classmethod
    def recorded(cls, recorder: Recorder, repr_limit: int) -> Template:
        """The template from the one message `recorder` kept (Celery routed it to a queue)."""
        (message, exchange, routing_key), *others = recorder.published
        if others or exchange or message["headers"].get("eta"):
            raise ValueError("a template is one immediate task sent to a queue")
        return cls(message, routing_key, repr_limit)

    def message(self, kwargs: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        """A new task message (fresh id) carrying `kwargs`, keyed `key` in Kafka."""
        task_id = str(uuid.uuid4())
        headers = dict(self._headers)
        headers.update(id=task_id, root_id=task_id, kwargsrepr=self._repr(kwargs))
        properties = dict(self._properties)
        properties["correlation_id"] = task_id
        if key is not None:
            properties[KEY_PROPERTY] = key
        return {
            "body": _dumps([self._args, kwargs, self._embed]),
            "content-type": self._content_type,
            "content-encoding": self._content_encoding,
            "headers": headers,
            "properties": properties,
        }

    def _repr(self, kwargs: Mapping[str, Any]) -> str:
        # What Flower and worker logs show; Celery's saferepr costs ten times the built-in repr.
        text = repr(kwargs)
        limit = self._repr_limit
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _dumps(body: list[Any]) -> str:
    try:
        return json.dumps(body)
    except TypeError:  # a datetime, UUID...: kombu's codec tags them as Celery's own path would
        return kombu_json.dumps(body)
