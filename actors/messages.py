"""Frozen messages that cross actor boundaries: the shared vocabulary (DESIGN.md §3).

Money is fixed-point: every price and size is an ``int`` scaled by ``10**price_decimals`` /
``10**size_decimals`` of the instrument (see :mod:`actors.fixedpoint`); each message carries both scales so it is
self-describing. Times are ``int`` nanoseconds since the epoch: ``ts_event`` is the venue's, ``ts_recv`` ours.

Messages are ``msgspec.Struct(frozen=True)``: cheap to build on the hot path, immutable, picklable for Ray.
Receivers derive new state; they never mutate what they got. Levels are tuples ``(price, size)``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from actors.fixedpoint import fixed_to_decimal

__all__ = [
    "BookDeltas",
    "BookReset",
    "BookSnapshot",
    "BookView",
    "EventBatch",
    "Level",
    "MarkPrice",
    "MarketEvent",
    "Quote",
    "StreamSequence",
    "Trade",
]

Level = tuple[int, int]
"""One book level: ``(price, size)`` as fixed-point integers."""


class BookDeltas(msgspec.Struct, frozen=True, gc=False):
    """One venue diff: absolute sizes per price level (size 0 deletes the level), batched per frame.

    Attributes:
        instrument_id: ``"<SYMBOL>.<VENUE>"``.
        first_sequence: the venue's first update id in this diff (Binance ``U``).
        sequence: the venue's last update id in this diff (Binance ``u``).
        prev_sequence: the previous diff's last update id where the venue sends it (Binance futures ``pu``),
            else -1.
        bids, asks: levels ``(price, size)``, in the venue's order.
        price_decimals, size_decimals: fixed-point scales.
        ts_event: venue event time (ns). ts_recv: local receive time (ns).
        checksum: the venue's book checksum after this diff (OKX/Kraken CRC32, as the venue's signed or unsigned
            int), None when the venue sends none; validated against the real book by the sequence policy.
    """

    instrument_id: str
    first_sequence: int
    sequence: int
    prev_sequence: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    price_decimals: int
    size_decimals: int
    ts_event: int
    ts_recv: int
    checksum: int | None = None


class BookSnapshot(msgspec.Struct, frozen=True, gc=False):
    """A full book that replaces the local one (e.g. Binance REST ``GET /api/v3/depth``).

    Attributes:
        sequence: the venue's update id the snapshot is consistent with (Binance ``lastUpdateId``).
        bids: best first (descending price); asks: best first (ascending price).
        ts_event: venue time (ns) where the venue sends one (Binance futures ``E``), else 0 (unknown).
        checksum: the venue's checksum of this book (OKX snapshot ``checksum``), None when absent.
    """

    instrument_id: str
    sequence: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    price_decimals: int
    size_decimals: int
    ts_event: int
    ts_recv: int
    checksum: int | None = None


class BookReset(msgspec.Struct, frozen=True, gc=False):
    """The book can no longer be trusted (gap, reconnect, crossed): clear it; not ready until the next snapshot.

    Attributes:
        reason: ``"gap"``, ``"reconnect"``, ``"crossed"``, ``"checksum"`` (the venue's checksum disagreed with the
            book), ``"stale_snapshot"`` or ``"restart"``.
    """

    instrument_id: str
    reason: str
    ts_recv: int


class Trade(msgspec.Struct, frozen=True, gc=False):
    """One public trade.

    Attributes:
        trade_id: the venue's trade id (string: some venues use UUIDs).
        price, size: fixed-point.
        aggressor_side: ``"buy"`` or ``"sell"``: the taker's side (Binance ``m`` true -> buyer was maker -> sell).
    """

    instrument_id: str
    trade_id: str
    price: int
    size: int
    aggressor_side: str
    price_decimals: int
    size_decimals: int
    ts_event: int
    ts_recv: int

    def price_decimal(self) -> Decimal:
        """The price as an exact Decimal."""
        return fixed_to_decimal(self.price, self.price_decimals)


class Quote(msgspec.Struct, frozen=True, gc=False):
    """Top of book as the venue publishes it (Binance ``bookTicker``).

    Attributes:
        sequence: the book update id this quote reflects (Binance ``u``), comparable with ``BookDeltas.sequence``.
        ts_event: venue time (ns); 0 when the venue sends none (Binance spot ``bookTicker``).
    """

    instrument_id: str
    sequence: int
    bid_price: int
    bid_size: int
    ask_price: int
    ask_size: int
    price_decimals: int
    size_decimals: int
    ts_event: int
    ts_recv: int


class MarkPrice(msgspec.Struct, frozen=True, gc=False):
    """Futures mark price and funding (Binance ``markPriceUpdate``).

    Attributes:
        mark_price, index_price: fixed-point at ``price_decimals``.
        funding_rate: exact Decimal string as sent (``"0.00010000"``), a fraction per funding interval.
        next_funding_ns: next funding time (ns).
    """

    instrument_id: str
    mark_price: int
    index_price: int
    funding_rate: str
    next_funding_ns: int
    price_decimals: int
    ts_event: int
    ts_recv: int


class StreamSequence(msgspec.Struct, frozen=True, gc=False):
    """A per-connection sequence number across channels (Coinbase Advanced Trade ``sequence_num``).

    Emitted by a parser before the frame's other events; the feed pipeline checks it with the adapter's
    ``connection_continues`` and resyncs every book of the connection on a jump. Never sent to a book.

    Attributes:
        venue: the venue name. sequence: the frame's connection sequence. ts_recv: local receive time (ns).
    """

    venue: str
    sequence: int
    ts_recv: int


MarketEvent = BookDeltas | BookSnapshot | BookReset | Trade | Quote | MarkPrice | StreamSequence
"""Any market-data event a feed produces."""


class EventBatch(msgspec.Struct, frozen=True, gc=False):
    """Events for one book actor, in arrival order: what crosses the feed -> book boundary (one call per batch).

    Attributes:
        feed_id: the sending feed.
        events: market events in the order the feed received them.
        ts_sent: when the feed flushed the batch (ns), for latency accounting.
    """

    feed_id: str
    events: tuple[MarketEvent, ...]
    ts_sent: int


class BookView(msgspec.Struct, frozen=True, gc=False):
    """What a book publishes to subscribers after a batch: top of book and the best ``depth`` levels.

    Attributes:
        ready: False while the book waits for a snapshot; levels are then empty.
        sequence: the venue update id of the last applied diff or snapshot.
        bids, asks: best first, at most the subscribed depth.
        ts_event, ts_recv: of the last applied event (ns). ts_published: when the view was made (ns).
    """

    instrument_id: str
    ready: bool
    sequence: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    price_decimals: int
    size_decimals: int
    ts_event: int
    ts_recv: int
    ts_published: int

    def mid(self) -> Decimal | None:
        """``(best bid + best ask) / 2`` as an exact Decimal, or None when a side is empty."""
        if not self.bids or not self.asks:
            return None
        return fixed_to_decimal(self.bids[0][0] + self.asks[0][0], self.price_decimals) / 2
