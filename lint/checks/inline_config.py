"""HZ005: no inline mypy configuration; typing exemptions live in one shrink-only ledger.

A `# mypy: ignore-errors` (or any other `# mypy:` switch) at the top of a file turns checking
down where nobody looks. The only way to exempt a module is an entry in lint/mypy-exemptions.txt,
which may only shrink (see lint.typecheck).
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterator

from lint.checks.base import Module, Violation

RULE = "HZ005"


def check(module: Module) -> Iterator[Violation]:
    tokens = tokenize.generate_tokens(io.StringIO(module.source).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT and token.string[1:].strip().startswith("mypy:"):
            yield Violation(
                module.path,
                token.start[0],
                RULE,
                "inline mypy configuration; exempt a module in lint/mypy-exemptions.txt",
            )
