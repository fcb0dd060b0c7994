"""What every check works on: one parsed module, its path in the project, and the violations.

A check is a function from a `Module` to `Violation`s. Paths are relative to the project root
(posix style), because a rule's scope is decided by where a module lives (`ingest/`, `views`),
and the same relative path is what a developer reads in the report.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

# The calls that put a Celery task on a queue.
ENQUEUE_METHODS = frozenset({"delay", "apply_async", "send_task"})


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


@dataclass
class Module:
    path: str
    tree: ast.Module
    source: str = field(repr=False)

    @classmethod
    def parse(cls, path: str, source: str) -> Module:
        return cls(path=path, tree=ast.parse(source, filename=path), source=source)

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        return {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def violation(self, node: ast.expr | ast.stmt, rule: str, message: str) -> Violation:
        return Violation(self.path, node.lineno, rule, message)


def method_name(call: ast.Call) -> str | None:
    """`x.y.send_task(...)` -> "send_task"; a plain function call has no method name."""
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def callee_name(call: ast.Call) -> str | None:
    """The last name of what is called: `transaction.on_commit(...)` gives "on_commit"."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def enqueue_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and method_name(node) in ENQUEUE_METHODS:
            yield node


def attribute_chain(node: ast.expr) -> list[str]:
    """The names along a call/attribute chain: `A.objects.filter(x).first()` gives
    ["A", "objects", "filter", "first"]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def is_string(node: ast.expr) -> bool:
    """A literal or formatted string written at the call site."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
        node, ast.JoinedStr
    )
