#!/usr/bin/env bash
# Every convention check the project enforces; `make lint` and `make test` run this.
# Each step runs even when an earlier one fails, so one pass shows everything to fix.
# What each step enforces, and how to run one alone: CONTRIBUTING.md.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
failed=()

step() {
    local name=$1
    shift
    echo "== $name"
    "$@" || failed+=("$name")
}

quiet_unless_failing() {
    local output
    output=$("$@" 2>&1) || { echo "$output"; return 1; }
}

# The custom checks look at shipped code; tests may name queues and build messages freely.
sources=()
for path in hazelnut ingest attribution postbacks analytics proto bench lint manage.py; do
    [[ -e $path ]] && sources+=("$path")
done

step "ruff format" $bin/ruff format --check --quiet .
step "ruff check" $bin/ruff check --quiet --output-format concise .
step "house rules (lint.checks)" $bin/python -m lint.checks "${sources[@]}"
step "layering (import-linter)" quiet_unless_failing $bin/lint-imports --no-cache --no-logo
# CI can hold the ledger to the target branch: LINT_LEDGER_BASE=origin/main make lint
step "types (mypy + exemption ledger)" \
    $bin/python -m lint.typecheck --against "${LINT_LEDGER_BASE:-HEAD}"

if ((${#failed[@]})); then
    joined=$(printf '%s, ' "${failed[@]}")
    echo "lint failed: ${joined%, }" >&2
    exit 1
fi
echo "lint: all checks passed"
