"""The venue seam: what one venue module provides, and the sequence policy ``BookSync`` is driven by.

A venue is one module in ``actors/feed/venues/`` exposing one :class:`VenueAdapter` per project venue
(``binance`` spot and ``binance_usdm`` are two adapters of one module), registered in
:mod:`actors.feed.venues` (``ADAPTERS``). Nothing shared branches on the venue: the feed, ``raytrade verify``,
the replay venue and the topology ask the adapter.

What an adapter gives (all pure: no I/O, no Ray, no websockets; the feed actor does the I/O):

* **Parsing** — :meth:`VenueAdapter.parser` returns a :class:`FrameParser` whose
  ``parse_frame(frame: bytes, ts_recv: int) -> Sequence[MarketEvent]`` turns one websocket frame into zero or more
  domain events (``()`` for a subscription reply or a pong), and ``parse_snapshot`` turns a REST depth body into a
  :class:`~actors.messages.BookSnapshot`. Bad input raises :class:`~actors.errors.MalformedFrame`, a valid but
  untranslated kind :class:`~actors.errors.UnsupportedFrame`, an error reply :class:`~actors.errors.VenueError`;
  never ``KeyError``. A venue whose snapshots come on the stream (Bybit, OKX, Coinbase, Kraken) emits
  ``BookSnapshot`` from ``parse_frame``. A venue with a per-connection sequence across channels (Coinbase
  ``sequence_num``) also emits one :class:`~actors.messages.StreamSequence` per frame.
* **Sequencing** — :meth:`VenueAdapter.policy` returns the :class:`SequencePolicy` of one instrument (see below).
* **Connection plan** — :meth:`VenueAdapter.connections` splits the subscribed symbols into
  :class:`ConnectionPlan` s (URL, frames to send after the socket opens, app-level ping, how many streams per
  connection); ``ws_base`` overrides the venue's host (a replay venue on loopback), nothing else changes.
* **REST snapshots** — :meth:`VenueAdapter.snapshot_request` (which ccxt implicit method, which params) when the
  policy's ``snapshot_source`` is ``"rest"``.
* **Instruments** — :meth:`VenueAdapter.spec_for` (a venue default exact for any symbol, or a built-in table),
  :meth:`VenueAdapter.spec_from_market` (from a ccxt market dict, i.e. the venue's instrument endpoint through
  ``load_markets``, or a recorded response), and symbol conversion both ways between the venue symbol, the
  ``instrument_id`` (``<SYMBOL>.<VENUE>``, :func:`actors.instruments.instrument_id`) and ccxt's unified symbol
  (``BTC/USDT``, ``BTC/USDT:USDT``, ``BTC/USD:BTC``).

Sequence policy (the rules of :class:`~actors.book.sync.BookSync`, one object per instrument, stateless):

* ``first_diff(diff, snapshot_sequence) -> Verdict`` — the first diff after a snapshot: ``APPLY``, ``STALE``
  (older than the snapshot: drop it) or ``GAP`` (the snapshot is older than the stream: fetch a newer one).
* ``next_diff(diff, last_sequence) -> Verdict`` — every later diff: ``APPLY``, ``STALE`` (duplicate / late, carries
  nothing the book lacks: dropped, counted, not a gap) or ``GAP`` (continuity broken: not ready, resync).
* ``gap_values(diff, last_sequence) -> (expected, got)`` — for the :class:`~actors.errors.SequenceGap` logged.
* ``resets(diff) -> bool`` — this diff replaces the book (Bybit ``u == 1``): it is loaded as a snapshot.
* ``snapshot_source`` — ``"rest"`` (Binance: fetch ``GET depth`` while buffering diffs) or ``"stream"`` (the venue
  sends the snapshot on the stream; a resync is a resubscribe, see :meth:`VenueAdapter.resubscribe_frames`).
  A stream snapshot always replaces the book, even if its sequence is lower (a venue restart).
* ``checksum_ok(book, checksum) -> bool`` and ``has_checksum`` — the venue's book checksum (Kraken, OKX: CRC32 of
  the top levels), computed from the real book after a diff or snapshot that carries one (``BookDeltas.checksum``
  / ``BookSnapshot.checksum``, None when absent). ``BookSync`` validates it **by default**
  (``validate_checksum=True``); a mismatch is a gap: not ready, resync.
* continuity across a whole connection (Coinbase ``sequence_num``) is ``connection_continues(prev, got) -> bool``
  on the adapter; the feed pipeline checks it on every ``StreamSequence`` and resyncs every book of the connection
  on a jump.

Where sequencing and the book live: in the **feed** (see README "Venues"): each instrument's ``BookSync`` drives a
real :class:`~actors.book.orderbook.OrderBook` in the feed pipeline, so a checksum or crossed check sees the real
book at the diff that broke it, ready is decided once, and the book actor applies the already-validated stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal, Protocol, runtime_checkable

from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent

__all__ = [
    "BookLevels",
    "ConnectionPlan",
    "FrameParser",
    "SNAPSHOT_REST",
    "SNAPSHOT_STREAM",
    "SequencePolicy",
    "SnapshotRequest",
    "SnapshotSource",
    "VenueAdapter",
    "Verdict",
]

SnapshotSource = Literal["rest", "stream"]
SNAPSHOT_REST: SnapshotSource = "rest"
SNAPSHOT_STREAM: SnapshotSource = "stream"


class Verdict(IntEnum):
    """What a :class:`SequencePolicy` says about one diff."""

    APPLY = 0
    STALE = 1
    GAP = 2


class BookLevels(Protocol):
    """What a checksum reads: the real book (an :class:`~actors.book.orderbook.OrderBook`)."""

    price_decimals: int
    size_decimals: int

    def depth(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]: ...


@runtime_checkable
class SequencePolicy(Protocol):
    """A venue's book-sequencing rules for one instrument (see the module docstring). Stateless: share one."""

    name: str
    snapshot_source: SnapshotSource
    has_checksum: bool

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict: ...

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict: ...

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]: ...

    def resets(self, diff: BookDeltas) -> bool: ...

    def checksum_ok(self, book: BookLevels, checksum: int) -> bool: ...


