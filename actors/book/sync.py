"""Snapshot/diff sequencing: the state machine that decides whether a diff may touch the book.

Rules (``SyncRules``), from Binance's own documentation:

* ``BINANCE_SPOT`` — Binance Spot API docs, WebSocket Streams, "How to manage a local order book correctly":
  buffer diffs; fetch ``GET /api/v3/depth`` (``lastUpdateId`` = L); drop every diff with ``u <= L``; the first
  diff applied must satisfy ``U <= L + 1 <= u``; every later diff must have ``U == previous u + 1``.
* ``BINANCE_FUTURES`` (USD-M and COIN-M) — Binance Derivatives docs, "How to manage a local order book
  correctly": drop every diff with ``u < L``; the first diff applied must satisfy ``U <= L <= u``; every later
  diff must have ``pu == previous u``.

States (``SyncState``):

* ``WAITING_SNAPSHOT`` — not ready: no snapshot yet, or the last snapshot was older than the buffered diffs
  (the first-diff rule failed: ask for a newer snapshot). Diffs are buffered (bounded: oldest dropped first).
* ``READY`` — the book is the venue's book as of ``last_sequence``.
* ``RESYNCING`` — a gap or a crossed book was detected: the book is cleared (a book is never served partially
  built), diffs from the offending one on are buffered, and a new snapshot is needed.

A diff whose ``u`` is not newer than the book (a duplicate, or one that arrives after a newer one) is dropped
as stale, counted, and is not a gap: it carries nothing the book lacks. Outcomes are returned, not raised:
gaps are expected events on a live feed. ``last_gap`` keeps the latest :class:`SequenceGap` for the log.
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum, StrEnum
from typing import Protocol

from actors.errors import SequenceGap
from actors.messages import BookDeltas, BookSnapshot

__all__ = ["BookSync", "BookTarget", "DiffOutcome", "SyncRules", "SyncState"]


class BookTarget(Protocol):
    """What the sync machine drives: an :class:`~actors.book.orderbook.OrderBook`, or a feed's forwarder that
    turns the same calls into messages for a remote book."""

    instrument_id: str

    def on_snapshot(self, snapshot: BookSnapshot) -> None: ...

    def on_deltas(self, deltas: BookDeltas) -> None: ...

    def clear(self) -> None: ...

    def is_crossed(self) -> bool: ...


class SyncRules(StrEnum):
    """Which venue procedure sequences the diffs."""

    BINANCE_SPOT = "binance_spot"
    BINANCE_FUTURES = "binance_futures"


class SyncState(StrEnum):
    """Book readiness, see the module docstring."""

    WAITING_SNAPSHOT = "waiting_snapshot"
    READY = "ready"
    RESYNCING = "resyncing"


class DiffOutcome(IntEnum):
    """What :meth:`BookSync.on_diff` did with a diff."""

    APPLIED = 0
    BUFFERED = 1  # not ready: kept for the next snapshot
    STALE = 2  # older than the book: dropped
    GAP = 3  # continuity broken: book cleared, resync needed
    CROSSED = 4  # applied, and the book crossed: cleared, resync needed


class BookSync:
    """Drives one book (a :class:`BookTarget`) with snapshots and diffs by the venue's sequencing rules.

    Args:
        book: the book to maintain (cleared whenever it cannot be trusted): an ``OrderBook``, or a forwarder.
        rules: the venue procedure.
        max_buffer: diffs kept while not ready; past it the oldest are dropped (``buffer_dropped``).

    Counters (ints): ``diffs_applied``, ``diffs_dropped_stale``, ``gaps``, ``resyncs`` (recoveries from a gap,
    a crossed book or a requested resync, counted when the first diff after the new snapshot passes),
    ``snapshots`` (loaded into the book), ``stale_snapshots`` (ignored as older than the ready book, or found
    older than the diff stream by the first-diff rule). ``log`` keeps the last 1000 sequencing events:
    ``("gap", expected, got)``, ``("snapshot", L)``, ``("stale_snapshot", L)``., ``crossed``, ``buffer_dropped``.
    """

    __slots__ = (
        "book", "rules", "state", "last_sequence", "last_gap", "_first_pending", "_buffer", "_recovering",
        "diffs_applied", "diffs_dropped_stale", "gaps", "resyncs", "snapshots", "stale_snapshots", "crossed",
        "buffer_dropped", "log",
    )  # fmt: skip

    def __init__(self, book: BookTarget, rules: SyncRules, max_buffer: int = 10_000) -> None:
        self.book = book
        self.rules = rules
        self.state = SyncState.WAITING_SNAPSHOT
        self.last_sequence = -1
        self.last_gap: SequenceGap | None = None
        self._first_pending = False  # next diff must pass the first-diff rule against the snapshot
        self._buffer: deque[BookDeltas] = deque(maxlen=max_buffer)
        self._recovering = False
        self.diffs_applied = self.diffs_dropped_stale = self.gaps = self.resyncs = 0
        self.snapshots = self.stale_snapshots = self.crossed = self.buffer_dropped = 0
        self.log: deque[tuple] = deque(maxlen=1000)  # ("gap", expected, got) / ("snapshot", L) / ("stale_snapshot", L)

    @property
    def ready(self) -> bool:
        """True when the book may be served."""
        return self.state is SyncState.READY

    @property
    def needs_snapshot(self) -> bool:
        """True when only a (newer) snapshot can make the book ready."""
        return self.state is not SyncState.READY

    @property
    def buffered(self) -> int:
        """Diffs waiting for a snapshot."""
        return len(self._buffer)

    def on_diff(self, diff: BookDeltas) -> DiffOutcome:
        """Sequence one diff and apply it when the rules allow.

        Returns:
            The :class:`DiffOutcome`. ``GAP`` and ``CROSSED`` mean the caller must fetch a snapshot.
        """
        if self.state is not SyncState.READY:
            buf = self._buffer
            if len(buf) == buf.maxlen:
                self.buffer_dropped += 1
            buf.append(diff)
            return DiffOutcome.BUFFERED
        return self._sequence(diff)

    def on_snapshot(self, snapshot: BookSnapshot) -> SyncState:
        """Load a snapshot, then replay the buffered diffs through the first-diff and continuity rules.

        A snapshot not newer than a ready book is ignored (``stale_snapshots``). A snapshot older than the
        buffered diffs (the first-diff rule fails) leaves the state ``WAITING_SNAPSHOT``: fetch a newer one.

        Returns:
            The state after the snapshot and the buffered diffs.
        """
        if self.state is SyncState.READY and snapshot.sequence <= self.last_sequence:
            self.stale_snapshots += 1
            self.log.append(("stale_snapshot", snapshot.sequence))
            return self.state
        self.log.append(("snapshot", snapshot.sequence))
        self.book.on_snapshot(snapshot)
        self.last_sequence = snapshot.sequence
        self._first_pending = True
        self.snapshots += 1
        self._recovering = self._recovering or self.state is SyncState.RESYNCING
        self.state = SyncState.READY
        buffered, self._buffer = self._buffer, deque(maxlen=self._buffer.maxlen)
        while buffered and self.state is SyncState.READY:
            self._sequence(buffered.popleft())
        self._buffer.extend(buffered)
        return self.state

    def request_resync(self) -> None:
        """Force the book not ready until the next snapshot (e.g. after a reconnect: diffs may have been lost)."""
        if self.state is SyncState.READY:
            self._invalidate(None)
        self._recovering = True

    # -- internals -------------------------------------------------------------------------------------------
    def _sequence(self, diff: BookDeltas) -> DiffOutcome:
        last = self.last_sequence
        if self._first_pending:
            if self.rules is SyncRules.BINANCE_SPOT:  # drop u <= L; first needs U <= L + 1 <= u
                stale, first_ok = diff.sequence <= last, diff.first_sequence <= last + 1
            else:  # futures: drop u < L; first needs U <= L <= u
                stale, first_ok = diff.sequence < last, diff.first_sequence <= last
            if stale:
                self.diffs_dropped_stale += 1
                return DiffOutcome.STALE
            if not first_ok:
                # The snapshot is older than the stream: wait for a newer one, keep the diff.
                self.stale_snapshots += 1
                self.log.append(("stale_snapshot", last))
                self._invalidate(None, diff, SyncState.WAITING_SNAPSHOT)
                return DiffOutcome.GAP
            self._first_pending = False
            if self._recovering:
                self.resyncs += 1
                self._recovering = False
        elif diff.sequence <= last:
            self.diffs_dropped_stale += 1
            return DiffOutcome.STALE
        elif self.rules is SyncRules.BINANCE_SPOT:
            if diff.first_sequence != last + 1:
                self._invalidate(SequenceGap(self.book.instrument_id, last + 1, diff.first_sequence), diff)
                return DiffOutcome.GAP
        elif diff.prev_sequence != last:
            self._invalidate(SequenceGap(self.book.instrument_id, last, diff.prev_sequence), diff)
            return DiffOutcome.GAP
        book = self.book
        book.on_deltas(diff)
        self.last_sequence = diff.sequence
        self.diffs_applied += 1
        if book.is_crossed():
            self.crossed += 1
            self._invalidate(None)
            return DiffOutcome.CROSSED
        return DiffOutcome.APPLIED

    def _invalidate(
        self, gap: SequenceGap | None, keep: BookDeltas | None = None, state: SyncState = SyncState.RESYNCING
    ) -> None:
        if gap is not None:
            self.gaps += 1
            self.last_gap = gap
            self.log.append(("gap", gap.expected, gap.got))
        self.book.clear()
        self.state = state
        self._first_pending = False
        self._recovering = True
        if keep is not None:
            self._buffer.append(keep)
