"""Performance analytics of an equity curve and its round trips (pure).

The equity curve is sampled on a fixed interval of the market clock (:class:`EquityCurve`, default one minute);
its simple returns ``rₜ = Eₜ / Eₜ₋₁ − 1`` feed the ratios. Crypto trades 24/7, so a year has
``365 · 86,400 / interval_s`` periods (525,600 for minute returns) (TRADING.md "Performance analytics").

Definitions (``performance``; money in the equity's currency, USD; round trips by their ``net_pnl_usd``, i.e.
after fees)::

    trades        = number of round trips          wins / losses = round trips with net PnL > 0 / < 0
                                                   (net PnL exactly 0 is neither: ``breakeven``)
    win_rate      = wins / trades                  loss_rate = losses / trades
    avg_win       = gross_profit / wins            avg_loss = gross_loss / losses   (a positive number)
    gross_profit  = Σ net PnL of wins              gross_loss = −Σ net PnL of losses (positive)
    profit_factor = gross_profit / gross_loss      "Infinity" when there are wins and no loss; None without
                                                   wins or losses
    expectancy    = win_rate · avg_win − loss_rate · avg_loss   (= mean net PnL per round trip; TRADING.md writes
                                                   (1 − win_rate) for loss_rate, the same when no trade breaks even)
    total_return  = E_last − starting_equity       return_pct = 100 · total_return / starting_equity
    sharpe        = mean(r) / std(r) · √periods_per_year        std with n − 1 (sample); risk-free rate 0
    sortino       = mean(r) / √(mean(min(r, 0)²)) · √periods_per_year
    max_drawdown  = max over t of (peakₜ − Eₜ)
    max_drawdown_pct = 100 · max over t of (peakₜ − Eₜ) / peakₜ
                    with peakₜ = max(starting_equity, E₀ … Eₜ); the two maxima may fall on different t
    exposure_pct  = 100 · exposure_ns / span_ns    (time with a position open over the measured span)

Sharpe and Sortino are floats (ratios of float returns: the only floats here); they are None with fewer than two
returns, when ``std(r) = 0`` (flat equity) or, for Sortino, when no return is negative. Money and percentages are
exact Decimal, returned as decimal strings (JSON-friendly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, localcontext

from actors.portfolio.positions import PNL_CONTEXT, RoundTrip, dec_str

__all__ = ["EquityCurve", "SECONDS_PER_YEAR", "performance", "periods_per_year", "union_ns"]

SECONDS_PER_YEAR = 365 * 86_400
"""Crypto trades every day: a year is 365 days of 86,400 s."""


def periods_per_year(interval_s: float) -> float:
    """Sampling periods in a 365-day year (``525,600`` for ``interval_s = 60``)."""
    return SECONDS_PER_YEAR / interval_s


class EquityCurve:
    """Equity sampled on a fixed interval of the market clock.

    Args:
        interval_s: bucket width in seconds; bucket ``k`` covers ``[k·interval, (k+1)·interval)`` since the epoch.
        max_points: keep at most this many buckets (the oldest are dropped); None keeps all.

    ``sample`` keeps the last equity of each bucket; :meth:`points` returns one point per bucket from the first to
    the last sampled, a bucket without a sample carrying the previous value (equity is a step function between
    samples), each stamped with its bucket's start time (ns).
    """

    def __init__(self, interval_s: float = 60.0, max_points: int | None = None) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self.interval_s = interval_s
        self.interval_ns = round(interval_s * 1e9)
        self.max_points = max_points
        self._buckets: dict[int, Decimal] = {}

    def sample(self, ts_event: int, equity: Decimal) -> None:
        """Record ``equity`` at ``ts_event`` (ns); a later sample in the same bucket replaces the earlier one."""
        bucket = ts_event // self.interval_ns
        if self._buckets and bucket < max(self._buckets):
            return  # the market clock does not go back; an older bucket is already closed
        self._buckets[bucket] = equity
        if self.max_points is not None and len(self._buckets) > self.max_points:
            del self._buckets[min(self._buckets)]

    def points(self) -> list[tuple[int, Decimal]]:
        """``[(bucket_start_ns, equity)]``, one per bucket, gaps forward-filled."""
        if not self._buckets:
            return []
        first, last = min(self._buckets), max(self._buckets)
        out, value = [], None
        for b in range(first, last + 1):
            value = self._buckets.get(b, value)
            out.append((b * self.interval_ns, value))
        return out

    def to_state(self) -> dict:
        return {"interval_s": self.interval_s, "max_points": self.max_points,
                "buckets": [[b, str(v)] for b, v in sorted(self._buckets.items())]}  # fmt: skip

    @classmethod
    def from_state(cls, state: dict) -> EquityCurve:
        curve = cls(state["interval_s"], state["max_points"])
        curve._buckets = {b: Decimal(v) for b, v in state["buckets"]}
        return curve


def performance(
    equity: Sequence[tuple[int, Decimal]],
    round_trips: Sequence[RoundTrip],
    interval_s: float,
    starting_equity: Decimal,
    exposure_ns: int | None = None,
    span_ns: int | None = None,
) -> dict:
    """Performance of one strategy (or the total) from its equity curve and round trips (module docstring).

    Args:
        equity: ``[(ts_ns, equity)]`` on a fixed ``interval_s`` grid, oldest first (:meth:`EquityCurve.points`).
        round_trips: closed round trips; those without ``net_pnl_usd`` (no USD rate) are left out of the counts.
        interval_s: the sampling interval of ``equity`` (s), for annualisation.
        starting_equity: equity before the first point (allocated capital), > 0 for the percentages.
        exposure_ns: time with a position open; default: the union of the round trips' open intervals.
        span_ns: the measured span; default: last minus first equity time plus one interval.

    Returns:
        JSON-friendly dict: ``trades, wins, losses, breakeven, win_rate, avg_win, avg_loss, gross_profit,
        gross_loss, profit_factor, expectancy, total_return, return_pct, sharpe, sortino, max_drawdown,
        max_drawdown_pct, exposure_pct, interval_s, periods_per_year, returns`` (decimals as strings; ``None``
        where undefined).
    """
    with localcontext(PNL_CONTEXT):
        out = _trade_stats([rt.net_pnl_usd for rt in round_trips if rt.net_pnl_usd is not None])
        values = [v for _, v in equity]
        start = Decimal(starting_equity)
        total = values[-1] - start if values else Decimal(0)
        out["total_return"] = dec_str(total)
        out["return_pct"] = dec_str(total / start * 100) if start else None
        dd, dd_pct = _drawdowns(values, start)
        out["max_drawdown"], out["max_drawdown_pct"] = dec_str(dd), dec_str(dd_pct)
        if exposure_ns is None:
            exposure_ns = union_ns([(rt.opened_ns, rt.closed_ns) for rt in round_trips])
        if span_ns is None and equity:
            span_ns = equity[-1][0] - equity[0][0] + round(interval_s * 1e9)
        out["exposure_pct"] = dec_str(Decimal(exposure_ns) / span_ns * 100) if span_ns else None
    returns = [float(b / a - 1) for a, b in zip(values, values[1:]) if a]
    ppy = periods_per_year(interval_s)
    out["sharpe"], out["sortino"] = _sharpe(returns, ppy), _sortino(returns, ppy)
    out["interval_s"], out["periods_per_year"], out["returns"] = interval_s, ppy, len(returns)
    return out


def _trade_stats(pnls: list[Decimal]) -> dict:
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    n = len(pnls)
    gross_profit, gross_loss = sum(wins, Decimal(0)), -sum(losses, Decimal(0))
    avg_win = gross_profit / len(wins) if wins else None
    avg_loss = gross_loss / len(losses) if losses else None
    if losses:
        factor = gross_profit / gross_loss
    else:
        factor = Decimal("Infinity") if wins else None
    win_rate = Decimal(len(wins)) / n if n else None
    expectancy = None
    if n:
        loss_rate = Decimal(len(losses)) / n
        expectancy = win_rate * (avg_win or 0) - loss_rate * (avg_loss or 0)
    return {
        "trades": n, "wins": len(wins), "losses": len(losses), "breakeven": n - len(wins) - len(losses),
        "win_rate": dec_str(win_rate), "avg_win": dec_str(avg_win), "avg_loss": dec_str(avg_loss),
        "gross_profit": dec_str(gross_profit), "gross_loss": dec_str(gross_loss),
        "profit_factor": dec_str(factor), "expectancy": dec_str(expectancy),
    }  # fmt: skip


def _drawdowns(values: list[Decimal], start: Decimal) -> tuple[Decimal, Decimal | None]:
    peak, dd, dd_pct = start, Decimal(0), Decimal(0)
    for v in values:
        peak = max(peak, v)
        dd = max(dd, peak - v)
        if peak > 0:
            dd_pct = max(dd_pct, (peak - v) / peak * 100)
    return dd, dd_pct if values else None


def union_ns(spans: list[tuple[int, int]]) -> int:
    """Total length (ns) of the union of ``[start, end]`` intervals."""
    total, end = 0, None
    for a, b in sorted(spans):
        if end is None or a > end:
            total, end = total + b - a, b
        elif b > end:
            total, end = total + b - end, b
    return total


def _sharpe(returns: list[float], ppy: float) -> float | None:
    if len(returns) < 2:
        return None
    mean = math.fsum(returns) / len(returns)
    var = math.fsum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    if var <= 0:
        return None
    return mean / math.sqrt(var) * math.sqrt(ppy)


def _sortino(returns: list[float], ppy: float) -> float | None:
    if len(returns) < 2:
        return None
    downside = math.fsum(min(r, 0.0) ** 2 for r in returns) / len(returns)
    if downside <= 0:
        return None
    return math.fsum(returns) / len(returns) / math.sqrt(downside) * math.sqrt(ppy)
