#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job on the bundled recording. Extra arguments go to `raytrade run`
# (e.g. --speed max, --speed 1, --config FILE, --keep-serving).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/raytrade run "$@"
