"""The pure core of a feed: frames in, sequenced per-book batches and snapshot requests out.

A :class:`FeedPipeline` serves one venue connection and the instruments subscribed on it. For each frame it
parses (the venue adapter's pure parser, :mod:`actors.feed.venues`), sequences book diffs and snapshots with one
:class:`~actors.book.sync.BookSync` per instrument, driven by the venue's sequence policy, whose target is a
:class:`_Forwarder`: a real :class:`~actors.book.orderbook.OrderBook` that also turns every call into a message
for the remote book actor. So sequencing and the book live together here: a crossed book or a venue checksum
is checked on the real book at the diff that broke it, and ready is decided once (the book actor follows the
``BookSnapshot`` / ``BookReset`` messages). Trades, quotes and mark prices are queued unchanged. A
``StreamSequence`` (Coinbase ``sequence_num``) is checked with the adapter's ``connection_continues``; a jump
resyncs every book of the connection. The feed actor around it owns the websocket, asks :meth:`snapshots_due`
which instruments need a REST snapshot (or :meth:`resubscribes_due` which need a stream snapshot), and ships
:meth:`drain` batches to book actors.

What the remote book receives, per instrument and in order: ``BookSnapshot`` (replace), ``BookDeltas`` (apply,
already sequenced), ``BookReset`` (clear, not ready until the next snapshot), plus trades/quotes/mark prices.
A gap on one instrument resets and resyncs only that instrument; the others on the connection stay ready.

Malformed and unsupported frames are counted (``malformed``, ``unsupported``), kept as ``last_error``, and skipped.

Market-data validation (:mod:`actors.validation`, on by default): after every applied diff and snapshot the
instrument's :class:`~actors.validation.validator.InstrumentChecks` sees the real book's best bid and ask (spread,
top-of-book outlier) and every trade (trade outlier). A crossed or locked book is hard: after a diff the sequencer
already cleared it (``BookReset(reason="crossed")``); a crossed *snapshot*, which the sequencer does not judge, is
reset and resynced here the same way. The feed actor runs the stale check and writes the alert rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import msgspec

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome, SyncState
from actors.errors import FeedError, UnsupportedFrame, VenueError
from actors.feed.venues import adapter_for
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookReset, BookSnapshot, MarketEvent, StreamSequence, Trade
from actors.validation import ValidationSettings, Validator
from actors.validation.crossed import crossed_or_locked

__all__ = ["FeedPipeline", "sequence_records"]


class _Forwarder(OrderBook):
    """A :class:`~actors.book.sync.BookTarget`: the real book, which also queues every call as a message for the
    remote book (so the book actor applies exactly what was validated here)."""

    __slots__ = ("out", "reason", "ts_recv", "checks")

    def __init__(self, spec: InstrumentSpec, out: list[MarketEvent], checks=None) -> None:
        super().__init__(spec.instrument_id, spec.price_decimals, spec.size_decimals)
        self.out = out
        self.reason = "gap"
        self.ts_recv = 0
        self.checks = checks  # InstrumentChecks, or None when validation is off

    def on_snapshot(self, snapshot: BookSnapshot) -> None:
        self.apply_snapshot(snapshot.bids, snapshot.asks)
        self.out.append(snapshot)
        if self.checks is not None:
            self.checks.forget()

    def on_deltas(self, deltas: BookDeltas) -> None:
        self.apply_deltas(deltas.bids, deltas.asks)
        self.out.append(deltas)

    def drop_levels(self, bid_prices, ask_prices) -> None:
        """Levels a policy removed outside a venue diff (Kraken's depth truncation, run right after a diff): the
        deletes are folded into that diff's queued message, so the remote book applies the same book change."""
        bids, asks = tuple((p, 0) for p in bid_prices), tuple((p, 0) for p in ask_prices)
        OrderBook.drop_levels(self, bid_prices, ask_prices)
        last = self.out[-1] if self.out else None
        if type(last) is BookDeltas and last.instrument_id == self.instrument_id:
            self.out[-1] = msgspec.structs.replace(last, bids=last.bids + bids, asks=last.asks + asks)
        else:
            self.out.append(BookDeltas(self.instrument_id, 0, 0, -1, bids, asks, self.price_decimals,
                                       self.size_decimals, 0, self.ts_recv))  # fmt: skip

    def clear(self) -> None:
        OrderBook.clear(self)
        self.out.append(BookReset(self.instrument_id, self.reason, self.ts_recv))
        if self.checks is not None:
            self.checks.forget()


class FeedPipeline:
    """Parse and sequence one connection's frames for its instruments.

    Args:
        venue: the connection's venue.
        instruments: the instruments subscribed on the connection.
        route: ``instrument_id -> book key`` (which book actor gets the instrument); default: the id itself.
        validate_checksum: check the venue's book checksums where it sends them (default True).

    Attributes:
        frames, malformed, unsupported, ignored: frame counters (``ignored``: instruments not subscribed here).
        data_frames: frames that carried market data of an instrument (not an ack, a pong or a bare heartbeat):
            what the feed's stale and resubscribe clocks count as the venue answering.
        connection_gaps: jumps of the per-connection sequence (each resyncs every book of the connection).
        last_error: the last parse error, for the log and ``/status``.
        validator: the :class:`~actors.validation.validator.Validator` (None when validation is off).

    Raises:
        ConfigError: invalid per-instrument validation overrides.
    """

    def __init__(
        self, venue: Venue | str, instruments: Sequence[InstrumentSpec], route: Mapping[str, str] | None = None,
        validate_checksum: bool = True, validation: ValidationSettings | None = ValidationSettings(),
    ) -> None:  # fmt: skip
        self.venue = Venue(venue)
        self.adapter = adapter_for(self.venue)
        self.parser = self.adapter.parser(instruments)
        self.route = {s.instrument_id: (route or {}).get(s.instrument_id, s.instrument_id) for s in instruments}
        self._out: dict[str, list[MarketEvent]] = {key: [] for key in self.route.values()}
        self.validator = Validator(validation, instruments) if validation is not None and validation.enabled else None
        checks = self.validator.books if self.validator is not None else {}
        self._forwarders = {s.instrument_id: _Forwarder(s, self._out[self.route[s.instrument_id]],
                                                        checks.get(s.instrument_id))
                            for s in instruments}  # fmt: skip
        self.syncs = {s.instrument_id: BookSync(self._forwarders[s.instrument_id], self.adapter.policy(s),
                                                validate_checksum=validate_checksum)
                      for s in instruments}  # fmt: skip
        self._rest = {iid for iid, sync in self.syncs.items() if sync.policy.snapshot_source == "rest"}
        self._snapshot_in_flight: set[str] = set()
        self.connection_sequence = -1
        self.connection_gaps = 0
        self.frames = self.malformed = self.unsupported = self.ignored = self.data_frames = 0
        self.instrument_frames: dict[str, int] = {}
        self.last_error: Exception | None = None
        self.pending = 0
        self.book_crossed_reports = 0

    # -- input -----------------------------------------------------------------------------------------------
    def on_frame(self, frame: bytes | str, ts_recv: int) -> None:
        """Parse one websocket frame and queue what it yields (never raises on bad input: counts it)."""
        self.frames += 1
        try:
            events = self.parser.parse_frame(frame, ts_recv)
        except UnsupportedFrame as exc:
            self.unsupported += 1
            self.last_error = exc
            return
        except (FeedError, VenueError) as exc:
            self.malformed += 1
            self.last_error = exc
            return
        data = False
        for event in events:
            kind = type(event)
            if kind is StreamSequence:
                self._connection_sequence(event)
                continue
            if not data:
                data = True
                self.data_frames += 1
            iid = event.instrument_id
            counts = self.instrument_frames
            counts[iid] = counts.get(iid, 0) + 1
            if kind is BookDeltas:
                sync = self.syncs.get(iid)
                if sync is None:
                    self.ignored += 1
                    continue
                fwd = self._forwarders[iid]
                fwd.ts_recv = ts_recv
                fwd.reason = "gap"
                before = len(fwd.out)
                checks = fwd.checks
                outcome = sync.on_diff(event)
                self.pending += len(fwd.out) - before
                if outcome is DiffOutcome.APPLIED:
                    if checks is not None and sync.state is SyncState.READY:
                        checks.on_book(fwd.best_bid_price(), fwd.best_ask_price(), ts_recv)
                elif outcome is DiffOutcome.RESET:  # loaded as a snapshot (Bybit u == 1): judged like one
                    if checks is not None and sync.state is SyncState.READY:
                        self._check_snapshot(iid, sync, fwd, ts_recv, "reset")
                elif outcome is DiffOutcome.GAP and sync.state is SyncState.WAITING_SNAPSHOT:
                    self._snapshot_in_flight.discard(iid)
                elif outcome is DiffOutcome.CROSSED or outcome is DiffOutcome.CHECKSUM:
                    crossed = outcome is DiffOutcome.CROSSED
                    fwd.out[-1] = BookReset(iid, "crossed" if crossed else "checksum", ts_recv)
                    if crossed and checks is not None:
                        checks.on_crossed(None, None, ts_recv)
                continue
            if kind is BookSnapshot:  # a snapshot sent on the stream (Bybit, OKX, Coinbase, Kraken)
                if iid in self.syncs:
                    self.on_snapshot(event)
                else:
                    self.ignored += 1
                continue
            out = self._out.get(self.route.get(iid, ""))
            if out is None:
                self.ignored += 1
                continue
            out.append(event)
            self.pending += 1
            if kind is Trade:
                checks = self._forwarders[iid].checks
                if checks is not None:
                    checks.on_trade(event.price, ts_recv)

    def _connection_sequence(self, event: StreamSequence) -> None:
        previous, self.connection_sequence = self.connection_sequence, event.sequence
        if previous >= 0 and not self.adapter.connection_continues(previous, event.sequence):
            self.connection_gaps += 1
            for iid in self.syncs:
                self.resync(iid, "gap", event.ts_recv)

    def on_snapshot(self, snapshot: BookSnapshot) -> SyncState:
        """Load a REST snapshot into the instrument's sync; buffered diffs that follow it are queued too."""
        iid = snapshot.instrument_id
        self._snapshot_in_flight.discard(iid)
        fwd = self._forwarders[iid]
        fwd.ts_recv, fwd.reason = snapshot.ts_recv, "stale_snapshot"
        before = len(fwd.out)
        sync = self.syncs[iid]
        state = sync.on_snapshot(snapshot)
        self.pending += len(fwd.out) - before
        if state is SyncState.READY and fwd.checks is not None:
            return self._check_snapshot(iid, sync, fwd, snapshot.ts_recv, "snapshot")
        return state

    def _check_snapshot(self, iid: str, sync: BookSync, fwd: _Forwarder, ts_recv: int, where: str) -> SyncState:
        """A book just replaced by a snapshot: crossed or locked is hard (the sequencer judges diffs only): reset
        and resync; else the soft checks see it."""
        bid, ask = fwd.best_bid_price(), fwd.best_ask_price()
        if crossed_or_locked(bid, ask):
            sync.crossed += 1
            fwd.checks.on_crossed(bid, ask, ts_recv, where)
            self.resync(iid, "crossed", ts_recv)
        else:
            fwd.checks.on_book(bid, ask, ts_recv)
        return sync.state

    def on_snapshot_failed(self, instrument_id: str) -> None:
        """A snapshot request failed: the instrument may be asked for again."""
        self._snapshot_in_flight.discard(instrument_id)

    def on_reconnect(self, ts_recv: int) -> None:
        """The connection was re-established: diffs may have been lost, so every book resyncs, and the per-connection
        sequence starts again (Coinbase ``sequence_num`` restarts at 0 on a new connection)."""
        self.connection_sequence = -1
        for iid, sync in self.syncs.items():
            fwd = self._forwarders[iid]
            fwd.ts_recv, fwd.reason = ts_recv, "reconnect"
            before = len(fwd.out)
            sync.request_resync()
            self.pending += len(fwd.out) - before
            self._snapshot_in_flight.discard(iid)

    def announce_reset(self, reason: str, ts_recv: int) -> None:
        """Queue a ``BookReset`` for every instrument (a new feed never trusts a book it did not build)."""
        for iid, key in self.route.items():
            self._out[key].append(BookReset(iid, reason, ts_recv))
            self.pending += 1

    def on_book_crossed(self, instrument_id: str, ts_recv: int) -> None:
        """The book actor found its book crossed. The feed's own book is the same book and already saw it (and
        resynced) at the same diff, so this is only counted (``book_crossed_reports``)."""
        self.book_crossed_reports += 1

    def resync(self, instrument_id: str, reason: str, ts_recv: int) -> None:
        """Reset one instrument's book (a ``BookReset`` with ``reason``) and fetch a new snapshot for it."""
        sync = self.syncs.get(instrument_id)
        if sync is None:
            return
        fwd = self._forwarders[instrument_id]
        fwd.ts_recv, fwd.reason = ts_recv, reason
        before = len(fwd.out)
        sync.request_resync()
        self.pending += len(fwd.out) - before
        self._snapshot_in_flight.discard(instrument_id)

    # -- output ----------------------------------------------------------------------------------------------
    def resubscribes_due(self) -> list[str]:
        """Instruments whose venue sends snapshots on the stream and that need one now (not ready, none asked for
        yet): the caller sends the adapter's ``resubscribe_frames`` (or reconnects where it has none). Marked in
        flight until the snapshot arrives or :meth:`on_snapshot_failed`."""
        due = [iid for iid, sync in self.syncs.items()
               if iid not in self._rest and sync.needs_snapshot and iid not in self._snapshot_in_flight]  # fmt: skip
        self._snapshot_in_flight.update(due)
        return due

    def expect_stream_snapshots(self) -> list[str]:
        """A connection was (re)opened and its subscriptions sent: the not-ready books of a stream-snapshot venue
        wait for the snapshot those bring (marked in flight; the caller times them out with
        :meth:`on_snapshot_failed`, after which :meth:`resubscribes_due` asks again). Returns them."""
        due = [iid for iid, sync in self.syncs.items() if iid not in self._rest and sync.needs_snapshot]
        self._snapshot_in_flight.update(due)
        return due

    def snapshots_due(self) -> list[str]:
        """Instruments that need a REST snapshot now (not ready, none in flight; REST-snapshot venues only).

        The caller must fetch one per returned id and pass it to :meth:`on_snapshot` (or report
        :meth:`on_snapshot_failed`). Call it once the stream is open: Binance's procedure opens the stream and
        buffers diffs while the snapshot is fetched; a snapshot older than the buffered diffs is refused by the
        sync machine and asked for again.
        """
        due = [iid for iid, sync in self.syncs.items()
               if sync.needs_snapshot and iid in self._rest and iid not in self._snapshot_in_flight]  # fmt: skip
        self._snapshot_in_flight.update(due)
        return due

    @property
    def snapshots_in_flight(self) -> frozenset[str]:
        """Instruments whose snapshot was asked for and not yet delivered or failed."""
        return frozenset(self._snapshot_in_flight)

    def drain(self) -> dict[str, list[MarketEvent]]:
        """Take every queued event, grouped by book key (only non-empty groups)."""
        batches = {}
        for key, events in self._out.items():
            if events:
                batches[key] = events[:]
                events.clear()
        self.pending = 0
        return batches

    def stats(self) -> dict[str, dict]:
        """Per-instrument sequencing counters and state."""
        return {
            iid: {
                "frames": self.instrument_frames.get(iid, 0), "state": sync.state.value, "ready": sync.ready, "last_sequence": sync.last_sequence,
                "diffs_applied": sync.diffs_applied, "diffs_dropped_stale": sync.diffs_dropped_stale,
                "gaps": sync.gaps, "resyncs": sync.resyncs, "snapshots": sync.snapshots,
                "stale_snapshots": sync.stale_snapshots, "crossed": sync.crossed, "buffered": sync.buffered,
                "checksum_checks": sync.checksum_checks, "checksum_mismatches": sync.checksum_mismatches,
            }  # fmt: skip
            for iid, sync in self.syncs.items()
        }


def sequence_records(records: Iterable, venue: Venue | str, instruments: Sequence[InstrumentSpec],
                     limit: int | None = None) -> Iterator[tuple[int, list[MarketEvent]]]:  # fmt: skip
    """Run recorded records through the feed core offline, as a live feed would: websocket frames to
    :meth:`FeedPipeline.on_frame`, REST snapshot bodies to :meth:`FeedPipeline.on_snapshot` (for the first
    instrument), then everything drained.

    Args:
        records: capture records (``kind`` ``"ws"`` / ``"rest"``, ``data`` bytes, ``ts_recv`` ns), e.g.
            ``read_recordings(paths)[0].records()``.
        venue, instruments: the connection's venue and instruments.
        limit: stop after this many records (None: all).

    Yields:
        ``(ts_recv, events)`` per record that produced events, in the feed's order (per book key).
    """
    pipeline = FeedPipeline(venue, instruments)
    symbol = instruments[0].symbol
    for n, rec in enumerate(records):
        if limit is not None and n >= limit:
            return
        if rec.kind == "ws":
            pipeline.on_frame(rec.data, rec.ts_recv)
        elif rec.kind == "rest":
            pipeline.on_snapshot(pipeline.parser.parse_snapshot(rec.data, symbol, rec.ts_recv))
        for events in pipeline.drain().values():
            yield rec.ts_recv, events
