"""User-data benchmarks (BENCHMARKS.md "User-data streams"): parse throughput of Binance user-data frames, the
tracker applying them to the order state machine, and one reconciliation of many orders, all pure (no I/O).

    .venv/bin/python scripts/bench_userdata.py [--frames 50000] [--orders 2000] [--runs 5]

Frames are the docs' example payloads (tests/data/userdata) with a trade filled in; each run parses every frame
from bytes (``UserDataParser.parse``), then applies the spot updates to fresh ``OrderTracker`` orders; the
reconciliation compares ``--orders`` local orders (half of their fills lost) with a REST view of all of them.
Median of ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from decimal import Decimal
from pathlib import Path

from actors.execution.userdata import (
    OrderTracker,
    UserDataParser,
    VenueFill,
    VenueOrder,
    VenueTrade,
    VenueView,
    reconcile,
    venue_fill_id,
)
from actors.orders import IntentAction, Liquidity, OrderIntent, OrderState, OrderStatus, OrderType, Side, TimeInForce

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "userdata"


def spot_frames(n: int) -> list[bytes]:
    base = json.loads((DATA / "spot_execution_report.json").read_bytes())
    base.update(s="BTCUSDT", p="61837.63000000", q="0.00200000")
    out = []
    for i in range(n):
        out.append(json.dumps({**base, "c": f"o{i // 2}", "i": i // 2, "x": "TRADE",
                               "X": "PARTIALLY_FILLED" if i % 2 == 0 else "FILLED", "l": "0.00100000",
                               "z": "0.00100000" if i % 2 == 0 else "0.00200000", "L": "61837.63000000",
                               "n": "0.06183763", "N": "USDT", "t": 10 + i, "Z": "61.83763000"}).encode())  # fmt: skip
    return out


def usdm_frames(n: int) -> list[bytes]:
    base = json.loads((DATA / "usdm_order_trade_update.json").read_bytes())
    out = []
    for i in range(n):
        o = {**base["o"], "c": f"o{i}", "i": i, "o": "LIMIT", "ot": "LIMIT", "p": "61837.60", "x": "TRADE",
             "X": "FILLED", "l": "0.001", "z": "0.001", "L": "61837.60", "ap": "61837.6", "t": 10 + i}  # fmt: skip
        out.append(json.dumps({**base, "o": o}).encode())
    return out


def intent(coid: str) -> OrderIntent:
    return OrderIntent(IntentAction.SUBMIT, "s", coid, "BTCUSDT.BINANCE", 8, 8, Side.BUY, OrderType.LIMIT, 200_000,
                       6_183_763_000_000)  # fmt: skip


def timed(fn, runs: int) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=50_000)
    ap.add_argument("--orders", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    spot, usdm = UserDataParser("binance"), UserDataParser("binance_usdm")
    sf, uf = spot_frames(a.frames), usdm_frames(a.frames)
    updates = [spot.parse(f, 0) for f in sf]

    def apply() -> None:
        tracker = OrderTracker()
        for i in range(a.frames // 2):
            tracker.track(OrderState(intent(f"o{i}"), "USDT", "", 0))
        for u in updates:
            tracker.apply(u)

    t_spot = timed(lambda: [spot.parse(f, 0) for f in sf], a.runs)
    t_usdm = timed(lambda: [usdm.parse(f, 0) for f in uf], a.runs)
    t_apply = timed(apply, a.runs)

    local = OrderTracker()
    trades, open_orders = [], []
    for i in range(a.orders):
        coid = f"o{i}"
        local.track(OrderState(intent(coid), "USDT", str(i), 0))
        for k in range(2):
            tid = 2 * i + k
            fill = VenueFill(venue_fill_id("BTCUSDT", tid), tid, 6_183_763_000_000, 100_000, Decimal("0.06183763"),
                             "USDT", Liquidity.MAKER, tid)  # fmt: skip
            trades.append(VenueTrade("binance", "BTCUSDT", "BTCUSDT.BINANCE", str(i), Side.BUY, fill, 8, 8))
        open_orders.append(VenueOrder("binance", "BTCUSDT", "BTCUSDT.BINANCE", coid, str(i), Side.BUY, OrderType.LIMIT,
                                      "LIMIT", TimeInForce.GTC, 200_000, 6_183_763_000_000, None, 8, 8,
                                      OrderStatus.PARTIALLY_FILLED, 100_000, None, 0))  # fmt: skip
    for t in trades[::2]:  # half of the fills reached the tracker
        local.orders[f"o{t.venue_order_id}"].accept(0)
        local.orders[f"o{t.venue_order_id}"].fill(t.fill.price, t.fill.size, t.fill.liquidity, t.fill.fee, 0)
        local.fill_ids.add(t.fill.fill_id)
    view = VenueView(tuple(open_orders), tuple(trades))
    report = reconcile(local.view(), view)
    t_rec = timed(lambda: reconcile(local.view(), view), a.runs)

    print(f"load average {os.getloadavg()}")
    print(f"spot executionReport parse: {a.frames / t_spot:,.0f} frames/s ({t_spot / a.frames * 1e6:.2f} us/frame)")
    print(f"USD-M ORDER_TRADE_UPDATE parse: {a.frames / t_usdm:,.0f} frames/s ({t_usdm / a.frames * 1e6:.2f} us/frame)")
    print(f"tracker apply (spot fills): {a.frames / t_apply:,.0f} updates/s (incl. OrderState creation)")
    print(f"reconcile {a.orders} orders, {len(trades)} trades ({len(report.fills)} missing): {t_rec * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
