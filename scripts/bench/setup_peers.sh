#!/usr/bin/env bash
# Create the benchmark-only virtualenv holding the peer libraries that
# scripts/bench/peers.py compares against.  These are NOT dependencies of
# raytrade: they live in their own venv and are never imported by the project.
#
#   BENCH_VENV   venv path (default: <repo>/.bench-venv)
#   PYTHON       interpreter used to create it (default: python3; pins tested on 3.11)
#
# Idempotent: does nothing when the venv already has exactly the pinned versions.
# Needs only PyPI.  cryptofeed ships an sdist only (Cython extension), so the
# first install compiles it: a C compiler and the Python headers must be present
# (Debian: apt-get install build-essential python3-dev python3-venv).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_VENV="${BENCH_VENV:-$REPO/.bench-venv}"
PYTHON="${PYTHON:-python3}"

# Newest releases that installed on CPython 3.11 (checked against PyPI).
PINS=(
  "cryptofeed==2.4.1"
  "nautilus_trader==1.221.0"
  "orjson==3.13.0"
)

have_pins() {
  [ -x "$BENCH_VENV/bin/python" ] || return 1
  "$BENCH_VENV/bin/python" - "${PINS[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}

if have_pins; then
  echo "bench venv ready: $BENCH_VENV (${PINS[*]})"
  exit 0
fi

pyver="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$pyver" != "3.11" ]; then
  echo "warning: pins were tested on Python 3.11, $PYTHON is $pyver" >&2
fi
if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  echo "error: no C compiler found; cryptofeed (sdist only) must be built" >&2
  exit 1
fi

start=$(date +%s)
if [ ! -x "$BENCH_VENV/bin/python" ]; then
  echo "creating $BENCH_VENV with $PYTHON ($pyver)"
  "$PYTHON" -m venv "$BENCH_VENV"
fi
"$BENCH_VENV/bin/python" -m pip install --disable-pip-version-check "${PINS[@]}"

have_pins || { echo "error: installed versions differ from the pins" >&2; exit 1; }
"$BENCH_VENV/bin/python" -m pip freeze --disable-pip-version-check > "$BENCH_VENV/peers-freeze.txt"
echo "bench venv ready: $BENCH_VENV (${PINS[*]}) in $(( $(date +%s) - start ))s;" \
     "full freeze in $BENCH_VENV/peers-freeze.txt"
