"""REST parsers reconciliation reads, on the example answers of Binance's docs (Spot API "Current open orders",
"Account trade list", "Account information"; USDⓈ-M "Current All Open Orders", "Account Trade List",
"Futures Account Balance V2"), copied field for field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.errors import MalformedFrame
from actors.execution.userdata import parse_balances, parse_order, parse_orders, parse_trades
from actors.orders import Liquidity, OrderStatus, OrderType, Side, TimeInForce

SPOT_OPEN = [{"symbol": "LTCBTC", "orderId": 1, "orderListId": -1, "clientOrderId": "myOrder1", "price": "0.1",
              "origQty": "1.0", "executedQty": "0.0", "cummulativeQuoteQty": "0.0", "status": "NEW",
              "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "stopPrice": "0.0", "icebergQty": "0.0",
              "time": 1499827319559, "updateTime": 1499827319559, "isWorking": True, "workingTime": 1499827319559,
              "origQuoteOrderQty": "0.000000", "selfTradePreventionMode": "NONE"}]  # fmt: skip
SPOT_TRADES = [{"symbol": "BNBBTC", "id": 28457, "orderId": 100234, "orderListId": -1, "price": "4.00000100",
                "qty": "12.00000000", "quoteQty": "48.000012", "commission": "10.10000000", "commissionAsset": "BNB",
                "time": 1499865549590, "isBuyer": True, "isMaker": False, "isBestMatch": True}]  # fmt: skip
SPOT_ACCOUNT = {"makerCommission": 15, "takerCommission": 15, "canTrade": True, "accountType": "SPOT",
                "balances": [{"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"},
                             {"asset": "LTC", "free": "4763368.68006011", "locked": "0.00000000"}],
                "permissions": ["SPOT"]}  # fmt: skip
USDM_OPEN = [{"avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0", "executedQty": "0", "orderId": 1917641,
              "origQty": "0.40", "origType": "TRAILING_STOP_MARKET", "price": "0", "reduceOnly": False, "side": "BUY",
              "positionSide": "SHORT", "status": "NEW", "stopPrice": "9300", "closePosition": False,
              "symbol": "BTCUSDT", "time": 1579276756075, "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET",
              "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1579276756075,
              "workingType": "CONTRACT_PRICE", "priceProtect": False, "priceMatch": "NONE",
              "selfTradePreventionMode": "NONE", "goodTillDate": 0}]  # fmt: skip
USDM_TRADES = [{"buyer": False, "commission": "-0.07819010", "commissionAsset": "USDT", "id": 698759, "maker": False,
                "orderId": 25851813, "price": "7819.01", "qty": "0.002", "quoteQty": "15.63802",
                "realizedPnl": "-0.91539999", "side": "SELL", "positionSide": "SHORT", "symbol": "BTCUSDT",
                "time": 1569514978020}]  # fmt: skip
USDM_BALANCE = [{"accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903",
                 "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
                 "maxWithdrawAmount": "23.72469206", "marginAvailable": True, "updateTime": 1617939110373}]  # fmt: skip


def test_spot_open_orders_parse_from_objects_and_from_bytes_alike():
    (order,) = parse_orders(SPOT_OPEN)

    assert parse_orders(json.dumps(SPOT_OPEN).encode()) == (order,)
    assert (order.client_order_id, order.venue_order_id, order.instrument_id) == ("myOrder1", "1", "LTCBTC.BINANCE")
    assert (order.side, order.order_type, order.time_in_force) == (Side.BUY, OrderType.LIMIT, TimeInForce.GTC)
    assert (order.size, order.price, order.trigger_price, order.filled) == (100_000_000, 10_000_000, None, 0)
    assert order.status is OrderStatus.ACCEPTED and order.ts_updated == 1_499_827_319_559_000_000


def test_a_queried_partially_filled_then_canceled_order_has_its_average_price():
    order = parse_order({**SPOT_OPEN[0], "status": "CANCELED", "executedQty": "0.5", "cummulativeQuoteQty": "0.05"})

    assert order.status is OrderStatus.CANCELED and order.filled == 50_000_000
    assert order.avg_fill_price == Decimal("0.1")


def test_spot_trades_become_fills_with_the_venue_trade_id():
    (trade,) = parse_trades(SPOT_TRADES)

    assert (trade.venue_order_id, trade.side, trade.instrument_id) == ("100234", Side.BUY, "BNBBTC.BINANCE")
    f = trade.fill
    assert (f.fill_id, f.trade_id, f.price, f.size) == ("BNBBTC:28457", 28457, 400_000_100, 1_200_000_000)
    assert (f.fee, f.fee_currency, f.liquidity) == (Decimal("10.1"), "BNB", Liquidity.TAKER)
    assert f.ts_event == 1_499_865_549_590_000_000 and f.realized_pnl is None


def test_usdm_orders_trades_and_balances():
    (order,) = parse_orders(USDM_OPEN, "binance_usdm")
    (trade,) = parse_trades(USDM_TRADES, "binance_usdm")
    (usdt,) = parse_balances(USDM_BALANCE, "binance_usdm")
    (from_account,) = parse_balances({"assets": [{"asset": "USDT", "walletBalance": "10000.00000000"}]}, "binance_usdm")

    assert order.order_type is None and order.venue_order_type == "TRAILING_STOP_MARKET"
    assert (order.size, order.trigger_price) == (400, 930_000)
    assert (trade.side, trade.fill.price, trade.fill.size) == (Side.SELL, 781_901, 2)
    assert trade.fill.realized_pnl == Decimal("-0.91539999") and trade.fill.fill_id == "BTCUSDT:698759"
    assert (usdt.asset, usdt.free, usdt.locked) == ("USDT", Decimal("122607.35137903"), Decimal(0))
    assert from_account.free == Decimal(10000)


def test_spot_account_balances():
    assert [(b.asset, b.free, b.locked) for b in parse_balances(SPOT_ACCOUNT)] == [
        ("BTC", Decimal("4723846.89208129"), Decimal(0)), ("LTC", Decimal("4763368.68006011"), Decimal(0))]  # fmt: skip


@pytest.mark.parametrize("call", [
    lambda: parse_orders({"not": "a list"}), lambda: parse_orders([{**SPOT_OPEN[0], "status": "LOST"}]),
    lambda: parse_trades([{**SPOT_TRADES[0], "qty": "-1"}]), lambda: parse_balances({"balances": [{"asset": "BTC"}]}),
    lambda: parse_balances(b"{oops", "binance_usdm"), lambda: parse_order({**SPOT_OPEN[0], "price": "1e3"}),
])  # fmt: skip
def test_wrong_shapes_raise_malformed_frame(call):
    with pytest.raises(MalformedFrame):
        call()


_values = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=10) | st.sampled_from(
    ["0", "0.001", "-1", "1e3", "NaN", "NEW", "FILLED", "BUY", "LIMIT", "GTC", "GTD", "LIMIT_MAKER"])


def _mutated(base: dict):
    return st.dictionaries(st.sampled_from(sorted(base)), _values | st.just(KeyError), min_size=1, max_size=4).map(
        lambda edits: {k: v for k, v in {**base, **edits}.items() if edits.get(k) is not KeyError})


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([SPOT_OPEN[0], USDM_OPEN[0], SPOT_TRADES[0], USDM_TRADES[0], USDM_BALANCE[0]]).flatmap(_mutated),
       st.sampled_from(["binance", "binance_usdm"]))  # fmt: skip
def test_mutated_rest_answers_raise_only_malformed_frame(obj, venue):
    calls = (lambda: parse_orders([obj], venue), lambda: parse_order(obj, venue), lambda: parse_trades([obj], venue),
             lambda: parse_balances([obj], venue), lambda: parse_balances({"balances": [obj]}, venue))
    for call in calls:
        try:
            call()
        except MalformedFrame:
            pass


def test_listen_key_calls_use_the_documented_paths_and_params():
    import asyncio

    from actors.execution.userdata import rest_listen_key_api

    calls = []

    async def rest(method: str, path: str, params: dict):
        calls.append((method, path, params))
        return {"listenKey": "k1"} if method == "POST" else {}

    async def run(venue: str) -> str:
        api = rest_listen_key_api(rest, venue)
        key = await api.create()
        await api.keepalive(key)
        await api.close(key)
        return key

    assert asyncio.run(run("binance")) == "k1" and asyncio.run(run("binance_usdm")) == "k1"
    assert calls == [
        ("POST", "/api/v3/userDataStream", {}), ("PUT", "/api/v3/userDataStream", {"listenKey": "k1"}),
        ("DELETE", "/api/v3/userDataStream", {"listenKey": "k1"}),
        ("POST", "/fapi/v1/listenKey", {}), ("PUT", "/fapi/v1/listenKey", {}), ("DELETE", "/fapi/v1/listenKey", {}),
    ]  # fmt: skip


def test_a_listen_key_answer_without_a_key_is_malformed():
    import asyncio

    from actors.execution.userdata import rest_listen_key_api

    async def rest(method, path, params):
        return {"code": -1125}

    with pytest.raises(MalformedFrame):
        asyncio.run(rest_listen_key_api(rest).create())
