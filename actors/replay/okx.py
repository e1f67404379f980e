"""OKX v5's replay protocol (``/ws/v5/public``), for the venue-neutral engine.

Wire constants (path, channels, the checksum) come from :mod:`actors.feed.venues.okx`. Sources: OKX v5 docs
"WebSocket > Connect / Subscribe" (``{"op":"subscribe","args":[{"channel":..,"instId":..}]}``; each arg answered
``{"event":"subscribe","arg":{...},"connId":..}``; an unknown one ``{"event":"error","code":"60018","msg":"Wrong
URL or channel:<c>,instId:<i> doesn't exist.","connId":..}``; the text ``ping`` answered ``pong``), "Order book
channel" (the first push after a subscribe is ``action":"snapshot"`` with the ``checksum`` of its top 25 levels),
"Market Data > Get order book" (``GET /api/v5/market/books?instId=&sz=``: ``{"code":"0","msg":"","data":[{"asks",
"bids","ts"}]}``; an unknown instrument ``{"code":"51001","msg":"Instrument ID does not exist","data":[]}``), "Public Data > Get
instruments" (``GET /api/v5/public/instruments?instType=``: the recording's own answer, byte for byte).

Streams are named ``<channel>:<instId>`` (``books:BTC-USDT``), as the feed adapter's ``streams`` config writes them.
A client that subscribes to ``books`` gets a snapshot of the true book now (400 levels, its checksum computed like
OKX's), so the recorded updates that follow validate against it. Recorded ``event`` frames are not replayed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from actors.book.sync import BookSync
from actors.feed.venues.okx import BOOK_CHANNELS, INSTRUMENTS_PATH, REST_BOOKS_PATH, WS_PATH, okx_checksum
from actors.fixedpoint import fixed_to_plain
from actors.instruments import Venue
from actors.replay.protocol import RecordedSession, Reply
from actors.replay.streambook import StreamTrueBook

__all__ = ["OKX", "OkxReplay", "OkxSession"]

_ARG = b'{"arg":{"channel":"'
_INST = b'"instId":"'
_DEPTH = {"books": 400, "books5": 5, "bbo-tbt": 1}


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class OkxSession(RecordedSession):
    """One OKX connection: subscribed ``channel:instId`` streams and the ``op`` requests."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self.streams: list[str] = []

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        if text in ("ping", b"ping"):
            return Reply([b"pong"])
        try:
            request = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            return Reply([_json({"event": "error", "code": "60012", "msg": f"Invalid request: {str(text)[:60]}",
                                 "connId": self.conn_id})])  # fmt: skip
        op = request.get("op") if isinstance(request, dict) else None
        args = request.get("args") if isinstance(request, dict) else None
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list):
            return Reply([_json({"event": "error", "code": "60012", "msg": f"Invalid request: {str(text)[:60]}",
                                 "connId": self.conn_id})])  # fmt: skip
        frames, new = [], []
        for arg in args:
            if not isinstance(arg, dict) or not isinstance(arg.get("channel"), str):
                frames.append(_json({"event": "error", "code": "60012", "msg": "Invalid request", "connId": self.conn_id}))
                continue
            stream = f"{arg['channel']}:{arg.get('instId', '')}"
            if op == "subscribe":
                if stream not in known:
                    frames.append(_json({"event": "error", "code": "60018", "msg": f"Wrong URL or channel:"
                                         f"{arg['channel']},instId:{arg.get('instId', '')} doesn't exist.",
                                         "connId": self.conn_id}))  # fmt: skip
                    continue
                if stream not in self.streams:
                    self.streams.append(stream)
                    new.append(stream)
            elif stream in self.streams:
                self.streams.remove(stream)
            frames.append(_json({"event": op, "arg": {"channel": arg["channel"], "instId": arg.get("instId", "")},
                                 "connId": self.conn_id}))  # fmt: skip
        return Reply(frames, new)


def _levels(levels, pd: int, sd: int) -> list[list[str]]:
    return [[fixed_to_plain(p, pd), fixed_to_plain(s, sd), "0", "0"] for p, s in levels]


