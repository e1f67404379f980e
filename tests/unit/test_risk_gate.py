"""The risk gate as a whole: trading state before rules, the order-rate window, per-strategy limits, validated
limit changes, the kill switch with its flatten orders, and one RiskEvent per decision. The book is the USD-M
BTCUSDT top of the bundled recording's first REST snapshot."""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal

import msgspec
import pytest

from actors.errors import ConfigError, RiskRejected
from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.messages import BookView
from actors.orders import IntentAction, OrderIntent, OrderType, PositionSnapshot, Side, TimeInForce
from actors.risk.breakers import TradingState
from actors.risk.gate import RiskGate, unavailable
from actors.risk.limits import RiskLimits, StrategyLimits
from actors.risk.rules import BookState, RiskContext

USDM = spec_for("binance_usdm", "BTCUSDT")
COINM = spec_for("binance_coinm", "BTCUSD_PERP")
NOW = 1723161300 * 10**9  # 2024-08-08 23:55:00 UTC
MIDNIGHT_NS = 1723161600000000000  # 2024-08-09 00:00:00 UTC
DAY = 86_400 * 10**9


@pytest.fixture(scope="module")
def book(usdm_events) -> BookState:
    """The recorded top of book: bid 61800.20, ask 61800.30, fresh."""
    snap = next(e for kind, e in usdm_events if kind == "rest")
    return BookState.from_view(BookView(snap.instrument_id, True, snap.sequence, snap.bids[:1], snap.asks[:1], 2, 3,
                                        snap.ts_event, snap.ts_recv, snap.ts_recv), snap.ts_recv)  # fmt: skip


def submit(size: str = "0.010", price: str | None = "61800.20", side: Side = Side.BUY, sid: str = "s1",
           cid: str = "c1", **kw) -> OrderIntent:  # fmt: skip
    return OrderIntent(
        action=kw.pop("action", IntentAction.SUBMIT), strategy_id=sid, client_order_id=cid,
        instrument_id=USDM.instrument_id, price_decimals=2, size_decimals=3, side=side,
        order_type=OrderType.LIMIT if price is not None else OrderType.MARKET, size=to_fixed(size, 3),
        price=None if price is None else to_fixed(price, 2), **kw,
    )  # fmt: skip


def cancel(cid: str = "c1") -> OrderIntent:
    return OrderIntent(IntentAction.CANCEL, "s1", cid, USDM.instrument_id, 2, 3)


def ctx(book: BookState, now: int = NOW, **kw) -> RiskContext:
    fields = dict(now_ns=now, spec=USDM, book=book, position_size=0, position_notional_usd=Decimal(0),
                  strategy_equity_usd=Decimal(1_000_000), portfolio_equity_usd=Decimal(1_000_000),
                  open_positions_total=0, open_positions_strategy=0, has_position=False, open_orders_total=0,
                  open_orders_strategy=0)  # fmt: skip
    fields.update(kw)
    return RiskContext(**fields)


def test_a_good_order_is_approved_and_recorded(book):
    gate = RiskGate()
    decision = gate.check(submit(), ctx(book))
    assert decision.approved and decision.reason == "submit"
    assert gate.drain_events() == [decision.event]
    assert (decision.event.kind, decision.event.client_order_id, decision.event.state) == ("approve", "c1", "active")
    assert gate.drain_events() == []


def test_a_rejection_carries_the_first_failing_rule_and_its_event(book):
    # Arrange: the book is stale AND the price is outside the band: book_stale comes first.
    gate = RiskGate()
    stale = BookState(True, book.best_bid, book.best_ask, 5_001.0)
    # Act
    decision = gate.check(submit(price="70000.00"), ctx(stale))
    # Assert
    assert not decision.approved and decision.reason == "book_stale"
    assert (decision.event.kind, decision.event.reason) == ("reject", "book_stale")
    with pytest.raises(RiskRejected, match="book_stale"):
        decision.raise_if_rejected("c1")
    assert gate.check(submit(price="70000.00"), ctx(book)).reason == "price_band"
    assert gate.status()["rejections"] == {"book_stale": 1, "price_band": 1}


def test_zero_size_is_an_invalid_intent(book):
    assert RiskGate().check(submit(size="0"), ctx(book)).reason == "invalid_intent"


