"""Spread too wide (**soft**): best ask - best bid beyond ``max_spread_bps`` basis points of the mid.

``spread_bps = (ask - bid) / ((ask + bid) / 2) * 10_000``. Compared exactly in integers: the threshold is turned
once into a fraction ``num / den`` (its decimal spelling), and the check is
``(ask - bid) * 20_000 * den > num * (ask + bid)``; exactly at the threshold is not beyond it. Soft because a wide
spread is a real market state (a thin book, a halt, the open): the book stays served and strategies decide
(the market maker pulls its quotes on its own rules).
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["SpreadCheck", "spread_bps"]


def spread_bps(best_bid: int, best_ask: int) -> float:
    """The spread in basis points of the mid (float, for reports; the check itself is exact)."""
    return (best_ask - best_bid) * 20_000 / (best_ask + best_bid)


class SpreadCheck:
    """``too_wide(bid, ask)`` for one threshold (fixed-point prices at one scale, both sides present, bid < ask).

    Args:
        max_spread_bps: the threshold (bps, > 0).
    """

    __slots__ = ("max_spread_bps", "_num", "_den")

    def __init__(self, max_spread_bps: float) -> None:
        ratio = Fraction(str(max_spread_bps))
        self.max_spread_bps = max_spread_bps
        self._num, self._den = ratio.numerator, ratio.denominator * 20_000

    def too_wide(self, best_bid: int, best_ask: int) -> bool:
        """True when the spread is strictly beyond the threshold."""
        return (best_ask - best_bid) * self._den > self._num * (best_ask + best_bid)
