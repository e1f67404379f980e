"""User-data parsers on Binance's documented example payloads (tests/data/userdata, see its README) and fuzzing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.errors import MalformedFrame, PrecisionError, UnsupportedFrame
from actors.execution.userdata import (
    AccountUpdate,
    BalanceDelta,
    BalanceSnapshot,
    ListenKeyExpired,
    MarginCall,
    OrderUpdate,
    StreamTerminated,
    UserDataParser,
)
from actors.orders import Liquidity, OrderStatus, OrderType, Side, TimeInForce

DATA = Path(__file__).resolve().parents[1] / "data" / "userdata"
SPOT = UserDataParser("binance")
USDM = UserDataParser("binance_usdm")


def frame(name: str) -> bytes:
    return (DATA / name).read_bytes()


def spot_report(**changes) -> bytes:
    """The docs' executionReport example with some fields changed (a fill, a cancel ...)."""
    msg = json.loads(frame("spot_execution_report.json"))
    msg.update(changes)
    return json.dumps(msg).encode()


def test_docs_execution_report_is_an_accepted_limit_order_with_exact_fixed_point_fields():
    update = SPOT.parse(frame("spot_execution_report.json"), ts_recv=7)

    assert isinstance(update, OrderUpdate)
    assert (update.client_order_id, update.venue_order_id) == ("mUvoqJxFIILMdfAW5iGSOW", "4293153")
    assert update.instrument_id == "ETHBTC.BINANCE"
    assert (update.side, update.order_type, update.time_in_force) == (Side.BUY, OrderType.LIMIT, TimeInForce.GTC)
    assert update.status is OrderStatus.ACCEPTED and update.execution == "NEW"
    assert (update.size, update.price, update.trigger_price) == (100_000_000, 10_264_410, None)
    assert update.filled == 0 and update.fill is None and update.avg_fill_price is None
    assert update.ts_event == 1_499_405_658_657_000_000 and update.event_time == 1_499_405_658_658_000_000
    assert update.ts_recv == 7 and update.is_working is True and update.reason == ""


def test_ws_api_envelope_parses_like_the_bare_event():
    bare = SPOT.parse(frame("spot_execution_report.json"), 7)

    assert SPOT.parse(frame("spot_execution_report_ws_api.json"), 7) == bare


def test_trade_execution_report_carries_the_fill_with_trade_id_fee_and_liquidity():
    raw = spot_report(x="TRADE", X="PARTIALLY_FILLED", l="0.40000000", z="0.40000000", L="0.10264400",
                      n="0.00004106", N="BTC", t=987, m=True, Z="0.04105760", T=1499405659000)  # fmt: skip

    update = SPOT.parse(raw, 1)

    assert update.status is OrderStatus.PARTIALLY_FILLED and update.filled == 40_000_000
    fill = update.fill
    assert (fill.fill_id, fill.trade_id, fill.price, fill.size) == ("ETHBTC:987", 987, 10_264_400, 40_000_000)
    assert fill.fee == Decimal("0.00004106") and fill.fee_currency == "BTC" and fill.liquidity is Liquidity.MAKER
    assert fill.ts_event == 1_499_405_659_000_000_000
    assert update.avg_fill_price == Decimal("0.1026440")


def test_spot_cancel_names_the_canceled_order_by_its_original_client_id():
    update = SPOT.parse(spot_report(x="CANCELED", X="CANCELED", c="cancel-req-1", C="mUvoqJxFIILMdfAW5iGSOW"), 1)

    assert update.status is OrderStatus.CANCELED and update.client_order_id == "mUvoqJxFIILMdfAW5iGSOW"


def test_rejection_and_expiry_reasons_are_kept():
    rejected = SPOT.parse(spot_report(x="REJECTED", X="REJECTED", r="INSUFFICIENT_BALANCES"), 1)
    expired = SPOT.parse(spot_report(x="EXPIRED", X="EXPIRED", eR="UNFILLED_IOC_QUANTITY_EXPIRED"), 1)
    stp = SPOT.parse(spot_report(x="TRADE_PREVENTION", X="EXPIRED_IN_MATCH"), 1)

    assert (rejected.status, rejected.reason) == (OrderStatus.REJECTED, "INSUFFICIENT_BALANCES")
    assert (expired.status, expired.reason) == (OrderStatus.EXPIRED, "UNFILLED_IOC_QUANTITY_EXPIRED")
    assert stp.status is OrderStatus.EXPIRED and stp.fill is None


