"""Gemini market data v2's replay protocol (``/v2/marketdata``), for the venue-neutral engine.

Wire constants and frames come from :mod:`actors.feed.venues.gemini` (``WS_PATH``, ``L2``, the subscribe frame's
shape). Source: Gemini "WebSocket API > Market Data Version 2": one connection to ``/v2/marketdata``; a client
sends ``{"type":"subscribe","subscriptions":[{"name":"l2","symbols":["BTCUSD",...]}]}`` (``unsubscribe`` alike);
"the first ``l2_updates`` message is the full order book, with the most recent trades and any auction events";
later ``l2_updates`` carry absolute ``changes``; ``trade`` messages; ``heartbeat`` every five seconds.

* Streams are ``l2:<SYMBOL>`` (``l2_updates`` and ``trade`` frames of the symbol: the ``l2`` subscription carries
  both) and ``heartbeat``, which every connection gets once it has subscribed to anything.
* A client that subscribes to ``l2`` gets the full book built from the true book at the current replay time, as
  the first ``l2_updates`` (with empty ``trades`` and ``auction_events``), then the recorded updates; a client
  subscribed before the recording's own first ``l2_updates`` gets that one as recorded.
* Replies: the v2 docs show no acknowledgement of a subscription, so none is sent. A frame that is not a
  documented request, or names a symbol the recording does not have, is answered ``{"type":"error","reason":
  "InvalidJson"|"InvalidSymbol","message":...}`` (the docs give no error example: the shape is this replay's).
* No REST routes: Gemini books are snapshotted on the stream.
* **No sequence numbers** on the wire, so a frame the fault injector drops (or reorders) is invisible to the
  client: its book stays wrong (until a resubscribe) and nothing reports a gap. Tests show exactly that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from actors.feed.venues.gemini import L2, WS_PATH
from actors.fixedpoint import fixed_to_plain
from actors.instruments import Venue
from actors.replay.protocol import RecordedSession, Reply
from actors.replay.streambook import StreamTrueBook

__all__ = ["GEMINI", "GeminiReplay", "GeminiSession"]

_HEAD = re.compile(rb'^\{"type":"(l2_updates|trade|heartbeat)"(?:,"symbol":"([A-Z0-9]+)")?')
_SYMBOL = re.compile(rb'"symbol":"([A-Z0-9]+)"')
HEARTBEAT = "heartbeat"


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _error(reason: str, message: str) -> bytes:
    return _json({"type": "error", "reason": reason, "message": message})


class GeminiSession(RecordedSession):
    """One v2 connection: its ``l2:<SYMBOL>`` streams (and ``heartbeat`` once subscribed)."""

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        try:
            request = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            return Reply([_error("InvalidJson", f"Failed to parse {str(text)[:60]!r}")])
        kind = request.get("type") if isinstance(request, dict) else None
        subscriptions = request.get("subscriptions") if isinstance(request, dict) else None
        if kind not in ("subscribe", "unsubscribe") or not isinstance(subscriptions, list):
            return Reply([_error("InvalidRequest", "expected a subscribe or unsubscribe request")])
        frames, new = [], []
        for sub in subscriptions:
            if not isinstance(sub, dict) or sub.get("name") != L2 or not isinstance(sub.get("symbols"), list):
                frames.append(_error("InvalidSubscription", f"unsupported subscription {sub!r}"[:120]))
                continue
            for symbol in sub["symbols"]:
                stream = f"{L2}:{str(symbol).upper()}"
                if kind == "unsubscribe":
                    if stream in self.streams:
                        self.streams.remove(stream)
                elif stream not in known:
                    frames.append(_error("InvalidSymbol", f"unknown symbol {symbol!r}"))
                elif stream not in self.streams:
                    self.streams.append(stream)
                    new.append(stream)
        if new and HEARTBEAT in known and HEARTBEAT not in self.streams:
            self.streams.append(HEARTBEAT)
        return Reply(frames, new)


@dataclass(frozen=True)
class GeminiReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of Gemini market data v2."""

    venue: Venue = Venue.GEMINI

    def stream_of(self, frame: bytes) -> str | None:
        head = _HEAD.match(frame)
        if head is None:
            return None
        if head.group(1) == b"heartbeat":
            return HEARTBEAT
        symbol = head.group(2) or (_SYMBOL.search(frame[:200]) or [None, None])[1]
        return f"{L2}:{symbol.decode()}" if symbol else None

    def stream_symbol(self, stream: str) -> str:
        return stream.partition(":")[2] or stream

    def is_book_stream(self, stream: str) -> bool:
        return stream.startswith(f"{L2}:")

    def is_snapshot_body(self, body: bytes) -> bool:
        return False

    def accept(self, path: str, known: Collection[str]) -> GeminiSession | None:
        if path.split("?", 1)[0].rstrip("/") != WS_PATH:
            return None
        return GeminiSession()

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        return StreamTrueBook(self.venue, [s for s in symbols if s != HEARTBEAT], _no_rest)

    def snapshot_frame(self, stream: str, book: StreamTrueBook) -> bytes | None:
        if not self.is_book_stream(stream):
            return None
        symbol = self.stream_symbol(stream)
        sync = book.sync(symbol)
        if sync is None or not sync.ready:
            return None
        b = sync.book
        pd, sd = b.price_decimals, b.size_decimals
        bids, asks = b.depth(max(b.bid_levels, b.ask_levels))
        changes = [["buy", fixed_to_plain(p, pd), fixed_to_plain(s, sd)] for p, s in bids]
        changes += [["sell", fixed_to_plain(p, pd), fixed_to_plain(s, sd)] for p, s in asks]
        return _json({"type": "l2_updates", "symbol": symbol, "changes": changes, "trades": [], "auction_events": []})

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        return []

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return None

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {"stream": ws + WS_PATH}


def _no_rest(symbol: str, sync: Any, limit: int, now_ms: int) -> bytes:
    raise AssertionError("Gemini books have no REST route here")


GEMINI = GeminiReplay()
