"""The paper venue on constructed books: queue arithmetic, races, fees, reduce-only, validation, resets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actors.errors import ConfigError
from actors.execution import PaperConfig, PaperVenue
from actors.instruments import spec_for
from actors.messages import BookDeltas, BookReset, BookSnapshot, Trade
from actors.orders import IntentAction, OrderEventKind, OrderIntent, OrderType, Side, TimeInForce

IID = "BTCUSDT.BINANCE"
SPEC = spec_for("binance", "BTCUSDT")
MS = 1_000_000
BTC = 10**8
P = 60_000 * BTC  # 60000.00 at 8 price decimals
T0 = 1_000 * 10**9


def snap(bids, asks, ts=T0, iid=IID, pd=8, sd=8):
    return BookSnapshot(iid, 1, tuple(bids), tuple(asks), pd, sd, 0, ts)


def deltas(ts, bids=(), asks=()):
    return BookDeltas(IID, 2, 2, -1, tuple(bids), tuple(asks), 8, 8, 0, ts)


def trade(ts, price, size, aggressor="sell", iid=IID, pd=8, sd=8):
    return Trade(iid, str(ts), price, size, aggressor, pd, sd, 0, ts)


def order(coid, side=Side.BUY, size=BTC // 2, price=P, order_type=OrderType.LIMIT, tif=TimeInForce.GTC,
          trigger=None, reduce_only=False, iid=IID, pd=8, sd=8, action=IntentAction.SUBMIT):  # fmt: skip
    return OrderIntent(action, "s1", coid, iid, pd, sd, side, order_type, size, price, trigger, tif, reduce_only)


def venue_with_bid(model="conservative", ahead=3 * BTC, size=BTC // 2):
    """A venue whose book has ``ahead`` at P on the bid and 1 BTC at P + 1.00 on the ask; our bid rests at P."""
    v = PaperVenue({IID: SPEC}, PaperConfig(queue_model=model))
    v.on_market([snap([(P, ahead)], [(P + BTC, BTC)])])
    v.submit(order("b", size=size), T0)
    v.advance(T0 + 5 * MS)
    return v


def test_probabilistic_decrease_advances_the_queue_by_the_expected_amount():
    # Arrange: front 3 BTC at a 3 BTC level; the level grows to 5 (an increase never moves us).
    v = venue_with_bid("prob_linear")
    v.on_market([deltas(T0 + 6 * MS, bids=[(P, 5 * BTC)])])
    assert v.queue_ahead("b") == 3 * BTC

    # Act: 5 -> 4 with no trade. back = 2, p = f(back)/(f(back)+f(front)) = 2/5.
    v.on_market([deltas(T0 + 7 * MS, bids=[(P, 4 * BTC)])])

    # Assert: front' = 3 - (1 - 0.4) * 1 + min(2 - 0.4 * 1, 0) = 2.4 BTC.
    assert v.queue_ahead("b") == 240_000_000
    # A decrease explained by a trade at our price is not counted twice: trade 1 BTC, then level 4 -> 3.
    v.on_market([trade(T0 + 8 * MS, P, BTC), deltas(T0 + 9 * MS, bids=[(P, 3 * BTC)])])
    assert v.queue_ahead("b") == 140_000_000


def test_conservative_queue_ignores_decreases_above_the_level_size_and_fills_only_past_zero():
    v = venue_with_bid("conservative")
    v.on_market([deltas(T0 + 6 * MS, bids=[(P, 5 * BTC)]), deltas(T0 + 7 * MS, bids=[(P, 4 * BTC)])])
    assert v.queue_ahead("b") == 3 * BTC  # only a clamp to the new size, which is larger
    out = v.on_market([trade(T0 + 8 * MS, P, 3 * BTC)])
    assert v.queue_ahead("b") == 0 and not [e for e in out if e.fill]  # front == 0: not yet
    v.on_market([trade(T0 + 9 * MS, P, 10_000_000)])
    out = v.advance(T0 + 20 * MS)
    (fill,) = [e.fill for e in out if e.fill]
    assert fill.size == 10_000_000 and fill.ts_event == T0 + 9 * MS


def test_a_buyer_aggressor_trade_at_our_bid_does_not_move_our_queue():
    v = venue_with_bid()
    v.on_market([trade(T0 + 6 * MS, P, BTC, aggressor="buy")])
    assert v.queue_ahead("b") == 3 * BTC


def test_a_trade_through_our_price_fills_the_whole_remaining_size():
    v = venue_with_bid()
    v.on_market([trade(T0 + 6 * MS, P - BTC, 1000)])
    out = v.advance(T0 + 20 * MS)
    (ev,) = [e for e in out if e.fill]
    assert ev.kind is OrderEventKind.FILLED and ev.fill.size == BTC // 2 and ev.fill.price == P


def test_cancel_loses_the_race_against_a_fill_that_happens_before_it_arrives():
    # Arrange: alone at the level (nothing ahead).
    v = venue_with_bid(ahead=0)
    v.on_market([snap([(P - BTC, BTC)], [(P + BTC, BTC)], ts=T0 + 5 * MS + 1)])

    # Act: cancel sent at +10 ms (arrives +15 ms); a seller trades at our price at +12 ms.
    v.submit(order("b", action=IntentAction.CANCEL), T0 + 10 * MS)
    v.on_market([trade(T0 + 12 * MS, P, BTC)])
    out = v.advance(T0 + 30 * MS)

    # Assert
    kinds = [e.kind for e in out if e.order.client_order_id == "b"]
    assert OrderEventKind.FILLED in kinds and kinds[-1] is OrderEventKind.CANCEL_REJECTED
    assert out[-1].reason == "order_closed" and v.stats()["cancel_rejected"] == {"order_closed": 1}


def test_cancel_that_arrives_first_wins():
    v = venue_with_bid(ahead=0)
    v.submit(order("b", action=IntentAction.CANCEL), T0 + 10 * MS)
    v.on_market([trade(T0 + 16 * MS, P, BTC)])
    out = v.advance(T0 + 30 * MS)
    assert [e.kind for e in out] == [OrderEventKind.CANCELED] and v.order("b").filled == 0
    assert out[0].ts_event == T0 + 15 * MS


def test_inverse_fees_are_charged_in_the_coin():
    # Arrange: COIN-M BTCUSD_PERP, 100 USD contracts, taker 0.05 %, maker 0.02 %.
    coinm = spec_for("binance_coinm", "BTCUSD_PERP")
    iid = coinm.instrument_id
    v = PaperVenue({iid: coinm})
    v.on_market([snap([(599_990, 50)], [(600_000, 2), (600_010, 50)], iid=iid, pd=1, sd=0)])

    # Act: market buy 3 contracts: 2 at 60000.0 and 1 at 60001.0.
    v.submit(order("m", size=3, price=None, order_type=OrderType.MARKET, iid=iid, pd=1, sd=0), T0)
    out = v.advance(T0 + 20 * MS)

    # Assert
    fills = [e.fill for e in out if e.fill]
    assert [(f.price, f.size) for f in fills] == [(600_000, 2), (600_010, 1)]
    assert fills[0].fee == Decimal(2) * 100 / Decimal("60000.0") * Decimal("0.0005")
    assert fills[0].fee_currency == "BTC" and v.order("m").fee == sum(f.fee for f in fills)
    assert v.position("s1", iid) == 3


def test_linear_maker_fee_override():
    v = PaperVenue({IID: SPEC}, PaperConfig(fee_overrides={IID: (Decimal("0"), Decimal("0.002"))}))
    v.on_market([snap([(P, BTC)], [(P + BTC, BTC)])])
    v.submit(order("t", size=BTC // 10, price=P + BTC), T0)
    (fill,) = [e.fill for e in v.advance(T0 + 20 * MS) if e.fill]
    assert fill.fee == Decimal("60001") * Decimal("0.1") * Decimal("0.002") and fill.fee_currency == "USDT"


def test_reduce_only_never_increases_a_position():
    v = PaperVenue({IID: SPEC})
    v.on_market([snap([(P, BTC)], [(P + BTC, BTC)])])
    v.submit(order("ro1", side=Side.SELL, price=None, order_type=OrderType.MARKET, reduce_only=True), T0)
    v.submit(order("buy", size=200_000, price=None, order_type=OrderType.MARKET), T0 + MS)
    v.submit(order("ro2", side=Side.SELL, size=500_000, price=None, order_type=OrderType.MARKET,
                   reduce_only=True), T0 + 2 * MS)  # fmt: skip
    out = v.advance(T0 + 30 * MS)
    assert v.order("ro1").reason == "reduce_only_would_increase"
    ro2 = v.order("ro2")
    assert ro2.filled == 200_000 and ro2.reason == "reduce_only_excess" and ro2.status.value == "canceled"
    assert v.position("s1", IID) == 0 and len([e for e in out if e.fill]) == 2


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"size": 123}, "lot_size"),
    ({"price": P + 1}, "tick_size"),
    ({"price": None}, "price_required"),
    ({"size": 0}, "invalid_size"),
    ({"iid": "ETHUSDT.BINANCE"}, "unknown_instrument"),
    ({"order_type": OrderType.STOP_MARKET, "price": None}, "trigger_price_required"),
    ({"pd": 2}, "decimals_mismatch"),
])  # fmt: skip
def test_validation_rejects_at_once(kwargs, reason):
    v = PaperVenue({IID: SPEC})
    (ev,) = v.submit(order("x", **kwargs), T0)
    assert ev.kind is OrderEventKind.REJECTED and ev.reason == reason and ev.ts_event == T0


def test_min_notional_and_duplicate_ids_reject_at_once():
    v = PaperVenue({IID: SPEC}, PaperConfig(min_notional={IID: Decimal("5")}))
    assert v.submit(order("a", size=1000), T0)[0].reason == "min_notional"  # 0.00001 * 60000 = 0.6 USDT
    assert v.submit(order("b"), T0) == []
    assert v.submit(order("b"), T0)[0].reason == "duplicate_client_order_id"


def test_book_reset_keeps_orders_and_the_next_snapshot_clamps_their_queue():
    v = venue_with_bid(ahead=3 * BTC)
    v.on_market([BookReset(IID, "gap", T0 + 6 * MS)])
    assert v.open_orders()[0].client_order_id == "b"
    v.submit(order("m", price=None, order_type=OrderType.MARKET), T0 + 6 * MS)
    v.on_market([snap([(P, BTC)], [(P + BTC, BTC)], ts=T0 + 20 * MS)])
    assert v.order("m").reason == "book_not_ready"  # arrived at +11 ms, while the book was empty
    assert v.queue_ahead("b") == BTC


def test_take_profit_and_stop_limit_trigger_the_right_way():
    v = PaperVenue({IID: SPEC})
    v.on_market([snap([(P, BTC)], [(P + BTC, BTC)]), trade(T0, P, 1000)])
    v.submit(order("tp", side=Side.SELL, size=1000, price=None, order_type=OrderType.TAKE_PROFIT,
                   trigger=P + 2 * BTC), T0)  # fmt: skip
    v.submit(order("sl", side=Side.SELL, size=1000, price=P - 5 * BTC, order_type=OrderType.STOP_LIMIT,
                   trigger=P - 2 * BTC), T0)  # fmt: skip
    v.submit(order("now", side=Side.SELL, size=1000, price=None, order_type=OrderType.STOP_MARKET,
                   trigger=P + BTC), T0)  # fmt: skip  (a sell stop above the last trade would trigger at once)
    v.on_market([trade(T0 + 10 * MS, P + BTC, 1000, "buy")])
    assert v.order("tp").status.value == "accepted" and v.order("now").reason == "would_trigger_immediately"
    v.on_market([trade(T0 + 11 * MS, P + 2 * BTC, 1000, "buy")])
    assert v.order("tp").status.value == "filled" and v.order("tp").avg_fill_price == Decimal("60000")
    v.on_market([trade(T0 + 12 * MS, P - 2 * BTC, 1000)])
    sl = v.order("sl")
    assert sl.status.value == "filled" and sl.avg_fill_price == Decimal("60000")  # limit 59995, took the bid


def test_cancel_all_cancels_every_open_order_with_the_reason():
    v = venue_with_bid()
    v.submit(order("b2", price=P - BTC), T0)
    out = v.cancel_all(T0 + 10 * MS) + v.advance(T0 + 30 * MS)
    canceled = [e for e in out if e.kind is OrderEventKind.CANCELED]
    assert {e.order.client_order_id for e in canceled} == {"b", "b2"}
    assert all(e.reason == "kill_switch" and e.ts_event == T0 + 15 * MS for e in canceled)


def test_unknown_queue_model_is_a_config_error():
    with pytest.raises(ConfigError):
        PaperConfig(queue_model="fifo")
    assert PaperConfig(queue_model="prob_pow0.5").queue_model == "prob_pow0.5"
