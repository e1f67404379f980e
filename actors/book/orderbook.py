"""An exact L2 order book: price level -> size, fixed-point integers, best bid/ask in O(1) amortised.

Each side keeps a ``dict`` (price -> size) for O(1) updates and a binary heap of its prices (bids negated) with
lazy deletion: a new level pushes its price (O(log n), no memmove), a deleted level only leaves the dict, and the
best price is the heap's top once tops that are no longer in the dict are popped. Popping is amortised against the
pushes, so best bid/ask is O(1) amortised after every delta. A heap that grows past twice its side (plus 64) is
rebuilt from the dict (O(n), rare), so memory stays bounded. ``depth(n)`` walks the heap best-first: O(n log n) whatever the
book's size, so views can be published after every batch.

Pure: no Ray, no I/O. Sizes are absolute (a delta sets the size at a price; size 0 deletes the level).
"""

from __future__ import annotations

from collections.abc import Iterable
from heapq import heapify, heappop, heappush, nlargest, nsmallest

from actors.fixedpoint import fixed_to_str
from actors.messages import BookDeltas, BookSnapshot, Level

__all__ = ["OrderBook"]


class OrderBook:
    """L2 book of one instrument.

    Args:
        instrument_id: ``"<SYMBOL>.<VENUE>"``.
        price_decimals, size_decimals: fixed-point scales of the prices and sizes given to it.

    The book does not judge sequencing (see :mod:`actors.book.sync`); it applies what it is given.
    """

    __slots__ = ("instrument_id", "price_decimals", "size_decimals", "_bids", "_asks", "_bid_heap", "_ask_heap")

    def __init__(self, instrument_id: str, price_decimals: int, size_decimals: int) -> None:
        self.instrument_id = instrument_id
        self.price_decimals = price_decimals
        self.size_decimals = size_decimals
        self._bids: dict[int, int] = {}
        self._asks: dict[int, int] = {}
        self._bid_heap: list[int] = []  # negated prices: the top is the best bid
        self._ask_heap: list[int] = []

    # -- updates ---------------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every level."""
        self._bids, self._asks, self._bid_heap, self._ask_heap = {}, {}, [], []

    def apply_snapshot(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the whole book. Levels with size 0 are ignored."""
        self._bids = {p: s for p, s in bids if s}
        self._asks = {p: s for p, s in asks if s}
        self._bid_heap = [-p for p in self._bids]
        self._ask_heap = list(self._asks)
        heapify(self._bid_heap)
        heapify(self._ask_heap)

    def apply_deltas(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Set the absolute size of each given level; size 0 deletes it (deleting a missing level is a no-op)."""
        levels, heap = self._bids, self._bid_heap
        for price, size in bids:
            if size:
                if price not in levels:
                    heappush(heap, -price)
                levels[price] = size
            else:
                levels.pop(price, None)
        if len(heap) > 2 * len(levels) + 64:
            self._bid_heap = heap = [-p for p in levels]
            heapify(heap)
        levels, heap = self._asks, self._ask_heap
        for price, size in asks:
            if size:
                if price not in levels:
                    heappush(heap, price)
                levels[price] = size
            else:
                levels.pop(price, None)
        if len(heap) > 2 * len(levels) + 64:
            self._ask_heap = heap = list(levels)
            heapify(heap)

    def levels_beyond(self, depth: int) -> tuple[list[int], list[int]]:
        """Prices of the levels past the ``depth`` best per side: ``(bid prices, ask prices)``, worst last.

        Cheap when a side is a few levels over (``heapq.nsmallest``/``nlargest`` of the excess), as after each
        update of a full book.
        """
        if depth <= 0:
            return [], []
        over_b, over_a = len(self._bids) - depth, len(self._asks) - depth
        bids = sorted(nsmallest(over_b, self._bids), reverse=True) if over_b > 0 else []
        asks = sorted(nlargest(over_a, self._asks)) if over_a > 0 else []
        return bids, asks

    def drop_levels(self, bid_prices: Iterable[int], ask_prices: Iterable[int]) -> None:
        """Delete levels outside a venue diff (a policy's depth truncation); a subclass that mirrors the book
        elsewhere (the feed's forwarder) also forwards the deletes."""
        bids, asks = self._bids, self._asks
        for price in bid_prices:
            bids.pop(price, None)
        for price in ask_prices:
            asks.pop(price, None)

    def truncate(self, depth: int) -> int:
        """Keep only the ``depth`` best levels per side (venues that send no delete for a level falling out of the
        subscribed depth, e.g. Kraken WS v1 "Book Checksum": "truncate to your subscribed depth").

        Returns the number of levels removed (through :meth:`drop_levels`).
        """
        bids, asks = self.levels_beyond(depth)
        if bids or asks:
            self.drop_levels(bids, asks)
        return len(bids) + len(asks)

    def on_snapshot(self, snapshot: BookSnapshot) -> None:
        """Load a snapshot message (the :class:`actors.book.sync.BookTarget` protocol)."""
        self.apply_snapshot(snapshot.bids, snapshot.asks)

    def on_deltas(self, deltas: BookDeltas) -> None:
        """Apply a diff message (the :class:`actors.book.sync.BookTarget` protocol)."""
        self.apply_deltas(deltas.bids, deltas.asks)

    # -- queries ---------------------------------------------------------------------------------------------
    def best_bid_price(self) -> int | None:
        """Highest bid price or None. O(1) amortised."""
        heap, levels = self._bid_heap, self._bids
        while heap and -heap[0] not in levels:
            heappop(heap)
        return -heap[0] if heap else None

    def best_ask_price(self) -> int | None:
        """Lowest ask price or None. O(1) amortised."""
        heap, levels = self._ask_heap, self._asks
        while heap and heap[0] not in levels:
            heappop(heap)
        return heap[0] if heap else None

    def best_bid(self) -> Level | None:
        """``(price, size)`` of the highest bid, or None when the bid side is empty."""
        price = self.best_bid_price()
        return None if price is None else (price, self._bids[price])

    def best_ask(self) -> Level | None:
        """``(price, size)`` of the lowest ask, or None when the ask side is empty."""
        price = self.best_ask_price()
        return None if price is None else (price, self._asks[price])

    def is_crossed(self) -> bool:
        """True when both sides exist and best bid >= best ask (a locked book counts as crossed)."""
        bid, ask = self.best_bid_price(), self.best_ask_price()
        return bid is not None and ask is not None and bid >= ask

    def depth(self, n: int) -> tuple[list[Level], list[Level]]:
        """The best ``n`` levels per side: ``(bids best first, asks best first)``.

        A best-first walk of each side's heap (the k-th best level sits within the first k layers of the tree):
        O(n log n) plus the stale entries met on the way, independent of the book's size.
        """
        if n <= 0:
            return [], []
        return _best(self._bid_heap, self._bids, n, -1), _best(self._ask_heap, self._asks, n, 1)

    @property
    def bid_levels(self) -> int:
        """Number of bid levels."""
        return len(self._bids)

    @property
    def ask_levels(self) -> int:
        """Number of ask levels."""
        return len(self._asks)

    def size_at(self, side: str, price: int) -> int:
        """Size at ``price`` on ``side`` (``"bid"``/``"ask"``), 0 when there is no level."""
        return (self._bids if side == "bid" else self._asks).get(price, 0)

    def format_price(self, price: int | None) -> str | None:
        """A fixed-point price as a decimal string with the book's decimals (None stays None)."""
        return None if price is None else fixed_to_str(price, self.price_decimals)

    def format_size(self, size: int | None) -> str | None:
        """A fixed-point size as a decimal string with the book's decimals (None stays None)."""
        return None if size is None else fixed_to_str(size, self.size_decimals)



def _best(heap: list[int], levels: dict[int, int], n: int, sign: int) -> list[Level]:
    """The ``n`` best distinct live levels of one side, best first (``sign`` -1: the heap holds negated bids)."""
    out: list[Level] = []
    seen: set[int] = set()
    size = len(heap)
    frontier = [(heap[0], 0)] if heap else []
    while frontier and len(out) < n:
        key, i = heappop(frontier)
        price = key * sign
        if price in levels and price not in seen:  # skip deleted levels and duplicate pushes
            seen.add(price)
            out.append((price, levels[price]))
        child = 2 * i + 1
        if child < size:
            heappush(frontier, (heap[child], child))
            if child + 1 < size:
                heappush(frontier, (heap[child + 1], child + 1))
    return out
