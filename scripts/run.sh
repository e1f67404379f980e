#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job on the bundled recording. Extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
S=data/sample/hftbacktest
exec .venv/bin/raytrade verify "$@" $S/binance_spot/btcusdt_20240808.gz $S/binance_spot/btcusdt_20240809.gz \
  $S/binance_usdm/btcusdt_20240808.gz $S/binance_coinm/btcusd_perp_20240808.gz $S/binance_coinm/btcusd_perp_20240809.gz
