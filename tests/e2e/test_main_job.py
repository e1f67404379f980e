"""The main job end to end: ``raytrade run --speed max`` as a user runs it, with the API queried while it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

from tests.conftest import COINM, ROOT, SPOT, USDM
from tests.e2e.support import free_port, independent_basis, truth, wait_api_up



def test_raytrade_run_matches_verify_trades_records_and_serves_the_api(tmp_path):
    port = free_port()
    # a spread limit no real book meets: the (soft) spread check fires on real data, so its alert rows can be read
    # back from the store; nothing else changes (soft checks never touch the book)
    env = {**os.environ, "RAYTRADE_API_TOKEN": "e2e-secret-token", "RAYTRADE_VALIDATION__MAX_SPREAD_BPS": "0.001"}
    stderr = (tmp_path / "stderr.txt").open("w")
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cluster.cli", "run", "--speed", "max", "--api-port", str(port), "--metrics-port", str(free_port()),
                             "--run-dir", str(run_dir)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_api_up(base, proc, tmp_path / "stderr.txt")
        status = httpx.get(f"{base}/status", timeout=30).json()
        assert set(status["feeds"]) == {"binance-spot", "binance-usdm", "binance-coinm"}
        assert all(f["state"] == "running" and f["circuit"] == "closed" for f in status["feeds"].values())
        assert all(f["validation"]["hard_failures"] == 0 for f in status["feeds"].values()), status["feeds"]
        assert set(status["feeds"]["binance-spot"]["validation"]["instruments"]) == {"BTCUSDT.BINANCE"}
        book = httpx.get(f"{base}/books/BTCUSDT.BINANCE", params={"depth": 5}, timeout=30)
        assert book.status_code == 200 and book.json()["instrument_id"] == "BTCUSDT.BINANCE"
        assert len(book.json()["bids"]) in (0, 5)
        assert httpx.get(f"{base}/trades/BTCUSDT.BINANCE_USDM", params={"limit": 3}, timeout=30).status_code == 200
        bars = httpx.get(f"{base}/bars/BTCUSDT.BINANCE", params={"interval": "1m", "limit": 5}, timeout=30)
        assert bars.status_code == 200 and bars.json()["interval"] == "1m" and len(bars.json()["bars"]) <= 5
        assert httpx.get(f"{base}/bars/BTCUSDT.BINANCE", params={"interval": "2m"}, timeout=30).status_code == 422
        # bad requests get clear errors
        missing = httpx.get(f"{base}/books/ETHUSDT.BINANCE", timeout=30)
        assert missing.status_code == 404 and "ETHUSDT.BINANCE" in missing.json()["detail"]
        assert httpx.get(f"{base}/books/BTCUSDT.BINANCE", params={"depth": "abc"}, timeout=30).status_code == 422
        assert httpx.get(f"{base}/books/BTCUSDT.BINANCE", params={"depth": 0}, timeout=30).status_code == 422
        assert httpx.post(f"{base}/feeds/binance-spot/restart", timeout=30).status_code == 401
        leaks = _processes_with_secret(b"e2e-secret-token", exclude=proc.pid)
        assert not leaks, f"the API token is in the environment of {leaks}"
        wrong = httpx.post(f"{base}/feeds/binance-spot/restart", headers={"Authorization": "Bearer nope"}, timeout=30)
        assert wrong.status_code == 401
        out, _ = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            proc.kill()
        stderr.close()
    assert proc.returncode == 0, (tmp_path / "stderr.txt").read_text()[-3000:]
    assert "e2e-secret-token" not in (tmp_path / "stderr.txt").read_text() + out
    (line,) = out.strip().splitlines()  # stdout is the summary only (Ray's raylet warnings go to stderr)
    summary = json.loads(line)
    assert summary["ok"] and summary["frames"] == 99_573 + 93_953 + 98_385
    for iid, t in truth().items():
        s = summary["instruments"][iid]
        assert s["ready"] and s["gaps"] == 0 and s["crossed"] == 0 and s["ticker_mismatches"] == 0, (iid, s)
        assert (s["best_bid"], s["best_ask"]) == (t["row"]["best_bid"], t["row"]["best_ask"]), iid
        assert s["sequence"] == t["sequence"], iid
        assert s["trades"] == t["row"]["trades"], iid
    assert summary["instruments"]["BTCUSDT.BINANCE_USDM"]["ticker_checks"] > 0
    # the USD-M recording ends 5 minutes before the others: its venue says so, the feed stops instead of calling
    # the stream stale and reconnecting
    assert summary["feeds"]["binance-usdm"]["state"] == "ended", summary["feeds"]["binance-usdm"]
    assert all(f["reconnects"] == 0 for f in summary["feeds"].values()), summary["feeds"]
    reference = independent_basis()
    for pair, stats in summary["basis"].items():
        perp = pair.split(" - ")[1]
        assert stats["samples"] >= 10, pair  # views are conflated at speed max: the count varies
        assert abs(float(stats["mean"]) - reference[perp]) < 5.0, (pair, stats["mean"], reference[perp])
    assert summary["latency_ms"]["frame_to_book"]["count"] > 0
    validation = summary["validation"]
    assert validation["enabled"] and validation["hard_failures"] == 0, validation
    assert validation["by_check"]["crossed"] == 0
    assert all(validation["instruments"][iid]["spread"] >= 1 for iid in truth()), validation  # the tiny limit
    assert validation["divergence"]["groups"]["BTC/USD perpetual"]["failures"] == 0, validation["divergence"]
    assert validation["divergence"]["checks"] > 0  # USD-M and COIN-M mids were compared on venue time
    # trading in paper mode: the market maker quotes and gets filled; the basis arbitrage never trades the normal
    # premium; the portfolio crossed 00:00 UTC inside the run (a new daily-loss baseline)
    mm, arb = summary["strategies"]["mm-1"], summary["strategies"]["basis-arb-1"]
    assert mm["kind"] == "market_making" and mm["mode"] == "paper" and mm["orders"] > 0 and mm["fills"] > 0, mm
    assert Decimal(mm["volume"]) > 0 and Decimal(mm["fees"]) > 0, mm
    assert arb["fills"] == 0 and arb["orders"] == 0, arb
    assert summary["risk"]["state"] == "active"
    days = [e for e in summary["risk"]["events"] if e["reason"] == "start_of_day"]
    assert [d["detail"][-10:] for d in days] == ["2024-08-08", "2024-08-09"], days
    assert summary["latency_ms"]["tick_to_order"]["count"] > 0
    _assert_store_matches(summary, run_dir)


def _processes_with_secret(secret: bytes, exclude: int) -> list[str]:
    """Every process (Ray's actors, raylet, GCS, ...) other than the driver whose environment holds ``secret``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (exclude, os.getpid()):
            continue
        try:
            if secret in (entry / "environ").read_bytes():
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:80])
        except OSError:
            continue
    return found


