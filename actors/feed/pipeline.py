"""The pure core of a feed: frames in, sequenced per-book batches and snapshot requests out.

A :class:`FeedPipeline` serves one venue connection and the instruments subscribed on it. For each frame it
parses (the venue's pure parser), sequences book diffs with one :class:`~actors.book.sync.BookSync` per
instrument whose target is a :class:`_Forwarder` (the sync machine's calls become messages for the remote book
actor), and queues trades, quotes and mark prices unchanged. The feed actor around it owns the websocket, asks
:meth:`snapshots_due` which instruments need a REST snapshot, and ships :meth:`drain` batches to book actors.

What the remote book receives, per instrument and in order: ``BookSnapshot`` (replace), ``BookDeltas`` (apply,
already sequenced), ``BookReset`` (clear, not ready until the next snapshot), plus trades/quotes/mark prices.
A gap on one instrument resets and resyncs only that instrument; the others on the connection stay ready.

Malformed and unsupported frames are counted (``malformed``, ``unsupported``), kept as ``last_error``, and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from actors.book.sync import BookSync, DiffOutcome, SyncState
from actors.errors import FeedError, UnsupportedFrame, VenueError
from actors.feed.venues import parser_for, sync_rules_for
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookReset, BookSnapshot, MarketEvent

__all__ = ["FeedPipeline", "sequence_records"]


class _Forwarder:
    """A :class:`~actors.book.sync.BookTarget` that queues messages for a remote book instead of applying them."""

    __slots__ = ("instrument_id", "out", "reason", "ts_recv")

    def __init__(self, instrument_id: str, out: list[MarketEvent]) -> None:
        self.instrument_id = instrument_id
        self.out = out
        self.reason = "gap"
        self.ts_recv = 0

    def on_snapshot(self, snapshot: BookSnapshot) -> None:
        self.out.append(snapshot)

    def on_deltas(self, deltas: BookDeltas) -> None:
        self.out.append(deltas)

    def clear(self) -> None:
        self.out.append(BookReset(self.instrument_id, self.reason, self.ts_recv))

    def is_crossed(self) -> bool:
        return False  # only the book knows; it reports crossings back (FeedPipeline.on_book_crossed)


class FeedPipeline:
    """Parse and sequence one connection's frames for its instruments.

    Args:
        venue: the connection's venue.
        instruments: the instruments subscribed on the connection.
        route: ``instrument_id -> book key`` (which book actor gets the instrument); default: the id itself.

    Attributes:
        frames, malformed, unsupported, ignored: frame counters (``ignored``: instruments not subscribed here).
        last_error: the last parse error, for the log and ``/status``.
    """

    def __init__(
        self, venue: Venue | str, instruments: Sequence[InstrumentSpec], route: Mapping[str, str] | None = None
    ) -> None:
        self.venue = Venue(venue)
        self.parser = parser_for(self.venue, instruments)
        rules = sync_rules_for(self.venue)
        self.route = {s.instrument_id: (route or {}).get(s.instrument_id, s.instrument_id) for s in instruments}
        self._out: dict[str, list[MarketEvent]] = {key: [] for key in self.route.values()}
        self._forwarders = {iid: _Forwarder(iid, self._out[key]) for iid, key in self.route.items()}
        self.syncs = {iid: BookSync(fwd, rules) for iid, fwd in self._forwarders.items()}
        self._snapshot_in_flight: set[str] = set()
        self.frames = self.malformed = self.unsupported = self.ignored = 0
        self.instrument_frames: dict[str, int] = {}
        self.last_error: Exception | None = None
        self.pending = 0

    # -- input -----------------------------------------------------------------------------------------------
    def on_frame(self, frame: bytes | str, ts_recv: int) -> None:
        """Parse one websocket frame and queue what it yields (never raises on bad input: counts it)."""
        self.frames += 1
        try:
            event = self.parser.parse_frame(frame, ts_recv)
        except UnsupportedFrame as exc:
            self.unsupported += 1
            self.last_error = exc
            return
        except (FeedError, VenueError) as exc:
            self.malformed += 1
            self.last_error = exc
            return
        if event is None:
            return
        iid = event.instrument_id
        counts = self.instrument_frames
        counts[iid] = counts.get(iid, 0) + 1
        if type(event) is BookDeltas:
            sync = self.syncs.get(iid)
            if sync is None:
                self.ignored += 1
                return
            fwd = self._forwarders[iid]
            fwd.ts_recv = ts_recv
            fwd.reason = "gap"
            before = len(fwd.out)
            outcome = sync.on_diff(event)
            self.pending += len(fwd.out) - before
            if outcome is DiffOutcome.GAP and sync.state is SyncState.WAITING_SNAPSHOT:
                self._snapshot_in_flight.discard(iid)
            return
        out = self._out.get(self.route.get(iid, ""))
        if out is None:
            self.ignored += 1
            return
        out.append(event)
        self.pending += 1

    def on_snapshot(self, snapshot: BookSnapshot) -> SyncState:
        """Load a REST snapshot into the instrument's sync; buffered diffs that follow it are queued too."""
        iid = snapshot.instrument_id
        self._snapshot_in_flight.discard(iid)
        fwd = self._forwarders[iid]
        fwd.ts_recv, fwd.reason = snapshot.ts_recv, "stale_snapshot"
        before = len(fwd.out)
        state = self.syncs[iid].on_snapshot(snapshot)
        self.pending += len(fwd.out) - before
        return state

    def on_snapshot_failed(self, instrument_id: str) -> None:
        """A snapshot request failed: the instrument may be asked for again."""
        self._snapshot_in_flight.discard(instrument_id)

    def on_reconnect(self, ts_recv: int) -> None:
        """The connection was re-established: diffs may have been lost, so every book resyncs."""
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
        """The book actor found the book crossed after a diff: resync that instrument."""
        sync = self.syncs.get(instrument_id)
        if sync is not None:
            sync.crossed += 1
            self.resync(instrument_id, "crossed", ts_recv)

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
    def snapshots_due(self) -> list[str]:
        """Instruments that need a REST snapshot now (not ready, none in flight).

        The caller must fetch one per returned id and pass it to :meth:`on_snapshot` (or report
        :meth:`on_snapshot_failed`). Call it once the stream is open: Binance's procedure opens the stream and
        buffers diffs while the snapshot is fetched; a snapshot older than the buffered diffs is refused by the
        sync machine and asked for again.
        """
        due = [iid for iid, sync in self.syncs.items() if sync.needs_snapshot and iid not in self._snapshot_in_flight]
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
            pipeline.on_snapshot(pipeline.parser.parse_depth_snapshot(rec.data, symbol, rec.ts_recv))
        for events in pipeline.drain().values():
            yield rec.ts_recv, events
