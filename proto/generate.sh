#!/bin/sh
# Regenerate the Python modules of proto/*.proto with the pinned grpcio-tools (run from anywhere).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" -m grpc_tools.protoc -I . --python_out=. --pyi_out=. --grpc_python_out=. \
  proto/postbacks.proto proto/analytics.proto
