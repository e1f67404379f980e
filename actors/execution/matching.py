"""Taking liquidity from the model's book, stop triggers and fees: the pure pieces of the paper venue.

Taking (market orders and marketable limits): an order walks the opposite side best-first, level by level, up to
its limit price (market: the whole side), filling ``min(available, wanted)`` at each level's price (partial fills
across levels = slippage). Repeated takes consume the same displayed liquidity until the level changes:
:class:`Liquidity` keeps, per level, the size we already took and the level size it was taken from; any update of
that level (a new absolute size from a diff or a snapshot) resets it, because the venue's own number then already
reflects (or supersedes) our take. The consumed part also hides a level from the crossing checks of resting
orders (:meth:`Liquidity.best`).

Triggers (Binance Spot / USD-M "New Order": ``STOP_LOSS``, ``TAKE_PROFIT``; :class:`~actors.orders.OrderType`):
on the last trade price, a buy stop triggers at ``trade >= trigger``, a sell stop at ``trade <= trigger``;
take-profit the other way (buy ``<=``, sell ``>=``).

Fees (TRADING.md "Fees"): linear ``price * size * rate`` in the quote currency; inverse (COIN-M)
``size * contract_size / price * rate`` in the coin; exact :class:`~decimal.Decimal` (division at 28 significant
digits for inverse).
"""

from __future__ import annotations

from decimal import Decimal

from actors.book.orderbook import OrderBook
from actors.fixedpoint import fixed_to_decimal
from actors.instruments import InstrumentSpec
from actors.orders import OrderType, Side

__all__ = ["Liquidity", "fee_amount", "fee_currency", "triggered"]


class Liquidity:
    """Displayed liquidity of one instrument's book net of what paper takers already consumed.

    Args:
        book: the model's book of the instrument.
    """

    __slots__ = ("book", "_consumed")

    def __init__(self, book: OrderBook) -> None:
        self.book = book
        # (book side, price) -> (level size when taken, size taken from it)
        self._consumed: dict[tuple[str, int], tuple[int, int]] = {}

    def clear(self) -> None:
        """Forget every take (the book was replaced or reset)."""
        self._consumed.clear()

    def level_changed(self, side: str, price: int) -> None:
        """The venue updated the level: our earlier takes no longer apply to it."""
        if self._consumed:
            self._consumed.pop((side, price), None)

    def available(self, side: str, price: int, size: int) -> int:
        """Displayed ``size`` at the level minus what we took from it since its last update."""
        seen = self._consumed.get((side, price))
        if seen is None or seen[0] != size:
            return size
        return size - seen[1]

    def best(self, side: str) -> int | None:
        """Best price of ``side`` (``"bid"``/``"ask"``) with liquidity left after our takes, or None."""
        book = self.book
        price = book.best_bid_price() if side == "bid" else book.best_ask_price()
        if price is None or not self._consumed:
            return price
        n = 8
        while True:
            bids, asks = book.depth(n)
            levels = bids if side == "bid" else asks
            for p, s in levels:
                if self.available(side, p, s) > 0:
                    return p
            if len(levels) < n:
                return None
            n *= 8

    def levels(self, taker: Side, limit: int | None):
        """Yield ``(price, available)`` of the side a ``taker`` order hits, best first, up to ``limit`` inclusive."""
        side = "ask" if taker is Side.BUY else "bid"
        n, start = 32, 0
        while True:
            bids, asks = self.book.depth(n)
            levels = asks if taker is Side.BUY else bids
            for p, s in levels[start:]:
                if limit is not None and (p > limit if taker is Side.BUY else p < limit):
                    return
                left = self.available(side, p, s)
                if left > 0:
                    yield p, left
            if len(levels) < n:
                return
            start, n = n, n * 8

    def can_fill(self, taker: Side, limit: int | None, size: int) -> bool:
        """True when ``size`` can be taken wholly within ``limit`` (FOK)."""
        total = 0
        for _, left in self.levels(taker, limit):
            total += left
            if total >= size:
                return True
        return False

    def take(self, taker: Side, limit: int | None, size: int, lot: int) -> list[tuple[int, int]]:
        """Take up to ``size`` (lot multiples) within ``limit``; returns the fills ``[(price, size)]``, best first."""
        side = "ask" if taker is Side.BUY else "bid"
        fills: list[tuple[int, int]] = []
        for price, left in list(self.levels(taker, limit)):
            if size <= 0:
                break
            q = min(left, size)
            q -= q % lot
            if q <= 0:
                break
            shown = self.book.size_at(side, price)
            prior = self.available(side, price, shown)
            self._consumed[(side, price)] = (shown, shown - prior + q)
            fills.append((price, q))
            size -= q
        return fills


def triggered(order_type: OrderType, side: Side, trigger: int, trade_price: int) -> bool:
    """Whether a trade at ``trade_price`` triggers a stop / take-profit order (see the module docstring)."""
    stop = order_type is not OrderType.TAKE_PROFIT
    if (side is Side.BUY) == stop:
        return trade_price >= trigger
    return trade_price <= trigger


def fee_currency(spec: InstrumentSpec) -> str:
    """The currency fees are charged in: the quote for linear instruments, the coin (base) for inverse."""
    return spec.base if spec.inverse else spec.quote


def fee_amount(spec: InstrumentSpec, price: int, size: int, rate: Decimal) -> Decimal:
    """Fee of a fill of ``size`` at ``price`` (fixed-point at the spec's decimals) at ``rate`` (a fraction).

    Linear: ``price * size * rate`` (quote). Inverse: ``size * contract_size / price * rate`` (coin).
    """
    p = fixed_to_decimal(price, spec.price_decimals)
    q = fixed_to_decimal(size, spec.size_decimals)
    if spec.inverse:
        return q * spec.contract_size / p * rate
    return p * q * rate