def test_halted_rejects_everything_but_cancels(book):
    # Arrange
    gate = RiskGate()
    gate.kill(NOW, actor="ops")
    # Act / Assert
    assert gate.check(cancel(), ctx(book)).approved
    rejected = gate.check(submit(), ctx(book))
    assert (rejected.approved, rejected.reason, rejected.event.state) == (False, "halted", "halted")
    assert "kill_switch" in rejected.detail
    reducing_too = submit(side=Side.SELL, reduce_only=True)
    assert gate.check(reducing_too, ctx(book, position_size=10, has_position=True)).reason == "halted"
    replace = submit(action=IntentAction.REPLACE, new_client_order_id="c2")
    assert gate.check(replace, ctx(book)).reason == "halted"


def test_reducing_lets_only_position_reducing_orders_through(book):
    # Arrange: a 4 % daily loss = 80 % of the 5 % limit -> reducing; the strategy is long 0.020.
    gate = RiskGate()
    gate.on_equity(Decimal(100_000), NOW)
    gate.on_equity(Decimal(96_000), NOW + 1)
    assert gate.state is TradingState.REDUCING
    long = ctx(book, position_size=20, position_notional_usd=Decimal("1236.004"), has_position=True)
    # Act / Assert
    assert gate.check(submit("0.020", "61800.30", Side.SELL), long).approved
    assert gate.check(submit("0.021", "61800.30", Side.SELL), long).reason == "reducing"  # would flip
    assert gate.check(submit("0.001"), long).reason == "reducing"  # adds
    assert gate.check(submit("0.005", "61800.30", Side.SELL, reduce_only=True), ctx(book)).approved
    assert gate.check(cancel(), long).approved
    # Reducing orders still meet the other rules.
    assert gate.check(submit("0.010", "70000.00", Side.SELL), long).reason == "price_band"


def test_order_rate_is_a_sliding_second_per_strategy(book):
    # Arrange: 20 approvals, 50 ms apart, from NOW.
    gate = RiskGate()
    for i in range(20):
        assert gate.check(submit(cid=f"c{i}"), ctx(book, NOW + i * 50_000_000)).approved
    # Act / Assert: the 21st within the second of the first is refused, and refusals do not count.
    assert gate.check(submit(cid="x1"), ctx(book, NOW + 999_999_999)).reason == "order_rate"
    assert gate.check(submit(cid="x2", sid="other"), ctx(book, NOW + 999_999_999)).approved
    # Exactly one second after the first approval it has left the window.
    assert gate.check(submit(cid="x3"), ctx(book, NOW + 1_000_000_000)).approved
    assert gate.check(submit(cid="x4"), ctx(book, NOW + 1_000_000_001)).reason == "order_rate"
    assert gate.check(cancel(), ctx(book, NOW + 1_000_000_001)).approved  # cancels are never rate limited


def test_per_strategy_overrides_apply_to_that_strategy_only(book):
    limits = RiskLimits(strategies={"small": {"max_order_notional": 500, "max_open_orders": 2}})
    gate = RiskGate(limits)
    # 0.010 BTC at 61800.20 = 618.002 USD
    assert gate.check(submit(sid="small"), ctx(book)).reason == "max_order_notional"
    assert gate.check(submit(sid="big"), ctx(book)).approved
    assert gate.check(submit("0.008", sid="small"), ctx(book, open_orders_strategy=2)).reason == "max_open_orders"
    assert gate.check(submit("0.008", sid="small"), ctx(book, open_orders_strategy=1)).approved


def test_update_limits_validates_and_takes_effect(book):
    gate = RiskGate()
    for bad in ({"max_order_notional_usd": 1}, {"price_band_pct": 0}, {"daily_loss_limit_pct": 101},
                {"max_orders_per_s": True}, {"max_orders_per_s": 0}, {"max_open_orders": -1},
                {"max_open_positions_per_strategy": 6}, {"max_drawdown_pct": "x"},
                {"strategies": {"s1": {"max_open_orders": 51}}}, {"strategies": {"s1": {"leverage": 3}}}):  # fmt: skip
        with pytest.raises(ConfigError):
            gate.update_limits(**bad)
    assert gate.limits == RiskLimits()  # nothing changed
    new = gate.update_limits(ts=NOW, actor="ops", max_order_notional="600", daily_loss_limit_pct=2.5)
    assert new.max_order_notional == Decimal(600) and new.daily_loss_limit_pct == Decimal("2.5")
    assert gate.breakers.limits is new
    assert gate.check(submit(), ctx(book)).reason == "max_order_notional"
    (event, _) = gate.drain_events()
    assert (event.kind, event.reason) == ("limits", "update_limits") and "ops" in event.detail


