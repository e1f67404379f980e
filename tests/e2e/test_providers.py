"""`raytrade run` with a `[[providers]]` Polygon feed against its loopback fake (real Ray, real sockets, the API):
the provider's trades reach its book, the API and the store; bars are built from them."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pandas as pd

from tests.conftest import ROOT
from tests.e2e.support import free_port

CONFIG = """
feeds = []
strategies = []

[[providers]]
provider_id = "polygon-crypto"
symbols = ["BTC/USDT"]
channels = ["trades", "quotes", "bars_1s", "bars_1m"]
"""
IID = "X:BTCUSD.POLYGON"


def test_polygon_provider_feed_runs_against_its_fake_and_reaches_books_api_and_store(tmp_path):
    config = tmp_path / "polygon.toml"
    config.write_text(CONFIG)
    port, run_dir = free_port(), tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cluster.cli", "run", "--config", str(config), "--duration", "30",
                             "--api-port", str(port), "--run-dir", str(run_dir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    base, trades = f"http://127.0.0.1:{port}", []
    try:
        deadline = time.monotonic() + 240
        while not trades and time.monotonic() < deadline and proc.poll() is None:
            try:
                reply = httpx.get(f"{base}/trades/{IID}", params={"limit": 5}, timeout=5)
                trades = reply.json()["trades"] if reply.status_code == 200 else []
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        bars = httpx.get(f"{base}/bars/{IID}", params={"interval": "1m"}, timeout=10) if trades else None
        out, err = proc.communicate(timeout=240)
        assert trades, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert trades and trades[0]["price"] in ("33021.90000000", "33022.10000000"), trades
    assert bars.status_code == 200 and bars.json()["bars"], bars.text
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    feed = summary["feeds"]["polygon-crypto"]
    assert summary["ok"] and feed["state"] == "running" and feed["connects"] == 1 and feed["frames"] > 0, feed
    assert summary["instruments"][IID]["trades"] > 0 and not summary["instruments"][IID]["ready"]  # no depth
    rows = summary["store"]["rows"]
    assert rows["trades"] == 2 and rows["quotes"] > 0 and rows["bars"] > 0  # the fake repeats 2 trade ids
    stored = pd.read_parquet(run_dir / "parquet" / "bars")
    assert set(stored["instrument_id"].astype(str)) == {IID} and set(stored["venue"].astype(str)) == {"polygon"}
