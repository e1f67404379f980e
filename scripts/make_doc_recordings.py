"""Write the generated Gemini, Bitstamp and Backpack recordings (``tests/data/venue_docs/*.jsonl``).

**Not real traffic.** No recording of these venues exists in ``../shared/data``. Each file here is a small capture
(cryptofeed capture format v2, as ``../shared/data/README.md`` §3 describes it) whose every frame has the exact
shape of the venue's documented example message (the examples quoted in ``actors/feed/venues/<venue>.py``), with
prices, sizes, ids and times made up by a seeded random walk: a book per symbol that never crosses (bids below a
fixed mid, asks above it), level updates that set or delete levels, trades, and the venue's control frames. The
header says ``"generated"`` so no reader can take it for a recording of the venue.

* Gemini v2 (``wss://api.gemini.com/v2/marketdata``): a ``subscribe`` for ``l2`` BTCUSD, ETHUSD; per symbol the
  first ``l2_updates`` is the full book (with ``trades`` and ``auction_events``), then ``l2_updates`` of 1-3
  absolute changes and ``trade`` messages; ``heartbeat`` every 5 s.
* Bitstamp v2 (``wss://ws.bitstamp.net``): ``bts:subscribe`` per channel, ``bts:subscription_succeeded`` replies,
  ``diff_order_book_<pair>`` and ``live_trades_<pair>`` (btcusd, ethusd); one REST ``order_book/<pair>/`` snapshot
  per pair, taken while diffs are buffered (its ``microtimestamp`` lies between two diffs' ones).
* Backpack (``wss://ws.backpack.exchange``): one ``SUBSCRIBE``; ``depth.<s>`` (``U``..``u`` consecutive across
  messages), ``trade.<s>``, ``bookTicker.<s>`` (SOL_USDC, BTC_USDC); one REST ``/api/v1/depth`` snapshot per
  symbol whose ``lastUpdateId`` falls inside the buffered diffs. The ``bookTicker`` ``u`` is set to the depth
  ``u`` it follows (the docs do not say whether the two share an id space; this makes the ticker check of
  ``raytrade verify`` meaningful on this file).

Usage: ``.venv/bin/python scripts/make_doc_recordings.py [OUT_DIR]`` (default ``tests/data/venue_docs``). The
output is deterministic (seed 11); ``tests/unit/test_doc_recordings.py`` checks the committed files equal it.
"""

from __future__ import annotations

import json
import random
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 11
SECONDS = 20.0


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class _Book:
    """A never-crossing random book: bids at ``mid - k * tick``, asks at ``mid + k * tick`` (k >= 1; ``mid`` on a tick)."""

    def __init__(self, rng: random.Random, mid: Decimal, tick: Decimal, lot: Decimal, levels: int) -> None:
        self.rng, self.mid, self.tick, self.lot = rng, mid, tick, lot
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        for k in range(1, levels + 1):
            self.bids[self._price("bid", k)] = self._size()
            self.asks[self._price("ask", k)] = self._size()

    def _price(self, side: str, k: int) -> Decimal:
        return (self.mid - self.tick * k) if side == "bid" else (self.mid + self.tick * k)

    def _size(self) -> Decimal:
        return self.lot * self.rng.randint(1, 500_000)

    def change(self) -> tuple[str, Decimal, Decimal]:
        """One absolute level change (a new size, or 0 to delete), applied here too."""
        side = self.rng.choice(("bid", "ask"))
        levels = self.bids if side == "bid" else self.asks
        if levels and self.rng.random() < 0.3:
            price = self.rng.choice(sorted(levels))
            size = Decimal(0)
        else:
            price, size = self._price(side, self.rng.randint(1, 60)), self._size()
        if size:
            levels[price] = size
        else:
            levels.pop(price, None)
        return side, price, size

    def top(self) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
        bid = max(self.bids)
        ask = min(self.asks)
        return (bid, self.bids[bid]), (ask, self.asks[ask])


def _fmt(value: Decimal, step: Decimal) -> str:
    return format(value.quantize(step), "f")


