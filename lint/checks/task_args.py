"""HZ002: a task is given ids or small payloads, never a model instance.

An instance in a message is stale by the time the task runs and drags the whole row through the
broker. The check is a heuristic over what it can see in one module; an argument of
`.delay()`, `.apply_async(args, kwargs)`, `.send_task(name, args, kwargs)` or of a signature for a
group or chain (`.s()`, `.si()`, `.signature(args, kwargs)`) is reported when it is

- a name bound in the same function from `<Model>.objects.<getter>(...)` (get, create, first,
  latest, get_or_create, ...), `get_object_or_404(...)` or `self.get_object()`, or a loop (or
  comprehension) variable over a `.objects` query;
- a name annotated (parameter or variable) with a model class: a class imported from a `models`
  module, reached as `models.<Name>`, or defined in the module on top of `Model`;
- `self.instance` or `self.object` (DRF serializers, Django generic views), or any of the
  expressions above written inline.

Pass `instance.pk` (or a dataclass of the fields the task needs) instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lint.checks.base import ENQUEUE_METHODS, Module, Violation, attribute_chain, method_name

RULE = "HZ002"
MODEL_GETTERS = frozenset(
    {"get", "create", "first", "last", "latest", "earliest", "get_or_create", "update_or_create"}
)
# Each getter also has an async twin (aget, acreate, ...).
MODEL_GETTERS |= {f"a{name}" for name in MODEL_GETTERS}
INSTANCE_FUNCTIONS = frozenset({"get_object", "get_object_or_404", "aget_object_or_404"})
INSTANCE_ATTRIBUTES = frozenset({"instance", "object"})
# Signatures carry their arguments into groups and chains: .s/.si like delay, signature like
# apply_async.
TASK_CALLS = ENQUEUE_METHODS | {"s", "si", "signature"}
ARGUMENTS_LIKE_DELAY = frozenset({"delay", "s", "si"})


def check(module: Module) -> Iterator[Violation]:
    models = _model_names(module.tree)
    calls = (n for n in ast.walk(module.tree) if isinstance(n, ast.Call))
    for call in (c for c in calls if method_name(c) in TASK_CALLS):
        scope = _scope(module, call)
        for argument in _task_arguments(call):
            if _is_instance(argument, scope, models):
                label = ast.unparse(argument)
                yield module.violation(
                    argument, RULE, f"model instance '{label}' passed to a task; pass its id"
                )


def _task_arguments(call: ast.Call) -> Iterator[ast.expr]:
    method = method_name(call)
    if method in ARGUMENTS_LIKE_DELAY:
        yield from call.args
        for keyword in call.keywords:
            yield from _values(keyword.value) if keyword.arg is None else [keyword.value]
        return
    first = 1 if method == "send_task" else 0
    positional = call.args[first : first + 2]
    if positional:
        yield from _elements(positional[0])
    if len(positional) > 1:
        yield from _values(positional[1])
    for keyword in call.keywords:
        if keyword.arg == "args":
            yield from _elements(keyword.value)
        elif keyword.arg == "kwargs":
            yield from _values(keyword.value)


def _elements(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.Tuple | ast.List) else [node]


def _values(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.Dict):
        return [value for value in node.values if value is not None]
    if isinstance(node, ast.Call) and attribute_chain(node) == ["dict"]:
        return [keyword.value for keyword in node.keywords]
    return []


def _scope(module: Module, node: ast.AST) -> ast.AST:
    for ancestor in module.ancestors(node):
        if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return ancestor
    return module.tree


def _is_instance(node: ast.expr, scope: ast.AST, models: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return _bound_to_instance(node.id, scope, models)
    if isinstance(node, ast.Attribute):
        value = node.value
        return (
            isinstance(value, ast.Name) and value.id == "self" and node.attr in INSTANCE_ATTRIBUTES
        )
    return _returns_instance(node)


def _returns_instance(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    chain = attribute_chain(node)
    if chain and chain[-1] in INSTANCE_FUNCTIONS:
        return True
    return "objects" in chain[:-1] and chain[-1] in MODEL_GETTERS


def _bound_to_instance(name: str, scope: ast.AST, models: set[str]) -> bool:
    return any(_binds_instance(node, name, models) for node in ast.walk(scope))


def _binds_instance(node: ast.AST, name: str, models: set[str]) -> bool:
    """Whether `node` binds `name` to a model instance, as far as one node can tell."""
    if isinstance(node, ast.Assign):
        return any(_binds(t, name) for t in node.targets) and _returns_instance(node.value)
    if isinstance(node, ast.AnnAssign) and _binds(node.target, name):
        value = node.value
        return _is_model_annotation(node.annotation, models) or (
            value is not None and _returns_instance(value)
        )
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return _binds(node.target, name) and "objects" in attribute_chain(node.iter)
    if isinstance(node, ast.arg) and node.arg == name and node.annotation is not None:
        return _is_model_annotation(node.annotation, models)
    return False


def _binds(target: ast.expr, name: str) -> bool:
    """`name = ...`, or `name, created = X.objects.get_or_create(...)` (the first element)."""
    if isinstance(target, ast.Tuple | ast.List) and target.elts:
        target = target.elts[0]
    return isinstance(target, ast.Name) and target.id == name


def _is_model_annotation(node: ast.expr, models: set[str]) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "Install | None"
        try:
            parsed = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return False
        return _is_model_annotation(parsed, models)
    if isinstance(node, ast.BinOp):  # Install | None
        return _is_model_annotation(node.left, models) or _is_model_annotation(node.right, models)
    if isinstance(node, ast.Subscript):  # Optional[Install]
        return _is_model_annotation(node.slice, models)
    if isinstance(node, ast.Attribute):
        return node.attr in models or attribute_chain(node)[:1] == ["models"]
    return isinstance(node, ast.Name) and node.id in models


def _model_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        # Our own models modules; django.db.models exports Q, F and friends, not models.
        if isinstance(node, ast.ImportFrom) and _is_models_module(node.module or ""):
            names.update(alias.asname or alias.name for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {chain[-1] for chain in map(attribute_chain, node.bases) if chain}
            if "Model" in bases or bases & names:
                names.add(node.name)
    return names


def _is_models_module(dotted: str) -> bool:
    return "models" in dotted.split(".") and not dotted.startswith("django.")
