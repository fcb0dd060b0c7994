#!/usr/bin/env bash
# Debian packages the test suite drives from outside Python: Chromium for the browser tests.
# Installed only when missing and only as root (CI and the project's machines run as root).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing; install Debian's 'chromium' package for the browser tests" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