def test_limit_maker_is_a_post_only_limit_and_a_working_stop_is_triggered():
    maker = SPOT.parse(spot_report(o="LIMIT_MAKER"), 1)
    waiting = SPOT.parse(spot_report(o="STOP_LOSS_LIMIT", P="0.10000000", w=False), 1)
    working = SPOT.parse(spot_report(o="STOP_LOSS_LIMIT", P="0.10000000", w=True), 1)

    assert (maker.order_type, maker.time_in_force) == (OrderType.LIMIT, TimeInForce.GTX)
    assert waiting.status is OrderStatus.ACCEPTED and waiting.trigger_price == 10_000_000
    assert working.status is OrderStatus.TRIGGERED


def test_docs_outbound_account_position_balance_update_and_external_lock():
    snap = SPOT.parse(frame("spot_outbound_account_position.json"), 3)
    delta = SPOT.parse(frame("spot_balance_update.json"), 3)
    lock = SPOT.parse(frame("spot_external_lock_update.json"), 3)

    assert isinstance(snap, BalanceSnapshot) and snap.ts_event == 1_564_034_571_073_000_000
    assert [(b.asset, b.free, b.locked) for b in snap.balances] == [("ETH", Decimal("10000.000000"), Decimal(0))]
    assert isinstance(delta, BalanceDelta)
    assert (delta.asset, delta.delta, delta.kind) == ("BTC", Decimal("100"), "balance")
    assert delta.ts_event == 1_573_200_697_068_000_000
    assert (lock.asset, lock.delta, lock.kind) == ("NEO", Decimal("10"), "lock")


def test_listen_key_expiry_and_stream_termination_with_string_event_time():
    spot = SPOT.parse(frame("spot_listen_key_expired.json"), 1)
    usdm = USDM.parse(frame("usdm_listen_key_expired.json"), 1)
    ended = SPOT.parse(frame("spot_event_stream_terminated.json"), 1)

    assert isinstance(spot, ListenKeyExpired) and spot.event_time == 1_699_596_037_418_000_000
    assert spot.listen_key.startswith("OfYGbUzi")
    assert isinstance(usdm, ListenKeyExpired) and usdm.event_time == 1_736_996_475_556_000_000
    assert isinstance(ended, StreamTerminated) and ended.event_time == 1_728_973_001_334_000_000
    assert isinstance(USDM.parse(b'{"e":"listenKeyExpired","E":1576653824250}', 1), ListenKeyExpired)


def test_docs_order_trade_update_keeps_venue_type_for_types_we_do_not_trade():
    update = USDM.parse(frame("usdm_order_trade_update.json"), 2)

    assert isinstance(update, OrderUpdate) and update.instrument_id == "BTCUSDT.BINANCE_USDM"
    assert (update.client_order_id, update.venue_order_id, update.side) == ("TEST", "8886774", Side.SELL)
    assert update.order_type is None and update.venue_order_type == "TRAILING_STOP_MARKET"
    assert (update.size, update.price, update.trigger_price) == (1, None, 710_304)  # BTCUSDT: 3 size, 2 price decimals
    assert update.status is OrderStatus.ACCEPTED and update.fill is None and update.reason == ""
    assert update.ts_event == 1_568_879_465_650_000_000 and update.event_time == 1_568_879_465_651_000_000


def test_futures_trade_carries_realized_pnl_and_a_triggered_stop_is_reported():
    msg = json.loads(frame("usdm_order_trade_update.json"))
    msg["o"].update(o="LIMIT", ot="LIMIT", x="TRADE", X="FILLED", l="0.001", z="0.001", L="7103.10", ap="7103.1",
                    n="0.00355155", N="USDT", t=4242, m=False, rp="1.25000000", p="7103.10")  # fmt: skip
    stop = json.loads(frame("usdm_order_trade_update.json"))
    stop["o"].update(o="MARKET", ot="STOP_MARKET")

    update = USDM.parse(json.dumps(msg), 1)
    triggered = USDM.parse(json.dumps(stop), 1)

    assert update.status is OrderStatus.FILLED and update.avg_fill_price == Decimal("7103.1")
    assert (update.fill.fill_id, update.fill.price, update.fill.size) == ("BTCUSDT:4242", 710_310, 1)
    assert update.fill.fee == Decimal("0.00355155") and update.fill.liquidity is Liquidity.TAKER
    assert update.fill.realized_pnl == Decimal("1.25")
    assert triggered.order_type is OrderType.STOP_MARKET and triggered.status is OrderStatus.TRIGGERED


