"""Binance's replay protocol (spot, USD-M, COIN-M): what the venue-neutral replay engine serves for Binance.

Wire constants come from the Binance feed module (:mod:`actors.feed.venues.binance`: REST paths) and the
server-side pieces of Binance's protocol live in :mod:`actors.replay.streams` (stream paths, ``SUBSCRIBE`` ...,
the combined-stream envelope) and :mod:`actors.replay.depth` (``GET depth`` validation, error bodies, bodies from
the book); the true book is :class:`actors.replay.truebook.TrueBook` (recorded REST bodies byte for byte while
they are current). Sources: see those modules.

REST routes (Binance Spot API docs "General endpoints" / "Market Data endpoints"; USD-M / COIN-M "Market Data"):
``GET <prefix>/depth``, ``<prefix>/ping`` (``{}``), ``<prefix>/time`` (``{"serverTime":<replay ms>}``), and on
spot ``/api/v3/exchangeInfo`` (the recorded response). Binance sends snapshots only over REST, so
:meth:`BinanceReplay.snapshot_frame` is None.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from actors.feed.venues.binance import REST_DEPTH_PATH
from actors.instruments import Venue
from actors.replay.depth import RestError, error_body, parse_depth_query
from actors.replay.protocol import Reply
from actors.replay.streams import StreamSession, error_reply, parse_ws_path, raw_payload, stream_of, stream_symbol
from actors.replay.truebook import TrueBook

__all__ = ["BinanceReplay", "BinanceSession", "COINM", "SPOT", "USDM"]


class BinanceSession:
    """A Binance connection: :class:`~actors.replay.streams.StreamSession` plus the path's unknown streams."""

    def __init__(self, session: StreamSession, unknown: bool) -> None:
        self._session = session
        self._unknown = unknown
        self.streams = session.streams

    @property
    def combined(self) -> bool:
        return self._session.combined

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        before = set(self.streams)
        reply = self._session.handle(text, known)
        return Reply([reply], [s for s in self.streams if s not in before])

    def outgoing(self, data: bytes, stream: str) -> bytes:
        """Combined connections get the recorded envelope byte for byte; raw ones (``/ws``, ``combined`` false)
        the ``data`` part, a byte-exact substring (as far as a corrupted frame allows)."""
        if self._session.combined:
            return data
        try:
            return raw_payload(data, stream)
        except ValueError:  # a truncated or corrupted frame: cut the envelope as far as it goes
            head = len(stream) + 20  # len('{"stream":"') + stream + len('","data":')
            return data[head:] if len(data) > head else data

    def greeting(self, known: Collection[str]) -> list[bytes]:
        return [error_reply(None, 2, "Invalid request: invalid stream")] if self._unknown else []

    def describe(self) -> dict:
        return {"streams": list(self.streams), "combined": self._session.combined}


_JSON_HEADERS: dict = {}


@dataclass(frozen=True)
class BinanceReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of one Binance venue."""

    venue: Venue
    serves_exchange_info: bool = False

    @property
    def prefix(self) -> str:
        return REST_DEPTH_PATH[self.venue].rsplit("/", 1)[0]  # /api/v3, /fapi/v1, /dapi/v1

    def stream_of(self, frame: bytes) -> str | None:
        return stream_of(frame)

    def stream_symbol(self, stream: str) -> str:
        return stream_symbol(stream)

    def is_book_stream(self, stream: str) -> bool:
        return "@depth" in stream

    def is_snapshot_body(self, body: bytes) -> bool:
        return body.startswith(b'{"lastUpdateId"')

    def accept(self, path: str, known: Collection[str]) -> BinanceSession | None:
        wanted = parse_ws_path(path)
        if wanted is None:
            return None
        session = StreamSession([s for s in wanted.streams if s in known], wanted.combined)
        return BinanceSession(session, any(s not in known for s in wanted.streams))

    def true_book(self, symbols: Collection[str]) -> TrueBook:
        return TrueBook(self.venue, frozenset(symbols))

    def snapshot_frame(self, stream: str, book: Any) -> bytes | None:
        return None  # Binance snapshots come from REST only

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return query.get("symbol")

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        routes = [(f"{self.prefix}/depth", _depth), (f"{self.prefix}/ping", _ping), (f"{self.prefix}/time", _time)]
        if venue.exchange_info is not None:
            routes.append((f"{self.prefix}/exchangeInfo", _exchange_info))
        return routes

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {"combined": f"{ws}/stream?streams=" + "/".join(index.streams), "depth": f"{rest}{self.prefix}/depth"}


async def _depth(venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
    try:
        symbol, limit = parse_depth_query(venue.venue, query, venue.index.symbols)
    except RestError as exc:
        return exc.status, exc.body(), {}
    body = await venue.depth_snapshot(symbol, limit)
    if body is None:
        msg = "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
        return 503, error_body(-1007, msg), {}
    return 200, body, {}


async def _ping(venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
    return 200, b"{}", {}


async def _time(venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
    # testnet mode: the wall clock, against which signed requests' ``timestamp`` is checked
    now = time.time_ns() if getattr(venue, "testnet", None) is not None else venue.position_ns()
    return 200, json.dumps({"serverTime": now // 1_000_000}, separators=(",", ":")).encode(), {}


async def _exchange_info(venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
    return 200, venue.exchange_info or b"{}", {}


SPOT = BinanceReplay(Venue.BINANCE, serves_exchange_info=True)
USDM = BinanceReplay(Venue.BINANCE_USDM)
COINM = BinanceReplay(Venue.BINANCE_COINM)
