"""Live execution's pure parts: Binance order parameters, the ccxt error boundary, keys, the live guard."""

from __future__ import annotations

from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from actors.errors import (
    AuthenticationError,
    AuthenticationFailed,
    ConfigError,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    PermanentVenueError,
    RateLimited,
    VenueUnavailable,
)
from actors.execution.live import read_keys
from actors.execution.live_client import order_params, parse_balances, translate_error
from actors.instruments import spec_for, split_instrument_id
from actors.orders import IntentAction, OrderIntent, OrderType, Side, TimeInForce
from cluster.config import check_live_guard, load_config

SPOT = spec_for(*reversed(split_instrument_id("BTCUSDT.BINANCE")))
USDM = spec_for(*reversed(split_instrument_id("BTCUSDT.BINANCE_USDM")))


def _intent(spec, **kw) -> OrderIntent:
    base = dict(action=IntentAction.SUBMIT, strategy_id="mm-1", client_order_id="mm-1-7",
                instrument_id=spec.instrument_id, price_decimals=spec.price_decimals, size_decimals=spec.size_decimals,
                side=Side.BUY, order_type=OrderType.LIMIT, size=10 ** (spec.size_decimals - 3),
                price=61000 * 10**spec.price_decimals)
    base.update(kw)
    return OrderIntent(**base)


def test_spot_order_params_every_type():
    p = order_params(SPOT, _intent(SPOT), spot=True)
    assert p == {"symbol": "BTCUSDT", "side": "BUY", "newClientOrderId": "mm-1-7", "quantity": "0.00100000",
                 "type": "LIMIT", "timeInForce": "GTC", "price": "61000.00000000", "newOrderRespType": "FULL"}
    assert order_params(SPOT, _intent(SPOT, time_in_force=TimeInForce.GTX), True)["type"] == "LIMIT_MAKER"
    assert "timeInForce" not in order_params(SPOT, _intent(SPOT, time_in_force=TimeInForce.GTX), True)
    m = order_params(SPOT, _intent(SPOT, order_type=OrderType.MARKET, price=None), True)
    assert m["type"] == "MARKET" and "price" not in m
    trig = 60000 * 10**SPOT.price_decimals
    assert order_params(SPOT, _intent(SPOT, order_type=OrderType.STOP_MARKET, price=None, side=Side.SELL,
                                      trigger_price=trig), True)["type"] == "STOP_LOSS"
    sl = order_params(SPOT, _intent(SPOT, order_type=OrderType.STOP_LIMIT, trigger_price=trig), True)
    assert (sl["type"], sl["stopPrice"], sl["price"]) == ("STOP_LOSS_LIMIT", "60000.00000000", "61000.00000000")
    tp = order_params(SPOT, _intent(SPOT, order_type=OrderType.TAKE_PROFIT, price=None, trigger_price=trig), True)
    assert tp["type"] == "TAKE_PROFIT"
    with pytest.raises(OrderRejected, match="reduce_only_not_on_spot"):
        order_params(SPOT, _intent(SPOT, reduce_only=True), True)
    with pytest.raises(OrderRejected, match="client_order_id_invalid"):
        order_params(SPOT, _intent(SPOT, client_order_id="x" * 37), True)
    with pytest.raises(OrderRejected, match="trigger_price_required"):
        order_params(SPOT, _intent(SPOT, order_type=OrderType.TAKE_PROFIT, price=None), True)


def test_usdm_order_params():
    p = order_params(USDM, _intent(USDM, time_in_force=TimeInForce.GTX, reduce_only=True), spot=False)
    assert (p["type"], p["timeInForce"], p["reduceOnly"]) == ("LIMIT", "GTX", "true")
    assert "newOrderRespType" not in p
    trig = 60000 * 10**USDM.price_decimals
    assert order_params(USDM, _intent(USDM, order_type=OrderType.STOP_MARKET, price=None, trigger_price=trig),
                        False)["type"] == "STOP_MARKET"
    assert order_params(USDM, _intent(USDM, order_type=OrderType.TAKE_PROFIT, price=None, trigger_price=trig),
                        False)["type"] == "TAKE_PROFIT_MARKET"


