"""Rebuild every book of a recording from its records: the ground truth for ``raytrade verify`` and the replay venue.

:class:`BookRebuilder` takes the records of one :class:`~actors.replay.captures.Recording` in order, parses them
with the venue's pure parser, sequences diffs with :class:`~actors.book.sync.BookSync` and keeps per-instrument
statistics. It is incremental (``feed`` one record at a time), so the replay venue can hold the true book at any
replay time and answer REST snapshots from it.

Snapshot routing: a REST depth body is given to the instrument named by its URL's ``symbol`` parameter, else by
its own ``symbol`` field (COIN-M), else to the only instrument the recording has shown so far; a body that comes
before any diff waits for the first one. Venues whose snapshot body is not Binance's (Bitstamp ``order_book/<pair>``,
Backpack ``/api/v1/depth``) are recognised by URL through their adapter's ``snapshot_symbol_of(url)``. A recorded
instruments answer (Bybit ``/v5/market/instruments-info``, OKX ``/api/v5/public/instruments``; the adapter's
``is_instruments_url``) gives the specs (tick and lot decimals) of every instrument not seen yet, as the feed loads
them from the venue. Bookticker checks (``ticker_checks``) compare a ``bookTicker`` whose
``u`` equals the last applied diff's ``u`` with the rebuilt best bid/ask, price and size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome
from actors.errors import FeedError, UnsupportedFrame, VenueError
from actors.feed.venues import adapter_for
from actors.instruments import InstrumentSpec, Venue, split_instrument_id
from actors.messages import BookDeltas, BookSnapshot, Quote, StreamSequence, Trade
from actors.replay.captures import CaptureRecord

__all__ = ["BookRebuilder", "VERIFY_KEYS"]

VERIFY_KEYS = (
    "instrument_id", "venue", "symbol", "frames", "diffs_applied", "diffs_dropped_stale", "gaps", "resyncs",
    "snapshots", "crossed", "ticker_checks", "ticker_mismatches", "trades", "ready", "bid_levels", "ask_levels",
    "best_bid", "best_ask", "checksum_checks", "checksum_mismatches",
)  # fmt: skip


@dataclass
class _Counts:
    frames: int = 0
    trades: int = 0
    ticker_checks: int = 0
    ticker_mismatches: int = 0
    last_diff_sequence: int = -1


class BookRebuilder:
    """Parse, sequence and apply one venue's records; keep one synced book per instrument.

    Args:
        venue: the recording's venue.
        specs: instrument specs to use (others: the venue default, see :func:`actors.instruments.spec_for`).

    Raises (from the constructor):
        ConfigError: no parser for the venue yet.

    Attributes:
        malformed: frames that raised :class:`MalformedFrame` (skipped).
        unsupported: frames of kinds the parser does not translate (skipped).
        rejected_rest: REST bodies that were error replies (skipped).
    """

    def __init__(self, venue: Venue | str, specs: Sequence[InstrumentSpec] = ()) -> None:
        self.venue = Venue(venue)
        self.adapter = adapter_for(self.venue)
        self.parser = self.adapter.parser(specs)
        self.syncs: dict[str, BookSync] = {}
        self._counts: dict[str, _Counts] = {}
        self._pending_snapshots: list[CaptureRecord] = []
        self.malformed = self.unsupported = self.rejected_rest = 0
        self.connection_sequence = -1  # the last StreamSequence seen (any connection)
        self._sequences: dict[str, int] = {}  # per recorded connection: a new connection starts a new count
        self._conn = ""
        self.connection_gaps = 0
        self.last_error: FeedError | None = None
        # venues whose REST snapshot is not Binance's ``{"lastUpdateId"`` body name it by URL (Bitstamp, Backpack)
        self._snapshot_symbol = getattr(self.adapter, "snapshot_symbol_of", None)
        # venues whose specs come from a recorded instruments answer (Bybit, OKX): it replaces the default specs
        self._instruments_url = getattr(self.adapter, "is_instruments_url", None)
        self._specs = {s.symbol: s for s in specs}
        self.loaded_specs = 0

    def feed_all(self, records: Iterable[CaptureRecord]) -> BookRebuilder:
        """Feed every record; returns self."""
        for record in records:
            self.feed(record)
        return self

    def feed(self, record: CaptureRecord) -> None:
        """Process one record (``ws`` frames and ``rest`` depth bodies; other kinds are ignored)."""
        if record.kind == "ws":
            self._frame(record)
        elif record.kind == "connect":
            self._sequences.pop(record.conn, None)
        elif record.kind == "rest":
            if self._instruments_url is not None and record.url and self._instruments_url(record.url):
                self._instruments(record)
            elif record.data.startswith(b'{"lastUpdateId"'):
                self._snapshot(record)
            elif self._snapshot_symbol is not None and record.url:
                symbol = self._snapshot_symbol(record.url)
                if symbol is not None:
                    self._snapshot(record, symbol)

    def sync(self, instrument_id: str) -> BookSync:
        """The sync (and through it the book) of an instrument, created on first use."""
        sync = self.syncs.get(instrument_id)
        if sync is None:
            symbol, _ = split_instrument_id(instrument_id)
            spec = self.parser.instrument_spec(symbol)
            sync = BookSync(OrderBook(instrument_id, spec.price_decimals, spec.size_decimals), self.adapter.policy(spec))
            self.syncs[instrument_id] = sync
            self._counts[instrument_id] = _Counts()
        return sync

    def results(self) -> list[dict]:
        """One dict per instrument with exactly :data:`VERIFY_KEYS` (prices as decimal strings or None)."""
        out = []
        for iid, sync in self.syncs.items():
            counts, book = self._counts[iid], sync.book
            symbol, venue = split_instrument_id(iid)
            values = {
                "instrument_id": iid, "venue": venue.value, "symbol": symbol, "frames": counts.frames,
                "diffs_applied": sync.diffs_applied, "diffs_dropped_stale": sync.diffs_dropped_stale,
                "gaps": sync.gaps, "resyncs": sync.resyncs, "snapshots": sync.snapshots, "crossed": sync.crossed,
                "ticker_checks": counts.ticker_checks, "ticker_mismatches": counts.ticker_mismatches,
                "trades": counts.trades, "ready": sync.ready, "bid_levels": book.bid_levels,
                "ask_levels": book.ask_levels, "best_bid": book.format_price(book.best_bid_price()),
                "best_ask": book.format_price(book.best_ask_price()),
                "checksum_checks": sync.checksum_checks, "checksum_mismatches": sync.checksum_mismatches,
            }  # fmt: skip
            out.append({key: values[key] for key in VERIFY_KEYS})
        return out

    # -- internals -------------------------------------------------------------------------------------------
    def _frame(self, record: CaptureRecord) -> None:
        self._conn = record.conn
        try:
            events = self.parser.parse_frame(record.data, record.ts_recv)
        except FeedError as exc:
            self.last_error = exc
            if isinstance(exc, UnsupportedFrame):
                self.unsupported += 1
            else:
                self.malformed += 1
            return
        except VenueError:
            return
        for event in events:
            self._event(event)

    def _event(self, event) -> None:
        kind = type(event)
        if kind is StreamSequence:
            previous = self._sequences.get(self._conn, -1)
            self._sequences[self._conn] = self.connection_sequence = event.sequence
            if previous >= 0 and not self.adapter.connection_continues(previous, event.sequence):
                self.connection_gaps += 1
                for sync in self.syncs.values():
                    sync.request_resync()
            return
        if kind is BookDeltas:
            if self._pending_snapshots:
                self.sync(event.instrument_id)
                pending, self._pending_snapshots = self._pending_snapshots, []
                for snap in pending:
                    self._snapshot(snap)
            sync = self.sync(event.instrument_id)
            self._counts[event.instrument_id].frames += 1
            outcome = sync.on_diff(event)
            if outcome is DiffOutcome.APPLIED or outcome is DiffOutcome.RESET:
                self._counts[event.instrument_id].last_diff_sequence = event.sequence
            return
        sync = self.sync(event.instrument_id)
        counts = self._counts[event.instrument_id]
        counts.frames += 1
        if kind is BookSnapshot:  # sent on the stream
            sync.on_snapshot(event)
        elif kind is Trade:
            counts.trades += 1
        elif kind is Quote:
            self._check_ticker(event, counts)

    def _check_ticker(self, quote: Quote, counts: _Counts) -> None:
        sync = self.syncs[quote.instrument_id]
        if not sync.ready or quote.sequence != counts.last_diff_sequence or sync.last_sequence != quote.sequence:
            return
        counts.ticker_checks += 1
        if sync.book.best_bid() != (quote.bid_price, quote.bid_size) or sync.book.best_ask() != (
            quote.ask_price,
            quote.ask_size,
        ):
            counts.ticker_mismatches += 1

    def _instruments(self, record: CaptureRecord) -> None:
        """A recorded instruments answer: its specs replace the defaults of instruments not seen yet (an instrument
        keeps the decimals its book was built with; given ``specs`` win)."""
        try:
            loaded = self.adapter.specs_from_instruments(record.data)
        except (FeedError, VenueError):
            self.rejected_rest += 1
            return
        seen = {split_instrument_id(iid)[0] for iid in self.syncs}
        added = {s.symbol: s for s in loaded if s.symbol not in seen and s.symbol not in self._specs}
        if added:
            self._specs.update(added)
            self.loaded_specs += len(added)
            self.parser = self.adapter.parser(list(self._specs.values()))

    def _snapshot(self, record: CaptureRecord, symbol: str | None = None) -> None:
        symbol = symbol or record.rest_symbol
        if symbol is None:
            if not self.syncs:
                self._pending_snapshots.append(record)
                return
            if len(self.syncs) == 1:
                symbol = split_instrument_id(next(iter(self.syncs)))[0]
            else:
                symbol = ""  # the body must name it (COIN-M) or parsing falls back to an empty symbol
        try:
            snapshot = self.parser.parse_snapshot(record.data, symbol, record.ts_recv)
        except VenueError:
            self.rejected_rest += 1
            return
        except FeedError as exc:
            self.last_error = exc
            self.malformed += 1
            return
        self.sync(snapshot.instrument_id).on_snapshot(snapshot)
