"""Time-bar aggregation rules (actors/bars/aggregator.py): alignment, order, closing, empty and late intervals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.bars.aggregator import BarAggregator, BarBuilder, bars_from_trades
from actors.bars.bar import INTERVALS, Bar, interval_ns, vwap_fixed
from actors.errors import ConfigError
from actors.messages import Quote, Trade

IID = "BTCUSDT.BINANCE"
S = 1_000_000_000
T0 = 1723161240 * S  # 2024-08-08 23:54:00 UTC, a whole minute


def trade(ts, price, size, iid=IID, tid="1"):
    return Trade(iid, tid, price, size, "buy", 2, 3, ts, ts + 5)


def test_bar_aligns_on_the_trade_time_in_utc():
    agg = BarAggregator(IID, "1m")
    agg.on_trade(trade(T0 + 59 * S + 999_999_999, 100, 1))
    assert agg.current().start == T0
    assert agg.on_trade(trade(T0 + 60 * S, 101, 1)).start == T0  # exactly on the boundary: the next bar


@pytest.mark.parametrize("interval", list(INTERVALS))
def test_every_interval_starts_on_an_epoch_multiple(interval):
    length = interval_ns(interval)
    agg = BarAggregator(IID, interval)
    agg.on_trade(trade(T0 + 7 * S + 123, 100, 1))
    assert agg.current().start % length == 0
    assert agg.current().start <= T0 + 7 * S + 123 < agg.current().end


def test_4h_and_1d_bars_start_at_utc_hours():
    ts = 1723161255 * S  # 2024-08-08 23:54:15 UTC
    assert bars_from_trades([trade(ts, 1, 1)], "4h")[0].start == 1723147200 * S  # 20:00 UTC
    assert bars_from_trades([trade(ts, 1, 1)], "1d")[0].start == 1723075200 * S  # 2024-08-08 00:00 UTC


def test_open_and_close_follow_the_order_the_venue_sent_not_the_timestamps():
    trades = [trade(T0 + 5 * S, 105, 1), trade(T0 + 1 * S, 101, 2), trade(T0 + 9 * S, 99, 1), trade(T0 + 3 * S, 103, 1)]
    (bar,) = bars_from_trades(trades, "1m")
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume, bar.trades) == (105, 105, 99, 103, 5, 4)
    assert bar.notional == 105 + 202 + 99 + 103
    assert not bar.closed


def test_bar_closes_on_the_next_intervals_first_trade():
    agg = BarAggregator(IID, "1m")
    assert agg.on_trade(trade(T0, 100, 1)) is None
    assert agg.on_trade(trade(T0 + 30 * S, 110, 1)) is None
    closed = agg.on_trade(trade(T0 + 61 * S, 120, 1))
    assert closed.closed and (closed.open, closed.close, closed.trades) == (100, 110, 2)
    assert agg.current().open == 120


def test_event_time_past_the_boundary_closes_the_bar_with_grace():
    agg = BarAggregator(IID, "1m", grace_ns=200_000_000)
    agg.on_trade(trade(T0, 100, 1))
    assert agg.advance(T0 + 60 * S) is None  # inside the grace
    assert agg.advance(0) is None  # unknown time never closes
    bar = agg.advance(T0 + 60 * S + 200_000_000)
    assert bar.closed and bar.start == T0
    assert agg.current() is None and agg.advance(T0 + 999 * S) is None


def test_empty_intervals_make_no_bar():
    bars = bars_from_trades([trade(T0, 100, 1), trade(T0 + 185 * S, 101, 1)], "1m")
    assert [b.start for b in bars] == [T0, T0 + 180 * S]


def test_late_trade_of_a_closed_interval_is_counted_not_folded():
    agg = BarAggregator(IID, "1m")
    agg.on_trade(trade(T0, 100, 1))
    agg.advance(T0 + 61 * S)
    assert agg.on_trade(trade(T0 + 59 * S, 90, 1)) is None
    assert agg.late_trades == 1 and agg.current() is None
    agg.on_trade(trade(T0 + 200 * S, 100, 1))
    assert agg.on_trade(trade(T0 + 70 * S, 100, 1)) is None  # a gap interval before the open bar: late too
    assert agg.late_trades == 2


def test_builder_keeps_instruments_and_intervals_apart_and_quotes_advance_time():
    other = "BTCUSDT.BINANCE_USDM"
    builder = BarBuilder(("1s", "1m"))
    closed = builder.on_events([trade(T0, 100, 1), trade(T0, 200, 1, iid=other), trade(T0 + 2 * S, 101, 1)])
    assert [(b.instrument_id, b.interval) for b in closed] == [(IID, "1s")]
    quote = Quote(other, 1, 1, 1, 2, 1, 2, 3, T0 + 61 * S, 0)
    closed = builder.on_events([quote])
    assert sorted((b.instrument_id, b.interval) for b in closed) == [(other, "1m"), (other, "1s")]
    assert {(b.instrument_id, b.interval) for b in builder.current()} == {(IID, "1s"), (IID, "1m")}


def test_unknown_interval_is_a_config_error():
    with pytest.raises(ConfigError, match="2m"):
        BarAggregator(IID, "2m")
    with pytest.raises(ConfigError):
        BarBuilder(("1m", "1w"))


def test_trade_of_another_instrument_is_a_bug():
    with pytest.raises(ValueError):
        BarAggregator(IID, "1m").on_trade(trade(T0, 1, 1, iid="ETHUSDT.BINANCE"))


def test_vwap_rounds_half_even_at_price_decimals_plus_4():
    # price decimals 2, size decimals 3: notional at 5 decimals, vwap at 6
    assert vwap_fixed(notional=1, volume=2) == 5000  # 0.5 exactly, scaled by 1e4
    assert vwap_fixed(1, 20_000) == 0  # 0.00005 -> half to even 0
    assert vwap_fixed(3, 20_000) == 2  # 0.00015 -> 0.0002
    bar = Bar(IID, "1m", T0, 1, 1, 1, 1, 3000, 100_001, 2, 2, 3, True, T0, T0)  # notional 1.00001, volume 3
    assert bar.vwap() == Decimal("0.333337")  # 1.00001 / 3 = 0.3333366.. -> 0.333337
    assert bar.to_dict()["vwap"] == "0.333337" and bar.to_dict()["volume"] == "3.000"


trades_st = st.lists(
    st.tuples(st.integers(0, 600 * S), st.integers(1, 10**9), st.integers(1, 10**6)), min_size=1, max_size=60
).map(lambda xs: sorted(xs, key=lambda x: x[0]))


@settings(max_examples=200, deadline=None)
@given(trades_st, st.sampled_from(["1s", "1m", "5m"]))
def test_bars_equal_a_naive_grouping_of_time_ordered_trades(rows, interval):
    length = interval_ns(interval)
    bars = bars_from_trades([trade(T0 + ts, p, q) for ts, p, q in rows], interval)
    groups: dict[int, list] = {}
    for ts, p, q in rows:
        groups.setdefault((T0 + ts) // length * length, []).append((p, q))
    assert [b.start for b in bars] == sorted(groups)
    for bar in bars:
        g = groups[bar.start]
        assert (bar.open, bar.close) == (g[0][0], g[-1][0])
        assert (bar.high, bar.low) == (max(p for p, _ in g), min(p for p, _ in g))
        assert (bar.volume, bar.notional, bar.trades) == (sum(q for _, q in g), sum(p * q for p, q in g), len(g))
    assert [b.closed for b in bars] == [True] * (len(bars) - 1) + [False]


def test_a_trade_without_venue_time_is_counted_not_placed():
    agg = BarAggregator(IID, "1m")
    assert agg.on_trade(trade(0, 100, 1)) is None
    assert agg.untimed_trades == 1 and agg.current() is None
