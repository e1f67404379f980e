"""Order round trip, testnet mode vs paper mode (BENCHMARKS.md "Live execution").

    .venv/bin/python scripts/bench_live.py [--orders 200] [--speed 1]

Path measured, per order: the intent passes the risk gate's pure checks (``RiskGate.check``, the same code the
risk actor runs) and ``ExecutionActor.submit`` (the same object the actor wraps, here in-process: no Ray hop, which
is the same in both modes) until the order's ``accepted`` event exists:

* **testnet**: ``LiveTransport`` -> ccxt-signed ``POST /api/v3/order`` (HMAC-SHA256, timestamp, recvWindow) over
  loopback to ``raytrade replay --testnet`` (a separate process: its own event loop, as in a run) -> the venue
  verifies, books the order in its paper model and answers; the ack is that answer.
* **paper**: ``PaperTransport`` with zero entry / response latency: the ack is released by ``advance(now)`` right
  after ``submit``; this is the pure compute cost of the same path.

Each order is a GTC limit buy 2 % below the touch (it rests), canceled right after (cancel round trip measured
too). Results: p50 / p99 / max in ms and the 1-minute load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actors.execution.actor import ExecutionActor  # noqa: E402
from actors.execution.live import LiveTransport  # noqa: E402
from actors.execution.budget import Limiter, WeightBudget  # noqa: E402
from actors.execution.live_client import BinanceClient, LocalBudget  # noqa: E402
from actors.fixedpoint import to_fixed  # noqa: E402
from actors.instruments import spec_for  # noqa: E402
from actors.metrics import percentiles_ms  # noqa: E402
from actors.orders import IntentAction, OrderEventKind, OrderIntent, Side  # noqa: E402
from actors.risk.gate import RiskGate  # noqa: E402
from actors.risk.rules import BookState, RiskContext, RiskLimits  # noqa: E402

SPOT = [ROOT / "data/sample/hftbacktest/binance_spot/btcusdt_20240808.gz"]
BTC = spec_for("binance", "BTCUSDT")


def _context(now: int, mid: Decimal) -> RiskContext:
    book = BookState(ready=True, best_bid=mid, best_ask=mid + Decimal("0.01"), age_ms=1.0)
    return RiskContext(now_ns=now, spec=BTC, book=book, position_size=0, position_notional_usd=Decimal(0),
                       strategy_equity_usd=Decimal(10_000), portfolio_equity_usd=Decimal(10_000),
                       open_positions_total=0, open_positions_strategy=0, has_position=False, open_orders_total=0,
                       open_orders_strategy=0, usd_per_quote=Decimal(1))  # fmt: skip


async def _round_trips(ex: ExecutionActor, n: int, price: int, prefix: str, mid: Decimal) -> tuple[list[int], list[int]]:
    gate = RiskGate(RiskLimits(max_orders_per_s=1_000_000))  # the rate rule would pace the benchmark itself
    emitted: list = []
    emit = ex._emit

    async def capture(events):  # what the actor numbers, writes ahead and pushes: the ack as the system sees it
        emitted.extend(events)
        await emit(events)

    ex._emit = capture
    submit_ns, cancel_ns = [], []
    for i in range(n):
        coid = f"{prefix}-{i}"
        intent = OrderIntent(IntentAction.SUBMIT, "bench", coid, BTC.instrument_id, 8, 8, side=Side.BUY,
                             size=to_fixed("0.001", 8), price=price, ts_created=time.time_ns())  # fmt: skip
        t0 = time.perf_counter_ns()
        decision = gate.check(intent, _context(time.time_ns(), mid))
        if not decision.approved:
            raise SystemExit(f"risk gate refused the benchmark order: {decision.reason}")
        await ex.submit([intent])
        await _until(ex, emitted, coid, OrderEventKind.ACCEPTED)
        submit_ns.append(time.perf_counter_ns() - t0)
        cancel = OrderIntent(IntentAction.CANCEL, "bench", coid, BTC.instrument_id, 8, 8)
        t1 = time.perf_counter_ns()
        await ex.submit([cancel])
        await _until(ex, emitted, coid, OrderEventKind.CANCELED)
        cancel_ns.append(time.perf_counter_ns() - t1)
    ex._emit = emit
    return submit_ns, cancel_ns


async def _until(ex: ExecutionActor, emitted: list, coid: str, kind: OrderEventKind, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(e.kind is kind and e.order.client_order_id == coid for e in emitted):
        if not ex.transports:  # paper: the model releases the ack when advanced (zero latency)
            await ex._emit(ex.paper.advance(time.time_ns()))
            continue
        if time.monotonic() > deadline:
            raise SystemExit(f"no {kind.value} for {coid} within {timeout_s} s")
        await asyncio.sleep(0)


def _venue(key: str, secret: str, speed: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "RAYTRADE_TESTNET_API_KEY": key, "RAYTRADE_TESTNET_API_SECRET": secret}
    proc = subprocess.Popen([sys.executable, "-m", "cluster.cli", "replay", *map(str, SPOT), "--testnet",
                             "--speed", speed], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"rest\s+(http://[0-9.:]+)/api/v3/order", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise SystemExit("raytrade replay --testnet did not print its REST URL within 60 s")


async def main(args) -> dict:
    key, secret = secrets.token_hex(32), secrets.token_hex(32)
    load0 = os.getloadavg()[0]
    proc, rest = _venue(key, secret, args.speed)
    try:
        # Binance's ORDERS limit (100 per 10 s) would pace 200 orders: that is the budget's job, not latency, so the
        # benchmark's budget is lifted (a run uses the key's BudgetActor with the venue's limits)
        budget = LocalBudget(WeightBudget([Limiter("REQUEST_WEIGHT", 60, 10**9), Limiter("ORDERS", 10, 10**9)]))
        client = BinanceClient("binance", SecretStr(key), SecretStr(secret), rest, budget=budget)
        transport = LiveTransport("testnet", "binance", {BTC.instrument_id: BTC}, client, poll_interval_s=60,
                                  reconcile_interval_s=3600, balance_interval_s=3600)  # fmt: skip
        for _ in range(100):  # the venue's book is ready once its first snapshot is replayed
            try:
                ticker = await client.ticker_24h("BTCUSDT")
                if Decimal(str(ticker.get("lastPrice", "0"))) > 0:
                    break
            except Exception:  # noqa: BLE001 - not ready yet
                pass
            await asyncio.sleep(0.2)
        last = Decimal(str(ticker["lastPrice"]))
        price = to_fixed(str((last * Decimal("0.98")).quantize(Decimal("0.01"))), 8)
        live = ExecutionActor("bench-testnet", [BTC.instrument_id], {"entry_latency_ms": 0, "response_latency_ms": 0},
                              lookup=lambda name: None, modes={"bench": "testnet"},
                              transports={("testnet", "binance"): transport})  # fmt: skip
        await live.start()
        await _round_trips(live, 10, price, "warm", last)  # connections, ccxt caches
        t_sub, t_can = await _round_trips(live, args.orders, price, "t", last)
        await transport.stop()
        paper = ExecutionActor("bench-paper", [BTC.instrument_id], {"entry_latency_ms": 0, "response_latency_ms": 0,
                                                                    "cancel_latency_ms": 0}, lookup=lambda name: None)
        await _round_trips(paper, 10, price, "warm", last)
        p_sub, p_can = await _round_trips(paper, args.orders, price, "p", last)
    finally:
        proc.terminate()
        proc.wait(10)
    for ex in (live, paper):
        if ex._timer is not None:
            ex._timer.cancel()
    return {"orders": args.orders, "speed": args.speed,
            "testnet": {"submit_ack": percentiles_ms(sorted(t_sub)), "cancel_ack": percentiles_ms(sorted(t_can))},
            "paper": {"submit_ack": percentiles_ms(sorted(p_sub)), "cancel_ack": percentiles_ms(sorted(p_can))},
            "loadavg_1m": [round(load0, 2), round(os.getloadavg()[0], 2)], "cpus": os.cpu_count()}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--speed", default="1")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))  # noqa: T201
