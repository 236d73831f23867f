#!/usr/bin/env bash
# Build, check and install by name what anemo publishes (tools/release.py says how):
#   bash tools/release.sh                        every package under packages/, into dist/
#   bash tools/release.sh --tag anemo-NAME-vX.Y.Z  only that package (the release workflow)
# Needs a Python with packaging, uv and twine on PATH (`bash tools/test.sh -s release` provides
# them), and redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${RELEASE_PYTHON:-python3}" tools/release.py "$@"
