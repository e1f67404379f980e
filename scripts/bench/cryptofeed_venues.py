#!/usr/bin/env python3
"""cryptofeed's own Bybit, OKX, Kraken and Coinbase feed handlers, driven offline on the recorded cryptofeed v3
captures.

Run with the bench venv's interpreter (``scripts/bench/setup_peers.sh``; cryptofeed 2.4.1, the newest release
for CPython 3.11: 3.x needs 3.13); never imports raytrade. The peer of ``scripts/bench_book.py``'s stream-venue rows:

* The symbol table comes from the capture's own recorded instrument answers (Bybit ``instruments-info``, OKX
  ``public/instruments``, Kraken ``AssetPairs``, Coinbase ``market/products``) through cryptofeed's own
  ``_parse_symbol_data``, as a live cryptofeed loads it.
* Every recorded book and trade frame of the capture's connection(s) is handed to the feed's
  ``message_handler(msg, conn, timestamp)`` as a live connection would (a stub ``conn`` with the recorded
  address: Bybit tells spot from linear by it). Ticker, kline and liquidation frames are not fed (their handlers
  need live subscription state), so ``frames`` counts book + trade frames only; compare ``depth/s``.
* OKX and Kraken: ``checksum_validation=True`` (cryptofeed's CRC32 of the top 25 / top 10 levels on every update
  that carries one, as raytrade does by default). Bybit: cryptofeed applies snapshots and deltas without checking
  ``u`` (no gap detection). Coinbase: no ``sequence_num`` check. Kraken WS v1 and Coinbase Advanced Trade frames
  name their channel and pair (product) themselves, so 2.4.1's handlers need no subscription state either.
* An ``L2_BOOK`` callback reads the best bid/ask after every book update.

All frames are loaded before timing; 1 warm-up + N timed passes, each with a fresh feed; the median is printed
as ONE JSON line (the keys of ``scripts/bench/peers.py``).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

# capture -> (file, connection address suffix that selects its frames, or None for every connection)
CAPTURES = {"bybit": ("BYBIT.jsonl", "/v5/public/spot"), "bybit_linear": ("BYBIT.jsonl", "/v5/public/linear"),
            "okx": ("OKX.jsonl", None), "kraken": ("KRAKEN.jsonl", None), "coinbase": ("COINBASE.jsonl", None)}
DEFAULT_DATA_DIR = "/work/shared/data/cryptofeed/v3"


class Conn:
    """Stands in for cryptofeed's AsyncConnection: the handlers read ``address`` (and ``uuid`` in logs)."""

    def __init__(self, address: str):
        self.address, self.uuid, self.subscription = address, "replay", {}


def load(data_dir: str, name: str) -> dict:
    file, suffix = CAPTURES[name]
    addresses, http, frames = {}, {}, []
    with (Path(data_dir) / file).open() as fh:
        for line in fh:
            rec = json.loads(line)
            kind = rec.get("t")
            if kind == "connect":
                addresses[rec["conn"]] = rec.get("addr") or rec.get("url") or ""
            elif kind == "http":
                http[rec.get("url") or rec.get("addr")] = rec["data"]
            elif kind == "recv":
                address = addresses.get(rec["conn"], "")
                if suffix is None or address.rstrip("/").endswith(suffix):
                    frames.append((address, rec["data"]))
    if name.startswith("bybit"):
        book = [f for f in frames if f[1].startswith('{"topic":"orderbook')]
        trades = [f for f in frames if f[1].startswith('{"topic":"publicTrade')]
        symbol_bodies = [json.loads(b) for u, b in http.items() if "instruments-info" in u]
        levels = sum(len(m["data"]["b"]) + len(m["data"]["a"]) for m in map(json.loads, (f[1] for f in book)))
    elif name == "kraken":  # [channelID, {book}(, {book}), "book-1000", "XBT/CHF"]; trades [id, [...], "trade", pair]
        lists = [(f, json.loads(f[1])) for f in frames if f[1].startswith("[")]
        book = [f for f, m in lists if str(m[-2]).startswith("book")]
        trades = [f for f, m in lists if m[-2] == "trade"]
        symbol_bodies = next(json.loads(b) for u, b in http.items() if "/AssetPairs" in u)
        levels = sum(len(v) for f, m in lists if str(m[-2]).startswith("book") for d in m[1:-2] for k, v in d.items()
                     if k in ("a", "b", "as", "bs"))
    elif name == "coinbase":
        book = [f for f in frames if f[1].startswith('{"channel":"l2_data"')]
        trades = [f for f in frames if f[1].startswith('{"channel":"market_trades"')]
        symbol_bodies = next(json.loads(b) for u, b in http.items() if "/products" in u)
        levels = sum(len(e["updates"]) for m in map(json.loads, (f[1] for f in book)) for e in m["events"])
    else:
        book = [f for f in frames if f[1].startswith('{"arg":{"channel":"books"')]
        trades = [f for f in frames if f[1].startswith('{"arg":{"channel":"trades"')]
        symbol_bodies = [json.loads(b) for u, b in http.items() if "/public/instruments" in u]
        levels = sum(len(d["bids"]) + len(d["asks"]) for m in map(json.loads, (f[1] for f in book)) for d in m["data"])
    kinds = {id(f) for f in book + trades}
    fed = [f for f in frames if id(f) in kinds]  # book and trade frames, in recorded order
    return {"name": name, "frames": fed, "depth": book, "levels": levels, "symbols": symbol_bodies}


