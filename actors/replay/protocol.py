"""The replay venue's seam: what a venue's replay protocol module gives the venue-neutral engine, and the registry.

The engine (:mod:`actors.replay.venue`: clock, pump, fault injection, fault log, subscribers, both servers) knows
no venue. For each record it asks the venue's :class:`ReplayProtocol` what the frame is; for each connection,
what the URL path asks for and how to answer a client frame; for each REST request, which route answers it from
the true book. One module per venue (``actors/replay/<venue>.py``) implements it, importing the venue's wire
constants and structs from its feed module (``actors/feed/venues/<venue>.py``) instead of repeating them, and is
registered in :data:`PROTOCOLS` (one line per venue).

What a protocol provides:

* ``stream_of(frame) -> str | None`` — the stream (topic) a recorded frame belongs to, the unit clients subscribe
  to and fault injection counts; None for frames that are not market data (subscription replies, pongs), which
  are never replayed (the engine answers clients itself, through the session).
* ``stream_symbol(stream)``, ``is_book_stream(stream)`` — the venue symbol of a stream; whether its frames feed
  the true book.
* ``is_snapshot_body(body)`` — a recorded REST body that is a depth snapshot (feeds the true book).
* ``accept(path, known) -> Session | None`` — a new connection's session from its URL path (None: HTTP 404). A
  :class:`Session` holds ``streams`` (subscribed, in order), answers client frames with ``handle(text, known)``
  (returns a :class:`Reply`: frames to send and the streams newly subscribed), and turns a recorded frame into
  what this connection gets with ``outgoing(data, stream)`` (Binance raw vs combined envelope). ``greeting(known)``
  gives the frames to send right after the handshake (Binance: an error for unknown URL streams).
* ``true_book(symbols)`` — the venue's true book (``feed_rest``, ``feed_depth``, ``ready``, ``answer``,
  ``books``, ``version``; :class:`actors.replay.truebook.TrueBook` for Binance).
* ``snapshot_frame(stream, book) -> bytes | None`` — for venues that send book snapshots on the stream (Bybit,
  OKX, Coinbase, Kraken): the snapshot frame a client gets when it (re)subscribes to a book stream, built from
  the true book at the current replay time; None when the venue sends none or the book is not ready.
* ``rest_routes(venue)`` — ``[(path, handler)]`` for this replay venue; ``handler(venue, query) -> (status, body,
  headers)`` is a coroutine (the depth route waits for a ready true book through ``venue.depth_snapshot``).
* ``rest_symbol(query)`` — the symbol a REST request names (fault injection logs it), None if none.
* ``urls(ws, rest, index) -> dict`` — the extra entries of the venue's ``urls()`` (``combined``, ``depth`` ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Protocol

from actors.errors import ConfigError
from actors.instruments import Venue

__all__ = ["PROTOCOLS", "RecordedSession", "ReplayProtocol", "Reply", "RestHandler", "Session", "plain_levels",
           "protocol_for"]

RestHandler = Callable[[Any, Mapping[str, str]], Awaitable[tuple[int, bytes, dict]]]
"""``handler(venue, query) -> (status, body, headers)``."""


@dataclass
class Reply:
    """What a session answers to one client frame.

    Attributes:
        frames: frames to send back, in order (subscription acks, pongs, errors).
        subscribed: streams newly subscribed by this frame (the engine sends their stream snapshot, if any).
    """

    frames: list[bytes] = field(default_factory=list)
    subscribed: list[str] = field(default_factory=list)


class Session(Protocol):
    """One connection's subscriptions and protocol state."""

    streams: list[str]

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply: ...

    def outgoing(self, data: bytes, stream: str) -> bytes: ...

    def greeting(self, known: Collection[str]) -> list[bytes]: ...

    def describe(self) -> dict: ...


class RecordedSession:
    """What most venues' sessions share: recorded frames go out byte for byte, nothing is sent on connect, and the
    session describes itself by its streams (``self.streams``, empty at first; a subclass with its own
    ``__init__`` sets it)."""

    def __init__(self) -> None:
        self.streams: list[str] = []

    def outgoing(self, data: bytes, stream: str) -> bytes:
        return data

    def greeting(self, known: Collection[str]) -> list[bytes]:
        return []

    def describe(self) -> dict:
        return {"streams": list(self.streams)}


def plain_levels(levels, pd: int, sd: int) -> list[list[str]]:
    """``[[price, size], ...]`` as plain decimal strings (no exponent, no padding) from fixed-point levels."""
    from actors.fixedpoint import fixed_to_plain

    return [[fixed_to_plain(p, pd), fixed_to_plain(s, sd)] for p, s in levels]


class ReplayProtocol(Protocol):
    """A venue's replay protocol (see the module docstring)."""

    venue: Venue

    def stream_of(self, frame: bytes) -> str | None: ...

    def stream_symbol(self, stream: str) -> str: ...

    def is_book_stream(self, stream: str) -> bool: ...

    def is_snapshot_body(self, body: bytes) -> bool: ...

    def accept(self, path: str, known: Collection[str]) -> Session | None: ...

    def true_book(self, symbols: Collection[str]) -> Any: ...

    def snapshot_frame(self, stream: str, book: Any) -> bytes | None: ...

    def rest_routes(self, venue: Any) -> list[tuple[str, RestHandler]]: ...

    def rest_symbol(self, query: Mapping[str, str]) -> str | None: ...

    def urls(self, ws: str, rest: str, index: Any) -> dict: ...


PROTOCOLS: dict[str, str] = {
    "binance": "actors.replay.binance:SPOT",
    "binance_usdm": "actors.replay.binance:USDM",
    "binance_coinm": "actors.replay.binance:COINM",
    "bybit": "actors.replay.bybit:SPOT",
    "bybit_linear": "actors.replay.bybit:LINEAR",
    "okx": "actors.replay.okx:OKX",
    "kraken": "actors.replay.kraken:KRAKEN",
    "coinbase": "actors.replay.coinbase:COINBASE",
    "gemini": "actors.replay.gemini:GEMINI",
    "bitstamp": "actors.replay.bitstamp:BITSTAMP",
    "backpack": "actors.replay.backpack:BACKPACK",
}
"""Venue name -> ``"module:attribute"`` of its replay protocol (one line per venue)."""

_LOADED: dict[str, ReplayProtocol] = {}


def protocol_for(venue: Venue | str) -> ReplayProtocol:
    """The replay protocol of ``venue``.

    Raises:
        ConfigError: the replay venue cannot serve this venue yet.
    """
    name = venue.value if isinstance(venue, Venue) else str(venue).lower()
    proto = _LOADED.get(name)
    if proto is None:
        target = PROTOCOLS.get(name)
        if target is None:
            raise ConfigError(f"the replay venue cannot serve {name!r} yet (serves: {', '.join(sorted(PROTOCOLS))})")
        module, _, attr = target.partition(":")
        proto = _LOADED[name] = getattr(import_module(module), attr)
    return proto