def test_docs_account_update_and_margin_call():
    acct = USDM.parse(frame("usdm_account_update.json"), 1)
    call = USDM.parse(frame("usdm_margin_call.json"), 1)

    assert isinstance(acct, AccountUpdate) and acct.reason == "ORDER"
    assert [(b.asset, b.free) for b in acct.balances] == [("USDT", Decimal("122624.12345678")), ("BUSD", Decimal(1))]
    assert acct.balance_change == (Decimal("50.12345678"), Decimal("-49.12345678"))
    assert [(p.position_side, p.size, p.entry_price) for p in acct.positions] == [
        ("BOTH", Decimal(0), Decimal(0)), ("LONG", Decimal(20), Decimal("6563.665")),
        ("SHORT", Decimal(-10), Decimal("6563.86"))]  # fmt: skip
    assert isinstance(call, MarginCall) and call.cross_wallet == Decimal("3.16812045")
    assert call.positions[0].maintenance_margin == Decimal("1.614445")


def test_unknown_and_other_market_event_types_are_unsupported():
    with pytest.raises(UnsupportedFrame):
        SPOT.parse(frame("spot_list_status.json"), 1)
    with pytest.raises(UnsupportedFrame):
        SPOT.parse(frame("usdm_order_trade_update.json"), 1)  # a futures event on the spot stream
    with pytest.raises(UnsupportedFrame):
        USDM.parse(b'{"e":"ACCOUNT_CONFIG_UPDATE","E":1611646737479,"T":1611646737476,"ac":{"s":"BTCUSDT","l":25}}', 1)


@pytest.mark.parametrize("raw", [
    b"not json", b"[]", b'{"E":1}', b'{"e":"executionReport"}', b'{"subscriptionId":0,"event":{"E":1}}',
    b'{"e":"balanceUpdate","E":1,"a":"BTC","d":"NaN","T":1}', b'{"e":"balanceUpdate","E":1,"a":"BTC","d":"1e5","T":1}',
    b'{"e":"listenKeyExpired","E":"soon"}',
])  # fmt: skip
def test_malformed_frames_raise_malformed_frame(raw):
    with pytest.raises(MalformedFrame):
        SPOT.parse(raw, 1)


def test_bad_fields_of_an_execution_report_raise_malformed_frame():
    for bad in (dict(S="HOLD"), dict(X="WAITING"), dict(o="ICEBERG"), dict(f="DAY"), dict(q="-1.00000000"),
                dict(x="TRADE", l="1.00000000", t=-1), dict(i="4293153")):  # fmt: skip
        with pytest.raises(MalformedFrame):
            SPOT.parse(spot_report(**bad), 1)
    with pytest.raises(PrecisionError):
        SPOT.parse(spot_report(p="0.102644101"), 1)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
    | st.sampled_from(["0", "1.5", "-2", "NaN", "1e3", "0.00000001", "BUY", "NEW", "TRADE", "LIMIT", "GTC"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=5),
    max_leaves=20,
)  # fmt: skip


def _mutations(name: str):
    base = json.loads(frame(name))
    target = base.get("event") or base.get("data") or base
    target = target["o"] if isinstance(target.get("o"), dict) else target
    keys = sorted(target)
    return st.lists(st.tuples(st.sampled_from(keys), _json | st.just(KeyError)), min_size=1, max_size=4).map(
        lambda edits: (base, target, edits))


def _apply(base, target, edits) -> bytes:
    saved = dict(target)
    for key, value in edits:
        if value is KeyError:
            target.pop(key, None)
        else:
            target[key] = value
    raw = json.dumps(base).encode()
    target.clear()
    target.update(saved)
    return raw


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()))
def test_fuzzed_frames_raise_only_typed_errors(raw):
    for parser in (SPOT, USDM):
        try:
            parser.parse(raw, 1)
        except (MalformedFrame, UnsupportedFrame):
            pass


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(p.name for p in DATA.glob("*.json"))).flatmap(_mutations))
def test_mutated_docs_payloads_raise_only_typed_errors(case):
    raw = _apply(*case)
    for parser in (SPOT, USDM):
        try:
            parser.parse(raw, 1)
        except (MalformedFrame, UnsupportedFrame):
            pass
