"""Bitstamp WebSocket API v2's replay protocol (``wss://ws.bitstamp.net``) and its REST ``order_book``.

Wire constants come from :mod:`actors.feed.venues.bitstamp` (channel prefixes, the order-book path, the heartbeat
frame). Sources: Bitstamp "WebSocket API v2" (subscribe ``{"event":"bts:subscribe","data":{"channel":..}}``,
answered ``{"event":"bts:subscription_succeeded","channel":..,"data":{}}``; ``bts:unsubscribe`` answered
``bts:unsubscription_succeeded``; the heartbeat ``{"event":"bts:heartbeat"}`` answered ``{"event":"bts:heartbeat",
"channel":"","data":{"status":"success"}}``; an unknown channel ``{"event":"bts:error","channel":"","data":{"code":
null,"message":"Incorrect channel"}}``) and HTTP API "Order book" (``GET /api/v2/order_book/{pair}/``:
``{"timestamp","microtimestamp","bids","asks"}``, levels ``[price, amount]``).

* Streams are the channel names (``diff_order_book_btcusd``, ``live_trades_btcusd``). Recorded control frames
  (``bts:subscription_succeeded`` ...) are not replayed: the session answers the client itself.
* The true book is rebuilt from the recording's own REST ``order_book`` body and diffs with Bitstamp's
  ``microtimestamp`` rule (:class:`~actors.feed.venues.policies.NewerThanSnapshotPolicy`). ``GET
  /api/v2/order_book/<pair>/`` answers it at the current replay time with ``microtimestamp`` = the last applied
  diff's, so the client's own rule drops exactly the diffs the body already holds. One route per pair of the
  recording (others: HTTP 404).
* **Gaps are undetectable** (diffs carry no update id): a diff the fault injector drops leaves the client's book
  wrong and unreported; only a reconnect (a new REST snapshot) repairs it. Tests show exactly that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from actors.book.sync import BookSync
from actors.feed.venues.bitstamp import DIFF_CHANNEL, ORDER_BOOK_PREFIX, TRADES_CHANNEL, order_book_path
from actors.instruments import Venue
from actors.replay.protocol import RecordedSession, Reply, plain_levels
from actors.replay.streambook import StreamTrueBook

__all__ = ["BITSTAMP", "BitstampReplay", "BitstampSession"]

_EVENT = re.compile(rb'"event":"([a-z:_]+)"')
_CHANNEL = re.compile(rb'"channel":"([a-z0-9_]+)"')


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class BitstampSession(RecordedSession):
    """One v2 connection: its subscribed channels and the ``bts:*`` requests."""

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        try:
            request = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            request = None
        event = request.get("event") if isinstance(request, dict) else None
        if event == "bts:heartbeat":
            return Reply([_json({"event": "bts:heartbeat", "channel": "", "data": {"status": "success"}})])
        data = request.get("data") if isinstance(request, dict) else None
        channel = data.get("channel") if isinstance(data, dict) else None
        if event not in ("bts:subscribe", "bts:unsubscribe") or not isinstance(channel, str):
            return Reply([_json({"event": "bts:error", "channel": "", "data": {"code": None,
                                                                              "message": "Bad subscription string."}})])  # fmt: skip
        if event == "bts:unsubscribe":
            if channel in self.streams:
                self.streams.remove(channel)
            return Reply([_json({"event": "bts:unsubscription_succeeded", "channel": channel, "data": {}})])
        if channel not in known:
            return Reply([_json({"event": "bts:error", "channel": "", "data": {"code": None,
                                                                              "message": "Incorrect channel"}})])  # fmt: skip
        new = [] if channel in self.streams else [channel]
        self.streams.extend(new)
        return Reply([_json({"event": "bts:subscription_succeeded", "channel": channel, "data": {}})], new)


@dataclass(frozen=True)
class BitstampReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of Bitstamp v2."""

    venue: Venue = Venue.BITSTAMP

    def stream_of(self, frame: bytes) -> str | None:
        event = _EVENT.search(frame, max(0, len(frame) - 120)) or _EVENT.search(frame)
        if event is None or event.group(1) not in (b"data", b"trade"):
            return None  # bts:* control frames
        found = None
        for found in _CHANNEL.finditer(frame, max(0, len(frame) - 160)):
            pass
        return found.group(1).decode() if found is not None else None

    def stream_symbol(self, stream: str) -> str:
        for prefix in (DIFF_CHANNEL, TRADES_CHANNEL):
            if stream.startswith(prefix):
                return stream[len(prefix):].upper()
        return stream.upper()

    def is_book_stream(self, stream: str) -> bool:
        return stream.startswith(DIFF_CHANNEL)

    def is_snapshot_body(self, body: bytes) -> bool:
        return body.startswith(b"{") and b'"microtimestamp"' in body[:120] and b'"bids"' in body[:200]

    def accept(self, path: str, known: Collection[str]) -> BitstampSession | None:
        return BitstampSession() if path.split("?", 1)[0].rstrip("/") == "" else None

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        return StreamTrueBook(self.venue, symbols, self._rest_body)

    def snapshot_frame(self, stream: str, book: Any) -> bytes | None:
        return None  # snapshots come from REST

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return None  # the pair is in the path

    def error_body(self, code: int, msg: str) -> bytes:
        return _json({"status": "error", "reason": msg, "code": str(code)})

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        def route(symbol: str):
            async def order_book(venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
                body = await venue.depth_snapshot(symbol, 0)
                if body is None:
                    return 503, self.error_body(503, "Service unavailable: no order book yet"), {}
                return 200, body, {}

            return order_book

        return [(order_book_path(s), route(s)) for s in sorted(venue.index.symbols)]

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {"stream": ws + "/", "depth": rest + ORDER_BOOK_PREFIX}

    def _rest_body(self, symbol: str, sync: BookSync, limit: int, now_ms: int) -> bytes:
        b = sync.book
        bids, asks = b.depth(max(b.bid_levels, b.ask_levels))  # Bitstamp's order book has no depth parameter
        micro = max(sync.last_sequence, 0)
        return _json({"timestamp": str(micro // 1_000_000), "microtimestamp": str(micro),
                      "bids": plain_levels(bids, b.price_decimals, b.size_decimals),
                      "asks": plain_levels(asks, b.price_decimals, b.size_decimals)})  # fmt: skip


BITSTAMP = BitstampReplay()
