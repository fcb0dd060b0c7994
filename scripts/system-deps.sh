#!/usr/bin/env bash
# Debian packages that `make test` and `make bench` drive from outside Python: Chromium for the
# browser tests, ApacheBench for the ingest benchmark (S1). Installed only when missing and only
# as root (CI and the project's machines run as root).
#
# Usage: scripts/system-deps.sh test|bench
set -euo pipefail

case "${1:-test}" in
  test) command=chromium package=chromium ;;
  bench) command=ab package=apache2-utils ;;
  *) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

if command -v "$command" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$command is missing; install Debian's '$package' package" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
