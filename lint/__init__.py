"""Hazelnut's executable conventions: the custom AST checks and the typing ratchet.

`python -m lint.checks` runs the house rules that ruff cannot express (tasks after commit, ids
not model instances, event-key log messages, queues through the registry); `python -m
lint.typecheck` runs mypy against the shrink-only exemption ledger. scripts/lint.sh runs both,
after ruff and before import-linter.
"""
