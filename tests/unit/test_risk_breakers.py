"""Breakers and trading state: the 00:00 UTC day boundary of the bundled recording, daily loss, drawdown from the
peak, the reducing level, the kill switch and the explicit reset."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from actors.messages import Trade
from actors.risk.breakers import DAY_NS, Breakers, TradingState
from actors.risk.limits import RiskLimits
from tests.conftest import SPOT, load_events

MIDNIGHT_NS = 1723161600000000000  # 2024-08-09 00:00:00 UTC, inside the bundled recording
MINUTE_NS = 60 * 10**9
NO_REDUCING = RiskLimits(reducing_at_pct=None)


def run(breakers: Breakers, path: list[tuple[int, int | str]]) -> list:
    """Feed ``(ts_event, equity)`` samples; return every event."""
    events = []
    for ts, equity in path:
        events += breakers.on_equity(Decimal(equity), ts)
    return events


def test_the_midnight_constant_is_the_utc_day_boundary():
    assert datetime.fromtimestamp(MIDNIGHT_NS / 1e9, UTC) == datetime(2024, 8, 9, tzinfo=UTC)
    assert MIDNIGHT_NS % DAY_NS == 0


def test_four_percent_before_midnight_and_four_after_does_not_trip_a_five_percent_daily_limit():
    # Arrange
    breakers = Breakers(NO_REDUCING)
    # Act: -4 % from 100,000 by 23:59; the first sample at 00:00 starts the day at 96,000; -4 % again.
    events = run(breakers, [(MIDNIGHT_NS - 6 * MINUTE_NS, 100_000), (MIDNIGHT_NS - 1, 96_000),
                            (MIDNIGHT_NS, 96_000), (MIDNIGHT_NS + 5 * MINUTE_NS, 92_160)])  # fmt: skip
    # Assert
    assert breakers.state is TradingState.ACTIVE
    assert breakers.start_of_day_equity == Decimal(96_000)
    assert breakers.daily_loss_pct() == Decimal(4)
    assert breakers.drawdown_pct() == Decimal("7.84")
    assert [(e.kind, e.reason) for e in events] == [("state", "start_of_day"), ("state", "start_of_day")]
    assert "2024-08-09" in events[1].detail


def test_the_same_losses_within_one_day_trip_halted():
    breakers = Breakers(NO_REDUCING)
    events = run(breakers, [(MIDNIGHT_NS - 6 * MINUTE_NS, 100_000), (MIDNIGHT_NS - 3 * MINUTE_NS, 96_000),
                            (MIDNIGHT_NS - 1, 92_160)])  # fmt: skip
    assert breakers.state is TradingState.HALTED
    trip = events[-1]
    assert (trip.kind, trip.reason, trip.state) == ("breaker", "daily_loss_limit", "halted")
    assert trip.ts_event == MIDNIGHT_NS - 1
    assert "7.8400 %" in trip.detail and "100000" in trip.detail


def test_daily_loss_of_exactly_the_limit_trips_just_under_it_does_not():
    breakers = Breakers(NO_REDUCING)
    run(breakers, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 95_001)])
    assert breakers.state is TradingState.ACTIVE  # 4.999 %
    run(breakers, [(MIDNIGHT_NS + 2, 95_000)])
    assert breakers.state is TradingState.HALTED  # 5 %
    assert breakers.halt_reason == "daily_loss_limit"


def test_the_first_sample_of_a_run_starts_its_day_even_mid_day():
    breakers = Breakers(NO_REDUCING)
    run(breakers, [(MIDNIGHT_NS + 13 * 3600 * 10**9, 50_000)])
    assert breakers.start_of_day_equity == Decimal(50_000)
    assert breakers.usage()["day"] == "2024-08-09"


def test_drawdown_from_the_peak_trips_at_max_drawdown_pct():
    # Arrange: the daily limit out of the way (100 %), so only the drawdown can trip.
    breakers = Breakers(RiskLimits(daily_loss_limit_pct=Decimal(100), reducing_at_pct=None))
    # Act: up to a peak of 125,000 then down 19.9992 %, then 20 %.
    run(breakers, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 125_000), (MIDNIGHT_NS + 2, 100_001)])
    assert breakers.state is TradingState.ACTIVE
    events = run(breakers, [(MIDNIGHT_NS + 3, 100_000)])
    # Assert
    assert breakers.state is TradingState.HALTED
    assert [(e.kind, e.reason) for e in events] == [("breaker", "max_drawdown")]
    assert breakers.peak_equity == Decimal(125_000)


def test_halted_never_leaves_by_itself_only_reset_does():
    # Arrange: tripped on day 1.
    breakers = Breakers(NO_REDUCING)
    run(breakers, [(MIDNIGHT_NS - 2, 100_000), (MIDNIGHT_NS - 1, 90_000)])
    assert breakers.state is TradingState.HALTED
    # Act: a new day and a full recovery.
    later = run(breakers, [(MIDNIGHT_NS, 150_000), (MIDNIGHT_NS + DAY_NS, 200_000)])
    # Assert: still halted, and no trip repeated.
    assert breakers.state is TradingState.HALTED
    assert [e.kind for e in later] == ["state", "state"]  # only the two new days' baselines
    # Act: explicit reset, then the next sample is the new baseline and peak.
    (reset,) = breakers.reset(MIDNIGHT_NS + DAY_NS + 1, actor="ops@desk")
    assert (reset.kind, reset.reason, reset.state) == ("reset", "reset", "active")
    assert "ops@desk" in reset.detail and "was halted" in reset.detail
    assert breakers.start_of_day_equity is None and breakers.peak_equity is None
    run(breakers, [(MIDNIGHT_NS + DAY_NS + 2, 180_000)])
    assert breakers.start_of_day_equity == breakers.peak_equity == Decimal(180_000)
    assert breakers.state is TradingState.ACTIVE


def test_reset_must_name_the_actor():
    with pytest.raises(ValueError):
        Breakers(RiskLimits()).reset(0, actor="")


def test_reducing_at_eighty_percent_of_the_daily_limit_and_back_when_usage_falls():
    # Arrange: default limits: 5 % daily, reducing at 80 % of it = a 4 % loss.
    breakers = Breakers(RiskLimits())
    run(breakers, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 96_001)])
    assert breakers.state is TradingState.ACTIVE  # 3.999 % = 79.98 % of the limit
    # Act
    (trip,) = run(breakers, [(MIDNIGHT_NS + 2, 96_000)])
    # Assert
    assert (trip.kind, trip.reason, trip.state) == ("breaker", "daily_loss_limit", "reducing")
    assert run(breakers, [(MIDNIGHT_NS + 3, 95_500)]) == []  # still reducing, not tripped again
    (back,) = run(breakers, [(MIDNIGHT_NS + 4, 97_000)])
    assert (back.kind, back.reason, back.state) == ("state", "recovered", "active")
    # From reducing, the full limit still halts.
    run(breakers, [(MIDNIGHT_NS + 5, 96_000), (MIDNIGHT_NS + 6, 95_000)])
    assert breakers.state is TradingState.HALTED


def test_reducing_names_the_drawdown_when_that_is_the_limit_most_used():
    breakers = Breakers(RiskLimits(daily_loss_limit_pct=Decimal(100)))
    (_, trip) = run(breakers, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 84_000)])  # 16 % = 80 % of 20 %
    assert (trip.reason, trip.state) == ("max_drawdown", "reducing")


def test_kill_switch_halts_and_requests_flatten():
    breakers = Breakers(RiskLimits())
    (event,) = breakers.kill(123, actor="alice")
    assert breakers.state is TradingState.HALTED and breakers.flatten_requested
    assert (event.kind, event.reason, event.state, event.ts_event) == ("kill", "kill_switch", "halted", 123)
    assert "alice" in event.detail
    breakers.reset(124, actor="alice")
    assert not breakers.flatten_requested and breakers.state is TradingState.ACTIVE


def test_a_trip_requests_flatten_only_with_flatten_on_halt():
    plain, flattening = Breakers(NO_REDUCING), Breakers(RiskLimits(reducing_at_pct=None, flatten_on_halt=True))
    for breakers in (plain, flattening):
        run(breakers, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 90_000)])
    assert plain.state is flattening.state is TradingState.HALTED
    assert (plain.flatten_requested, flattening.flatten_requested) == (False, True)


def test_usage_is_json_with_exact_numbers():
    breakers = Breakers(RiskLimits())
    run(breakers, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 110_000), (MIDNIGHT_NS + 2, 99_000)])
    usage = json.loads(json.dumps(breakers.usage()))
    assert usage["start_of_day_equity"] == "100000" and usage["peak_equity"] == "110000"
    assert usage["daily_loss_pct"] == "1.0000" and usage["daily_loss_used_pct"] == "20.0000"
    assert usage["drawdown_pct"] == "10.0000" and usage["drawdown_used_pct"] == "50.0000"
    assert usage["state"] == "active"


def test_float_equity_is_refused():
    with pytest.raises(TypeError):
        Breakers(RiskLimits()).on_equity(100_000.0, MIDNIGHT_NS)


def test_the_recorded_spot_trades_cross_midnight_and_restart_the_daily_baseline():
    # Arrange: a 100,000 USDT account long 16 BTC from the first recorded trade (about 10x), marked at every
    # recorded spot trade of 2024-08-08 23:54 .. 2024-08-09 00:05 UTC.
    trades = [e for _, e in load_events(SPOT, "binance") if isinstance(e, Trade)]
    p0 = trades[0].price_decimal()
    equity = lambda t: Decimal(100_000) + 16 * (t.price_decimal() - p0)  # noqa: E731
    breakers = Breakers(RiskLimits(daily_loss_limit_pct=Decimal(100), max_drawdown_pct=Decimal(100)))
    # Act
    events = [e for t in trades for e in breakers.on_equity(equity(t), t.ts_event)]
    # Assert: two days, the second starting at the first trade at or after 00:00 UTC, at its equity.
    first_after = next(t for t in trades if t.ts_event >= MIDNIGHT_NS)
    days = [e for e in events if e.reason == "start_of_day"]
    assert [e.ts_event for e in days] == [trades[0].ts_event, first_after.ts_event]
    assert breakers.start_of_day_equity == equity(first_after)
    last = equity(trades[-1])
    assert breakers.daily_loss_pct() == (equity(first_after) - last) / equity(first_after) * 100
    assert breakers.drawdown_pct() == (breakers.peak_equity - last) / breakers.peak_equity * 100
    assert breakers.daily_loss_pct() < breakers.drawdown_pct()  # day 1's losses no longer count as daily loss


def test_a_checkpoint_restores_the_state_and_the_day_baseline():
    # Arrange: reducing on 2024-08-09 after a 4.5 % loss, then a restart.
    before = Breakers(RiskLimits())
    run(before, [(MIDNIGHT_NS, 100_000), (MIDNIGHT_NS + 1, 95_500)])
    assert before.state is TradingState.REDUCING
    # Act
    after = Breakers(RiskLimits())
    after.restore(json.loads(json.dumps(before.to_state())))
    events = run(after, [(MIDNIGHT_NS + 2, 95_000)])
    # Assert: the restored day keeps counting from 100,000 (no new baseline), so 5 % halts.
    assert [(e.kind, e.reason, e.state) for e in events] == [("breaker", "daily_loss_limit", "halted")]
    assert after.usage()["start_of_day_equity"] == "100000"
    with pytest.raises(ValueError):
        after.restore({"state": "paused"})
