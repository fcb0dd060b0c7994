"""HZ006 and HZ007: a known shortcoming is one `# Limit: ...` line, and the README lists it.

A mark says in one line what is missing and when the mark can go (HZ006 reports a mark that
carries on into a second comment line, or says nothing). The README's "Limitations" section is
the one place a reader learns them all, so every module carrying a mark must be named there, by
its path (HZ007). The second check needs the whole tree and the README, so the runner does it
after the per-module rules, and only when the README has a "## Limitations" heading.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator, Mapping

from lint.checks.base import Module, Violation

RULE_ONE_LINE = "HZ006"
RULE_LISTED = "HZ007"
MARK = re.compile(r"#\s*Limit:(.*)")
SECTION = re.compile(r"^## Limitations\s*$(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def marks(source: str) -> list[int]:
    """The line numbers of the `# Limit:` marks in `source`."""
    return [line for line, text in _comments(source).items() if MARK.match(text)]


def check(module: Module) -> Iterator[Violation]:
    comments = _comments(module.source)
    lines = module.source.splitlines()
    for line, text in comments.items():
        mark = MARK.match(text)
        if mark is None:
            continue
        if not mark.group(1).strip():
            yield Violation(module.path, line, RULE_ONE_LINE, "`# Limit:` mark says nothing")
        elif _continues(line, comments, lines):
            yield Violation(module.path, line, RULE_ONE_LINE, "`# Limit:` mark runs past one line")


def _continues(line: int, comments: Mapping[int, str], lines: list[str]) -> bool:
    """Whether the next line is a comment on its own that is not a mark of its own."""
    after = comments.get(line + 1)
    return after is not None and lines[line].lstrip().startswith("#") and not MARK.match(after)


def unlisted(marked: Mapping[str, int], readme: str) -> list[Violation]:
    """Marked modules (path -> first mark line) that README.md's Limitations section omits."""
    section = SECTION.search(readme)
    if section is None:
        return []
    return [
        Violation(path, line, RULE_LISTED, "`# Limit:` mark not listed in README.md Limitations")
        for path, line in sorted(marked.items())
        if path not in section.group(1)
    ]


def _comments(source: str) -> dict[int, str]:
    """Line -> the comment on it."""
    found: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return found