def _times(rng: random.Random, start: float, count: int) -> list[float]:
    return sorted(start + rng.uniform(0.05, SECONDS) for _ in range(count))


def _header(exchange: str, start: float, config: dict) -> dict:
    return {"t": "header", "format": 2, "exchange": exchange, "config": config, "recorded": start,
            "generated": "scripts/make_doc_recordings.py: frames shaped like the venue's documented examples, "
                         "values from a seeded random walk; not real traffic"}  # fmt: skip


def gemini(rng: random.Random) -> list[dict]:
    start, conn, url = 1560976400.0, "GEMINI.ws.1", "wss://api.gemini.com/v2/marketdata"
    symbols = {"BTCUSD": (Decimal("9122.06"), Decimal("0.01"), Decimal("0.00000001")),
               "ETHUSD": (Decimal("268.31"), Decimal("0.01"), Decimal("0.000001"))}  # fmt: skip
    out = [{"t": "connect", "conn": conn, "ts": start, "addr": url},
           {"t": "send", "conn": conn, "ts": start + 0.01, "addr": url,
            "data": _dumps({"type": "subscribe", "subscriptions": [{"name": "l2", "symbols": list(symbols)}]})}]
    events: list[tuple[float, str]] = []
    trade_id = 169841458
    for n, (symbol, (mid, tick, lot)) in enumerate(symbols.items()):
        book = _Book(rng, mid, tick, lot, 25)
        changes = [["buy", _fmt(p, tick), _fmt(s, lot)] for p, s in sorted(book.bids.items(), reverse=True)]
        changes += [["sell", _fmt(p, tick), _fmt(s, lot)] for p, s in sorted(book.asks.items())]
        t0 = start + 0.04 + n * 0.002
        (bid, _), _ = book.top()
        recent = [{"type": "trade", "symbol": symbol, "event_id": trade_id, "timestamp": int(t0 * 1000) - 500,
                   "price": _fmt(bid, tick), "quantity": _fmt(lot * 7317, lot), "side": "sell",
                   "tid": 2840140800042677}]  # fmt: skip
        events.append((t0, _dumps({"type": "l2_updates", "symbol": symbol, "changes": changes, "trades": recent,
                                   "auction_events": []})))  # fmt: skip
        for ts in _times(rng, start, 220):
            count = rng.randint(1, 3)
            ch = [book.change() for _ in range(count)]
            events.append((ts, _dumps({"type": "l2_updates", "symbol": symbol, "changes": [
                ["buy" if side == "bid" else "sell", _fmt(p, tick), _fmt(s, lot)] for side, p, s in ch]})))
        for ts in _times(rng, start, 30):
            trade_id += rng.randint(1, 9)
            (bid, _), (ask, _) = book.top()
            side = rng.choice(("buy", "sell"))
            events.append((ts, _dumps({"type": "trade", "symbol": symbol, "event_id": trade_id,
                                       "timestamp": int(ts * 1000), "price": _fmt(ask if side == "buy" else bid, tick),
                                       "quantity": _fmt(lot * rng.randint(1, 90000), lot), "side": side})))  # fmt: skip
    for k in range(1, int(SECONDS // 5) + 1):
        events.append((start + 5 * k, _dumps({"type": "heartbeat", "timestamp": int((start + 5 * k) * 1000)})))
    events.sort(key=lambda e: e[0])
    out += [{"t": "recv", "conn": conn, "ts": round(ts, 6), "data": data} for ts, data in events]
    return [_header("GEMINI", start, {"l2_book": list(symbols), "trades": list(symbols)})] + out


def bitstamp(rng: random.Random) -> list[dict]:
    start, conn, url = 1605019478.0, "BITSTAMP.ws.1", "wss://ws.bitstamp.net"
    pairs = {"btcusd": (Decimal("15341.03"), Decimal("0.01"), Decimal("0.00000001")),
             "ethusd": (Decimal("450.13"), Decimal("0.01"), Decimal("0.00000001"))}  # fmt: skip
    out: list[dict] = [{"t": "connect", "conn": conn, "ts": start, "addr": url}]
    events: list[tuple[float, dict]] = []
    for n, pair in enumerate(pairs):
        for m, channel in enumerate((f"diff_order_book_{pair}", f"live_trades_{pair}")):
            ts = start + 0.01 + 0.001 * (2 * n + m)
            out.append({"t": "send", "conn": conn, "ts": round(ts, 6), "addr": url,
                        "data": _dumps({"event": "bts:subscribe", "data": {"channel": channel}})})  # fmt: skip
            events.append((ts + 0.05, {"t": "recv", "conn": conn, "data": _dumps(
                {"event": "bts:subscription_succeeded", "channel": channel, "data": {}})}))
    trade_id = 127023460
    for n, (pair, (mid, tick, lot)) in enumerate(pairs.items()):
        book = _Book(rng, mid, tick, lot, 30)
        diff_times = _times(rng, start + 0.1, 240)
        snapshot_after = 4 + n  # the REST answer comes while diffs are buffered
        for k, ts in enumerate(diff_times):
            micro = int(round(ts * 1_000_000))
            bids, asks = [], []
            for side, p, s in (book.change() for _ in range(rng.randint(1, 3))):
                (bids if side == "bid" else asks).append([_fmt(p, tick), _fmt(s, lot)])
            events.append((ts, {"t": "recv", "conn": conn, "data": _dumps(
                {"data": {"timestamp": str(micro // 1_000_000), "microtimestamp": str(micro), "bids": bids,
                          "asks": asks}, "channel": f"diff_order_book_{pair}", "event": "data"})}))  # fmt: skip
            if k == snapshot_after:
                snap_micro = micro + 1  # the venue's book time: after this diff, before the next
                body = {"timestamp": str(snap_micro // 1_000_000), "microtimestamp": str(snap_micro),
                        "bids": [[_fmt(p, tick), _fmt(s, lot)] for p, s in sorted(book.bids.items(), reverse=True)],
                        "asks": [[_fmt(p, tick), _fmt(s, lot)] for p, s in sorted(book.asks.items())]}  # fmt: skip
                arrive = (ts + diff_times[k + 3]) / 2  # received after two more diffs were buffered
                events.append((arrive, {"t": "http", "conn": f"BITSTAMP.http.{n}",
                                        "url": f"https://www.bitstamp.net/api/v2/order_book/{pair}/",
                                        "data": _dumps(body)}))  # fmt: skip
        for ts in _times(rng, start + 0.1, 30):
            trade_id += rng.randint(1, 9)
            (bid, _), (ask, _) = book.top()
            kind = rng.randint(0, 1)
            price, size = _fmt(ask if kind == 0 else bid, tick), _fmt(lot * rng.randint(1, 5_000_000), lot)
            micro = int(round(ts * 1_000_000))
            events.append((ts, {"t": "recv", "conn": conn, "data": _dumps({"data": {
                "id": trade_id, "timestamp": str(micro // 1_000_000), "amount": float(size), "amount_str": size,
                "price": float(price), "price_str": price, "type": kind, "microtimestamp": str(micro),
                "buy_order_id": trade_id * 10 + 1, "sell_order_id": trade_id * 10 + 2},
                "channel": f"live_trades_{pair}", "event": "trade"})}))  # fmt: skip
    events.sort(key=lambda e: e[0])
    out += [{**rec, "ts": round(ts, 6)} for ts, rec in events]
    return [_header("BITSTAMP", start, {"l2_book": list(pairs), "trades": list(pairs)})] + out


def backpack(rng: random.Random) -> list[dict]:
    start, conn, url = 1694687965.0, "BACKPACK.ws.1", "wss://ws.backpack.exchange"
    symbols = {"SOL_USDC": (Decimal("18.69"), Decimal("0.01"), Decimal("0.001")),
               "BTC_USDC": (Decimal("26150.0"), Decimal("0.1"), Decimal("0.00001"))}  # fmt: skip
    params = [f"{c}.{s}" for s in symbols for c in ("depth", "trade", "bookTicker")]
    out: list[dict] = [{"t": "connect", "conn": conn, "ts": start, "addr": url},
                       {"t": "send", "conn": conn, "ts": start + 0.01, "addr": url,
                        "data": _dumps({"method": "SUBSCRIBE", "params": params})}]  # fmt: skip
    events: list[tuple[float, dict]] = []
    for n, (symbol, (mid, tick, lot)) in enumerate(symbols.items()):
        book = _Book(rng, mid, tick, lot, 30)
        update_id = 94978270 + 1000 * n
        diff_times = _times(rng, start + 0.1, 240)
        trade_id = 12345 + 100_000 * n
        for k, ts in enumerate(diff_times):
            us = int(round(ts * 1_000_000))
            first = update_id + 1
            bids, asks = [], []
            for side, p, s in (book.change() for _ in range(rng.randint(1, 3))):
                (bids if side == "bid" else asks).append([_fmt(p, tick), _fmt(s, lot)])
                update_id += 1
            events.append((ts, {"t": "recv", "conn": conn, "data": _dumps({"stream": f"depth.{symbol}", "data": {
                "e": "depth", "E": us + 1, "s": symbol, "a": asks, "b": bids, "U": first, "u": update_id,
                "T": us}})}))  # fmt: skip
            if k % 6 == 5:
                (bid, bid_size), (ask, ask_size) = book.top()
                events.append((ts + 0.0001, {"t": "recv", "conn": conn, "data": _dumps({
                    "stream": f"bookTicker.{symbol}", "data": {"e": "bookTicker", "E": us + 101, "s": symbol,
                    "a": _fmt(ask, tick), "A": _fmt(ask_size, lot), "b": _fmt(bid, tick), "B": _fmt(bid_size, lot),
                    "u": str(update_id), "T": us + 100}})}))  # fmt: skip
            if k == 4 + n:
                body = {"asks": [[_fmt(p, tick), _fmt(s, lot)] for p, s in sorted(book.asks.items())],
                        "bids": [[_fmt(p, tick), _fmt(s, lot)] for p, s in sorted(book.bids.items())],
                        "lastUpdateId": str(update_id), "timestamp": us // 1000}  # fmt: skip
                arrive = (ts + diff_times[k + 3]) / 2
                events.append((arrive, {"t": "http", "conn": f"BACKPACK.http.{n}",
                                        "url": f"https://api.backpack.exchange/api/v1/depth?symbol={symbol}",
                                        "data": _dumps(body)}))  # fmt: skip
            if rng.random() < 0.12:
                trade_id += 1
                (bid, _), (ask, _) = book.top()
                maker_buyer = rng.random() < 0.5
                events.append((ts + 0.0002, {"t": "recv", "conn": conn, "data": _dumps({
                    "stream": f"trade.{symbol}", "data": {"e": "trade", "E": us + 201, "s": symbol,
                    "p": _fmt(bid if maker_buyer else ask, tick), "q": _fmt(lot * rng.randint(1, 9000), lot),
                    "b": str(111063114377265150 + trade_id), "a": str(111063114585735170 + trade_id), "t": trade_id,
                    "T": us + 200, "m": maker_buyer}})}))  # fmt: skip
    events.sort(key=lambda e: e[0])
    out += [{**rec, "ts": round(ts, 6)} for ts, rec in events]
    return [_header("BACKPACK", start, {"l2_book": list(symbols), "trades": list(symbols)})] + out


RECORDINGS = {"GEMINI.jsonl": gemini, "BITSTAMP.jsonl": bitstamp, "BACKPACK.jsonl": backpack}


def render(name: str) -> str:
    """The text of one generated recording (deterministic)."""
    rng = random.Random(f"{SEED}:{name}")
    return "".join(_dumps(rec) + "\n" for rec in RECORDINGS[name](rng))


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "tests" / "data" / "venue_docs"
    out.mkdir(parents=True, exist_ok=True)
    for name in RECORDINGS:
        (out / name).write_text(render(name))
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
