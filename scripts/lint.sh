#!/usr/bin/env bash
# Every convention check the project enforces; `make lint` and `make test` run this.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

$bin/ruff format --check .
$bin/ruff check .
