"""Price outlier (**soft**): a move beyond ``outlier_stdevs`` rolling standard deviations of the series' returns,
or beyond ``outlier_pct`` percent of the reference price.

One :class:`RollingReturns` per series and instrument: the book's mid (a top-of-book move is a change of the mid)
and the trade price (a move is a change from the previous trade's price). A return is ``r = (p - p_prev) / p_prev``
(float: model math, never money). Only changes enter the window (a diff that leaves the mid where it was is no
return), at most ``outlier_window`` of them and none older than ``outlier_window_s`` (receive time). The standard
deviation is the population one over the window *before* the new return is added, judged only once
``outlier_min_samples`` returns are kept; the new return is then added whatever the verdict, so a real regime
change (a crash, a squeeze) widens the window's deviation instead of firing forever. The percent rule is exact
(integers): mid moves are measured against the previous mid, trades against the book's current mid
(:func:`pct_beyond`); exactly at a threshold is not beyond it.

Why soft, never hard: a real crash is a run of outliers, and a check that cleared the book on it would blank the
market data exactly when strategies and the risk gate need it most. A bad print is counted, exported and alerted;
the book itself is only distrusted by the hard, protocol-level evidence (gaps, checksums, a crossed book).
"""

from __future__ import annotations

import math
from collections import deque
from fractions import Fraction

__all__ = ["RollingReturns", "PctBand", "pct_beyond"]


class PctBand:
    """``beyond(p, ref)``: ``|p - ref| / ref * 100 > pct``, exactly (integers at one scale, ``ref > 0``)."""

    __slots__ = ("pct", "_num", "_den")

    def __init__(self, pct: float) -> None:
        ratio = Fraction(str(pct))
        self.pct = pct
        self._num, self._den = ratio.numerator, ratio.denominator * 100

    def beyond(self, price: int, ref: int) -> bool:
        return abs(price - ref) * self._den > self._num * ref


def pct_beyond(price: int, ref: int, pct: float) -> bool:
    """True when ``price`` is more than ``pct`` percent away from ``ref`` (exact)."""
    return PctBand(pct).beyond(price, ref)


class RollingReturns:
    """Rolling standard deviation of a price series' returns, and the stdev verdict on the next move.

    Args:
        stdevs: the threshold (standard deviations, > 0).
        window: returns kept (events).
        window_s: and none older than this (s).
        min_samples: no verdict before this many returns are kept.

    ``observe(price, ts_ns)`` returns True when the move from the previous price is beyond ``stdevs`` standard
    deviations (and counts it in ``outliers``); the first price, and an unchanged price, return False.
    """

    __slots__ = ("stdevs", "_k2", "window_ns", "min_samples", "last", "_returns", "_sum", "_sumsq", "outliers",
                 "moves")  # fmt: skip

    def __init__(self, stdevs: float, window: int, window_s: float, min_samples: int) -> None:
        self.stdevs = stdevs
        self._k2 = stdevs * stdevs
        self.window_ns = int(window_s * 1e9)
        self.min_samples = min_samples
        self.last: int | None = None
        self._returns: deque[tuple[int, float]] = deque(maxlen=window)
        self._sum = self._sumsq = 0.0
        self.outliers = self.moves = 0

    @property
    def samples(self) -> int:
        return len(self._returns)

    def stdev(self) -> float:
        """Population standard deviation of the kept returns (0.0 when fewer than 2)."""
        n = len(self._returns)
        if n < 2:
            return 0.0
        mean = self._sum / n
        return math.sqrt(max(self._sumsq / n - mean * mean, 0.0))

    def observe(self, price: int, ts_ns: int) -> bool:
        last = self.last
        self.last = price
        if last is None or price == last or last <= 0:
            return False
        self.moves += 1
        r = (price - last) / last
        returns = self._returns
        cutoff = ts_ns - self.window_ns
        while returns and returns[0][0] < cutoff:
            _, old = returns.popleft()
            self._sum -= old
            self._sumsq -= old * old
        outlier = False
        n = len(returns)
        if n >= self.min_samples:
            mean = self._sum / n
            var = self._sumsq / n - mean * mean  # |r| > k * sd  <=>  r^2 > k^2 * var (no square root per move)
            outlier = var > 0.0 and r * r > self._k2 * var
        if len(returns) == returns.maxlen:
            _, old = returns[0]
            self._sum -= old
            self._sumsq -= old * old
        returns.append((ts_ns, r))
        self._sum += r
        self._sumsq += r * r
        if outlier:
            self.outliers += 1
        return outlier
