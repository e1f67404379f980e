"""Cross-check the paper fill model (actors/execution/paper.py) against hftbacktest, and time it.

    .venv/bin/python scripts/bench_paper_hftbacktest.py [--every-s 2] [--cancel-after-s 1.5] [--latency-ms 5]

Runs in the project venv; the hftbacktest half runs in ``.bench-venv`` (scripts/bench/setup_hftbacktest.sh) as a
subprocess of this script (``--hbt DIR``), because hftbacktest is never a dependency of raytrade.

Same input to both: the bundled Binance spot capture (both files) through the project's feed core (FeedPipeline:
REST snapshot, sequenced diffs, trades). hftbacktest gets those events written as its event array, one row per
level: a BookSnapshot -> DEPTH_CLEAR + one DEPTH_SNAPSHOT row per level; a BookDeltas -> one DEPTH row per level
(bids first, then asks, in the venue's order); a Trade -> TRADE with BUY/SELL = the aggressor side. Clock mapping:
``exch_ts = local_ts = ts_recv`` (our model's clock; the venue is modelled as seeing an event when we do), so both
models use one clock. Prices/sizes as floats (hftbacktest's type): exact for these 2-decimal prices / 5-decimal sizes.

Schedule: every ``--every-s`` from the first snapshot + 1 s, a 0.001 BTC GTC bid at the best bid and ask at the best
ask (the book after every event with ts_recv <= t), each canceled ``--cancel-after-s`` later. hftbacktest:
``RiskAdverseQueueModel``, ``PartialFillExchange`` (ours fills partially too), ``ConstantLatency(entry, response)``
(it has no separate cancel latency: cancels use the entry latency, so ours is configured the same).
Fills are compared by (order, exchange time, size, price).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = 100_000  # 0.001 BTC at 8 size decimals
IID = "BTCUSDT.BINANCE"


def _events():
    from actors.feed.pipeline import sequence_records
    from actors.instruments import spec_for
    from actors.messages import Quote
    from actors.replay.captures import read_recordings

    spec = spec_for("binance", "BTCUSDT")
    spot = ROOT / "data" / "sample" / "hftbacktest" / "binance_spot"
    (recording,) = read_recordings(sorted(spot.glob("btcusdt_*.gz")))
    out = [e for _, batch in sequence_records(recording.records(), "binance", [spec]) for e in batch
           if type(e) is not Quote]  # fmt: skip
    return spec, out


def _write_hbt_events(events, path: Path) -> int:
    from actors.messages import BookDeltas, BookReset, BookSnapshot, Trade

    DEPTH, TRADE, CLEAR, SNAP = 1, 2, 3, 4
    EXCH, LOCAL, BUY, SELL = 1 << 31, 1 << 30, 1 << 29, 1 << 28
    rows = []
    for e in events:
        ts, t = e.ts_recv, type(e)
        if t is BookDeltas:
            rows += [(DEPTH | EXCH | LOCAL | BUY, ts, p / 1e8, s / 1e8) for p, s in e.bids]
            rows += [(DEPTH | EXCH | LOCAL | SELL, ts, p / 1e8, s / 1e8) for p, s in e.asks]
        elif t is Trade:
            side = BUY if e.aggressor_side == "buy" else SELL
            rows.append((TRADE | EXCH | LOCAL | side, ts, e.price / 1e8, e.size / 1e8))
        elif t is BookSnapshot:
            rows.append((CLEAR | EXCH | LOCAL, ts, 0.0, 0.0))
            rows += [(SNAP | EXCH | LOCAL | BUY, ts, p / 1e8, s / 1e8) for p, s in e.bids]
            rows += [(SNAP | EXCH | LOCAL | SELL, ts, p / 1e8, s / 1e8) for p, s in e.asks]
        elif t is BookReset:
            rows.append((CLEAR | EXCH | LOCAL, ts, 0.0, 0.0))
    path.write_text("\n".join(f"{a} {b} {c!r} {d!r}" for a, b, c, d in rows))
    return len(rows)


def _schedule(events, every_ns: int, cancel_ns: int):
    """[(t, "submit", oid, side, price) | (t, "cancel", oid)] from our own book, sorted by time."""
    from actors.book.orderbook import OrderBook
    from actors.messages import BookDeltas, BookSnapshot

    first = next(e.ts_recv for e in events if type(e) is BookSnapshot)
    book, actions, oid = OrderBook(IID, 8, 8), [], 0
    t = first + 1_000_000_000
    for i, e in enumerate(events):
        while t < e.ts_recv and i + 1 < len(events):
            bid, ask = book.best_bid_price(), book.best_ask_price()
            for side, price in (("buy", bid), ("sell", ask)):
                oid += 1
                actions += [(t, "submit", oid, side, price), (t + cancel_ns, "cancel", oid)]
            t += every_ns
        if type(e) is BookSnapshot:
            book.on_snapshot(e)
        elif type(e) is BookDeltas:
            book.on_deltas(e)
    return sorted(actions, key=lambda a: (a[0], a[1] == "submit", a[2]))


def _run_ours(spec, events, actions, latency_ms: float):
    from actors.execution import PaperConfig, PaperVenue
    from actors.orders import IntentAction, OrderIntent, Side

    cfg = PaperConfig(entry_latency_ms=latency_ms, response_latency_ms=latency_ms, cancel_latency_ms=latency_ms)
    venue, fills, k = PaperVenue({IID: spec}, cfg), [], 0

    def act(a):
        if a[1] == "submit":
            side = Side.BUY if a[3] == "buy" else Side.SELL
            i = OrderIntent(IntentAction.SUBMIT, "x", str(a[2]), IID, 8, 8, side, size=SIZE, price=a[4])
        else:
            i = OrderIntent(IntentAction.CANCEL, "x", str(a[2]), IID, 8, 8)
        return venue.submit(i, a[0])

    out = []
    start = time.perf_counter()
    for e in events:
        while k < len(actions) and actions[k][0] < e.ts_recv:
            out += act(actions[k])
            k += 1
        out += venue.on_market((e,))
    wall = time.perf_counter() - start
    out += venue.advance(events[-1].ts_recv + 10**10)
    for ev in out:
        if ev.fill is not None:
            fills.append((int(ev.order.client_order_id), ev.fill.ts_event, ev.fill.size, ev.fill.price))
    return sorted(fills), venue.stats(), wall


def _throughput(spec, events, resting: int) -> float:
    """Market events per second through on_market with ``resting`` orders resting far from the touch."""
    from actors.execution import PaperVenue
    from actors.messages import BookSnapshot
    from actors.orders import IntentAction, OrderIntent, Side

    venue = PaperVenue({IID: spec})
    first = next(i for i, e in enumerate(events) if type(e) is BookSnapshot)
    venue.on_market(events[: first + 1])
    now = events[first].ts_recv
    for n in range(resting):
        side = Side.BUY if n % 2 == 0 else Side.SELL
        price = (50_000 + n) * 10**8 if side is Side.BUY else (70_000 + n) * 10**8
        venue.submit(OrderIntent(IntentAction.SUBMIT, "x", f"r{n}", IID, 8, 8, side, size=SIZE, price=price), now)
    rest = events[first + 1 :]
    start = time.perf_counter()
    for e in rest:
        venue.on_market((e,))
    return len(rest) / (time.perf_counter() - start)


# -- the hftbacktest half (runs in .bench-venv) -------------------------------------------------------------------
def _run_hbt(workdir: Path) -> None:
    import numpy as np
    from hftbacktest import GTC, LIMIT, BacktestAsset, HashMapMarketDepthBacktest, event_dtype

    cfg = json.loads((workdir / "config.json").read_text())
    raw = np.loadtxt(workdir / "events.txt", dtype=np.float64, ndmin=2, converters=None)
    data = np.zeros(len(raw), event_dtype)
    data["ev"] = raw[:, 0].astype(np.uint64)
    data["exch_ts"] = data["local_ts"] = np.loadtxt(workdir / "events.txt", dtype=np.int64, usecols=1)
    data["px"], data["qty"] = raw[:, 2], raw[:, 3]
    lat = int(cfg["latency_ms"] * 1_000_000)
    asset = (BacktestAsset().data([data]).linear_asset(1.0).constant_order_latency(lat, lat)
             .risk_adverse_queue_model().partial_fill_exchange().trading_value_fee_model(0.001, 0.001)
             .tick_size(0.01).lot_size(0.00001).last_trades_capacity(0))  # fmt: skip
    hbt = HashMapMarketDepthBacktest([asset])
    actions = [tuple(a) for a in cfg["actions"]]
    polls = [(t, "poll") for t in cfg["polls"]]
    timeline = sorted(actions + polls, key=lambda a: (a[0], a[1] != "poll"))
    hbt.elapse(0)
    seen, fills = {}, []
    start = time.perf_counter()
    for a in timeline:
        if a[0] > hbt.current_timestamp:
            hbt.elapse(a[0] - hbt.current_timestamp)
        if a[1] == "submit":
            submit = hbt.submit_buy_order if a[3] == "buy" else hbt.submit_sell_order
            submit(0, a[2], a[4] / 1e8, SIZE / 1e8, GTC, LIMIT, False)
            seen[a[2]] = SIZE / 1e8
        elif a[1] == "cancel":
            o = hbt.orders(0).get(a[2])
            if o is not None and o.cancellable:
                hbt.cancel(0, a[2], False)
        for oid, leaves in list(seen.items()):
            o = hbt.orders(0).get(oid)
            if o is not None and o.leaves_qty < leaves - 1e-12:
                fills.append((oid, o.exch_timestamp, round((leaves - o.leaves_qty) * 1e8), o.exec_price_tick))
                seen[oid] = o.leaves_qty
    hbt.elapse(10**10)
    (workdir / "hbt.json").write_text(json.dumps({"fills": fills, "wall_s": time.perf_counter() - start}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every-s", type=float, default=2.0)
    ap.add_argument("--cancel-after-s", type=float, default=1.5)
    ap.add_argument("--latency-ms", type=float, default=5.0)
    ap.add_argument("--hbt", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hbt:
        _run_hbt(args.hbt)
        return 0
    sys.path.insert(0, str(ROOT))
    spec, events = _events()
    actions = _schedule(events, int(args.every_s * 1e9), int(args.cancel_after_s * 1e9))
    ours, stats, wall = _run_ours(spec, events, actions, args.latency_ms)
    lat = int(args.latency_ms * 1_000_000)
    result = {"market_events": len(events), "orders": sum(a[1] == "submit" for a in actions),
              "ours": {"fills": len(ours), "filled_size": sum(f[2] for f in ours), "wall_s": round(wall, 3),
                       "events_per_s": round(len(events) / wall)}}  # fmt: skip
    bench_py = ROOT / ".bench-venv" / "bin" / "python"
    if bench_py.exists():
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            rows = _write_hbt_events(events, work / "events.txt")
            polls = sorted({e.ts_recv + lat for e in events} | {e.ts_recv for e in events})
            (work / "config.json").write_text(json.dumps({"latency_ms": args.latency_ms, "actions": actions,
                                                          "polls": polls}))  # fmt: skip
            subprocess.run([str(bench_py), str(Path(__file__).resolve()), "--hbt", str(work)], check=True,
                           cwd=tmp, env={**os.environ, "PYTHONPATH": ""})  # fmt: skip
            hbt = json.loads((work / "hbt.json").read_text())
        theirs = sorted((f[0], f[1], f[2], f[3] * 10**6) for f in hbt["fills"])  # tick 0.01 -> 1e6 units
        only_ours, only_theirs = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
        result["hftbacktest"] = {"rows": rows, "fills": len(theirs), "filled_size": sum(f[2] for f in theirs),
                                 "wall_s": round(hbt["wall_s"], 3)}  # fmt: skip
        result["same_fills"] = ours == theirs
        result["only_ours"], result["only_hftbacktest"] = only_ours[:10], only_theirs[:10]
    else:
        result["hftbacktest"] = "not installed: run scripts/bench/setup_hftbacktest.sh"
    result["throughput_events_per_s"] = {n: round(_throughput(spec, events, n)) for n in (0, 10, 100)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
