"""Hazelnut's custom AST checks: the house rules that ruff has no rule for.

Run `python -m lint.checks [--root DIR] PATH...`; each violation prints as
`path:line: RULE message`, with the path relative to the project root. The rules:

- HZ001 `.delay()`/`.apply_async()`/`.send_task()` in request code outside `transaction.on_commit`
- HZ002 a model instance passed to a task
- HZ003 a log message built with an f-string, %-formatting, `.format()` or concatenation
- HZ004 a Celery queue or Kafka topic named by a string literal instead of `hazelnut.queues.Queue`
- HZ005 inline `# mypy:` configuration
- HZ006 a `# Limit:` mark that runs past one line or says nothing
- HZ007 a module with a `# Limit:` mark that README.md's Limitations section does not name
- HZ008 a literal log message that is not a dotted event key (`attribution.install.attributed`)

Each rule's module says what exactly it looks at and what it cannot see.
"""

from lint.checks.base import Violation
from lint.checks.runner import RULES, check_paths, check_source

__all__ = ["RULES", "Violation", "check_paths", "check_source"]
