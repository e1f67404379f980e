"""The market data the testnet-mode venue fills against: the venue's own replayed frames as paper-model events. Pure.

Each websocket record the venue dispatches is parsed with the feed's Binance parser
(:class:`actors.feed.venues.binance.BinanceParser`) with ``ts_recv`` = the venue's send time; depth diffs go
through the feed's own sequencing (:class:`actors.book.sync.BookSync` with the Binance policy) and the book
snapshot is the one the venue's ``GET depth`` would answer at that moment (the true book, 1000 levels, as a
feed fetches it), so the paper model sees the event stream a feed of this venue would produce: ``BookSnapshot``,
``BookDeltas``, ``Trade`` (``Quote``: ignored by the model), and a ``BookReset`` when the sync loses the book.
"""

from __future__ import annotations

from collections.abc import Callable

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync
from actors.errors import RaytradeError
from actors.feed.venues.binance import BinanceAdapter, BinanceParser
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookReset, BookSnapshot, MarketEvent

__all__ = ["MarketTap"]

SNAPSHOT_LIMIT = 1000


class _Forwarding:
    """A :class:`~actors.book.sync.BookTarget` that keeps a book and records what the sync did to it."""

    def __init__(self, spec: InstrumentSpec, out: list[MarketEvent]) -> None:
        self.book = OrderBook(spec.instrument_id, spec.price_decimals, spec.size_decimals)
        self.iid = spec.instrument_id
        self.out = out
        self.ts = 0

    def on_snapshot(self, snapshot: BookSnapshot) -> None:
        self.book.on_snapshot(snapshot)
        self.out.append(snapshot)

    def on_deltas(self, deltas: BookDeltas) -> None:
        self.book.on_deltas(deltas)
        self.out.append(deltas)

    def clear(self) -> None:
        self.book.clear()
        self.out.append(BookReset(self.iid, "gap", self.ts))

    def is_crossed(self) -> bool:
        return self.book.is_crossed()

    def depth(self, n: int):
        return self.book.depth(n)


class MarketTap:
    """Turns the venue's dispatched frames into the paper model's market events.

    Args:
        venue: the Binance venue.
        specs: ``symbol -> InstrumentSpec`` of the symbols traded.
        snapshot: ``(symbol, limit) -> depth body or None``: the venue's ``GET depth`` answer now.
    """

    def __init__(self, venue: Venue, specs: dict[str, InstrumentSpec],
                 snapshot: Callable[[str, int], bytes | None]) -> None:  # fmt: skip
        self.venue = Venue(venue)
        adapter = BinanceAdapter(self.venue)
        self.parser: BinanceParser = adapter.parser(list(specs.values()))
        self.specs = specs
        self._snapshot = snapshot
        self._out: list[MarketEvent] = []
        self._targets = {s: _Forwarding(spec, self._out) for s, spec in specs.items()}
        self._syncs = {s: BookSync(t, adapter.policy(specs[s])) for s, t in self._targets.items()}
        self.malformed = 0

    def book(self, symbol: str) -> OrderBook | None:
        """The tap's copy of ``symbol``'s book (what the paper model's book shows before its own takes)."""
        target = self._targets.get(symbol)
        return None if target is None else target.book

    def on_frame(self, frame: bytes, ts_recv: int) -> list[MarketEvent]:
        """One websocket frame sent at ``ts_recv`` (ns); returns the model events, in order."""
        out = self._out
        out.clear()
        try:
            events = self.parser.parse_frame(frame, ts_recv)
        except RaytradeError:
            self.malformed += 1
            return []
        for ev in events:
            symbol = ev.instrument_id.split(".", 1)[0]
            sync = self._syncs.get(symbol)
            if sync is None:
                continue
            if type(ev) is BookDeltas:
                self._targets[symbol].ts = ts_recv
                sync.on_diff(ev)
                if sync.needs_snapshot:
                    self._load_snapshot(symbol, sync, ts_recv)
            else:
                out.append(ev)
        result = list(out)
        out.clear()
        return result

    def on_snapshot(self, body: bytes, ts_recv: int) -> list[MarketEvent]:
        """A recorded REST depth snapshot (``event_clock``): loaded into the sync as a feed loads the snapshot it
        fetched (the recording holds one instrument's, so it is the first symbol's); returns the model events."""
        symbol = next(iter(self.specs))
        self._out.clear()
        try:
            snapshot = self.parser.parse_depth_snapshot(body, symbol, ts_recv)
        except RaytradeError:
            self.malformed += 1
            return []
        self._targets[symbol].ts = ts_recv
        self._syncs[symbol].on_snapshot(snapshot)
        result = list(self._out)
        self._out.clear()
        return result

    def _load_snapshot(self, symbol: str, sync: BookSync, ts_recv: int) -> None:
        body = self._snapshot(symbol, SNAPSHOT_LIMIT)
        if body is None:
            return
        try:
            snapshot = self.parser.parse_depth_snapshot(body, symbol, ts_recv)
        except RaytradeError:
            self.malformed += 1
            return
        sync.on_snapshot(snapshot)
