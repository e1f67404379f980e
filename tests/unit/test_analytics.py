"""Performance analytics against numbers computed here from the formulas (TRADING.md "Performance analytics")."""

from __future__ import annotations

import math
import statistics
from decimal import Decimal as D

import pytest

from actors.portfolio import EquityCurve, RoundTrip, performance, periods_per_year

MIN_NS = 60 * 10**9
T0 = 1_723_161_240 * 10**9  # 2024-08-08 23:54:00 UTC, a minute boundary


def rt(net_usd: str, opened_s: int = 0, closed_s: int = 60) -> RoundTrip:
    net = D(net_usd)
    return RoundTrip("s1", "BTCUSDT.BINANCE", "long", D("0.01"), D(61000), D(61000), D(610), net, D(0), "USDT", net,
                     T0 + opened_s * 10**9, T0 + closed_s * 10**9, "strategy")  # fmt: skip


def series(*values: str) -> list[tuple[int, D]]:
    return [(T0 + k * MIN_NS, D(v)) for k, v in enumerate(values)]


def test_minute_returns_annualise_with_365_days():
    assert periods_per_year(60) == 525_600 and periods_per_year(3600) == 8_760


def test_sharpe_sortino_and_drawdowns_follow_their_formulas():
    # Arrange: minute equity; the deepest drop in USD (1500 -> 1380) is not the deepest in % (1000 -> 900).
    equity = series("1000", "900", "1500", "1380", "1450")

    # Act
    out = performance(equity, [], 60.0, D(1000))

    # Assert
    r = [900 / 1000 - 1, 1500 / 900 - 1, 1380 / 1500 - 1, 1450 / 1380 - 1]
    sharpe = statistics.mean(r) / statistics.stdev(r) * math.sqrt(525_600)
    sortino = statistics.mean(r) / math.sqrt(sum(min(x, 0) ** 2 for x in r) / len(r)) * math.sqrt(525_600)
    assert out["returns"] == 4 and out["periods_per_year"] == 525_600 and out["interval_s"] == 60.0
    assert out["sharpe"] == pytest.approx(sharpe, rel=1e-12)
    assert out["sortino"] == pytest.approx(sortino, rel=1e-12)
    assert D(out["max_drawdown"]) == D(1500) - D(1380) == D(120)
    assert D(out["max_drawdown_pct"]) == (D(1000) - D(900)) / D(1000) * 100 == D(10)
    assert D(out["total_return"]) == D(450) and D(out["return_pct"]) == D(45)


def test_trade_statistics_from_round_trips():
    # Arrange: +30, −10, +50, −30 and one breakeven, net of fees in USD.
    trips = [rt("30"), rt("-10"), rt("50"), rt("-30"), rt("0")]

    # Act
    out = performance(series("1000", "1050"), trips, 60.0, D(1000))

    # Assert
    win_rate, avg_win, avg_loss = D(2) / 5, (D(30) + D(50)) / 2, (D(10) + D(30)) / 2
    assert (out["trades"], out["wins"], out["losses"], out["breakeven"]) == (5, 2, 2, 1)
    assert D(out["win_rate"]) == win_rate == D("0.4")
    assert D(out["avg_win"]) == avg_win and D(out["avg_loss"]) == avg_loss
    assert D(out["profit_factor"]) == (D(30) + D(50)) / (D(10) + D(30)) == 2
    assert D(out["expectancy"]) == win_rate * avg_win - D(2) / 5 * avg_loss == D(40) / 5  # mean net per trade


def test_no_trades_leave_trade_ratios_undefined():
    out = performance(series("1000", "1000"), [], 60.0, D(1000))
    assert out["trades"] == 0 and out["win_rate"] is None and out["profit_factor"] is None
    assert out["expectancy"] is None and out["avg_win"] is None and out["avg_loss"] is None


def test_no_losing_trade_gives_an_infinite_profit_factor():
    out = performance(series("1000", "1100"), [rt("40"), rt("60")], 60.0, D(1000))
    assert out["profit_factor"] == "Infinity" and D(out["profit_factor"]).is_infinite()
    assert out["avg_loss"] is None and D(out["win_rate"]) == 1 and D(out["expectancy"]) == 50


def test_flat_equity_has_no_sharpe_and_no_drawdown():
    out = performance(series("1000", "1000", "1000"), [], 60.0, D(1000))
    assert out["sharpe"] is None and out["sortino"] is None
    assert D(out["max_drawdown"]) == 0 and D(out["max_drawdown_pct"]) == 0 and D(out["return_pct"]) == 0


def test_rising_equity_has_a_sharpe_but_no_sortino():
    out = performance(series("1000", "1001", "1003"), [], 60.0, D(1000))
    assert out["sharpe"] > 0 and out["sortino"] is None


def test_exposure_is_the_union_of_open_intervals_over_the_span():
    # Round trips open [0 s, 60 s] and [30 s, 90 s]: 90 s with a position, over 4 one-minute points (240 s).
    out = performance(series("1000", "1000", "1000", "1000"), [rt("1", 0, 60), rt("1", 30, 90)], 60.0, D(1000))
    assert D(out["exposure_pct"]) == D(90) / D(240) * 100
    assert D(performance([], [], 60.0, D(1000), exposure_ns=30, span_ns=120)["exposure_pct"]) == 25


def test_equity_curve_keeps_the_last_sample_per_interval_and_fills_gaps():
    # Arrange
    curve = EquityCurve(60.0)

    # Act: two samples in minute 0, none in minute 1, one in minute 2; a late sample of minute 0 is ignored.
    curve.sample(T0 + 5 * 10**9, D("1000"))
    curve.sample(T0 + 59 * 10**9, D("1002.5"))
    curve.sample(T0 + 2 * MIN_NS + 1, D("998"))
    curve.sample(T0 + 10**9, D("5"))

    # Assert
    assert curve.points() == [(T0, D("1002.5")), (T0 + MIN_NS, D("1002.5")), (T0 + 2 * MIN_NS, D("998"))]
