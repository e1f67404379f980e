"""The true book of a replayed venue rebuilt with its own parser and policy (Bybit, OKX, Gemini, Bitstamp, ...). Pure.

:class:`StreamTrueBook` rebuilds every book of the recording with the venue's own parser and sequence policy (a
:class:`~actors.replay.rebuild.BookRebuilder`, the same ground truth ``raytrade verify`` uses), in replay order,
so the venue's replay protocol can answer at the current replay time: a stream snapshot for a client that
(re)subscribes to a book, and the REST order-book body where the venue has one. ``version`` is bumped whenever a
book's readiness changes (the REST route waits on it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from actors.book.sync import BookSync
from actors.instruments import Venue, instrument_id
from actors.replay.captures import CaptureRecord
from actors.replay.rebuild import BookRebuilder

__all__ = ["StreamTrueBook"]

BodyBuilder = Callable[[str, BookSync, int, int], bytes]
"""``(symbol, sync, limit, now_ms) -> REST body`` of the venue."""


class StreamTrueBook:
    """Rebuilt books of one stream-snapshot venue.

    Args:
        venue: the recording's venue.
        symbols: the recording's venue symbols.
        rest_body: builds the venue's REST order-book body from a ready book.
    """

    def __init__(self, venue: Venue, symbols: Collection[str], rest_body: BodyBuilder) -> None:
        self.venue = Venue(venue)
        self.symbols = frozenset(symbols)
        self.rebuilder = BookRebuilder(self.venue)
        self.version = 0
        self._rest_body = rest_body
        self._ready: dict[str, bool] = {}
        self._times_ms: dict[str, int] = {}

    def feed_rest(self, record: CaptureRecord) -> None:
        """A recorded REST depth body (Bitstamp, Backpack: the snapshot the recorder fetched; none for the
        stream-snapshot venues)."""
        self.rebuilder.feed(record)
        self._note_readiness()

    def feed_depth(self, record: CaptureRecord, stream: str) -> None:
        """A recorded book frame."""
        self.rebuilder.feed(record)
        self._note_readiness()
        self._times_ms[stream] = record.ts_recv // 1_000_000

    def _note_readiness(self) -> None:
        for iid, sync in self.rebuilder.syncs.items():
            if self._ready.get(iid) != sync.ready:
                self._ready[iid] = sync.ready
                self.version += 1

    def sync(self, symbol: str) -> BookSync | None:
        """The rebuilt sync (and book) of a venue symbol, or None before its first frame."""
        return self.rebuilder.syncs.get(instrument_id(symbol, self.venue))

    def ready(self, symbol: str) -> bool:
        sync = self.sync(symbol)
        return sync is not None and sync.ready

    def answer(self, symbol: str, limit: int, now_ms: int = 0) -> bytes | None:
        """The venue's REST order-book body now, or None while the book is not ready."""
        sync = self.sync(symbol)
        if sync is None or not sync.ready:
            return None
        return self._rest_body(symbol, sync, limit, now_ms)

    def books(self) -> dict[str, dict]:
        """``{instrument_id: {"ready": bool, "last_update_id": int}}`` for status reports."""
        return {iid: {"ready": s.ready, "last_update_id": s.last_sequence} for iid, s in self.rebuilder.syncs.items()}
