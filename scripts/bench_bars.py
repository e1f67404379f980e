"""Bars benchmark: what time-bar aggregation costs per event on the book actor's path, and `raytrade bars`.

Usage: .venv/bin/python scripts/bench_bars.py [--runs 5]

1. ``BarBuilder.on_events`` over every parsed event of the three bundled captures (trades aggregated, other
   events only advance time), at 1m and at 1s+1m+1h, one event per batch (the worst case: per-batch costs paid
   per event) and 64 per batch (the feed flushes every 2 ms): ns per event (median of the runs).
2. ``bars_from_captures`` (read + parse + aggregate) on the spot capture at 1m: wall seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actors.bars.aggregator import BarBuilder  # noqa: E402
from actors.bars.captures import bars_from_captures  # noqa: E402
from actors.feed.pipeline import sequence_records  # noqa: E402
from actors.instruments import Venue, spec_for  # noqa: E402
from actors.replay.captures import read_recordings  # noqa: E402
from tests.conftest import COINM, SPOT, USDM  # noqa: E402


def _batches() -> list[list]:
    out = []
    for paths, venue, symbol in ((SPOT, Venue.BINANCE, "BTCUSDT"), (USDM, Venue.BINANCE_USDM, "BTCUSDT"),
                                 (COINM, Venue.BINANCE_COINM, "BTCUSD_PERP")):  # fmt: skip
        (recording,) = read_recordings(paths)
        out.extend(events for _, events in sequence_records(recording.records(), venue, [spec_for(venue, symbol)]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    single = _batches()
    flat = [e for b in single for e in b]
    n_events = len(flat)
    for size, batches in ((1, single), (64, [flat[i : i + 64] for i in range(0, n_events, 64)])):
        print(f"-- batches of {size} event(s): {len(batches):,} batches, {n_events:,} events")
        _bench(batches, n_events, args.runs)
    times = []
    for _ in range(max(1, args.runs // 2)):
        start = time.perf_counter()
        bars, _ = bars_from_captures(SPOT, "1m")
        times.append(time.perf_counter() - start)
    print(f"bars_from_captures spot 1m: {statistics.median(times):.2f} s ({len(bars)} bars)")


def _bench(batches, n_events: int, runs: int) -> None:
    for intervals in (("1m",), ("1s", "1m", "1h")):
        times = []
        for _ in range(runs + 1):
            builder = BarBuilder(intervals, grace_ns=1_000_000_000)
            start = time.perf_counter()
            closed = 0
            for batch in batches:
                closed += len(builder.on_events(batch))
            times.append(time.perf_counter() - start)
        best = statistics.median(times[1:])
        print(f"BarBuilder {'+'.join(intervals)}: {best:.3f} s, {best / n_events * 1e9:.0f} ns/event, "
              f"{n_events / best / 1e6:.2f} M events/s, {closed} bars closed")


if __name__ == "__main__":
    main()
