"""Trading benchmarks (BENCHMARKS.md "Trading"): risk-gate throughput and added latency, pure and through one
RiskActor (batched and unbatched), on the real instrument specs and a recorded top of book.

    .venv/bin/python scripts/bench_trading.py [--intents 20000] [--batch 100]

The tick-to-order latency and the paper-trading throughput come from ``raytrade run`` itself (its summary's
``latency_ms.tick_to_order`` and ``frames_per_s``); the commands are in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from actors.instruments import spec_for
from actors.messages import BookView
from actors.orders import IntentAction, OrderIntent, OrderType, Side, TimeInForce
from actors.risk.gate import BookState, RiskContext, RiskGate
from actors.risk.limits import RiskLimits

SPOT = "BTCUSDT.BINANCE"
BID, ASK = 6183763000000, 6183764000000  # the first recorded spot snapshot's touch (8 decimals)


def _intent(n: int, now: int) -> OrderIntent:
    spec = spec_for("binance", "BTCUSDT")
    side = Side.BUY if n % 2 else Side.SELL
    price = BID - 100_000_000 * (n % 50) if side is Side.BUY else ASK + 100_000_000 * (n % 50)
    return OrderIntent(IntentAction.SUBMIT, f"s{n % 4}", f"bench-{n}", SPOT, spec.price_decimals, spec.size_decimals,
                       side, OrderType.LIMIT, 100_000, price, time_in_force=TimeInForce.GTX, ts_created=now)  # fmt: skip


def bench_pure(n: int) -> dict:
    from decimal import Decimal

    gate = RiskGate(RiskLimits.from_dict({"max_orders_per_s": 10**9}))
    spec = spec_for("binance", "BTCUSDT")
    book = BookState(True, Decimal("61837.63"), Decimal("61837.64"), 1.0)
    now = time.time_ns()
    intents = [_intent(i, now) for i in range(n)]
    ctx = RiskContext(now_ns=now, spec=spec, book=book, position_size=0, position_notional_usd=Decimal(0),
                      strategy_equity_usd=Decimal(10_000), portfolio_equity_usd=Decimal(40_000),
                      open_positions_total=0, open_positions_strategy=0, has_position=False, open_orders_total=0,
                      open_orders_strategy=0)  # fmt: skip
    t0 = time.perf_counter()
    approved = sum(gate.check(i, ctx).approved for i in intents)
    dt = time.perf_counter() - t0
    return {"intents": n, "approved": approved, "intents_per_s": round(n / dt), "us_per_intent": round(dt / n * 1e6, 2)}


def bench_actor(n: int, batch: int) -> dict:
    import ray

    from actors.execution.actor import ExecutionActor
    from actors.remote import RaySpawner
    from actors.risk.actor import RiskActor

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        spawner = RaySpawner("bench", lifetime=None)
        spawner.spawn(ExecutionActor, "b-execution", "b-execution", [SPOT], {}, risk_name="b-risk", namespace="bench")
        risk = spawner.spawn(RiskActor, "b-risk", "b-risk", [SPOT], {"max_orders_per_s": 10**9,
                                                                        "max_open_orders": 10**6,
                                                                        "max_open_orders_per_strategy": 10**6},
                             {f"s{i}": {"allocated_capital": "10000"} for i in range(4)},
                             execution_name="b-execution", namespace="bench")  # fmt: skip
        now = time.time_ns()
        view = BookView(SPOT, True, 1, ((BID, 378826000),), ((ASK, 154698000),), 8, 8, now, now, now)
        ray.get(risk.on_views.remote([view], []))
        out = {}
        for label, size in (("unbatched", 1), ("batched", batch)):
            count = n if size > 1 else min(n, 3000)
            intents = [_intent(i + (0 if size > 1 else 10**7), time.time_ns()) for i in range(count)]
            latencies = []
            t0 = time.perf_counter()
            for k in range(0, count, size):
                s = time.perf_counter()
                ray.get(risk.submit.remote(intents[k: k + size]))
                latencies.append((time.perf_counter() - s) * 1e3)
            dt = time.perf_counter() - t0
            latencies.sort()
            out[label] = {"intents": count, "per_call": size, "intents_per_s": round(count / dt),
                          "call_ms_p50": round(statistics.median(latencies), 3),
                          "call_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1], 3)}  # fmt: skip
        return out
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    print({"pure_gate": bench_pure(args.intents)})
    print({"risk_actor": bench_actor(args.intents, args.batch)})


if __name__ == "__main__":
    asyncio.run(asyncio.sleep(0))
    main()