def test_risk_table_from_toml_rejects_unknown_keys():
    table = tomllib.loads("""
        [risk]
        daily_loss_limit_pct = 5
        max_drawdown_pct = 20
        max_position_pct = 20
        max_open_positions = 5
        max_order_notional = 50000
        price_band_pct = 2.5
        max_orders_per_s = 10
        [risk.strategies.mm]
        max_order_notional = 1000
    """)["risk"]
    limits = RiskLimits.from_config(table)
    assert limits.price_band_pct == Decimal("2.5") and limits.max_order_notional == Decimal(50_000)
    assert limits.strategies["mm"] == StrategyLimits(max_order_notional=1000)
    assert limits.for_strategy("mm").max_order_notional == Decimal(1000)
    with pytest.raises(ConfigError, match="max_notional"):
        RiskLimits.from_config({**table, "max_notional": 1})


def test_kill_halts_and_builds_a_flatten_order_for_every_open_position(book):
    # Arrange
    gate = RiskGate()
    positions = [
        PositionSnapshot("s1", USDM.instrument_id, 25, 3, Decimal("61800"), Decimal(0), Decimal(0), Decimal(0),
                         "USDT", "open"),
        PositionSnapshot("s2", COINM.instrument_id, -7, 0, Decimal("61804.7"), Decimal(0), Decimal(0), Decimal(0),
                         "BTC", "open"),
        PositionSnapshot("s3", USDM.instrument_id, 0, 3, None, Decimal(0), Decimal(0), Decimal(0), "USDT", "closed"),
    ]  # fmt: skip
    # Act
    (kill,) = gate.kill(NOW, actor="api")
    intents = gate.flatten_intents(positions, {USDM.instrument_id: USDM}, NOW)
    # Assert
    assert gate.state is TradingState.HALTED and gate.breakers.flatten_requested and kill.kind == "kill"
    assert [(i.strategy_id, i.client_order_id, i.instrument_id, i.side, i.size, i.price_decimals, i.size_decimals)
            for i in intents] == [
        ("s1", "s1-flatten-1", USDM.instrument_id, Side.SELL, 25, 2, 3),
        ("s2", "s2-flatten-2", COINM.instrument_id, Side.BUY, 7, 1, 0),  # decimals from spec_for: not in specs
    ]  # fmt: skip
    assert all(i.reduce_only and i.order_type is OrderType.MARKET and i.time_in_force is TimeInForce.IOC
               and i.price is None and i.ts_created == NOW and i.tag == "flatten" for i in intents)  # fmt: skip


def test_reset_is_the_way_back_to_active(book):
    gate = RiskGate()
    gate.on_equity(Decimal(100_000), MIDNIGHT_NS - 2)
    gate.on_equity(Decimal(90_000), MIDNIGHT_NS - 1)
    assert gate.check(submit(), ctx(book)).reason == "halted"
    gate.on_equity(Decimal(100_000), MIDNIGHT_NS + DAY)
    assert gate.check(submit(), ctx(book)).reason == "halted"  # a new day does not un-halt
    gate.reset(MIDNIGHT_NS + DAY + 1, actor="ops")
    assert gate.check(submit(), ctx(book)).approved


def test_every_decision_and_transition_is_one_event_in_order(book):
    gate = RiskGate()
    gate.check(submit(), ctx(book))
    gate.check(submit(price="1.00"), ctx(book))
    gate.on_equity(Decimal(100_000), NOW)
    gate.on_equity(Decimal(94_000), NOW + 1)
    gate.check(cancel(), ctx(book))
    gate.reset(NOW + 2, actor="ops")
    kinds = [(e.kind, e.reason, e.state) for e in gate.drain_events()]
    assert kinds == [("approve", "submit", "active"), ("reject", "price_band", "active"),
                     ("state", "start_of_day", "active"), ("breaker", "daily_loss_limit", "halted"),
                     ("approve", "cancel", "halted"), ("reset", "reset", "active")]  # fmt: skip
    status = json.loads(json.dumps(gate.status()))
    assert status["approvals"] == {"submit": 1, "cancel": 1} and status["rejections"] == {"price_band": 1}
    assert len(status["recent_events"]) == 6 and status["state"] == "active"


