"""scheduled_event on the bundled spot capture, with the sample calendar's event at 2024-08-09 00:00:00 UTC."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actors.errors import ConfigError
from actors.orders import OrderType, Side
from strategies.registry import build
from strategies.scheduled_event import load_calendar, parse_calendar
from tests.unit.test_strategy_replay import SPOT_ID, Host, market_stream

MIDNIGHT_NS = 1_723_161_600 * 10**9  # 2024-08-09T00:00:00Z
MINUTES_2 = {"entry_before_s": 120, "exit_after_s": 120}


def run(**params):
    strategy = build("scheduled_event", "ev", [SPOT_ID], {**MINUTES_2, **params})
    return strategy, Host(strategy).run(market_stream(SPOT_ID))  # 100,000 USDT allocated


def test_the_sample_calendar_places_one_event_at_midnight_inside_the_recording():
    (event,) = load_calendar("data/calendar/sample_events.csv")
    assert (event.instrument_id, event.event_ns, str(event.event_size_pct_supply)) == (SPOT_ID, MIDNIGHT_NS, "1.5")


def test_enters_two_minutes_before_the_event_and_exits_two_minutes_after():
    strategy, host = run()
    entry, exit_ = host.intents
    assert entry.side is Side.BUY and entry.order_type is OrderType.MARKET and not entry.reduce_only
    assert 0 <= entry.ts_created - (MIDNIGHT_NS - 120 * 10**9) < 10**9  # the first callback at 23:58:00
    assert 0 <= exit_.ts_created - (MIDNIGHT_NS + 120 * 10**9) < 10**9  # and at 00:02:00
    assert exit_.side is Side.SELL and exit_.reduce_only and exit_.size == entry.size
    # 10 % of 100,000 USDT at ~61,660 USDT/BTC, rounded down to the 0.00001 BTC lot.
    assert entry.size == 16_217_000 and host.positions[SPOT_ID] == 0
    enter_signal = host.signals[0]
    assert enter_signal.executed and enter_signal.stop_loss < enter_signal.entry < enter_signal.take_profit
    assert enter_signal.stop_loss == enter_signal.entry * Decimal("0.97")  # -3 % / +5 % defaults
    assert enter_signal.take_profit == enter_signal.entry * Decimal("1.05")
    assert strategy.summary()["events"]["sample-midnight-supply-event"]["reason"].startswith("time")


@pytest.mark.parametrize("params, blocked_by", [
    ({"min_event_size_pct": 2.0}, "event size 1.5 %"),
    ({"min_recent_volume": "1000"}, "recent volume"),
    ({"max_adverse_trend_pct": 0.2}, "trend -0.2994 %"),  # the mid fell 0.30 % before 23:58: no long
])  # fmt: skip
def test_a_failing_filter_blocks_the_entry_and_says_which(params, blocked_by):
    strategy, host = run(**params)
    assert host.intents == []
    (signal,) = host.signals
    assert signal.action == "skip" and not signal.executed and blocked_by in signal.reasoning


def test_the_trend_filter_lets_a_short_through_when_the_trend_goes_its_way():
    _, host = run(max_adverse_trend_pct=0.2, direction="short")
    assert [i.side for i in host.intents] == [Side.SELL, Side.BUY]


def test_take_profit_and_stop_loss_exit_before_the_exit_time():
    # The mid rises 0.056 % within 7 s of the 23:58 entry: a long takes profit, a short stops out, at once.
    for direction, reason in (("long", "take_profit"), ("short", "stop_loss")):
        strategy, host = run(direction=direction, stop_loss_pct=0.05, take_profit_pct=0.05)
        entry, exit_ = host.intents
        assert exit_.reduce_only and exit_.size == entry.size and exit_.side is entry.side.opposite
        assert exit_.ts_created < MIDNIGHT_NS - 100 * 10**9
        assert strategy.summary()["events"]["sample-midnight-supply-event"]["reason"].startswith(reason)


def test_a_malformed_calendar_row_is_a_config_error_naming_it():
    text = "event_id,instrument_id,event_time_utc,event_size_pct_supply,description\nx,BTCUSDT.BINANCE,tomorrow,1,\n"
    with pytest.raises(ConfigError, match="data row 1"):
        parse_calendar(text)