def _assert_store_matches(summary: dict, run_dir) -> None:
    """The embedded store holds what the summary counted; Parquet loads with pandas and DuckDB; report reads it."""
    import duckdb
    import pandas as pd

    store = summary["store"]
    assert store["kind"] == "embedded" and store["run_dir"] == str(run_dir.resolve())
    rows = store["rows"]
    assert rows["trades"] == sum(i["trades"] for i in summary["instruments"].values())
    import sqlite3

    with sqlite3.connect(run_dir / "raytrade.sqlite") as db:
        alerts = db.execute("SELECT severity, source, message FROM system_alerts WHERE source LIKE 'validation:%'"
                            ).fetchall()  # fmt: skip
    spread = sorted(src for sev, src, _ in alerts if src.startswith("validation:spread:"))
    assert {s.rsplit(":", 1)[1] for s in spread} == set(summary["instruments"]), alerts
    assert all(sev == "warning" and "bps >" in msg for sev, src, msg in alerts if src in spread)
    assert len(spread) <= summary["validation"]["alerts"]  # rate-limited: at most one a minute per book and check
    assert rows["quotes"] == 28_040 + 45_134 + 66_089 + 19_136 + 29_219  # every bookTicker of the capture
    assert rows["fills"] == sum(s["fills"] for s in summary["strategies"].values())
    assert rows["signals"] == sum(s["signals"] for s in summary["strategies"].values())
    assert rows["orders"] >= rows["fills"] and rows["risk_events"] >= sum(summary["risk"]["decisions"].values())
    assert rows["trading_sessions"] == 2 and rows["book_snapshots"] > 0
    # bars: every 1m bar the books closed, exactly the bars `raytrade bars` builds from the same captures
    from actors.bars.captures import bars_from_captures

    stored = pd.read_parquet(run_dir / "parquet" / "bars")
    assert rows["bars"] == len(stored) > 0
    expected, _ = bars_from_captures(SPOT + USDM + COINM, "1m")
    got = {(r.instrument_id, int(r.ts_open)): (str(r.open), str(r.close), str(r.volume), str(r.vwap), int(r.trades))
           for r in stored.itertuples()}  # fmt: skip
    for bar in expected:
        d = bar.to_dict()
        stored_bar = got.pop((bar.instrument_id, bar.start), None)
        if bar.closed or stored_bar is not None:  # a capture's last bar is stored when venue time closed it
            assert stored_bar == (d["open"], d["close"], d["volume"], d["vwap"], d["trades"]), d
    assert not got, got  # and nothing else
    trades = pd.read_parquet(run_dir / "parquet" / "trades")
    assert len(trades) == rows["trades"] and set(trades["venue"].astype(str)) == {"binance", "binance_usdm",
                                                                                   "binance_coinm"}  # fmt: skip
    counted = duckdb.sql(f"SELECT count(*) FROM read_parquet('{run_dir}/parquet/quotes/**/*.parquet')").fetchall()[0][0]
    assert counted == rows["quotes"]
    report = subprocess.run([sys.executable, "-m", "cluster.cli", "report", str(run_dir), "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr
    result = json.loads(report.stdout.strip().splitlines()[-1])
    assert result["strategies"]["mm-1"]["fills"] == summary["strategies"]["mm-1"]["fills"]
    assert all(Path(p).is_file() for p in result["plots"].values()) and len(result["plots"]) == 4