class FrameParser(Protocol):
    """Pure translation of one venue's frames and REST depth bodies into domain messages."""

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """One websocket text frame -> events (``()`` for replies, pongs, heartbeats).

        Raises:
            MalformedFrame, UnsupportedFrame, VenueError (see the module docstring).
        """
        ...

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """A REST depth body (raw, or decoded by ccxt) of ``symbol`` -> snapshot.

        Raises:
            MalformedFrame: not a depth body. VenueError: the venue's error body.
        """
        ...

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec the parser uses for ``symbol`` (its decimals scale every price and size)."""
        ...


@dataclass(frozen=True)
class ConnectionPlan:
    """One websocket connection of a feed.

    Attributes:
        url: the full URL (``wss://stream.binance.com:9443/stream?streams=...``, ``wss://stream.bybit.com/v5/public/spot``).
        symbols: venue symbols served on it.
        subscribe: text frames to send, in order, after every (re)connect (empty when the URL subscribes).
        ping_frame: app-level ping text to send every ``ping_interval_s`` (Bybit ``{"op":"ping"}``, OKX ``ping``);
            None when websocket-level pings suffice (Binance).
        ping_interval_s: seconds between app-level pings (venue doc: Bybit 20 s, OKX < 30 s).
        max_streams: the venue's documented maximum streams (topics) per connection (0: no stated limit).
    """

    url: str
    symbols: tuple[str, ...]
    subscribe: tuple[str, ...] = ()
    ping_frame: str | None = None
    ping_interval_s: float = 20.0
    max_streams: int = 0


@dataclass(frozen=True)
class SnapshotRequest:
    """A REST depth snapshot request through ccxt's implicit endpoint method (exact strings, ccxt's limiter).

    Attributes:
        ccxt_method: e.g. ``"publicGetDepth"`` (``GET /api/v3/depth``), ``"publicGetV5MarketOrderbook"``.
        params: query parameters (``{"symbol": "BTCUSDT", "limit": 1000}``).
        path: the HTTP path the replay venue serves (``"/api/v3/depth"``).
    """

    ccxt_method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""


class VenueAdapter(Protocol):
    """One project venue (see the module docstring). Implementations are small frozen objects, no state."""

    venue: Venue
    ccxt_id: str  # the ccxt exchange class (``"binance"``, ``"bybit"``, ``"okx"``)
    ws_url: str  # the venue's public websocket base (``wss://stream.binance.com:9443``)
    rest_url: str  # the venue's REST base (``https://api.binance.com``)

    def parser(self, specs: Sequence[InstrumentSpec] = ()) -> FrameParser:
        """A parser for this venue (``specs`` override the defaults by symbol)."""
        ...

    def policy(self, spec: InstrumentSpec | None = None) -> SequencePolicy:
        """The sequence policy of one instrument (None: the venue's default, where all instruments share one)."""
        ...

    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        """The connections that carry the books, trades and tickers of ``symbols``.

        Args:
            symbols: venue symbols.
            ws_base: replaces :attr:`ws_url` (a replay venue: ``ws://127.0.0.1:PORT``).
            streams: explicit venue stream/topic names instead of the defaults (config ``streams``).
        """
        ...

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        """Frames that make the venue send a fresh stream snapshot of ``symbol`` (unsubscribe + subscribe its
        book); ``()`` when the only way is to reconnect (or snapshots come from REST)."""
        ...

    def connection_continues(self, previous: int, sequence: int) -> bool:
        """Per-connection continuity (Coinbase ``sequence_num``: ``sequence == previous + 1``); True where the
        venue has no connection sequence."""
        ...

    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        """The REST depth request (only used when the policy's ``snapshot_source`` is ``"rest"``)."""
        ...

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        """The ``urls['api']`` entries that route this venue's ccxt client to ``rest_base`` (a replay venue)."""
        ...

    def spec_for(self, symbol: str) -> InstrumentSpec:
        """The spec of ``symbol``: built in, else the venue's exact default (decimals wide enough for any symbol)."""
        ...

    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt market dict (``exchange.markets[...]``: the venue's instrument endpoint).

        Raises:
            ConfigError: the market is not of this venue (wrong type/category).
        """
        ...

    def symbol_from_ccxt(self, unified: str) -> str:
        """ccxt unified symbol -> venue symbol (``"BTC/USDT:USDT"`` -> ``"BTCUSDT"`` on USD-M).

        Raises:
            ConfigError: not a symbol of this venue.
        """
        ...

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        """Venue instrument -> ccxt unified symbol."""
        ...
