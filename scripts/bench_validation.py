"""Cost of the market-data checks in the feed core: the same frames through ``FeedPipeline`` with validation on
(the defaults) and off, alternating, same process; plus the divergence monitor's cost per view.

Usage::

    .venv/bin/python scripts/bench_validation.py [--rounds 5] [--capture spot|usdm|coinm ...]

For each bundled Binance capture every record is loaded into memory, then ``--rounds`` rounds each run one pass
with validation off and one with it on (order alternating per round): websocket frames to
``FeedPipeline.on_frame``, the REST snapshot to ``on_snapshot``, ``drain()`` after each record, as
``actors.feed.pipeline.sequence_records`` does. Reports best and median **CPU** seconds per pass
(``time.process_time``: this process's own CPU time, so other engineers' jobs on the shared cores inflate it far
less than wall time) and the overhead of the median. The divergence row feeds 200,000 ready depth-1 views of three instruments of one group (what the risk
gate receives) to a ``DivergenceMonitor``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actors.feed.pipeline import FeedPipeline  # noqa: E402
from actors.instruments import spec_for  # noqa: E402
from actors.messages import BookView  # noqa: E402
from actors.replay.captures import read_recordings  # noqa: E402
from actors.validation import ValidationSettings  # noqa: E402
from actors.validation.divergence import DivergenceMonitor  # noqa: E402

SAMPLE = ROOT / "data" / "sample" / "hftbacktest"
CAPTURES = {
    "spot": ("binance", "BTCUSDT", ["binance_spot/btcusdt_20240808.gz", "binance_spot/btcusdt_20240809.gz"]),
    "usdm": ("binance_usdm", "BTCUSDT", ["binance_usdm/btcusdt_20240808.gz"]),
    "coinm": ("binance_coinm", "BTCUSD_PERP", ["binance_coinm/btcusd_perp_20240808.gz",
                                                "binance_coinm/btcusd_perp_20240809.gz"]),
}  # fmt: skip


def one_pass(venue: str, symbol: str, records: list, validation: ValidationSettings) -> tuple[float, dict | None]:
    pipeline = FeedPipeline(venue, [spec_for(venue, symbol)], validation=validation)
    t0 = time.process_time()
    for kind, data, ts in records:
        if kind == "ws":
            pipeline.on_frame(data, ts)
        else:
            pipeline.on_snapshot(pipeline.parser.parse_snapshot(data, symbol, ts))
        pipeline.drain()
    elapsed = time.process_time() - t0
    return elapsed, pipeline.validator.stats() if pipeline.validator else None


def bench_divergence(n: int = 200_000) -> float:
    specs = [spec_for("binance", "BTCUSDT"), spec_for("coinbase", "BTC-USD"), spec_for("okx", "BTC-USDT")]
    mon = DivergenceMonitor(ValidationSettings(), specs)
    views = []
    for i in range(n):
        spec = specs[i % 3]
        scale = 10**spec.price_decimals
        bid = (60_000 + (i % 7)) * scale
        views.append(BookView(spec.instrument_id, True, i, ((bid, 1),), ((bid + scale // 100, 1),),
                              spec.price_decimals, spec.size_decimals, 10**18 + i * 1_000_000, 0, 0))  # fmt: skip
    t0 = time.process_time()
    for v in views:
        mon.on_view(v)
    return (time.process_time() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--capture", action="append", choices=sorted(CAPTURES))
    args = ap.parse_args()
    off, on = ValidationSettings(enabled=False), ValidationSettings()
    print("| capture (records) | validation off: best / median (s) | on: best / median (s) | median overhead | "
          "soft failures (on) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for name in args.capture or ["spot", "usdm", "coinm"]:
        venue, symbol, files = CAPTURES[name]
        (recording,) = read_recordings([SAMPLE / f for f in files])
        records = [(r.kind, r.data, r.ts_recv) for r in recording.records() if r.kind in ("ws", "rest")]
        one_pass(venue, symbol, records, on)  # warm-up (caches, imports)
        times = {"off": [], "on": []}
        stats = None
        for i in range(args.rounds):
            for label in (("off", "on") if i % 2 == 0 else ("on", "off")):
                elapsed, st = one_pass(venue, symbol, records, off if label == "off" else on)
                times[label].append(elapsed)
                stats = st or stats
        b_off, m_off = min(times["off"]), statistics.median(times["off"])
        b_on, m_on = min(times["on"]), statistics.median(times["on"])
        print(f"| {name} ({len(records):,}) | {b_off:.3f} / {m_off:.3f} | {b_on:.3f} / {m_on:.3f} | "
              f"{(m_on / m_off - 1) * 100:+.1f}% | {stats['soft_failures'] if stats else '-'} |")  # fmt: skip
    print(f"\ndivergence monitor: {bench_divergence() * 1e6:.2f} us per view (3 instruments in one group)")


if __name__ == "__main__":
    main()
