"""Venue-side order round trip on loopback: an unmodified async ccxt ``binance`` client against the testnet-mode
replay venue, ``create_order`` (resting limit, signed POST) + ``cancel_order`` (signed DELETE), p50/p99 of each.

    nice -n 10 .venv/bin/python scripts/bench_testnet.py [--rounds 500]

Client and venue share one asyncio loop in one process (the venue is idle: paused replay), so the numbers are
the HTTP + signing + verification + paper-model cost of one request, not network latency. ``--no-rate-limit``
turns ccxt's client-side throttle off (it, not the venue, sets the default numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import SPOT  # noqa: E402
from tests.integration.testnet_support import make_venue, spot_client  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def main(rounds: int, rate_limit: bool = True) -> dict:
    venue = make_venue(SPOT, 2000)
    urls = await venue.open()
    await venue.step(300)
    ex = spot_client(urls["rest"])
    ex.enableRateLimit = rate_limit  # ccxt's own throttle (binance: rateLimit 50 ms x request cost)
    create, cancel = [], []
    try:
        await ex.load_markets()
        for i in range(rounds + 20):
            t0 = time.perf_counter()
            order = await ex.create_order("BTC/USDT", "limit", "buy", 0.001, 50000)
            t1 = time.perf_counter()
            await ex.cancel_order(order["id"], "BTC/USDT")
            t2 = time.perf_counter()
            if i >= 20:  # warm-up
                create.append((t1 - t0) * 1e3)
                cancel.append((t2 - t1) * 1e3)
    finally:
        await ex.close()
        await venue.stop()
    both = [a + b for a, b in zip(create, cancel)]
    return {"rounds": rounds, "ccxt_rate_limit": rate_limit, "load_avg": [round(x, 2) for x in os.getloadavg()],
            **{f"{name}_ms": {"p50": round(statistics.median(v), 3), "p99": round(_pct(v, 0.99), 3)}
               for name, v in (("create", create), ("cancel", cancel), ("create_cancel", both))}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--no-rate-limit", action="store_true", help="turn ccxt's client-side throttle off")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds, not args.no_rate_limit))))