@pytest.mark.parametrize("exc, status, expected", [
    (ccxt.AuthenticationError('binance {"code":-1022,"msg":"Signature for this request is not valid."}'), 400,
     AuthenticationError),
    (ccxt.BadRequest('binance {"code":-1022,"msg":"Signature for this request is not valid."}'), 400,
     AuthenticationError),
    (ccxt.AuthenticationError('binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'), 401,
     AuthenticationError),
    (ccxt.InvalidOrder('binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}'), 400,
     InsufficientFunds),
    (ccxt.InsufficientFunds('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}'), 400, InsufficientFunds),
    (ccxt.OrderNotFound('binance {"code":-2013,"msg":"Order does not exist."}'), 400, OrderNotFound),
    (ccxt.OrderNotFound('binance {"code":-2011,"msg":"Unknown order sent."}'), 400, OrderNotFound),
    (ccxt.InvalidOrder('binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'), 400, OrderRejected),
    (ccxt.OrderImmediatelyFillable("binance Order would immediately match and take."), 400, OrderRejected),
    (ccxt.InvalidNonce('binance {"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'),
     400, VenueUnavailable),
    (ccxt.DDoSProtection('binance 429 Too Many Requests {"code":-1003,"msg":"Too many requests."}'), 429,
     RateLimited),
    (ccxt.DDoSProtection("binance 418 I'm a teapot"), 418, RateLimited),
    (ccxt.RequestTimeout("binance GET http://127.0.0.1/api/v3/order"), None, VenueUnavailable),
    (ccxt.ExchangeNotAvailable("binance 503 Service Unavailable"), 503, VenueUnavailable),
    (ccxt.BadSymbol('binance {"code":-1121,"msg":"Invalid symbol."}'), 400, PermanentVenueError),
])  # fmt: skip
def test_errors_translated_at_the_boundary(exc, status, expected):
    err = translate_error(exc, {"Retry-After": "7"}, status, "mm-1-7")
    assert type(err) is expected
    if isinstance(err, RateLimited):
        assert err.retry_after_s == 7.0
    if isinstance(err, (OrderRejected, OrderNotFound)):
        assert err.client_order_id == "mm-1-7"
    if isinstance(exc, ccxt.OrderImmediatelyFillable):
        assert err.reason == "post_only_would_take"  # the paper model's word for it
    assert issubclass(AuthenticationError, AuthenticationFailed) and issubclass(InsufficientFunds, OrderRejected)


def test_balances_are_exact():
    spot = {"balances": [{"asset": "BTC", "free": "1.00000000", "locked": "0.00100000"},
                         {"asset": "ETH", "free": "0.00000000", "locked": "0.00000000"},
                         {"asset": "USDT", "free": "9938.99990000", "locked": "0.00000000"}]}  # fmt: skip
    assert parse_balances(spot, True) == {"BTC": (Decimal("1"), Decimal("0.001")), "USDT": (Decimal("9938.9999"), 0)}
    usdm = {"assets": [{"asset": "USDT", "walletBalance": "10000.00000000", "availableBalance": "9900.50000000"}]}
    assert parse_balances(usdm, False) == {"USDT": (Decimal("9900.5"), Decimal("99.5"))}


def test_keys_from_the_environment_only(monkeypatch):
    monkeypatch.setenv("RT_TEST_KEY", "k" * 64)
    monkeypatch.delenv("RT_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError) as info:
        read_keys("RT_TEST_KEY", "RT_TEST_SECRET")
    assert "RT_TEST_SECRET" in str(info.value) and "k" * 64 not in str(info.value)
    monkeypatch.setenv("RT_TEST_SECRET", "s" * 64)
    key, secret = read_keys("RT_TEST_KEY", "RT_TEST_SECRET")
    assert "k" * 10 not in repr(key) and secret.get_secret_value() == "s" * 64


def _strategies(mode: str) -> list[dict]:
    return [{"id": "mm-1", "kind": "market_making", "instruments": ["BTCUSDT.BINANCE"], "mode": mode}]


def test_live_guard_needs_config_and_command_line():
    with pytest.raises(ConfigError, match="allow_live"):
        load_config(None, strategies=_strategies("live"), replay__enabled=False)
    cfg = load_config(None, strategies=_strategies("live"), replay__enabled=False, execution__allow_live=True)
    with pytest.raises(ConfigError, match="--live"):
        check_live_guard(cfg, live_flag=False)
    check_live_guard(cfg, live_flag=True)
    with pytest.raises(ConfigError, match="replay"):  # live against recordings makes no sense
        load_config(None, strategies=_strategies("live"), execution__allow_live=True)
    t = load_config(None, strategies=_strategies("testnet"))
    check_live_guard(t, live_flag=False)
    assert t.execution.testnet.api_key_env == "RAYTRADE_TESTNET_API_KEY"
    dumped = t.model_dump_json()
    assert "RAYTRADE_TESTNET_API_SECRET" in dumped  # the variable's name, never a value


def test_transports_from_settings_read_keys_and_route_by_venue(monkeypatch):
    from actors.execution.live import transports_from_settings

    monkeypatch.setenv("RT_TEST_KEY", "k" * 64)
    monkeypatch.setenv("RT_TEST_SECRET", "s" * 64)
    settings = {"testnet": {"rest_urls": {"binance": "http://127.0.0.1:9", "binance_usdm": "http://127.0.0.1:9"},
                            "ws_urls": {"binance": "ws://127.0.0.1:9"}, "api_key_env": "RT_TEST_KEY",
                            "api_secret_env": "RT_TEST_SECRET", "poll_interval_s": 0.25}}  # fmt: skip
    out = transports_from_settings(settings, {"paper", "testnet"}, {SPOT.instrument_id: SPOT})
    assert list(out) == [("testnet", "binance")]  # no USD-M instrument traded: no USD-M transport
    t = out[("testnet", "binance")]
    assert (t.mode, t.poll_interval_s, t.ws_url) == ("testnet", 0.25, "ws://127.0.0.1:9")
    assert "k" * 64 not in repr(t.client) and t.client.key_id != "k" * 16
    with pytest.raises(ConfigError, match="execution.live"):
        transports_from_settings(settings, {"live"}, {SPOT.instrument_id: SPOT})
    import asyncio

    asyncio.run(t.client.close())
