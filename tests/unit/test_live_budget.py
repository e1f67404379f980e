"""The per-key request-weight budget (pure) and its thin actor's contract."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from actors.errors import ConfigError
from actors.execution.budget import (
    BudgetActor,
    Limiter,
    WeightBudget,
    budget_actor_name,
    key_id,
    limiters_from_exchange_info,
)

# The spot exchangeInfo rateLimits as Binance publishes them (and as the recorded exchangeInfo holds them).
SPOT_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]


def test_limiters_from_exchange_info():
    lims = limiters_from_exchange_info(SPOT_LIMITS)
    assert Limiter("REQUEST_WEIGHT", 60, 6000) in lims
    assert Limiter("ORDERS", 10, 100) in lims and Limiter("ORDERS", 86400, 200000) in lims
    assert Limiter("RAW_REQUESTS", 300, 61000) in lims
    with pytest.raises(ConfigError):
        limiters_from_exchange_info([{"rateLimitType": "ORDERS", "interval": "WEEK", "intervalNum": 1, "limit": 1}])
    with pytest.raises(ConfigError):
        limiters_from_exchange_info([{"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 1, "limit": 0}])


def test_weight_window_fills_then_waits_until_the_next_minute():
    b = WeightBudget([Limiter("REQUEST_WEIGHT", 60, 100)], headroom=1.0)
    now = 120.5  # 0.5 s into a minute window
    for _ in range(5):
        assert b.acquire(20, 0, now) == 0.0
    wait = b.acquire(1, 0, now)
    assert wait == pytest.approx(59.5)  # the window resets at 180
    assert b.acquire(20, 0, 180.0) == 0.0  # a new window


def test_orders_limit_counts_only_orders():
    b = WeightBudget([Limiter("REQUEST_WEIGHT", 60, 10_000), Limiter("ORDERS", 10, 3)], headroom=1.0)
    for _ in range(3):
        assert b.acquire(1, 1, 5.0) == 0.0
    assert b.acquire(4, 0, 5.0) == 0.0  # a query is no order
    assert b.acquire(1, 1, 5.0) == pytest.approx(5.0)
    assert b.acquire(1, 1, 10.0) == 0.0


def test_retry_after_blocks_every_request_of_the_key():
    b = WeightBudget(limiters_from_exchange_info(SPOT_LIMITS))
    assert b.acquire(1, 0, 1000.0) == 0.0
    b.penalize(2.5, 1000.0)
    assert b.acquire(1, 0, 1001.0) == pytest.approx(1.5)
    b.penalize(0.5, 1001.0)  # a shorter later penalty does not shorten the block
    assert b.acquire(1, 0, 1002.0) == pytest.approx(0.5)
    assert b.acquire(1, 0, 1002.5) == 0.0
    assert b.status(1002.5)["penalties"] == 2


def test_headroom_and_venue_counts():
    b = WeightBudget([Limiter("REQUEST_WEIGHT", 60, 100)], headroom=0.5)
    assert b.acquire(50, 0, 0.0) == 0.0
    assert b.acquire(1, 0, 0.0) > 0
    b2 = WeightBudget([Limiter("REQUEST_WEIGHT", 60, 100)], headroom=1.0)
    b2.observe_used("REQUEST_WEIGHT", 60, 95, 1.0)  # X-MBX-USED-WEIGHT-1m: others used the key too
    assert b2.acquire(10, 0, 1.0) > 0
    assert b2.acquire(5, 0, 1.0) == 0.0
    with pytest.raises(ConfigError):
        b2.acquire(1000, 0, 61.0)  # can never fit


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 1), st.floats(0, 0.5)), min_size=1, max_size=300))
def test_never_grants_more_than_a_window_allows(requests):
    lims = [Limiter("REQUEST_WEIGHT", 60, 200), Limiter("ORDERS", 10, 7)]
    b = WeightBudget(lims, headroom=1.0)
    now = 0.0
    granted: list[tuple[float, int, int]] = []
    for weight, orders, dt in requests:
        now += dt
        if b.acquire(weight, orders, now) == 0.0:
            granted.append((now, weight, orders))
    for lim in lims:
        per_window: dict[int, int] = {}
        for t, w, o in granted:
            n = w if lim.kind == "REQUEST_WEIGHT" else o
            per_window[int(t // lim.window_s)] = per_window.get(int(t // lim.window_s), 0) + n
        assert all(v <= lim.limit for v in per_window.values())


def test_actor_class_and_names_never_hold_the_key():
    key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    name = budget_actor_name(key)
    assert key not in name and name == f"budget:{key_id(key)}" and len(key_id(key)) == 16
    t = [1000.0]
    actor = BudgetActor(SPOT_LIMITS, clock=lambda: t[0])
    assert actor.acquire(1, 1) == 0.0
    assert actor.penalize(3.0) == pytest.approx(3.0)
    t[0] += 1
    assert actor.acquire(1, 0) == pytest.approx(2.0)
    assert actor.status()["blocked_for_s"] == pytest.approx(2.0)
