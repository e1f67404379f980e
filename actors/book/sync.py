"""Snapshot/diff sequencing: the state machine that decides whether a diff may touch the book.

The rules are not here: each venue gives a :class:`~actors.feed.venues.base.SequencePolicy` (first-diff rule,
continuity rule, what resets a book, where snapshots come from, an optional checksum) and this machine applies
it the same way for every venue. Binance's two policies (``actors/feed/venues/binance.py``) are the reference:

* spot — Binance Spot API docs, WebSocket Streams, "How to manage a local order book correctly": buffer diffs;
  fetch ``GET /api/v3/depth`` (``lastUpdateId`` = L); drop every diff with ``u <= L``; the first diff applied must
  satisfy ``U <= L + 1 <= u``; every later diff must have ``U == previous u + 1``.
* futures (USD-M and COIN-M) — Binance Derivatives docs, "How to manage a local order book correctly": drop every
  diff with ``u < L``; the first diff applied must satisfy ``U <= L <= u``; every later diff must have
  ``pu == previous u``.

States (``SyncState``):

* ``WAITING_SNAPSHOT`` — not ready: no snapshot yet, or the last snapshot was older than the buffered diffs
  (the first-diff rule failed: ask for a newer snapshot). Diffs are buffered (bounded: oldest dropped first).
* ``READY`` — the book is the venue's book as of ``last_sequence``.
* ``RESYNCING`` — a gap, a crossed book or a checksum mismatch was detected: the book is cleared (a book is never
  served partially built), diffs from the offending one on are buffered, and a new snapshot is needed (REST, or a
  resubscribe where the venue sends snapshots on the stream).

A diff the policy calls stale (a duplicate, or one that arrives after a newer one) is dropped, counted, and is not
a gap: it carries nothing the book lacks. Diffs buffered before a stream snapshot were sent before it on the same
ordered stream, so they are dropped as stale when it arrives (a REST snapshot replays them through the rules). A diff the policy says resets the book (Bybit ``u == 1``) is loaded as a
snapshot. A snapshot from the stream always replaces the book; a REST snapshot not newer than a ready book is
ignored. A diff or snapshot carrying a ``checksum`` is validated against the real book after it is applied
(``validate_checksum``, on by default): a mismatch clears the book and resyncs it like a gap.
Outcomes are returned, not raised: gaps are expected events on a live feed. ``last_gap`` keeps the latest
:class:`SequenceGap` for the log.
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Protocol

from actors.errors import SequenceGap
from actors.messages import BookDeltas, BookSnapshot

if TYPE_CHECKING:
    from actors.feed.venues.base import SequencePolicy

__all__ = ["BookSync", "BookTarget", "DiffOutcome", "SyncState"]

_APPLY, _STALE = 0, 1  # actors.feed.venues.base.Verdict values (IntEnum compares equal to these)


class BookTarget(Protocol):
    """What the sync machine drives: an :class:`~actors.book.orderbook.OrderBook` (or a wrapper of one that also
    forwards every call as a message for a remote book)."""

    instrument_id: str
    price_decimals: int
    size_decimals: int

    def on_snapshot(self, snapshot: BookSnapshot) -> None: ...

    def on_deltas(self, deltas: BookDeltas) -> None: ...

    def clear(self) -> None: ...

    def is_crossed(self) -> bool: ...

    def depth(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]: ...


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
    CHECKSUM = 5  # applied, and the venue's checksum disagrees with the book: cleared, resync needed
    RESET = 6  # the diff replaced the book (policy.resets): loaded as a snapshot


class BookSync:
    """Drives one book (a :class:`BookTarget`) with snapshots and diffs by a venue's sequence policy.

    Args:
        book: the book to maintain (cleared whenever it cannot be trusted): an ``OrderBook``, or a wrapper of one.
        policy: the venue's :class:`~actors.feed.venues.base.SequencePolicy` for this instrument.
        max_buffer: diffs kept while not ready; past it the oldest are dropped (``buffer_dropped``).
        validate_checksum: check the venue's checksum where a diff or snapshot carries one (default True).

    Counters (ints): ``diffs_applied``, ``diffs_dropped_stale``, ``gaps``, ``resyncs`` (recoveries from a gap,
    a crossed book, a checksum mismatch or a requested resync, counted when the first diff after the new snapshot
    passes), ``snapshots`` (loaded into the book), ``stale_snapshots`` (ignored as older than the ready book, or
    found older than the diff stream by the first-diff rule), ``crossed``, ``buffer_dropped``,
    ``checksum_checks``, ``checksum_mismatches``, ``resets`` (diffs that replaced the book). ``log`` keeps the
    last 1000 sequencing events: ``("gap", expected, got)``, ``("snapshot", L)``, ``("stale_snapshot", L)``,
    ``("checksum", sequence, venue_checksum)``, ``("reset", sequence)``.
    """

    __slots__ = (
        "book", "policy", "state", "last_sequence", "last_gap", "_first_pending", "_buffer", "_recovering",
        "_from_stream", "_may_reset", "validate_checksum",
        "diffs_applied", "diffs_dropped_stale", "gaps", "resyncs", "snapshots", "stale_snapshots", "crossed",
        "buffer_dropped", "checksum_checks", "checksum_mismatches", "resets", "log",
    )  # fmt: skip

    def __init__(self, book: BookTarget, policy: SequencePolicy, max_buffer: int = 10_000,
                 validate_checksum: bool = True) -> None:  # fmt: skip
        self.book = book
        self.policy = policy
        self._from_stream = policy.snapshot_source == "stream"
        self._may_reset = getattr(policy, "may_reset", True)
        self.validate_checksum = validate_checksum and policy.has_checksum
        self.state = SyncState.WAITING_SNAPSHOT
        self.last_sequence = -1
        self.last_gap: SequenceGap | None = None
        self._first_pending = False  # next diff must pass the first-diff rule against the snapshot
        self._buffer: deque[BookDeltas] = deque(maxlen=max_buffer)
        self._recovering = False
        self.diffs_applied = self.diffs_dropped_stale = self.gaps = self.resyncs = 0
        self.snapshots = self.stale_snapshots = self.crossed = self.buffer_dropped = 0
        self.checksum_checks = self.checksum_mismatches = self.resets = 0
        self.log: deque[tuple] = deque(maxlen=1000)

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
        """Sequence one diff and apply it when the policy allows.

        Returns:
            The :class:`DiffOutcome`. ``GAP``, ``CROSSED`` and ``CHECKSUM`` mean the caller must get a snapshot.
        """
        if self._may_reset and self.policy.resets(diff):
            self.resets += 1
            self.log.append(("reset", diff.sequence))
            self.on_snapshot(BookSnapshot(diff.instrument_id, diff.sequence, diff.bids, diff.asks,
                                          diff.price_decimals, diff.size_decimals, diff.ts_event, diff.ts_recv,
                                          diff.checksum), force=True)  # fmt: skip
            return DiffOutcome.RESET
        if self.state is not SyncState.READY:
            buf = self._buffer
            if len(buf) == buf.maxlen:
                self.buffer_dropped += 1
            buf.append(diff)
            return DiffOutcome.BUFFERED
        return self._sequence(diff)

    def on_snapshot(self, snapshot: BookSnapshot, force: bool = False) -> SyncState:
        """Load a snapshot, then replay the buffered diffs through the first-diff and continuity rules.

        A REST snapshot not newer than a ready book is ignored (``stale_snapshots``); a stream snapshot (the
        policy's ``snapshot_source == "stream"``) or ``force`` always replaces the book. A snapshot older than the
        buffered diffs (the first-diff rule fails) leaves the state ``WAITING_SNAPSHOT``: fetch a newer one. A
        snapshot whose checksum disagrees leaves the book ``RESYNCING``.

        Returns:
            The state after the snapshot and the buffered diffs.
        """
        if (not force and not self._from_stream and self.state is SyncState.READY
                and snapshot.sequence <= self.last_sequence):  # fmt: skip
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
        if self._from_stream and self._buffer:
            # Sent on the same ordered stream before this snapshot: every buffered diff is older than it.
            self.diffs_dropped_stale += len(self._buffer)
            self._buffer.clear()
        if snapshot.checksum is not None and self.validate_checksum and not self._checksum(snapshot):
            return self.state
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
        policy = self.policy
        if self._first_pending:
            verdict = policy.first_diff(diff, last)
            if verdict == _STALE:
                self.diffs_dropped_stale += 1
                return DiffOutcome.STALE
            if verdict != _APPLY:
                # The snapshot is older than the stream: wait for a newer one, keep the diff.
                self.stale_snapshots += 1
                self.log.append(("stale_snapshot", last))
                self._invalidate(None, diff, SyncState.WAITING_SNAPSHOT)
                return DiffOutcome.GAP
            self._first_pending = False
            if self._recovering:
                self.resyncs += 1
                self._recovering = False
        else:
            verdict = policy.next_diff(diff, last)
            if verdict == _STALE:
                self.diffs_dropped_stale += 1
                return DiffOutcome.STALE
            if verdict != _APPLY:
                expected, got = policy.gap_values(diff, last)
                self._invalidate(SequenceGap(self.book.instrument_id, expected, got), diff)
                return DiffOutcome.GAP
        book = self.book
        book.on_deltas(diff)
        self.last_sequence = diff.sequence
        self.diffs_applied += 1
        if book.is_crossed():
            self.crossed += 1
            self._invalidate(None)
            return DiffOutcome.CROSSED
        if diff.checksum is not None and self.validate_checksum and not self._checksum(diff):
            return DiffOutcome.CHECKSUM
        return DiffOutcome.APPLIED

    def _checksum(self, event: BookDeltas | BookSnapshot) -> bool:
        """Validate the venue's checksum against the real book; a mismatch invalidates it (False)."""
        self.checksum_checks += 1
        if self.policy.checksum_ok(self.book, event.checksum):
            return True
        self.checksum_mismatches += 1
        self.log.append(("checksum", event.sequence, event.checksum))
        self._invalidate(None)
        return False

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
