#!/usr/bin/env bash
# Install hftbacktest into the benchmark-only virtualenv, for scripts/bench_paper_hftbacktest.py
# (the cross-check of the paper fill model, actors/execution/paper.py, against hftbacktest's exchange
# processors).  hftbacktest is NOT a dependency of raytrade: it lives in .bench-venv beside the book peers
# (scripts/bench/setup_peers.sh) and is never imported by the project.
#
#   BENCH_VENV   venv path (default: <repo>/.bench-venv)
#   PYTHON       interpreter used to create it (default: python3; pin tested on 3.11)
#
# Idempotent: does nothing when the venv already has exactly the pinned version.  Needs only PyPI
# (hftbacktest ships manylinux wheels for CPython 3.11: no compiler needed).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_VENV="${BENCH_VENV:-$REPO/.bench-venv}"
PYTHON="${PYTHON:-python3}"

# Newest release on PyPI when written (a cp311 manylinux_2_28 x86_64 wheel).
PIN="hftbacktest==2.4.4"

have_pin() {
  [ -x "$BENCH_VENV/bin/python" ] || return 1
  "$BENCH_VENV/bin/python" - "$PIN" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
name, want = sys.argv[1].split("==")
try:
    sys.exit(0 if version(name) == want else 1)
except PackageNotFoundError:
    sys.exit(1)
PY
}

if have_pin; then
  echo "bench venv ready: $BENCH_VENV ($PIN)"
  exit 0
fi

start=$(date +%s)
if [ ! -x "$BENCH_VENV/bin/python" ]; then
  echo "creating $BENCH_VENV with $PYTHON"
  "$PYTHON" -m venv "$BENCH_VENV"
fi
"$BENCH_VENV/bin/python" -m pip install --disable-pip-version-check "$PIN"
have_pin || { echo "error: installed hftbacktest differs from $PIN" >&2; exit 1; }
"$BENCH_VENV/bin/python" -m pip freeze --disable-pip-version-check > "$BENCH_VENV/hftbacktest-freeze.txt"
echo "bench venv ready: $BENCH_VENV ($PIN) in $(( $(date +%s) - start ))s; freeze in $BENCH_VENV/hftbacktest-freeze.txt"
