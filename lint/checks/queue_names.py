"""HZ004: every Celery queue and Kafka topic is named through the registry, `hazelnut.queues`.

A queue spelled as a string at a call site is a queue nobody has written down: no partitions, no
retention, no producer or consumer on record, and a typo creates a new topic silently. Outside the
registry module this reports a string literal (or f-string) given as

- a `queue=`, `queues=`, `topic=` or `topics=` keyword (task decorators, `apply_async`,
  `send_task`, producers), or a "queue"/"topic" key in a dict literal (routes, task options);
- the name given to `Queue(...)`, `TopicPartition(...)` or `NewTopic(...)`;
- the topic of `.produce(...)` or the topics of `.subscribe(...)`.

Use `Queue.CLICKS` (a StrEnum, so it is a str wherever one is expected). Command lines such as
`celery worker -Q` are not Python and are out of scope.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lint.checks.base import Module, Violation, callee_name, is_string, method_name

RULE = "HZ004"
REGISTRY_MODULES = frozenset({"hazelnut/queues.py"})
NAME_KEYWORDS = frozenset({"queue", "queues", "topic", "topics"})
NAME_KEYS = frozenset({"queue", "topic"})
NAMED_BY_FIRST_ARGUMENT = frozenset({"Queue", "TopicPartition", "NewTopic"})


def check(module: Module) -> Iterator[Violation]:
    if module.path in REGISTRY_MODULES:
        return
    for node in ast.walk(module.tree):
        for literal in _literal_names(node):
            yield module.violation(
                literal,
                RULE,
                f"queue/topic {_label(literal)} spelled at the call site; "
                "name it through hazelnut.queues.Queue",
            )


def _literal_names(node: ast.AST) -> Iterator[ast.expr]:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in NAME_KEYS and is_string(value):
                yield value
        return
    if not isinstance(node, ast.Call):
        return
    for keyword in node.keywords:
        if keyword.arg in NAME_KEYWORDS:
            yield from _strings(keyword.value)
    first = node.args[0] if node.args else None
    if first is None:
        return
    if callee_name(node) in NAMED_BY_FIRST_ARGUMENT or method_name(node) == "produce":
        if is_string(first):
            yield first
    elif method_name(node) == "subscribe":
        yield from _strings(first)


def _strings(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [element for element in node.elts if is_string(element)]
    return [node] if is_string(node) else []


def _label(node: ast.expr) -> str:
    return repr(node.value) if isinstance(node, ast.Constant) else ast.unparse(node)
