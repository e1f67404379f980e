"""The replay clock: real time, speed factors, max, pause/resume, shared origins. Driven with integer wall times."""

from __future__ import annotations

import math

import pytest

from actors.errors import ConfigError
from actors.replay.clock import MAX_SPEED, ClockState, LatenessHistogram, ReplayClock, format_speed, parse_speed

S = 1_000_000_000  # ns per second
T0 = 1_723_161_253_937_085_768  # first record of the spot capture (recorder ns)


@pytest.mark.parametrize(("text", "speed"), [("1", 1.0), ("60", 60.0), ("0.5", 0.5), ("60x", 60.0), ("max", MAX_SPEED),
                                             ("MAX", MAX_SPEED), (2, 2.0)])  # fmt: skip
def test_parse_speed_accepts_factors_and_max(text, speed):
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["0", "-1", "fast", "nan", ""])
def test_parse_speed_rejects_non_positive_and_junk(text):
    with pytest.raises(ConfigError):
        parse_speed(text)


def test_format_speed_round_trips():
    assert format_speed(MAX_SPEED) == "max"
    assert format_speed(60.0) == "60"
    assert parse_speed(format_speed(0.25)) == 0.25


def test_clock_starts_paused_at_origin_and_nothing_is_due():
    clock = ReplayClock(1.0, T0)
    assert clock.state is ClockState.PAUSED
    assert clock.due_in_ns(T0, now_ns=5 * S) is None
    assert clock.position_ns(now_ns=5 * S) == T0


def test_real_time_makes_a_record_due_after_its_recorder_offset():
    clock = ReplayClock(1.0, T0)
    clock.start(now_ns=100 * S)
    assert clock.due_in_ns(T0 + 3 * S, now_ns=100 * S) == 3 * S
    assert clock.due_in_ns(T0 + 3 * S, now_ns=104 * S) == -1 * S
    assert clock.position_ns(now_ns=102 * S) == T0 + 2 * S


def test_speed_factor_compresses_wall_time():
    clock = ReplayClock(60.0, T0)
    clock.start(now_ns=0)
    assert clock.due_in_ns(T0 + 60 * S, now_ns=0) == 1 * S
    assert clock.position_ns(now_ns=S // 2) == T0 + 30 * S


def test_max_speed_makes_everything_due_and_position_follows_dispatch():
    clock = ReplayClock(MAX_SPEED, T0)
    clock.start(now_ns=0)
    assert clock.is_max
    assert clock.due_in_ns(T0 + 3600 * S, now_ns=0) == 0
    clock.observe(T0 + 5 * S)
    assert clock.position_ns(now_ns=10**12) == T0 + 5 * S


def test_pause_freezes_replay_time_and_resume_continues_without_a_jump():
    clock = ReplayClock(2.0, T0)
    clock.start(now_ns=0)
    clock.pause(now_ns=10 * S)  # 20 s of replay time passed
    assert clock.position_ns(now_ns=50 * S) == T0 + 20 * S
    clock.start(now_ns=100 * S)
    assert clock.position_ns(now_ns=101 * S) == T0 + 22 * S
    assert clock.due_in_ns(T0 + 24 * S, now_ns=101 * S) == 1 * S


def test_records_stepped_while_paused_move_the_start_point():
    clock = ReplayClock(1.0, T0)
    clock.observe(T0 + 7 * S)  # dispatched by step() before start
    clock.start(now_ns=0)
    assert clock.due_in_ns(T0 + 8 * S, now_ns=0) == 1 * S


def test_venues_sharing_origin_and_start_time_schedule_the_same_recorder_time_together():
    spot, coinm = ReplayClock(10.0, T0), ReplayClock(10.0, T0)  # COIN-M's first record is ~2 s later
    start_at = 1_000 * S
    spot.start(now_ns=999 * S, at_ns=start_at)
    coinm.start(now_ns=999 * S + 12_345, at_ns=start_at)  # started a little later, same target
    ts = T0 + 2_500_000_000
    assert spot.wall_due_ns(ts) == coinm.wall_due_ns(ts) == start_at + 250_000_000


def test_records_before_the_origin_are_due_at_once():
    clock = ReplayClock(1.0, T0)
    clock.start(now_ns=0)
    assert clock.due_in_ns(T0 - 5 * S, now_ns=0) < 0


def test_set_speed_keeps_the_position():
    clock = ReplayClock(1.0, T0)
    clock.start(now_ns=0)
    clock.set_speed(100.0, now_ns=10 * S)
    assert clock.position_ns(now_ns=10 * S) == T0 + 10 * S
    assert clock.position_ns(now_ns=11 * S) == T0 + 110 * S
    assert not math.isinf(clock.speed)


def test_lateness_histogram_reports_quantiles_to_a_tenth_of_a_millisecond():
    hist = LatenessHistogram()
    for late_us in range(1000):  # 0 .. 0.999 ms, uniformly
        hist.add(late_us * 1000)
    hist.add(250 * 1_000_000)  # one 250 ms stall
    hist.add(-5)  # early counts as on time
    summary = hist.summary()
    assert summary["count"] == 1002
    assert summary["p50_ms"] == 0.5
    assert summary["p99_ms"] == 1.0
    assert summary["max_ms"] == 250.0
    assert LatenessHistogram().summary() == {"count": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
