"""Coinbase Advanced Trade's replay protocol: what the venue-neutral replay engine serves for a Coinbase recording.

Sources: Coinbase Advanced Trade "WebSocket Overview" (one ``subscribe`` per channel: ``{"type":"subscribe",
"product_ids":[...],"channel":"level2"}``, answered by a ``subscriptions`` message; "Sequence Numbers":
``sequence_num`` counts every message of *a connection*) and "WebSocket Channels" (``level2`` starts with an
``l2_data`` ``snapshot`` event). Wire names and frames come from :mod:`actors.feed.venues.coinbase`.

* Streams are ``<channel>:<product_id>`` (``level2:BTC-USD``, ``market_trades:ETH-USD``, ``ticker:BTC-USD``,
  ``candles:BTC-USD``) and ``heartbeats``; a client subscribes to them by channel name (``level2`` for
  ``l2_data`` frames). Every recorded frame, ``subscriptions`` included, feeds the true book, so its
  per-connection sequence stays contiguous there.
* ``sequence_num`` is per connection, so a replayed connection cannot carry the recorded numbers (they count the
  recording's own connection, with every channel of it): each session numbers what it sends, 0, 1, 2, ... A
  recorded frame of a subscribed stream that the fault injector dropped (or one the session skipped) still takes
  its number, so the client sees the jump exactly as Coinbase would show a lost message; frames the client never
  subscribed to take none. A resubscribed ``level2`` gets a snapshot built from the true book (numbered like any
  frame); ``subscriptions`` replies are numbered too.
* Any URL path is accepted (Advanced Trade serves on ``/``). No REST routes (books are snapshotted on the stream).

Deviation, stated: besides ``sequence_num``, recorded frames go out byte for byte.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from actors.fixedpoint import fixed_to_plain
from actors.instruments import Venue
from actors.replay.captures import CaptureRecord
from actors.replay.protocol import Reply
from actors.replay.streambook import StreamTrueBook

__all__ = ["COINBASE", "CoinbaseReplay", "CoinbaseSession"]

_SEQ = re.compile(rb'"sequence_num":(-?\d+)')
_CHANNEL = re.compile(rb'^\{"channel":"([a-z_0-9]+)"')
_PRODUCT = re.compile(rb'"product_id":"([A-Z0-9]+-[A-Z0-9]+)"')
_CHANNEL_OF = {"l2_data": "level2", "market_trades": "market_trades", "ticker": "ticker", "ticker_batch": "ticker_batch",
               "candles": "candles"}  # fmt: skip
_BUILT = -1  # sequence_num of a frame this replay built (a snapshot): numbered when sent


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _renumber(data: bytes, number: int) -> bytes:
    return _SEQ.sub(b'"sequence_num":%d' % number, data, count=1)


@dataclass
class CoinbaseSession:
    """One Advanced Trade connection: its subscribed streams and its own ``sequence_num`` (module docstring)."""

    protocol: CoinbaseReplay
    streams: list[str] = field(default_factory=list)
    next_number: int = 0
    last_recorded: int = -1  # recorded sequence_num of the last recorded frame sent
    since: dict[str, int] = field(default_factory=dict)  # stream -> replay position when it was subscribed

    def _take(self) -> int:
        number, self.next_number = self.next_number, self.next_number + 1
        return number

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or msg.get("type") not in ("subscribe", "unsubscribe"):
            return Reply([_json({"type": "error", "message": "Failed to parse message"})])
        channel, products = msg.get("channel"), msg.get("product_ids") or []
        if not isinstance(channel, str) or not isinstance(products, list):
            return Reply([_json({"type": "error", "message": "Failed to subscribe", "reason": "bad channel"})])
        wanted = ["heartbeats"] if channel == "heartbeats" else [f"{channel}:{p}" for p in products]
        subscribed = []
        for stream in wanted:
            if msg["type"] == "subscribe" and stream in known and stream not in self.streams:
                self.streams.append(stream)
                self.since[stream] = self.protocol.position  # earlier frames were never this session's
                subscribed.append(stream)
            elif msg["type"] == "unsubscribe" and stream in self.streams:
                self.streams.remove(stream)
        current: dict[str, list[str]] = {}
        for stream in self.streams:
            name, _, product = stream.partition(":")
            current.setdefault(name, []).extend([product] if product else [])
        reply = {"channel": "subscriptions", "client_id": "", "timestamp": "", "sequence_num": _BUILT,
                 "events": [{"subscriptions": current}]}  # fmt: skip
        return Reply([_json(reply)], subscribed)

    def number_reply(self, frame: bytes) -> bytes:
        """A reply gets the connection's next ``sequence_num`` when it is written (the replay server's reply
        task), not when the request was read: replies and data frames then carry their numbers in wire order."""
        return _renumber(frame, self._take()) if _SEQ.search(frame) else frame

    def outgoing(self, data: bytes, stream: str) -> bytes:
        found = _SEQ.search(data)
        if found is None:
            return data  # not an Advanced Trade frame (or a corrupted one): as is
        recorded = int(found.group(1))
        if recorded == _BUILT or recorded <= self.last_recorded:  # a built snapshot, or a duplicate / late frame
            return _renumber(data, self._take())
        skipped = self.protocol.frames_between(self.streams, self.since, self.last_recorded, recorded) \
            if self.last_recorded >= 0 else 0  # fmt: skip
        self.last_recorded = recorded
        self.next_number += skipped  # frames of subscribed streams that did not come: their numbers are gone
        return _renumber(data, self._take())

    def greeting(self, known: Collection[str]) -> list[bytes]:
        return []

    def describe(self) -> dict:
        return {"streams": list(self.streams), "sequence_num": self.next_number}


@dataclass
class CoinbaseReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of Coinbase Advanced Trade.

    Attributes:
        recorded: per stream, the recorded ``sequence_num`` of its frames in order (learned as frames are scanned),
            to count how many frames of a session's streams lie between two sent ones.
    """

    venue: Venue = Venue.COINBASE
    recorded: dict[str, list[int]] = field(default_factory=dict)
    position: int = -1  # recorded sequence_num of the frame the pump dispatched last

    def stream_of(self, frame: bytes) -> str | None:
        head = _CHANNEL.match(frame)
        if head is None:
            return None
        channel = head.group(1).decode()
        if channel in ("heartbeats", "subscriptions"):
            stream = channel
        else:
            name = _CHANNEL_OF.get(channel)
            product = _PRODUCT.search(frame)
            if name is None or product is None:
                return None
            stream = f"{name}:{product.group(1).decode()}"
        seq = _SEQ.search(frame)
        if seq is not None:
            numbers = self.recorded.setdefault(stream, [])
            value = self.position = int(seq.group(1))
            if not numbers or value > numbers[-1]:
                numbers.append(value)
        return stream

    def frames_between(self, streams: Collection[str], since: Mapping[str, int], after: int, before: int) -> int:
        """Recorded frames of ``streams`` numbered strictly between ``after`` and ``before`` (and, per stream, after
        the position it was subscribed at)."""
        count = 0
        for stream in streams:
            numbers = self.recorded.get(stream)
            if numbers:
                low = max(after, since.get(stream, -1))
                count += max(0, bisect.bisect_left(numbers, before) - bisect.bisect_right(numbers, low))
        return count

    def stream_symbol(self, stream: str) -> str:
        return stream.partition(":")[2] or stream

    def is_book_stream(self, stream: str) -> bool:
        return True  # every frame feeds the true book, so its connection sequence stays contiguous

    def is_snapshot_body(self, body: bytes) -> bool:
        return False

    def accept(self, path: str, known: Collection[str]) -> CoinbaseSession | None:
        return CoinbaseSession(self)

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        self.position = -1  # the engine asks for the true book after its index scan: dispatch starts from here
        return _CoinbaseTrueBook(symbols)

    def snapshot_frame(self, stream: str, book: Any) -> bytes | None:
        channel, _, product = stream.partition(":")
        if channel != "level2" or not isinstance(book, _CoinbaseTrueBook):
            return None
        sync = book.sync(product)
        if sync is None or not sync.ready:
            return None
        b = sync.book
        bids, asks = b.depth(max(b.bid_levels, b.ask_levels))
        pd, sd = b.price_decimals, b.size_decimals
        stamp = book.last_time or "1970-01-01T00:00:00Z"
        updates = [{"side": "bid", "event_time": stamp, "price_level": fixed_to_plain(p, pd),
                    "new_quantity": fixed_to_plain(s, sd)} for p, s in bids]  # fmt: skip
        updates += [{"side": "offer", "event_time": stamp, "price_level": fixed_to_plain(p, pd),
                     "new_quantity": fixed_to_plain(s, sd)} for p, s in asks]  # fmt: skip
        return _json({"channel": "l2_data", "client_id": "", "timestamp": stamp, "sequence_num": _BUILT,
                      "events": [{"type": "snapshot", "product_id": product, "updates": updates}]})  # fmt: skip

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        return []

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return None

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {}


_TIME = re.compile(rb'"timestamp":"([0-9T:\.\-]+Z)"')


class _CoinbaseTrueBook(StreamTrueBook):
    """The stream true book, also keeping the last frame's ``timestamp`` (for a built snapshot's times)."""

    def __init__(self, symbols: Collection[str]) -> None:
        super().__init__(Venue.COINBASE, symbols, _no_rest)
        self.last_time = ""

    def feed_depth(self, record: CaptureRecord, stream: str) -> None:
        super().feed_depth(record, stream)
        found = _TIME.search(record.data[:120])
        if found is not None:
            self.last_time = found.group(1).decode()


def _no_rest(symbol: str, sync: Any, limit: int, now_ms: int) -> bytes:
    raise AssertionError("Coinbase Advanced Trade books have no REST route here")


COINBASE = CoinbaseReplay()
