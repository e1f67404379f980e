"""An exact L2 order book: price level -> size, fixed-point integers, best bid/ask in O(1).

Each side keeps a ``dict`` (price -> size) for O(1) updates and an ascending ``list`` of its prices, maintained
with :mod:`bisect` (C-speed insertion/removal; a few thousand levels is a memmove of a few KB). The best bid is
``bid_prices[-1]``, the best ask ``ask_prices[0]``: both O(1) after every delta. Only new and deleted levels touch
the sorted lists; a size change at an existing level is one dict store.

Pure: no Ray, no I/O. Sizes are absolute (a delta sets the size at a price; size 0 deletes the level).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable

from actors.fixedpoint import fixed_to_str
from actors.messages import Level

__all__ = ["OrderBook"]


class OrderBook:
    """L2 book of one instrument.

    Args:
        instrument_id: ``"<SYMBOL>.<VENUE>"``.
        price_decimals, size_decimals: fixed-point scales of the prices and sizes given to it.

    The book does not judge sequencing (see :mod:`actors.book.sync`); it applies what it is given.
    """

    __slots__ = ("instrument_id", "price_decimals", "size_decimals", "_bids", "_asks", "_bid_px", "_ask_px")

    def __init__(self, instrument_id: str, price_decimals: int, size_decimals: int) -> None:
        self.instrument_id = instrument_id
        self.price_decimals = price_decimals
        self.size_decimals = size_decimals
        self._bids: dict[int, int] = {}
        self._asks: dict[int, int] = {}
        self._bid_px: list[int] = []  # ascending; best bid last
        self._ask_px: list[int] = []  # ascending; best ask first

    # -- updates ---------------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every level."""
        self._bids.clear()
        self._asks.clear()
        self._bid_px.clear()
        self._ask_px.clear()

    def apply_snapshot(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the whole book. Levels with size 0 are ignored."""
        self._bids = {p: s for p, s in bids if s}
        self._asks = {p: s for p, s in asks if s}
        self._bid_px = sorted(self._bids)
        self._ask_px = sorted(self._asks)

    def apply_deltas(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Set the absolute size of each given level; size 0 deletes it (deleting a missing level is a no-op)."""
        _apply_side(self._bids, self._bid_px, bids)
        _apply_side(self._asks, self._ask_px, asks)

    # -- queries ---------------------------------------------------------------------------------------------
    def best_bid(self) -> Level | None:
        """``(price, size)`` of the highest bid, or None when the bid side is empty. O(1)."""
        px = self._bid_px
        return (px[-1], self._bids[px[-1]]) if px else None

    def best_ask(self) -> Level | None:
        """``(price, size)`` of the lowest ask, or None when the ask side is empty. O(1)."""
        px = self._ask_px
        return (px[0], self._asks[px[0]]) if px else None

    def best_bid_price(self) -> int | None:
        """Highest bid price or None. O(1)."""
        return self._bid_px[-1] if self._bid_px else None

    def best_ask_price(self) -> int | None:
        """Lowest ask price or None. O(1)."""
        return self._ask_px[0] if self._ask_px else None

    def is_crossed(self) -> bool:
        """True when both sides exist and best bid >= best ask (a locked book counts as crossed)."""
        return bool(self._bid_px and self._ask_px and self._bid_px[-1] >= self._ask_px[0])

    def depth(self, n: int) -> tuple[list[Level], list[Level]]:
        """The best ``n`` levels per side: ``(bids best first, asks best first)``."""
        bids, asks = self._bids, self._asks
        bid_px = self._bid_px[-n:][::-1] if n > 0 else []
        return [(p, bids[p]) for p in bid_px], [(p, asks[p]) for p in self._ask_px[:n]]

    @property
    def bid_levels(self) -> int:
        """Number of bid levels."""
        return len(self._bid_px)

    @property
    def ask_levels(self) -> int:
        """Number of ask levels."""
        return len(self._ask_px)

    def size_at(self, side: str, price: int) -> int:
        """Size at ``price`` on ``side`` (``"bid"``/``"ask"``), 0 when there is no level."""
        return (self._bids if side == "bid" else self._asks).get(price, 0)

    def format_price(self, price: int | None) -> str | None:
        """A fixed-point price as a decimal string with the book's decimals (None stays None)."""
        return None if price is None else fixed_to_str(price, self.price_decimals)

    def format_size(self, size: int | None) -> str | None:
        """A fixed-point size as a decimal string with the book's decimals (None stays None)."""
        return None if size is None else fixed_to_str(size, self.size_decimals)


def _apply_side(levels: dict[int, int], prices: list[int], updates: Iterable[Level]) -> None:
    for price, size in updates:
        if size:
            if price not in levels:
                insort(prices, price)
            levels[price] = size
        elif price in levels:
            del levels[price]
            del prices[bisect_left(prices, price)]
