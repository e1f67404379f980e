"""Bybit v5's replay protocol (spot ``/v5/public/spot``, linear ``/v5/public/linear``), for the venue-neutral engine.

Wire constants (paths, topics, the ping frame) come from :mod:`actors.feed.venues.bybit`. Sources: Bybit v5 docs
"WebSocket Stream > Connect" (``{"op":"subscribe"|"unsubscribe","args":[topics],"req_id"?}``; success reply
``{"success":true,"ret_msg":"subscribe","conn_id":..,"req_id":..,"op":"subscribe"}``, a bad topic
``{"success":false,"ret_msg":"error:handler not found,topic:<t>",...}``; ping ``{"op":"ping"}`` answered
``{"success":true,"ret_msg":"pong",...,"op":"ping"}`` on spot and ``{"req_id":..,"op":"pong","args":["<ms>"],
"conn_id":..}`` on linear), "Public > Orderbook" ("Once you have subscribed successfully, you will receive a
snapshot"), "Market > Get Orderbook" (``GET /v5/market/orderbook``: ``{"retCode":0,"retMsg":"OK","result":{"s",
"a","b","ts","u","seq","cts"},"retExtInfo":{},"time":..}``; bad parameters ``retCode`` 10001 "params error", with
HTTP 200 as Bybit answers), "Market > Get Bybit Server Time", "Market > Get Instruments Info" (``GET
/v5/market/instruments-info?category=``: the recording's own answer, byte for byte).

A client that subscribes to a book topic gets a snapshot built from the true book at the current replay time
(``u`` = the last applied delta's, so the recorded deltas that follow continue it), then the recorded deltas;
the recording's own snapshot frame is served as recorded to clients subscribed before it. Control frames recorded
in the capture (acks, pongs) are not replayed: the session answers each client itself.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from actors.book.sync import BookSync
from actors.feed.venues.bybit import BOOK_DEPTHS, CATEGORY, INSTRUMENTS_PATH, REST_ORDERBOOK_PATH, WS_PATH
from actors.fixedpoint import fixed_to_plain as plain_decimal
from actors.instruments import Venue
from actors.replay.protocol import RecordedSession, Reply
from actors.replay.streambook import StreamTrueBook

__all__ = ["BybitReplay", "BybitSession", "LINEAR", "SPOT"]

_TOPIC = b'"topic":"'


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class BybitSession(RecordedSession):
    """One Bybit connection: subscribed topics and the ``op`` requests."""

    def __init__(self, venue: Venue, conn_id: str) -> None:
        self.venue = venue
        self.conn_id = conn_id
        self.streams: list[str] = []

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        try:
            request = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            return Reply([_json({"success": False, "ret_msg": "error:invalid json", "conn_id": self.conn_id})])
        if not isinstance(request, dict):
            return Reply([_json({"success": False, "ret_msg": "error:invalid request", "conn_id": self.conn_id})])
        op, req_id = request.get("op"), str(request.get("req_id", ""))
        if op == "ping":
            if self.venue is Venue.BYBIT:
                return Reply([_json({"success": True, "ret_msg": "pong", "conn_id": self.conn_id, "req_id": req_id,
                                     "op": "ping"})])  # fmt: skip
            return Reply([_json({"req_id": req_id, "op": "pong", "args": ["0"], "conn_id": self.conn_id})])
        args = request.get("args")
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            return Reply([_json({"success": False, "ret_msg": f"error:handler not found,op:{op}",
                                 "conn_id": self.conn_id, "req_id": req_id, "op": op})])  # fmt: skip
        if op == "subscribe":
            unknown = [a for a in args if a not in known]
            if unknown:
                return Reply([_json({"success": False, "ret_msg": f"error:handler not found,topic:{unknown[0]}",
                                     "conn_id": self.conn_id, "req_id": req_id, "op": op})])  # fmt: skip
            new = [a for a in dict.fromkeys(args) if a not in self.streams]
            self.streams.extend(new)
        else:
            new = []
            self.streams[:] = [s for s in self.streams if s not in args]
        ack = {"success": True, "ret_msg": op if self.venue is Venue.BYBIT else "", "conn_id": self.conn_id,
               "req_id": req_id, "op": op}  # fmt: skip
        return Reply([_json(ack)], new)


def _levels(levels, pd: int, sd: int) -> list[list[str]]:
    return [[plain_decimal(p, pd), plain_decimal(s, sd)] for p, s in levels]


@dataclass(frozen=True)
class BybitReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of Bybit spot or linear."""

    venue: Venue

    def stream_of(self, frame: bytes) -> str | None:
        start = frame.find(_TOPIC, 0, 40)
        if start < 0:
            return None  # an ack or a pong
        start += len(_TOPIC)
        end = frame.find(b'"', start)
        return frame[start:end].decode("ascii", "replace") if end > start else None

    def stream_symbol(self, stream: str) -> str:
        return stream.rsplit(".", 1)[-1].upper()

    def is_book_stream(self, stream: str) -> bool:
        return stream.startswith("orderbook.")

    def is_snapshot_body(self, body: bytes) -> bool:
        return False

    def accept(self, path: str, known: Collection[str]) -> BybitSession | None:
        if path.split("?", 1)[0].rstrip("/") != WS_PATH[self.venue]:
            return None
        return BybitSession(self.venue, f"replay-{id(known) & 0xFFFF:x}")

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        return StreamTrueBook(self.venue, symbols, self._rest_body)

    def snapshot_frame(self, stream: str, book: StreamTrueBook) -> bytes | None:
        if not self.is_book_stream(stream):
            return None
        _, depth, symbol = stream.split(".", 2)
        sync = book.sync(symbol)
        if sync is None or not sync.ready:
            return None
        b = sync.book
        bids, asks = b.depth(int(depth) if depth.isdigit() else max(BOOK_DEPTHS))
        ts = max(book._times_ms.get(stream, 0), 0)
        return _json({"topic": stream, "type": "snapshot", "ts": ts, "data": {
            "s": symbol, "b": _levels(bids, b.price_decimals, b.size_decimals),
            "a": _levels(asks, b.price_decimals, b.size_decimals), "u": sync.last_sequence, "seq": 0}, "cts": ts})  # fmt: skip

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return query.get("symbol")

    def error_body(self, code: int, msg: str) -> bytes:
        return _json({"retCode": 10006 if code in (429, 418) else 10016, "retMsg": msg, "result": {}, "retExtInfo": {},
                      "time": 0})  # fmt: skip

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        return [(REST_ORDERBOOK_PATH, self._orderbook), ("/v5/market/time", self._time),
                (INSTRUMENTS_PATH, self._instruments)]

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {"stream": ws + WS_PATH[self.venue], "depth": rest + REST_ORDERBOOK_PATH}

    # -- REST --------------------------------------------------------------------------------------------------
    def _rest_body(self, symbol: str, sync: BookSync, limit: int, now_ms: int) -> bytes:
        b = sync.book
        bids, asks = b.depth(limit)
        return _json({"retCode": 0, "retMsg": "OK", "result": {
            "s": symbol, "b": _levels(bids, b.price_decimals, b.size_decimals),
            "a": _levels(asks, b.price_decimals, b.size_decimals), "ts": now_ms, "u": sync.last_sequence, "seq": 0,
            "cts": now_ms}, "retExtInfo": {}, "time": now_ms})  # fmt: skip

    async def _orderbook(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        symbol, category = query.get("symbol", "").upper(), query.get("category", "")
        limit_text = query.get("limit", "1" if self.venue is Venue.BYBIT else "25")
        top = 200 if self.venue is Venue.BYBIT else 500
        if category != CATEGORY[self.venue] or symbol not in venue.index.symbols or not limit_text.isdigit() \
                or not 1 <= int(limit_text) <= top:  # fmt: skip
            return 200, _json({"retCode": 10001, "retMsg": "params error", "result": {}, "retExtInfo": {},
                               "time": venue.position_ns() // 1_000_000}), {}  # fmt: skip
        body = await venue.depth_snapshot(symbol, int(limit_text))
        if body is None:
            return 503, self.error_body(503, "service unavailable: no book yet"), {}
        return 200, body, {}

    async def _instruments(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        """The recording's last ``instruments-info`` answer of the asked ``category``, byte for byte (other
        parameters are not applied: the answer is the one recorded); none recorded: ``retCode`` 10001."""
        category = query.get("category", "")
        for recorded, body in reversed(venue.recorded_rest(INSTRUMENTS_PATH)):
            if recorded.get("category") == category:
                return 200, body, {}
        return 200, _json({"retCode": 10001, "retMsg": "params error: no recorded instruments of this category",
                           "result": {}, "retExtInfo": {}, "time": venue.position_ns() // 1_000_000}), {}  # fmt: skip

    async def _time(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        ns = venue.position_ns()
        return 200, _json({"retCode": 0, "retMsg": "OK", "result": {"timeSecond": str(ns // 10**9),
                                                                   "timeNano": str(ns)}, "retExtInfo": {},
                           "time": ns // 1_000_000}), {}  # fmt: skip


SPOT = BybitReplay(Venue.BYBIT)
LINEAR = BybitReplay(Venue.BYBIT_LINEAR)
