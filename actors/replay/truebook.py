"""The replay venue's true book: what Binance's REST depth endpoint would answer at the current replay time. Pure.

:class:`TrueBook` is fed, in replay order, every REST depth body and every depth frame of the recording (through a
:class:`~actors.replay.rebuild.BookRebuilder`, the same ground truth ``raytrade verify`` uses) and answers depth
requests:

* at the recorded snapshot's replay time (from its record until the next depth frame of the symbol, or for as
  long as the book stays at its ``lastUpdateId``), with the recorded body byte for byte when the request asks for
  at least as many levels as were recorded (the bundled captures hold 1000 per side);
* later, with a body built from the rebuilt book (:func:`actors.replay.depth.depth_body`): ``lastUpdateId`` is the
  last applied diff's ``u``, futures ``E``/``T`` are those of the last applied diff (or of the snapshot);
* while the book is not ready (no snapshot yet, or a gap in the capture), with None: the caller waits or answers
  503.

In the spot capture a diff buffered before the snapshot arrived is newer than the snapshot, so right after the
snapshot record the rebuilt book is already past the recorded ``lastUpdateId``: both answers are correct for a
client that follows Binance's sync rules.
"""

from __future__ import annotations

from actors.instruments import Venue, instrument_id
from actors.replay.captures import CaptureRecord
from actors.replay.depth import RecordedSnapshot, depth_body
from actors.replay.rebuild import BookRebuilder
from actors.replay.streams import depth_ids, stream_symbol

__all__ = ["TrueBook"]


class TrueBook:
    """Rebuilt books of one venue plus the recorded snapshots.

    Args:
        venue: the recording's venue.
        symbols: the recording's symbols (a REST body without a symbol belongs to the only one, if only one).
    """

    def __init__(self, venue: Venue, symbols: frozenset[str] | set[str] = frozenset()) -> None:
        self.venue = Venue(venue)
        self.symbols = frozenset(symbols)
        self.rebuilder = BookRebuilder(self.venue)
        self.version = 0  # bumped whenever a symbol's readiness or recorded snapshot changes
        self._recorded: dict[str, RecordedSnapshot] = {}
        self._current: dict[str, bool] = {}  # the recorded body is still the venue's answer
        self._times_ms: dict[str, tuple[int, int]] = {}  # (E, T) of the book's last update
        self._ready: dict[str, bool] = {}
        self._seq: dict[str, int] = {}
        self._iids: dict[str, str] = {}

    def feed_rest(self, record: CaptureRecord) -> None:
        """A recorded REST body (only depth snapshots matter)."""
        if not record.data.startswith(b'{"lastUpdateId"'):
            return
        self.rebuilder.feed(record)
        try:
            snapshot = RecordedSnapshot.from_body(record.data)
        except ValueError:
            return
        symbol = record.rest_symbol or _body_symbol(record.data)
        if symbol is None and len(self.symbols) == 1:
            symbol = next(iter(self.symbols))
        if symbol is None:
            return
        self._recorded[symbol] = snapshot
        self._current[symbol] = True
        self._times_ms[symbol] = (snapshot.event_ms, snapshot.transaction_ms)
        self.version += 1
        self._note(symbol)

    def feed_depth(self, record: CaptureRecord, stream: str) -> None:
        """A recorded depth frame of ``stream``."""
        self.rebuilder.feed(record)
        symbol = stream_symbol(stream)
        sync = self.rebuilder.syncs.get(self._iid(symbol))
        if sync is None:
            return
        if self._current.get(symbol) and sync.last_sequence != self._recorded[symbol].last_update_id:
            self._current[symbol] = False
        if sync.ready and sync.last_sequence != self._seq.get(symbol) and self.venue is not Venue.BINANCE:
            ids = depth_ids(record.data)
            if ids.get("u") == sync.last_sequence:
                self._times_ms[symbol] = (ids.get("E", 0), ids.get("T", ids.get("E", 0)))
        self._note(symbol)

    def ready(self, symbol: str) -> bool:
        """True when :meth:`answer` has a body for ``symbol``."""
        if self._current.get(symbol):
            return True
        sync = self.rebuilder.syncs.get(self._iid(symbol))
        return sync is not None and sync.ready

    def last_update_id(self, symbol: str) -> int:
        """The rebuilt book's last applied update id (-1 before any snapshot)."""
        sync = self.rebuilder.syncs.get(self._iid(symbol))
        return -1 if sync is None else sync.last_sequence

    def answer(self, symbol: str, limit: int, now_ms: int = 0) -> bytes | None:
        """The depth body for a request of ``limit`` levels now, or None while the book is not ready.

        Args:
            symbol: the venue symbol (upper case).
            limit: levels per side.
            now_ms: replay time (ms), used as futures ``E``/``T`` when no update time is known.
        """
        recorded = self._recorded.get(symbol)
        if recorded is not None and self._current.get(symbol) and limit >= recorded.levels:
            return recorded.body
        sync = self.rebuilder.syncs.get(self._iid(symbol))
        if sync is None or not sync.ready:
            return None
        book = sync.book
        bids, asks = book.depth(limit)
        event_ms, transaction_ms = self._times_ms.get(symbol, (0, 0))
        if not event_ms:
            event_ms = transaction_ms = now_ms
        return depth_body(self.venue, symbol, sync.last_sequence, bids, asks, book.price_decimals, book.size_decimals,
                          event_ms, transaction_ms)  # fmt: skip

    def books(self) -> dict[str, dict]:
        """``{symbol: {"ready": bool, "last_update_id": int}}`` for status reports."""
        out = {}
        for symbol, iid in self._iids.items():
            sync = self.rebuilder.syncs.get(iid)
            if sync is not None:
                out[symbol] = {"ready": sync.ready, "last_update_id": sync.last_sequence}
        return out

    # -- internals -------------------------------------------------------------------------------------------
    def _note(self, symbol: str) -> None:
        sync = self.rebuilder.syncs.get(self._iid(symbol))
        if sync is None:
            return
        self._seq[symbol] = sync.last_sequence
        if self._ready.get(symbol) != sync.ready:
            self._ready[symbol] = sync.ready
            self.version += 1

    def _iid(self, symbol: str) -> str:
        iid = self._iids.get(symbol)
        if iid is None:
            iid = self._iids[symbol] = instrument_id(symbol, self.venue)
        return iid


def _body_symbol(body: bytes) -> str | None:
    """The ``symbol`` field of a COIN-M snapshot body, found without parsing the levels."""
    start = body.find(b'"symbol":"')
    if start < 0:
        return None
    start += 10
    return body[start : body.find(b'"', start)].decode("ascii", "replace")
