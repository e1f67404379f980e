#!/usr/bin/env python3
"""Peer side of the raytrade order-book throughput benchmark.

Run with the bench venv's interpreter (see setup_peers.sh); this script never
imports raytrade itself.  It replays one recorded Binance capture (hftbacktest
format: ``<recv_ts_ns> <raw frame>`` per gzip line) through one "peer":

* ``orjson``     parse-only floor: ``orjson.loads`` of every frame (``--scope depth``:
                 of the depthUpdate frames only).
* ``cryptofeed`` cryptofeed's own Binance / BinanceFutures / BinanceDelivery feed.
                 Every websocket frame (depth, trade, bookTicker) is handed to the
                 feed's ``message_handler`` as a live connection would.  The feed
                 asks for its REST depth snapshot through ``self.http_conn.read``
                 (from ``_snapshot``, on the first depth frame); that object is
                 replaced by a stub returning the recorded snapshot body, so
                 cryptofeed's own sequence rules (``_check_update_id``) decide what
                 is applied.  The symbol table, normally fetched from exchangeInfo,
                 is fed from a one-symbol exchangeInfo through cryptofeed's own
                 ``_parse_symbol_data``.  An L2_BOOK callback reads the best bid/ask
                 after every book update.
* ``nautilus``   nautilus_trader ``OrderBook`` (L2_MBP) fed ``OrderBookDeltas``
                 built from orjson-decoded frames with fixed-point raws (decimal
                 string -> int scaled to FIXED_PRECISION, 16 in this high-precision
                 build).  Default ``--nautilus-ctor raw`` uses
                 ``OrderBookDelta.from_raw`` (no intermediate Python objects, the
                 fastest Python path); ``objects`` builds ``BookOrder(Price.from_raw,
                 Quantity.from_raw)`` + ``OrderBookDelta(...)`` (about 1.3-1.4x slower).
                 Binance sync rules are applied here (spot: drop u <= L, first
                 U <= L+1 <= u, then U == prev u + 1; futures: drop u < L, first
                 U <= L <= u, then pu == prev u); diffs seen before the snapshot
                 line are buffered.  Best bid/ask is read after every applied diff.
                 Every frame is json-decoded; only depth frames touch the book.

All lines are loaded (and the timestamp field stripped) before timing.  Each
measurement is 1 warm-up + N timed passes over the whole capture, each pass with
fresh peer state; the median is reported as ONE JSON line.  ``frames`` counts
websocket frames (the REST snapshot line is handled once per pass on top),
``level_updates`` counts the [price, qty] rows in all depth frames.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import logging
import statistics
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import orjson

DEFAULT_DATA_DIR = "/work/shared/data/hftbacktest"
REPO_ROOT = Path(__file__).resolve().parents[2]

# name -> (folder, files, kind, exchange symbol, base, quote, contractType, tickSize, nautilus id)
CAPTURES = {
    "spot": ("binance_spot", ["btcusdt_20240808.gz", "btcusdt_20240809.gz"], "spot",
             "BTCUSDT", "BTC", "USDT", None, "0.01", "BTCUSDT.BINANCE"),
    "usdm": ("binance_usdm", ["btcusdt_20240808.gz"], "futures",
             "BTCUSDT", "BTC", "USDT", "PERPETUAL", "0.10", "BTCUSDT-PERP.BINANCE"),
    "coinm": ("binance_coinm", ["btcusd_perp_20240808.gz", "btcusd_perp_20240809.gz"], "futures",
              "BTCUSD_PERP", "BTC", "USD", "PERPETUAL", "0.1", "BTCUSD_PERP.BINANCE"),
}
PEERS = ("orjson", "cryptofeed", "nautilus")


# ---------------------------------------------------------------- loading
def resolve_data_dir(arg: str, folder: str) -> Path:
    """Accept the shared dir, a repo-local copy, or a parent that holds hftbacktest/."""
    raw = Path(arg)
    bases = [raw] if raw.is_absolute() else [Path.cwd() / raw, REPO_ROOT / raw]
    for base in bases:
        for cand in (base, base / "hftbacktest"):
            if (cand / folder).is_dir():
                return cand
    sys.exit(f"capture folder {folder!r} not found under {arg!r}")


def load_capture(data_dir: str, name: str) -> dict:
    folder, files, *_ = CAPTURES[name]
    root = resolve_data_dir(data_dir, folder)
    frames, snapshot = [], None
    for fname in files:
        with gzip.open(root / folder / fname, "rt", encoding="utf-8") as fh:
            for line in fh:
                payload = line[line.index(" ") + 1:].rstrip("\n")
                if payload.startswith('{"stream"'):
                    frames.append(payload)
                elif snapshot is None:
                    snapshot = payload
                    frames.append(payload)          # keeps its place in the stream
                else:
                    sys.exit("more than one REST snapshot line")
    # Untimed scan: counts, plus the decimals used on the wire (instrument spec).
    depth, levels, pdec, qdec = [], 0, set(), set()

    def decimals(s):
        dot = s.find(".")
        return 0 if dot < 0 else len(s) - dot - 1

    for f in frames:
        if f is snapshot:
            rows = orjson.loads(f)
            rows = rows["bids"] + rows["asks"]
        elif '"e":"depthUpdate"' in f[:80]:
            d = orjson.loads(f)["data"]
            rows = d["b"] + d["a"]
            depth.append(f)
            levels += len(rows)
        else:
            continue
        for p, q in rows:
            pdec.add(decimals(p))
            qdec.add(decimals(q))
    return {"name": name, "frames": frames, "snapshot": snapshot, "depth": depth,
            "ws_frames": len(frames) - 1, "levels": levels,
            "price_dec": pdec.pop() if len(pdec) == 1 else None,
            "qty_dec": qdec.pop() if len(qdec) == 1 else None}


# ---------------------------------------------------------------- orjson
def orjson_peer(cap: dict, args):
    frames = cap["depth"] if args.scope == "depth" else cap["frames"]
    loads = orjson.loads

    def replay():
        for f in frames:
            loads(f)

    n = len(frames) if args.scope == "depth" else cap["ws_frames"]
    return (lambda: {"_replay": replay}), (lambda state: {"frames": n})


# ---------------------------------------------------------------- cryptofeed
class RecordedSnapshot:
    """Stands in for Feed.http_conn: serves the recorded REST body, no network."""

    def __init__(self, body: str):
        self.body, self.requests = body, []

    async def read(self, address, *args, **kwargs):
        self.requests.append(address)
        return self.body

    async def close(self):
        pass


class LogCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.counts = Counter()

    def emit(self, record):
        self.counts[record.msg] += 1


def cryptofeed_peer(cap: dict, args):
    from cryptofeed.defines import L2_BOOK
    from cryptofeed.exchanges import Binance, BinanceDelivery, BinanceFutures
    from cryptofeed.symbols import Symbols

    _, _, _, sym, base, quote, ctype, tick, _ = CAPTURES[cap["name"]]
    cls = {"spot": Binance, "usdm": BinanceFutures, "coinm": BinanceDelivery}[cap["name"]]
    entry = {"symbol": sym, "baseAsset": base, "quoteAsset": quote, "status": "TRADING",
             "filters": [{"filterType": "PRICE_FILTER", "tickSize": tick}]}
    if ctype:
        entry.update(contractType=ctype, contractStatus="TRADING")
    Symbols.set(cls.id, *cls._parse_symbol_data({"symbols": [entry]}))
    std = {v: k for k, v in Symbols.get(cls.id)[0].items()}[sym]

    log = logging.getLogger("feedhandler")
    counter = LogCounter()
    log.handlers[:] = [counter]
    log.propagate = False
    log.setLevel(logging.WARNING)
    ws_frames = [f for f in cap["frames"] if f is not cap["snapshot"]]
    loop = asyncio.new_event_loop()

    def run():
        st = {"updates": 0, "snapshots": 0, "bid": None, "ask": None}

        async def on_book(book, receipt_ts):
            if book.delta is None:
                st["snapshots"] += 1
            else:
                st["updates"] += 1
            bids, asks = book.book.bids, book.book.asks
            st["bid"] = bids.index(0)[0] if len(bids) else None
            st["ask"] = asks.index(0)[0] if len(asks) else None

        feed = cls(symbols=[std], channels=[L2_BOOK], callbacks={L2_BOOK: on_book})
        feed.http_conn = RecordedSnapshot(cap["snapshot"])
        counter.counts.clear()
        handler, now = feed.message_handler, time.time

        async def replay():
            for frame in ws_frames:
                await handler(frame, None, now())

        # Feed construction above is untimed; the harness times only _replay.
        st["_replay"] = lambda: loop.run_until_complete(replay())
        st["feed"] = feed
        return st

    def summary(st):
        feed = st["feed"]
        book = feed._l2_book.get(std)
        unexpected = sum(n for m, n in counter.counts.items() if "Unexpected message" in m)
        gaps = sum(n for m, n in counter.counts.items() if "Missing book update" in m)
        return {"frames": cap["ws_frames"], "applied": st["updates"], "gaps": gaps,
                "dropped": len(cap["depth"]) - st["updates"],
                "bid": st["bid"], "ask": st["ask"],
                "bid_levels": len(book.book.bids) if book else None,
                "ask_levels": len(book.book.asks) if book else None,
                "extra": {"snapshot_requests": len(feed.http_conn.requests),
                          "snapshot_url": feed.http_conn.requests[:1],
                          "snapshot_callbacks": st["snapshots"],
                          "frames_logged_unexpected": unexpected}}

    return run, summary


# ---------------------------------------------------------------- nautilus
def nautilus_peer(cap: dict, args):
    from nautilus_trader.model.book import OrderBook
    from nautilus_trader.model.data import BookOrder, OrderBookDelta, OrderBookDeltas
    from nautilus_trader.model.enums import BookAction, BookType, OrderSide, RecordFlag
    from nautilus_trader.model.identifiers import InstrumentId
    from nautilus_trader.model.objects import FIXED_PRECISION, Price, Quantity

    _, _, kind, *_, nid = CAPTURES[cap["name"]]
    spot = kind == "spot"
    iid = InstrumentId.from_str(nid)
    pp, qp = cap["price_dec"], cap["qty_dec"]
    if pp is None or qp is None:
        sys.exit("wire decimals vary inside this capture; fixed-scale parse not valid")
    pmul, qmul = 10 ** (FIXED_PRECISION - pp), 10 ** (FIXED_PRECISION - qp)
    BUY, SELL = OrderSide.BUY, OrderSide.SELL
    ADD, UPDATE, DELETE = BookAction.ADD, BookAction.UPDATE, BookAction.DELETE
    F_LAST, F_SNAP = int(RecordFlag.F_LAST), int(RecordFlag.F_SNAPSHOT)
    loads = orjson.loads

    if args.nautilus_ctor == "raw":
        def make(action, side, praw, qraw, flags, seq, ts):
            return OrderBookDelta.from_raw(iid, action, side, praw, pp, qraw, qp, 0, flags, seq, ts, ts)
    else:
        def make(action, side, praw, qraw, flags, seq, ts):
            order = BookOrder(side, Price.from_raw(praw, pp), Quantity.from_raw(qraw, qp), 0)
            return OrderBookDelta(iid, action, order, flags, seq, ts, ts)

    def deltas_for(bids, asks, seq, ts, snapshot):
        out = [OrderBookDelta.clear(iid, seq, ts, ts)] if snapshot else []
        left = len(bids) + len(asks)
        base = F_SNAP if snapshot else 0
        for side, rows in ((BUY, bids), (SELL, asks)):
            for p, q in rows:
                left -= 1
                qraw = int(q.replace(".", "")) * qmul
                action = ADD if snapshot else (UPDATE if qraw else DELETE)
                out.append(make(action, side, int(p.replace(".", "")) * pmul, qraw,
                                base | F_LAST if left == 0 else base, seq, ts))
        return out

    def run():
        book = OrderBook(iid, BookType.L2_MBP)
        st = {"applied": 0, "dropped": 0, "gaps": 0, "bid": None, "ask": None, "book": book}
        last = None          # None: waiting for the first diff after the snapshot
        snap_id = None       # lastUpdateId once the snapshot line was seen
        stale = False        # after a gap nothing more can be applied (no new snapshot)
        pending = []

        def on_diff(d):
            nonlocal last, stale
            u = d["u"]
            if stale:
                st["dropped"] += 1
                return
            if last is None:
                if (u <= snap_id) if spot else (u < snap_id):
                    st["dropped"] += 1
                    return
                ok = d["U"] <= snap_id + 1 <= u if spot else d["U"] <= snap_id <= u
            else:
                ok = d["U"] == last + 1 if spot else d["pu"] == last
            if not ok:
                st["gaps"] += 1
                st["dropped"] += 1
                stale = True
                return
            deltas = deltas_for(d["b"], d["a"], u, d["E"] * 1_000_000, False)
            if deltas:
                book.apply_deltas(OrderBookDeltas(iid, deltas))
            last = u
            st["applied"] += 1
            st["bid"], st["ask"] = book.best_bid_price(), book.best_ask_price()

        def replay():
            nonlocal snap_id, pending
            for frame in cap["frames"]:
                msg = loads(frame)
                data = msg.get("data")
                if data is None:                       # the REST snapshot body
                    snap_id = msg["lastUpdateId"]
                    ts = msg.get("E", 0) * 1_000_000
                    book.apply_deltas(OrderBookDeltas(
                        iid, deltas_for(msg["bids"], msg["asks"], snap_id, ts, True)))
                    for d in pending:
                        on_diff(d)
                    pending = None
                elif data.get("e") == "depthUpdate":
                    if snap_id is None:
                        pending.append(data)
                    else:
                        on_diff(data)

        st["_replay"] = replay
        return st

    def summary(st):
        book = st["book"]
        return {"frames": cap["ws_frames"], "applied": st["applied"], "dropped": st["dropped"],
                "gaps": st["gaps"], "bid": st["bid"], "ask": st["ask"],
                "bid_levels": len(book.bids()), "ask_levels": len(book.asks()),
                "extra": {"delta_ctor": args.nautilus_ctor, "fixed_precision": FIXED_PRECISION,
                          "price_precision": pp, "size_precision": qp}}

    return run, summary


# ---------------------------------------------------------------- harness
def measure(peer: str, cap: dict, args) -> dict:
    prepare, summarize = {"orjson": orjson_peer, "cryptofeed": cryptofeed_peer,
                          "nautilus": nautilus_peer}[peer](cap, args)
    times, state = [], None
    for i in range(args.runs + 1):                  # pass 0 is the warm-up
        state = prepare()                          # fresh state, untimed
        body = state["_replay"]
        gc.collect()
        t0 = time.perf_counter()
        body()
        elapsed = time.perf_counter() - t0
        if i:
            times.append(elapsed)
    s = summarize(state)
    med = statistics.median(times)
    book = peer != "orjson"
    pkg = {"orjson": "orjson", "cryptofeed": "cryptofeed", "nautilus": "nautilus_trader"}[peer]
    depth_frames = len(cap["depth"])
    out = {"peer": peer, "capture": cap["name"], "version": version(pkg),
           "frames": s["frames"], "depth_frames": depth_frames,
           "level_updates": cap["levels"], "median_s": round(med, 6),
           "frames_per_s": round(s["frames"] / med, 1),
           "depth_frames_per_s": round(depth_frames / med, 1),
           "level_updates_per_s": round(cap["levels"] / med, 1),
           "diffs_applied": s.get("applied"), "diffs_dropped": s.get("dropped"),
           "final_best_bid": str(s["bid"]) if book and s["bid"] is not None else None,
           "final_best_ask": str(s["ask"]) if book and s["ask"] is not None else None,
           "bid_levels": s.get("bid_levels"), "ask_levels": s.get("ask_levels")}
    extra = dict(s.get("extra", {}), scope=args.scope if peer == "orjson" else "all",
                 runs=args.runs, runs_s=[round(t, 6) for t in times],
                 python=sys.version.split()[0])
    if book:
        extra["gaps"] = s.get("gaps")
    out["extra"] = extra
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("peer_cmd", nargs="?", choices=PEERS + ("all",), help="same as --peer")
    ap.add_argument("--peer", choices=PEERS + ("all",))
    ap.add_argument("--capture", choices=tuple(CAPTURES) + ("all",), default="spot")
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    ap.add_argument("--runs", type=int, default=5, help="timed runs after 1 warm-up")
    ap.add_argument("--scope", choices=("all", "depth"), default="all",
                    help="orjson only: parse every frame, or depth frames only")
    ap.add_argument("--nautilus-ctor", choices=("raw", "objects"), default="raw",
                    help="raw: OrderBookDelta.from_raw (fastest); objects: "
                         "BookOrder(Price.from_raw, Quantity.from_raw) + OrderBookDelta(...)")
    args = ap.parse_args()
    peer = args.peer or args.peer_cmd
    if peer is None:
        ap.error("give a peer (positional or --peer)")
    if peer == "all" or args.capture == "all":     # one fresh process per measurement
        peers = PEERS if peer == "all" else (peer,)
        caps = tuple(CAPTURES) if args.capture == "all" else (args.capture,)
        rest = ["--data-dir", args.data_dir, "--runs", str(args.runs), "--scope", args.scope,
                "--nautilus-ctor", args.nautilus_ctor]
        for p in peers:
            for c in caps:
                subprocess.run([sys.executable, __file__, "--peer", p, "--capture", c, *rest],
                               check=True)
        return
    cap = load_capture(args.data_dir, args.capture)
    print(json.dumps(measure(peer, cap, args)), flush=True)


if __name__ == "__main__":
    main()