def test_breaker_events_reach_the_gate_when_the_breakers_are_driven_directly():
    gate = RiskGate()
    gate.breakers.on_equity(Decimal(100_000), NOW)
    gate.breakers.kill(NOW + 1, actor="ops")
    assert [(e.kind, e.reason) for e in gate.drain_events()] == [("state", "start_of_day"), ("kill", "kill_switch")]
    assert [e["kind"] for e in gate.status()["recent_events"]] == ["state", "kill"]


def test_an_unavailable_gate_rejects_with_risk_unavailable():
    decision = unavailable(submit(), NOW, "no answer within 200 ms")
    assert (decision.approved, decision.reason) == (False, "risk_unavailable")
    assert msgspec.json.decode(msgspec.json.encode(decision.event))["reason"] == "risk_unavailable"


# -- a strategy that is down (issue 13 item 3) ---------------------------------------------------------------
def test_a_down_strategy_is_refused_new_risk_until_it_is_up_and_others_trade_on(book):
    gate = RiskGate()
    assert gate.strategy_down("s1", NOW, "RayActorError: node lost") is not None

    refused = gate.check(submit(sid="s1"), ctx(book))
    other = gate.check(submit(sid="s2", cid="c2"), ctx(book))

    assert (refused.approved, refused.reason) == (False, "strategy_down")
    assert "node lost" in refused.detail
    assert other.approved
    assert gate.strategy_state("s1") == "strategy_down" and gate.strategy_state("s2") == "active"
    assert gate.status()["strategies_down"] == {"s1": {"since_ns": NOW, "reason": "RayActorError: node lost"}}
    assert gate.rejections["strategy_down"] == 1

    up = gate.strategy_up("s1", NOW + 2_500_000_000, "incarnation 2 recovered")
    assert up is not None and up.kind == "strategy_up" and "down 2.500 s" in up.detail
    assert gate.check(submit(sid="s1", cid="c3"), ctx(book, now=NOW + 2_500_000_000)).approved
    assert gate.status()["strategies_down"] == {}


def test_a_down_strategy_may_still_cancel_and_reduce(book):
    gate = RiskGate()
    gate.strategy_down("s1", NOW, "dead")

    assert gate.check(cancel("c1"), ctx(book)).approved
    exit_ = gate.check(submit(side=Side.SELL, reduce_only=True, cid="sl-1"), ctx(book, position_size=10,
                                                                            has_position=True))  # fmt: skip
    assert exit_.approved, exit_
    replace_ = gate.check(submit(action=IntentAction.REPLACE, cid="c1", new_client_order_id="c1b"), ctx(book))
    assert (replace_.approved, replace_.reason) == (False, "strategy_down")


def test_strategy_down_and_up_are_recorded_once_each():
    gate = RiskGate()
    first = gate.strategy_down("s1", NOW, "dead")
    again = gate.strategy_down("s1", NOW + 1, "dead again")  # a second report keeps the first time and reason

    assert again is None and gate.down["s1"] == {"since_ns": NOW, "reason": "dead"}
    assert gate.strategy_up("s2", NOW) is None  # was not down
    gate.strategy_up("s1", NOW + 5)
    kinds = [(e.kind, e.strategy_id) for e in gate.drain_events()]
    assert kinds == [("strategy_down", "s1"), ("strategy_up", "s1")]
    assert "resting orders: cancel" in first.detail


def test_halted_wins_over_strategy_down(book):
    gate = RiskGate()
    gate.strategy_down("s1", NOW, "dead")
    gate.kill(NOW)

    assert gate.check(submit(sid="s1"), ctx(book)).reason == "halted"


def test_strategy_down_orders_is_cancel_or_keep():
    assert RiskLimits().strategy_down_orders == "cancel"
    assert RiskLimits.from_config({"strategy_down_orders": "keep"}).strategy_down_orders == "keep"
    with pytest.raises(ConfigError, match="strategy_down_orders"):
        RiskLimits(strategy_down_orders="flatten")
