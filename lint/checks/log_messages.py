"""HZ003 and HZ008: a log message is a stable dotted event key, never a string built on the spot.

`log.info(f"install {install_id} attributed")` makes every line a different message: the logs
cannot be grouped or counted, and the facts cannot be queried (HZ003). A literal message that is a
sentence rather than a dotted key (`"Install attributed"`, `"failed for %s"`) reads the same way
to the log pipeline (HZ008). Log a key and pass the facts as fields:
`log.info("attribution.install.attributed", install_id=install_id)`.

A call is a log call when its method is a logging level (debug ... critical, exception, msg, log)
and its receiver looks like a logger: a conventional name (`log`, `logger`, `logging`, ...), a
`self.log`/`self.logger` attribute, a name this module binds from `get_logger`/`getLogger`/
`get_task_logger`/`.bind()`, or such a call itself. The message is the first positional argument
(the second for `.log(level, message)`), or the `event=` keyword.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Set

from lint.checks.base import Module, Violation, callee_name, is_string, method_name

RULE = "HZ003"
RULE_EVENT_KEY = "HZ008"
EVENT_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "msg", "log"}
)
LOGGER_NAMES = frozenset({"log", "logger", "_log", "_logger", "LOG", "LOGGER", "logging"})
LOGGER_FACTORIES = frozenset({"get_logger", "getLogger", "get_task_logger", "bind", "new"})


def check(module: Module) -> Iterator[Violation]:
    loggers = LOGGER_NAMES | _bound_loggers(module.tree)
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call) or method_name(node) not in LOG_METHODS:
            continue
        assert isinstance(node.func, ast.Attribute)
        if not _is_logger(node.func.value, loggers):
            continue
        message = _message(node)
        if message is not None:
            yield from _judge(module, node, message)


def _judge(module: Module, call: ast.Call, message: ast.expr) -> Iterator[Violation]:
    kind = _formatting(message)
    if kind is not None:
        yield module.violation(
            call, RULE, f"log message built with {kind}; log an event key with fields"
        )
    elif (
        isinstance(message, ast.Constant)
        and isinstance(message.value, str)
        and not EVENT_KEY.fullmatch(message.value)
    ):
        yield module.violation(
            call, RULE_EVENT_KEY, f"log message {message.value!r} is not a dotted event key"
        )


def _bound_loggers(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        if callee_name(node.value) in LOGGER_FACTORIES:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _is_logger(receiver: ast.expr, loggers: Set[str]) -> bool:
    if isinstance(receiver, ast.Name):
        return receiver.id in loggers
    if isinstance(receiver, ast.Attribute):
        return receiver.attr in LOGGER_NAMES
    return isinstance(receiver, ast.Call) and callee_name(receiver) in LOGGER_FACTORIES


def _message(call: ast.Call) -> ast.expr | None:
    position = 1 if method_name(call) == "log" else 0
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == "event"), None)


def _formatting(node: ast.expr) -> str | None:
    """How `node` builds its text at the call site, or None for a plain message."""
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and is_string(node.left):
        return "%-formatting"
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and (is_string(node.left) or is_string(node.right) or _formatting(node.left))
    ):
        return "string concatenation"
    if isinstance(node, ast.Call) and method_name(node) == "format":
        return ".format()"
    return None
