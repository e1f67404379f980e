"""Binance SIGNED request verification (Spot API docs "SIGNED Endpoint security" / "Timing security")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.replay.testnet.errors import RestError
from actors.replay.testnet.signing import sign, verify

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
DOC_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"  # the docs' example 1
NOW = 1499827319559


def test_signature_matches_the_documented_example():
    assert sign(SECRET, QUERY) == DOC_SIGNATURE


@pytest.mark.parametrize("split", [len(QUERY), 0, QUERY.index("quantity")], ids=["query", "body", "mixed"])
def test_total_params_are_query_then_body_without_a_separator(split):
    query, body = QUERY[:split].rstrip("&"), QUERY[split:]
    signature = sign(SECRET, query + body)
    if query:
        query += f"&signature={signature}"
    else:
        body += f"&signature={signature}"
    key, params = verify(KEY, query, body, {KEY: SECRET}, NOW)
    assert key == KEY and params["symbol"] == "LTCBTC" and "signature" not in params


def _code(**kw) -> int:
    args = {"api_key": KEY, "query": f"{QUERY}&signature={DOC_SIGNATURE}", "body": "", "secrets": {KEY: SECRET},
            "now_ms": NOW} | kw  # fmt: skip
    with pytest.raises(RestError) as err:
        verify(**args)
    return err.value.code


def test_errors_in_binance_order_key_then_timing_then_signature():
    assert _code(api_key=None) == -2015 and _code(api_key="other") == -2015
    assert _code(now_ms=NOW + 5001) == -1021  # older than recvWindow
    assert _code(now_ms=NOW - 1001) == -1021  # more than 1 s ahead of the server
    assert _code(query=QUERY + "&signature=" + "0" * 64) == -1022
    assert _code(query=QUERY) == -1022  # no signature at all
    assert _code(query="symbol=LTCBTC&signature=" + DOC_SIGNATURE) == -1102  # no timestamp
    assert _code(query="timestamp=1&recvWindow=60001&signature=x") == -1131
    assert _code(query="timestamp=1&timestamp=2&signature=x") == -1101
    verify(KEY, f"{QUERY}&signature={DOC_SIGNATURE}", "", {KEY: SECRET}, NOW + 5000)  # the window's edge


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=80), body=st.text(max_size=40), key=st.one_of(st.none(), st.just(KEY), st.text(max_size=5)))
def test_any_malformed_request_is_a_binance_error_never_a_crash(query, body, key):
    try:
        verify(key, query, body, {KEY: SECRET}, NOW)
    except RestError as exc:
        assert exc.code < 0 and 400 <= exc.status < 500 and exc.msg


_NAMES = ["symbol", "side", "type", "quantity", "price", "timeInForce", "stopPrice", "newClientOrderId",
          "newOrderRespType", "orderId", "origClientOrderId", "reduceOnly", "limit", "startTime", "fromId"]
_VALUES = st.one_of(st.sampled_from(["BTCUSDT", "btcusdt", "ETHUSDT", "BUY", "SELL", "LIMIT", "MARKET", "LIMIT_MAKER",
                                     "STOP_LOSS", "GTC", "IOC", "FOK", "GTX", "FULL", "0", "-1", "1e3", "NaN", "0.01",
                                     "50000", "61000.005", "true", ""]),
                    st.text(max_size=12), st.decimals(allow_nan=True).map(str))  # fmt: skip


@pytest.mark.parametrize("venue", ["binance", "binance_usdm"])
@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(st.sampled_from(_NAMES), _VALUES, max_size=9))
def test_any_order_parameters_are_a_binance_error_or_an_order_never_a_crash(venue, params):
    from actors.replay.testnet import TestnetConfig
    from actors.replay.testnet.exchange import TestnetExchange

    ex = TestnetExchange(venue, {"BTCUSDT"}, TestnetConfig(keys={KEY: SECRET}), None, lambda s, n: None)
    for call in (lambda: ex.new_order(KEY, params, NOW * 1_000_000), lambda: ex.query_order(KEY, params),
                 lambda: ex.cancel_order(KEY, params, NOW * 1_000_000), lambda: ex.open_orders(KEY, params),
                 lambda: ex.my_trades(KEY, params), lambda: ex.cancel_open_orders(KEY, params, NOW * 1_000_000)):
        try:
            call()
        except RestError as exc:
            assert exc.code < 0 and 400 <= exc.status < 500 and exc.msg
