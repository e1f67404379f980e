"""Single-core book throughput: raw frame bytes -> parse -> sequence -> apply -> best bid/ask after every diff.

Usage::

    .venv/bin/python scripts/bench_book.py [--runs 5] [--capture spot|usdm|coinm ...] [--peers]

For each bundled capture (Binance spot, USD-M, COIN-M BTC, 2024-08-08/09) all frames are loaded into memory
first (bytes, as a websocket delivers them), then one warm-up and ``--runs`` timed passes run the whole pipeline
of :class:`actors.replay.rebuild`'s building blocks: ``BinanceParser.parse_frame`` for every frame (depth, trade,
bookTicker), ``BookSync`` sequencing for every diff, the REST snapshot where it was recorded, and a read of best
bid and best ask after each applied diff. Reports the median, in frames/s (all frames), depth frames/s and level
updates/s. With ``--peers`` it also runs ``scripts/bench/peers.py`` (cryptofeed, nautilus_trader, orjson
parse-only) in the benchmark's own virtualenv (``scripts/bench/setup_peers.sh``) on the same frames, in the same
run, and prints one table.

Stream-snapshot venues (``--capture bybit|bybit_linear|okx|kraken|coinbase``, run by default when
``../shared/data`` is there): every websocket frame of the recorded cryptofeed capture through the venue adapter's
parser, snapshots and diffs through one ``BookSync`` per instrument with the venue's policy (OKX, Kraken: the CRC32
checksum of every update that carries one), best bid/ask after each applied diff. With ``--peers`` their peer row is
cryptofeed's own handler of the venue driven offline on the same capture (``scripts/bench/cryptofeed_venues.py``:
book and trade frames, the symbol table from the capture's recorded instrument answers; OKX and Kraken with
checksum validation on), in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actors.book.orderbook import OrderBook  # noqa: E402
from actors.book.sync import BookSync, DiffOutcome  # noqa: E402
from actors.feed.venues import adapter_for, parser_for, policy_for  # noqa: E402
from actors.messages import BookDeltas, BookSnapshot  # noqa: E402
from actors.replay.captures import read_recordings  # noqa: E402

SAMPLE = ROOT / "data" / "sample" / "hftbacktest"
CAPTURES = {
    "spot": ("binance", ["binance_spot/btcusdt_20240808.gz", "binance_spot/btcusdt_20240809.gz"]),
    "usdm": ("binance_usdm", ["binance_usdm/btcusdt_20240808.gz"]),
    "coinm": ("binance_coinm", ["binance_coinm/btcusd_perp_20240808.gz", "binance_coinm/btcusd_perp_20240809.gz"]),
}
SHARED_V3 = ROOT.parent / "shared" / "data" / "cryptofeed" / "v3"
# Stream-snapshot venues (recorded cryptofeed captures in ../shared/data; skipped when absent): venue -> file.
STREAM_CAPTURES = {"bybit": ("bybit", "BYBIT.jsonl"), "bybit_linear": ("bybit_linear", "BYBIT.jsonl"),
                   "okx": ("okx", "OKX.jsonl"), "kraken": ("kraken", "KRAKEN.jsonl"),
                   "coinbase": ("coinbase", "COINBASE.jsonl")}  # fmt: skip


def load(capture: str) -> tuple[str, list[tuple[str, bytes, int]]]:
    venue, files = CAPTURES[capture]
    (recording,) = read_recordings([SAMPLE / f for f in files])
    return venue, [(r.kind, r.data, r.ts_recv) for r in recording.records() if r.kind in ("ws", "rest")]


def run_once(venue: str, frames: list[tuple[str, bytes, int]]) -> tuple[float, dict]:
    parser, rules = parser_for(venue), policy_for(venue)
    sync: BookSync | None = None
    symbol = ""
    pending = []
    applied_outcome = DiffOutcome.APPLIED
    depth_frames = levels = 0
    touch = None
    t0 = time.perf_counter()
    for kind, data, ts in frames:
        if kind == "rest":
            if sync is None:
                pending.append((data, ts))
            else:
                sync.on_snapshot(parser.parse_snapshot(data, symbol, ts))
            continue
        for event in parser.parse_frame(data, ts):
            if type(event) is not BookDeltas:
                continue
            if sync is None:
                symbol = event.instrument_id.split(".")[0]
                sync = BookSync(OrderBook(event.instrument_id, event.price_decimals, event.size_decimals), rules)
                for body, t in pending:
                    sync.on_snapshot(parser.parse_snapshot(body, symbol, t))
            depth_frames += 1
            levels += len(event.bids) + len(event.asks)
            if sync.on_diff(event) is applied_outcome:
                book = sync.book
                touch = (book.best_bid(), book.best_ask())
    elapsed = time.perf_counter() - t0
    book = sync.book
    return elapsed, {
        "frames": len(frames), "depth_frames": depth_frames, "level_updates": levels,
        "diffs_applied": sync.diffs_applied, "diffs_dropped": sync.diffs_dropped_stale, "gaps": sync.gaps,
        "bid_levels": book.bid_levels, "ask_levels": book.ask_levels, "last_touch": repr(touch),
    }  # fmt: skip


def load_stream(capture: str) -> tuple[str, list[tuple[str, bytes, int]]]:
    venue, name = STREAM_CAPTURES[capture]
    recordings = [r for r in read_recordings([SHARED_V3 / name]) if r.venue.value == venue]
    return venue, [("ws", r.data, r.ts_recv) for r in recordings[0].records() if r.kind == "ws"]


def run_once_stream(venue: str, frames: list[tuple[str, bytes, int]]) -> tuple[float, dict]:
    """Every frame through the venue's parser; book snapshots and diffs through one ``BookSync`` per instrument
    (the venue's policy: continuity, resets, the checksum where the venue sends one), best bid/ask after each
    applied diff. Frames the parser rejects (kline, liquidations) are counted, as a feed counts them."""
    from actors.errors import FeedError

    adapter = adapter_for(venue)
    parser = adapter.parser()
    syncs: dict[str, BookSync] = {}
    depth_frames = levels = rejected = 0
    touch = None
    applied_outcome = DiffOutcome.APPLIED
    t0 = time.perf_counter()
    for _, data, ts in frames:
        try:
            events = parser.parse_frame(data, ts)
        except FeedError:
            rejected += 1
            continue
        for event in events:
            kind = type(event)
            if kind is not BookDeltas and kind is not BookSnapshot:
                continue
            sync = syncs.get(event.instrument_id)
            if sync is None:
                book = OrderBook(event.instrument_id, event.price_decimals, event.size_decimals)
                sync = syncs[event.instrument_id] = BookSync(book, adapter.policy())
            depth_frames += 1
            levels += len(event.bids) + len(event.asks)
            if kind is BookSnapshot:
                sync.on_snapshot(event)
            elif sync.on_diff(event) is applied_outcome:
                book = sync.book
                touch = (book.best_bid(), book.best_ask())
    elapsed = time.perf_counter() - t0
    return elapsed, {
        "frames": len(frames), "depth_frames": depth_frames, "level_updates": levels, "rejected": rejected,
        "books": len(syncs), "diffs_applied": sum(s.diffs_applied for s in syncs.values()),
        "gaps": sum(s.gaps for s in syncs.values()), "checksum_checks": sum(s.checksum_checks for s in syncs.values()),
        "checksum_mismatches": sum(s.checksum_mismatches for s in syncs.values()), "last_touch": repr(touch),
    }  # fmt: skip


def bench_raytrade(capture: str, runs: int) -> dict:
    stream = capture in STREAM_CAPTURES
    venue, frames = load_stream(capture) if stream else load(capture)
    run = run_once_stream if stream else run_once
    run(venue, frames)  # warm-up
    times, info = [], {}
    for _ in range(runs):
        elapsed, info = run(venue, frames)
        times.append(elapsed)
    median = statistics.median(times)
    return {
        "peer": "raytrade", "capture": capture, **info, "median_s": round(median, 4),
        "frames_per_s": round(info["frames"] / median), "depth_frames_per_s": round(info["depth_frames"] / median),
        "level_updates_per_s": round(info["level_updates"] / median),
    }  # fmt: skip


def bench_peer(peer: str, capture: str, runs: int) -> dict | None:
    venv = Path(os.environ.get("BENCH_VENV", ROOT / ".bench-venv"))
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"({peer}: {python} missing: run scripts/bench/setup_peers.sh)", file=sys.stderr)
        return None
    if capture in STREAM_CAPTURES:  # cryptofeed's own handler of the venue on the recorded v3 capture
        cmd = [str(python), str(ROOT / "scripts" / "bench" / "cryptofeed_venues.py"), "--capture", capture,
               "--runs", str(runs), "--data-dir", str(SHARED_V3)]  # fmt: skip
    else:
        cmd = [str(python), str(ROOT / "scripts" / "bench" / "peers.py"), "--peer", peer, "--capture", capture,
               "--runs", str(runs), "--data-dir", str(SAMPLE)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        print(f"({peer} {capture} failed: {out.stderr.strip()[-500:]})", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--capture", action="append", choices=sorted(CAPTURES) + sorted(STREAM_CAPTURES))
    ap.add_argument("--peers", action="store_true", help="also run cryptofeed, nautilus_trader and orjson")
    args = ap.parse_args()
    rows = []
    default = list(CAPTURES) + (list(STREAM_CAPTURES) if SHARED_V3.is_dir() else [])
    for capture in args.capture or default:
        rows.append(bench_raytrade(capture, args.runs))
        print(json.dumps(rows[-1]), flush=True)
        if args.peers:
            for peer in ("nautilus", "cryptofeed", "orjson") if capture in CAPTURES else ("cryptofeed",):
                row = bench_peer(peer, capture, args.runs)
                if row:
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print()
    print(f"{'capture':12} {'peer':11} {'frames/s':>10} {'depth/s':>10} {'levels/s':>11} {'median s':>9}")
    for r in rows:
        print(f"{r['capture']:12} {r['peer']:11} {r['frames_per_s']:>10,} {r['depth_frames_per_s']:>10,} "
              f"{(r.get('level_updates_per_s') or 0):>11,} {r['median_s']:>9}")


if __name__ == "__main__":
    main()
