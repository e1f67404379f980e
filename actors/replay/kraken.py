"""Kraken's replay protocol (spot WS v1): what the venue-neutral replay engine serves for a Kraken recording.

Sources: Kraken Websockets API v1, "General" (``systemStatus`` on connect), "subscribe" / "unsubscribe" and
"subscriptionStatus" (one status per pair: ``channelID``, ``channelName`` ``book-<depth>``, ``pair``, ``status``
``subscribed`` / ``unsubscribed`` / ``error`` with ``errorMessage``), "ping"/"pong" (``reqid`` echoed), and the
``book`` channel (the first message after a subscription is the snapshot ``as``/``bs``). Wire names and the
subscribe frames come from the Kraken feed module (:mod:`actors.feed.venues.kraken`).

* Streams are ``<channelName>:<pair>`` (``book-1000:SC/EUR``, ``trade:XMR/USD``, ``ticker:WAVES/EUR``), from the
  recorded frames ``[channelID, ..., channelName, pair]``; event objects (heartbeats, statuses) are not replayed.
* Any URL path is accepted (Kraken serves v1 on ``/``); the server greets with ``systemStatus``. A client
  ``subscribe`` names ``pair`` and ``subscription`` (``name``, ``depth`` for books, Kraken's default 10): each pair
  whose stream the recording has is subscribed (``subscriptionStatus`` ``subscribed``, with the recorded channel id),
  others get ``status: "error"``. ``unsubscribe`` answers ``unsubscribed``. ``{"event":"ping"}`` -> ``pong``.
* Recorded frames go out byte for byte. A book subscription gets the snapshot first, built from the true book
  (:class:`~actors.replay.streambook.StreamTrueBook`) at the current replay time and written with the pair's wire
  decimals, at most ``depth`` levels per side; before the recording's own snapshot there is no book yet, and the
  client gets the recorded snapshot when the replay reaches it.
* No REST routes (books are snapshotted on the stream).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from actors.feed.venues.kraken import instrument_symbol
from actors.fixedpoint import fixed_to_str
from actors.instruments import Venue
from actors.replay.captures import CaptureRecord
from actors.replay.protocol import Reply
from actors.replay.streambook import StreamTrueBook

__all__ = ["KRAKEN", "KrakenReplay", "KrakenSession"]

_TAIL = re.compile(rb',"([a-z0-9\-]+)","([A-Za-z0-9]+/[A-Za-z0-9]+)"\]\s*$')
_HEAD = re.compile(rb"^\[(\d+),")
_LEVEL = re.compile(rb'\[\["(\d+(?:\.\d+)?)","(\d+(?:\.\d+)?)"')
_STATUS = {"connectionID": 0, "event": "systemStatus", "status": "online", "version": "1.9.0"}


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _channel_id(stream: str) -> int:
    return zlib.crc32(stream.encode()) % 100_000  # only for streams not seen yet (the recorded id is preferred)


def _width(text: bytes) -> int:
    return len(text) - text.index(b".") - 1 if b"." in text else 0


@dataclass
class KrakenSession:
    """One Kraken v1 connection: its subscribed streams (see the module docstring)."""

    protocol: KrakenReplay
    streams: list[str] = field(default_factory=list)

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        try:
            msg = json.loads(text)
        except ValueError:
            return Reply([_dumps({"event": "error", "errorMessage": "Malformed request"})])
        if not isinstance(msg, dict):
            return Reply([_dumps({"event": "error", "errorMessage": "Malformed request"})])
        event = msg.get("event")
        reqid = {"reqid": msg["reqid"]} if "reqid" in msg else {}
        if event == "ping":
            return Reply([_dumps({"event": "pong", **reqid})])
        if event not in ("subscribe", "unsubscribe"):
            return Reply([_dumps({"event": "error", "errorMessage": f"Unsupported event {event!r}", **reqid})])
        sub = msg.get("subscription") if isinstance(msg.get("subscription"), dict) else {}
        name = sub.get("name")
        pairs = msg.get("pair") if isinstance(msg.get("pair"), list) else []
        if name not in ("book", "trade", "ticker", "spread", "ohlc") or not pairs:
            return Reply([_dumps({"event": "subscriptionStatus", "status": "error", "subscription": sub,
                                  "errorMessage": "Subscription name invalid" if pairs else "Pair(s) not found",
                                  **reqid})])  # fmt: skip
        depth = int(sub.get("depth", 10)) if name == "book" else 0
        channel = f"book-{depth}" if name == "book" else name
        frames, subscribed = [], []
        for pair in pairs:
            stream = f"{channel}:{pair}"
            status: dict[str, Any] = {"channelName": channel, "event": "subscriptionStatus", "pair": pair,
                                      "subscription": {"depth": depth, "name": "book"} if depth else {"name": name},
                                      **reqid}  # fmt: skip
            if stream not in known:
                status.update(status="error", errorMessage="Currency pair not supported")
            elif event == "subscribe":
                status.update(channelID=self.protocol.channel_ids.get(stream, _channel_id(stream)), status="subscribed")
                if stream not in self.streams:
                    self.streams.append(stream)
                    subscribed.append(stream)
            else:
                status.update(channelID=self.protocol.channel_ids.get(stream, _channel_id(stream)),
                              status="unsubscribed")  # fmt: skip
                if stream in self.streams:
                    self.streams.remove(stream)
            frames.append(_dumps(status))
        return Reply(frames, subscribed)

    def outgoing(self, data: bytes, stream: str) -> bytes:
        return data  # byte for byte as recorded

    def greeting(self, known: Collection[str]) -> list[bytes]:
        return [_dumps(_STATUS)]

    def describe(self) -> dict:
        return {"streams": list(self.streams)}


@dataclass
class KrakenReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of Kraken spot WS v1.

    Attributes:
        channel_ids: recorded ``channelID`` per stream (learned from the frames; used in subscription replies).
        wire_decimals: recorded ``(price, volume)`` decimals per pair (used to write built snapshots).
    """

    venue: Venue = Venue.KRAKEN
    channel_ids: dict[str, int] = field(default_factory=dict)
    wire_decimals: dict[str, tuple[int, int]] = field(default_factory=dict)

    def stream_of(self, frame: bytes) -> str | None:
        if not frame.startswith(b"["):
            return None  # events: systemStatus, subscriptionStatus, heartbeat, pong
        tail = _TAIL.search(frame)
        if tail is None:
            return None
        stream = f"{tail.group(1).decode()}:{tail.group(2).decode()}"
        if stream not in self.channel_ids:
            head = _HEAD.match(frame)
            if head is not None and len(self.channel_ids) < 100_000:
                self.channel_ids[stream] = int(head.group(1))
        return stream

    def stream_symbol(self, stream: str) -> str:
        return instrument_symbol(stream.partition(":")[2])

    def is_book_stream(self, stream: str) -> bool:
        return stream.startswith("book-")

    def is_snapshot_body(self, body: bytes) -> bool:
        return False

    def accept(self, path: str, known: Collection[str]) -> KrakenSession | None:
        return KrakenSession(self)

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        return _KrakenTrueBook(self, symbols)

    def snapshot_frame(self, stream: str, book: Any) -> bytes | None:
        channel, _, pair = stream.partition(":")
        if not channel.startswith("book-") or not isinstance(book, _KrakenTrueBook):
            return None
        sync = book.sync(instrument_symbol(pair))
        widths = self.wire_decimals.get(pair)
        if sync is None or not sync.ready or widths is None:
            return None
        levels = sync.book
        depth = int(channel[5:]) if channel[5:].isdigit() else 10
        bids, asks = levels.depth(depth)
        pd, sd = levels.price_decimals, levels.size_decimals
        stamp = f"{book.last_ts_ns // 1_000_000_000}.{book.last_ts_ns % 1_000_000_000 // 1000:06d}"

        def side(lv: list[tuple[int, int]]) -> list[list[str]]:
            return [[_wire(p, pd, widths[0]), _wire(s, sd, widths[1]), stamp] for p, s in lv]

        cid = self.channel_ids.get(stream, _channel_id(stream))
        return _dumps([cid, {"as": side(asks), "bs": side(bids)}, channel, pair])

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        return []

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return None

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {}


