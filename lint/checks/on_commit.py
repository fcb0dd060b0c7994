"""HZ001: request code enqueues a task only from inside `transaction.on_commit`.

A task sent while the request's transaction is still open can run before the rows it needs are
committed, or for rows that are then rolled back. In request code (every module under `ingest/`
and any `views` module or package) a `.delay()`, `.apply_async()` or `.send_task()` call must sit
in a lambda passed to `on_commit`, or in a function whose name is passed to it (directly or
through `functools.partial`). The one exception is the designated publish module, the HTTP
edge's confirmed-publish path: its messages carry the request's data rather than ids of rows
that might roll back, and what the broker refuses is parked in the outbox, so every other ingest
module publishes through it instead of calling Celery.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import PurePosixPath

from lint.checks.base import Module, Violation, callee_name, enqueue_calls, method_name

RULE = "HZ001"
PUBLISH_MODULES = frozenset({"ingest/publish.py"})
# Under ingest/, these are operator and schema code, not request handling.
NON_REQUEST_PACKAGES = frozenset({"management", "migrations"})


def is_request_module(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if path in PUBLISH_MODULES or NON_REQUEST_PACKAGES.intersection(parts):
        return False
    is_views = "views" in parts[:-1] or PurePosixPath(path).stem.startswith("views")
    return parts[0] == "ingest" or (is_views and parts[0] != "tests")


def check(module: Module) -> Iterator[Violation]:
    if not is_request_module(module.path):
        return
    lambdas, names = _deferred(module.tree)
    for call in enqueue_calls(module.tree):
        if not any(_is_deferred(node, lambdas, names) for node in module.ancestors(call)):
            yield module.violation(
                call, RULE, f".{method_name(call)}() outside transaction.on_commit"
            )


def _deferred(tree: ast.Module) -> tuple[set[ast.Lambda], set[str]]:
    """The lambdas and the function names this module hands to `on_commit`."""
    lambdas: set[ast.Lambda] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and callee_name(node) == "on_commit"):
            continue
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            if isinstance(argument, ast.Call) and callee_name(argument) == "partial":
                argument = argument.args[0] if argument.args else argument
            if isinstance(argument, ast.Lambda):
                lambdas.add(argument)
            elif isinstance(argument, ast.Name):
                names.add(argument.id)
            elif isinstance(argument, ast.Attribute):
                names.add(argument.attr)
    return lambdas, names


def _is_deferred(node: ast.AST, lambdas: set[ast.Lambda], names: set[str]) -> bool:
    if isinstance(node, ast.Lambda):
        return node in lambdas
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names
