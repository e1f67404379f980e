"""The pure state of a book actor: exact books for one or more instruments, fed by sequenced messages.

A feed has already sequenced the diffs (see :mod:`actors.feed.pipeline`); the keeper applies ``BookSnapshot``
(replace, ready), ``BookDeltas`` (apply) and ``BookReset`` (clear, not ready), checks for a crossed book after
every diff (crossed: cleared, not ready, reported so the feed resyncs), keeps the last trades (bounded), the last
quote, bookTicker cross-checks (a quote whose ``u`` equals the last applied diff's ``u`` must equal the book's
best bid/ask, price and size) and frame-to-book latency samples. No Ray, no I/O: the clock is passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from actors.book.orderbook import OrderBook
from actors.instruments import InstrumentSpec
from actors.messages import BookDeltas, BookReset, BookSnapshot, BookView, MarketEvent, MarkPrice, Quote, Trade

__all__ = ["BookKeeper", "InstrumentBook"]


@dataclass
class InstrumentBook:
    """One instrument's book and counters."""

    book: OrderBook
    ready: bool = False
    sequence: int = -1
    last_diff_sequence: int = -1
    ts_event: int = 0
    ts_recv: int = 0
    diffs_applied: int = 0
    snapshots: int = 0
    resets: int = 0
    crossed: int = 0
    ticker_checks: int = 0
    ticker_mismatches: int = 0
    trades_seen: int = 0
    trades: deque[Trade] = field(default_factory=lambda: deque(maxlen=1000))
    last_quote: Quote | None = None
    mark: MarkPrice | None = None


class BookKeeper:
    """Books for a set of instruments.

    Args:
        instruments: the instruments this keeper holds.
        trades_kept: last trades kept per instrument (for queries).
        latency_samples: frame-to-book latency samples kept (ns), a bounded window.
    """

    def __init__(self, instruments: Iterable[InstrumentSpec], trades_kept: int = 1000,
                 latency_samples: int = 100_000) -> None:  # fmt: skip
        self.books = {
            s.instrument_id: InstrumentBook(OrderBook(s.instrument_id, s.price_decimals, s.size_decimals),
                                            trades=deque(maxlen=trades_kept))
            for s in instruments
        }  # fmt: skip
        self.latency_ns: deque[int] = deque(maxlen=latency_samples)
        self.events = 0
        self.unknown = 0

    def apply(self, events: Iterable[MarketEvent], now_ns: int) -> tuple[set[str], list[str]]:
        """Apply events in order.

        Args:
            events: sequenced messages from a feed.
            now_ns: the time of application (ns), for latency samples ``now_ns - ts_recv`` of each diff.

        Returns:
            ``(changed, crossed)``: instruments whose book changed, and instruments found crossed (cleared; the
            feed must resync them).
        """
        changed: set[str] = set()
        crossed: list[str] = []
        books = self.books
        latency = self.latency_ns
        for ev in events:
            self.events += 1
            ib = books.get(ev.instrument_id)
            if ib is None:
                self.unknown += 1
                continue
            kind = type(ev)
            if kind is BookDeltas:
                if not ib.ready:
                    continue  # the feed only forwards sequenced diffs; after a crossing, wait for the snapshot
                book = ib.book
                book.on_deltas(ev)
                ib.diffs_applied += 1
                ib.sequence = ib.last_diff_sequence = ev.sequence
                ib.ts_event, ib.ts_recv = ev.ts_event, ev.ts_recv
                latency.append(now_ns - ev.ts_recv)
                changed.add(ev.instrument_id)
                if book.is_crossed():
                    ib.crossed += 1
                    ib.ready = False
                    book.clear()
                    crossed.append(ev.instrument_id)
            elif kind is Quote:
                ib.last_quote = ev
                if ib.ready and ev.sequence == ib.last_diff_sequence:
                    ib.ticker_checks += 1
                    if ib.book.best_bid() != (ev.bid_price, ev.bid_size) or ib.book.best_ask() != (
                        ev.ask_price, ev.ask_size
                    ):
                        ib.ticker_mismatches += 1
            elif kind is Trade:
                ib.trades.append(ev)
                ib.trades_seen += 1
            elif kind is BookSnapshot:
                ib.book.on_snapshot(ev)
                ib.ready = True
                ib.snapshots += 1
                ib.sequence = ev.sequence
                # 0 when the venue gives no time (Binance spot REST): the view then says "unknown" until a diff
                # brings a venue time, never an older time that would pair new prices with an old clock.
                ib.ts_event = ev.ts_event
                ib.ts_recv = ev.ts_recv
                changed.add(ev.instrument_id)
            elif kind is BookReset:
                ib.book.clear()
                ib.ready = False
                ib.ts_event = 0
                ib.resets += 1
                changed.add(ev.instrument_id)
            elif kind is MarkPrice:
                ib.mark = ev
        return changed, crossed

    def view(self, instrument_id: str, depth: int, now_ns: int) -> BookView:
        """The book's view: top ``depth`` levels per side (empty when not ready).

        Raises:
            KeyError: the instrument is not held here.
        """
        ib = self.books[instrument_id]
        bids, asks = ib.book.depth(depth) if ib.ready else ([], [])
        return BookView(instrument_id, ib.ready, ib.sequence, tuple(bids), tuple(asks), ib.book.price_decimals,
                        ib.book.size_decimals, ib.ts_event, ib.ts_recv, now_ns)  # fmt: skip

    def stats(self, now_ns: int) -> dict[str, dict]:
        """Per-instrument counters (JSON-friendly; prices as decimal strings)."""
        out = {}
        for iid, ib in self.books.items():
            book = ib.book
            best_bid, best_ask = book.best_bid_price(), book.best_ask_price()
            out[iid] = {
                "ready": ib.ready, "sequence": ib.sequence, "diffs_applied": ib.diffs_applied,
                "snapshots": ib.snapshots, "resets": ib.resets, "crossed": ib.crossed,
                "ticker_checks": ib.ticker_checks, "ticker_mismatches": ib.ticker_mismatches,
                "trades": ib.trades_seen, "bid_levels": book.bid_levels, "ask_levels": book.ask_levels,
                "best_bid": book.format_price(best_bid), "best_ask": book.format_price(best_ask),
                "last_update_age_ms": (now_ns - ib.ts_recv) / 1e6 if ib.ts_recv else None,
            }  # fmt: skip
        return out
