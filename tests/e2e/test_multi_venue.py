"""``raytrade run --config examples/multi_venue.toml``: Binance, Coinbase, Bybit (spot + linear) and OKX in one run, each
over its own replay protocol, ends ``ok`` with every book ready and equal (best bid/ask, levels) to what
``raytrade verify`` rebuilds from the same captures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cluster.verify import verify_paths
from tests.conftest import ROOT, SPOT
from tests.e2e.support import free_port


def test_multi_venue_config_finishes_ok_with_every_book_ready_and_equal_to_verify(tmp_path, shared_data):
    v3 = shared_data / "cryptofeed" / "v3"
    truth = {r["instrument_id"]: r for r in verify_paths([*SPOT, v3 / "BYBIT.jsonl", v3 / "OKX.jsonl", v3 / "COINBASE.jsonl"])[0]}
    out = subprocess.run(
        [sys.executable, "-m", "cluster.cli", "run", "--config", "examples/multi_venue.toml", "--duration", "420",
         "--api-port", str(free_port()), "--run-dir", str(tmp_path / "run")],
        cwd=ROOT, env={**os.environ, "RAY_ADDRESS": "local"}, capture_output=True, text=True, timeout=700,
    )  # fmt: skip
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["ok"], out.stderr[-3000:]
    # compared with the captures' final books, so the run must have ended because every replay finished, not by
    # --duration (suspected cause of a CI failure with a 120 s cap: Coinbase ended one bid level off verify)
    assert all(r["finished"] for r in summary["replay"].values()), summary["replay"]
    books = summary["instruments"]
    assert len(books) == 12 and all(b["ready"] and b["gaps"] == 0 for b in books.values())
    # market-data validation on four venues: no hard failure; BTC spot is one divergence group across USD/USDT
    # quotes, and recordings of different years are never paired (their venue times are years apart)
    validation = summary["validation"]
    assert validation["enabled"] and validation["hard_failures"] == 0, validation
    btc = validation["divergence"]["groups"]["BTC/USD spot"]
    assert {"BTCUSDT.BINANCE", "BTC-USD.COINBASE", "BTC-USDT.OKX"} <= set(btc["instruments"]), btc
    assert validation["divergence"]["failures"] == 0, validation["divergence"]
    for iid, book in books.items():
        row = truth[iid]
        assert (book["best_bid"], book["best_ask"]) == (row["best_bid"], row["best_ask"]), iid
        if not iid.endswith(".BINANCE"):  # Binance's final REST snapshot holds 1000 levels per side, not all
            assert (book["bid_levels"], book["ask_levels"]) == (row["bid_levels"], row["ask_levels"]), iid