def _wire(value: int, decimals: int, wire: int) -> str:
    """A fixed-point value written with the pair's wire decimals (exact: the wire never has more digits)."""
    if decimals > wire:
        return fixed_to_str(value // 10 ** (decimals - wire), wire)
    return fixed_to_str(value * 10 ** (wire - decimals), wire)


class _KrakenTrueBook(StreamTrueBook):
    """The stream true book, also learning each pair's wire decimals (from its recorded level strings) and the time
    of the last book frame (for the level timestamps of a built snapshot)."""

    def __init__(self, protocol: KrakenReplay, symbols: Collection[str]) -> None:
        super().__init__(Venue.KRAKEN, symbols, _no_rest)
        self._protocol = protocol
        self.last_ts_ns = 0

    def feed_depth(self, record: CaptureRecord, stream: str) -> None:
        super().feed_depth(record, stream)
        self.last_ts_ns = max(self.last_ts_ns, record.ts_recv)
        pair = stream.partition(":")[2]
        if pair not in self._protocol.wire_decimals:
            level = _LEVEL.search(record.data)
            if level is not None:
                self._protocol.wire_decimals[pair] = (_width(level.group(1)), _width(level.group(2)))


def _no_rest(symbol: str, sync: Any, limit: int, now_ms: int) -> bytes:
    raise AssertionError("Kraken WS v1 has no REST book route")


KRAKEN = KrakenReplay()