def feed_class(name: str):
    from cryptofeed.exchanges import OKX, Bybit, Coinbase, Kraken

    return {"kraken": Kraken, "coinbase": Coinbase, "okx": OKX}.get(name, Bybit)


def book_symbols(cap: dict, cls) -> list[str]:
    from cryptofeed.symbols import Symbols

    Symbols.set(cls.id, *cls._parse_symbol_data(cap["symbols"]))
    to_std = {v: k for k, v in Symbols.get(cls.id)[0].items()}
    out = []
    for _, frame in cap["depth"]:
        msg = json.loads(frame)
        if cap["name"].startswith("bybit"):
            venue = msg["topic"].split(".")[-1]
            if cap["name"] == "bybit":
                venue = cls.convert_to_spot_name(cls, venue)
        elif cap["name"] == "kraken":
            venue = msg[-1]
        elif cap["name"] == "coinbase":
            for event in msg["events"]:
                std = to_std[event["product_id"]]
                if std not in out:
                    out.append(std)
            continue
        else:
            venue = msg["arg"]["instId"]
        std = to_std[venue]
        if std not in out:
            out.append(std)
    return out


def measure(cap: dict, runs: int) -> dict:
    from cryptofeed.defines import L2_BOOK, TRADES

    cls = feed_class(cap["name"])
    symbols = book_symbols(cap, cls)
    loop = asyncio.new_event_loop()
    conns = {}

    def prepare():
        st = {"updates": 0, "snapshots": 0, "trades": 0, "bid": None, "ask": None}

        async def on_book(book, receipt_ts):
            if book.delta is None:
                st["snapshots"] += 1
            else:
                st["updates"] += 1
            bids, asks = book.book.bids, book.book.asks
            st["bid"] = bids.index(0)[0] if len(bids) else None
            st["ask"] = asks.index(0)[0] if len(asks) else None

        async def on_trade(trade, receipt_ts):
            st["trades"] += 1

        options = {"checksum_validation": True} if cls.__name__ in ("OKX", "Kraken") else {}
        feed = cls(symbols=symbols, channels=[L2_BOOK, TRADES], callbacks={L2_BOOK: on_book, TRADES: on_trade},
                   **options)
        handler, now = feed.message_handler, time.time
        frames = [(conns.setdefault(a, Conn(a)), f) for a, f in cap["frames"]]

        async def replay():
            for conn, frame in frames:
                await handler(frame, conn, now())

        st["_replay"] = lambda: loop.run_until_complete(replay())
        st["feed"] = feed
        return st

    times, state = [], None
    for i in range(runs + 1):
        state = prepare()
        gc.collect()
        t0 = time.perf_counter()
        state["_replay"]()
        elapsed = time.perf_counter() - t0
        if i:
            times.append(elapsed)
    med = statistics.median(times)
    books = state["feed"]._l2_book
    return {"peer": "cryptofeed", "capture": cap["name"], "version": version("cryptofeed"),
            "frames": len(cap["frames"]), "depth_frames": len(cap["depth"]), "level_updates": cap["levels"],
            "median_s": round(med, 6), "frames_per_s": round(len(cap["frames"]) / med, 1),
            "depth_frames_per_s": round(len(cap["depth"]) / med, 1), "level_updates_per_s": round(cap["levels"] / med, 1),
            "diffs_applied": state["updates"], "snapshots": state["snapshots"], "trades": state["trades"],
            "books": len(books), "final_best_bid": str(state["bid"]), "final_best_ask": str(state["ask"]),
            "extra": {"runs": runs, "runs_s": [round(t, 6) for t in times], "python": sys.version.split()[0],
                      "checksum_validation": cls.__name__ in ("OKX", "Kraken"), "fed": "book + trade frames",
                      "book_levels": {str(sym): [len(b.book.bids), len(b.book.asks)] for sym, b in books.items()}}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--capture", choices=tuple(CAPTURES), required=True)
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(json.dumps(measure(load(args.data_dir, args.capture), args.runs)), flush=True)


if __name__ == "__main__":
    main()