@dataclass(frozen=True)
class OkxReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of OKX."""

    venue: Venue = Venue.OKX

    def stream_of(self, frame: bytes) -> str | None:
        if not frame.startswith(_ARG):
            return None  # an event or a pong
        end = frame.find(b'"', len(_ARG))
        start = frame.find(_INST, end, end + 40)
        if end < 0 or start < 0:
            return None
        start += len(_INST)
        stop = frame.find(b'"', start)
        return f"{frame[len(_ARG):end].decode('ascii', 'replace')}:{frame[start:stop].decode('ascii', 'replace')}"

    def stream_symbol(self, stream: str) -> str:
        return stream.partition(":")[2].upper()

    def is_book_stream(self, stream: str) -> bool:
        return stream.partition(":")[0] in BOOK_CHANNELS

    def is_snapshot_body(self, body: bytes) -> bool:
        return False

    def accept(self, path: str, known: Collection[str]) -> OkxSession | None:
        if path.split("?", 1)[0].rstrip("/") != WS_PATH:
            return None
        return OkxSession(f"replay-{id(known) & 0xFFFF:x}")

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        return StreamTrueBook(self.venue, symbols, self._rest_body)

    def snapshot_frame(self, stream: str, book: StreamTrueBook) -> bytes | None:
        channel, _, inst_id = stream.partition(":")
        if channel != "books":  # books5 / bbo-tbt push a full snapshot every time anyway
            return None
        sync = book.sync(inst_id)
        if sync is None or not sync.ready:
            return None
        b = sync.book
        bids, asks = b.depth(_DEPTH[channel])
        data = {"asks": _levels(asks, b.price_decimals, b.size_decimals),
                "bids": _levels(bids, b.price_decimals, b.size_decimals), "ts": str(book._times_ms.get(stream, 0)),
                "checksum": okx_checksum(bids, asks, b.price_decimals, b.size_decimals)}  # fmt: skip
        if sync.last_sequence >= 0:
            data["seqId"], data["prevSeqId"] = sync.last_sequence, -1
        return _json({"arg": {"channel": channel, "instId": inst_id}, "action": "snapshot", "data": [data]})

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return query.get("instId")

    def error_body(self, code: int, msg: str) -> bytes:
        return _json({"code": "50011" if code in (429, 418) else "50001", "msg": msg, "data": []})

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        return [(REST_BOOKS_PATH, self._books), ("/api/v5/public/time", self._time), (INSTRUMENTS_PATH, self._instruments)]

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {"stream": ws + WS_PATH, "depth": rest + REST_BOOKS_PATH}

    # -- REST --------------------------------------------------------------------------------------------------
    def _rest_body(self, symbol: str, sync: BookSync, limit: int, now_ms: int) -> bytes:
        b = sync.book
        bids, asks = b.depth(limit)
        return _json({"code": "0", "msg": "", "data": [{"asks": _levels(asks, b.price_decimals, b.size_decimals),
                      "bids": _levels(bids, b.price_decimals, b.size_decimals), "ts": str(now_ms)}]})  # fmt: skip

    async def _books(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        inst_id = query.get("instId", "").upper()
        size = query.get("sz", "1")
        if inst_id not in venue.index.symbols:
            return 200, _json({"code": "51001", "msg": "Instrument ID does not exist", "data": []}), {}
        if not size.isdigit() or not 1 <= int(size) <= 400:
            return 200, _json({"code": "51000", "msg": "Parameter sz error", "data": []}), {}
        body = await venue.depth_snapshot(inst_id, int(size))
        if body is None:
            return 503, self.error_body(503, "Service temporarily unavailable"), {}
        return 200, body, {}

    async def _instruments(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        """The recording's last ``/api/v5/public/instruments`` answer of the asked ``instType`` (and ``uly``),
        byte for byte; none recorded: ``{"code":"51000","msg":"Parameter instType error"}``."""
        wanted = (query.get("instType", "").upper(), query.get("uly", "").upper())
        for recorded, body in reversed(venue.recorded_rest(INSTRUMENTS_PATH)):
            if (recorded.get("instType", "").upper(), recorded.get("uly", "").upper()) == wanted:
                return 200, body, {}
        return 200, _json({"code": "51000", "msg": "Parameter instType error", "data": []}), {}

    async def _time(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        return 200, _json({"code": "0", "msg": "", "data": [{"ts": str(venue.position_ns() // 1_000_000)}]}), {}


OKX = OkxReplay()
