"""Polygon.io and Alpha Vantage pure parsers: symbol rules, exactness, error bodies, and hypothesis fuzzing
(whatever the bytes, a parser returns its messages or raises the project's typed error, nothing else)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.errors import (
    AuthenticationFailed,
    ConnectionLimit,
    MalformedFrame,
    PermanentVenueError,
    PrecisionError,
    RaytradeError,
    RateLimited,
    VenueUnavailable,
)
from actors.feed.venues.alphavantage import FUNCTIONS, AlphaVantageParser, error_in
from actors.feed.venues.polygon import (
    PolygonParser,
    PolygonStatus,
    channels_for,
    polygon_pair,
    polygon_ticker,
    rest_error,
    status_error,
    unified_symbol,
)
from actors.replay.providers.alphavantage import FIXTURES as AV
from actors.replay.providers.polygon import FIXTURES as PG


@pytest.mark.parametrize(("symbol", "ticker", "pair"), [
    ("BTC/USDT", "X:BTCUSD", "BTC-USD"), ("BTCUSDT", "X:BTCUSD", "BTC-USD"), ("BTC-USD", "X:BTCUSD", "BTC-USD"),
    ("eth/usd", "X:ETHUSD", "ETH-USD"), ("X:SOLUSD", "X:SOLUSD", "SOL-USD"), ("AAPL", "AAPL", "AAPL"),
    ("ETH/BTC", "X:ETHBTC", "ETH-BTC"),
])  # fmt: skip
def test_symbols_convert_to_polygon_with_usdt_as_usd(symbol, ticker, pair):
    assert polygon_ticker(symbol) == ticker and polygon_pair(symbol) == pair


def test_usdt_is_kept_when_asked_and_back_conversion_never_says_usdt():
    assert polygon_ticker("BTC/USDT", usdt_as_usd=False) == "X:BTCUSDT"
    assert unified_symbol("X:BTCUSD") == unified_symbol("BTC-USD") == "BTC/USD"
    assert unified_symbol(polygon_ticker("BTC/USDT")) == "BTC/USD"
    assert unified_symbol("AAPL") == "AAPL"
    assert channels_for(["BTC/USDT"], ["trades", "bars_1s"]) == ["XT.BTC-USD", "XAS.BTC-USD"]
    with pytest.raises(PermanentVenueError):
        channels_for(["BTC/USD"], ["depth"])


def test_numbers_are_exact_and_extra_precision_is_a_typed_error():
    parser = PolygonParser()
    (trade,) = parser.parse_message(b'[{"ev":"XT","pair":"BTC-USD","p":0.30000000,"s":1e-8,"t":1,"i":"1"}]', 0)
    assert (trade.price, trade.size) == (30_000_000, 1)
    with pytest.raises(PrecisionError):
        parser.parse_message(b'[{"ev":"XT","pair":"BTC-USD","p":0.30000000000000004,"s":1,"t":1}]', 0)
    with pytest.raises(MalformedFrame):
        parser.parse_message(b'[{"ev":"XT","pair":"BTC-USD","p":-1,"s":1,"t":1}]', 0)


def test_status_events_map_to_the_error_tree():
    parser = PolygonParser()
    frame = json.dumps([{"ev": "status", "status": s, "message": "m"} for s in
                        ("connected", "auth_success", "auth_failed", "max_connections", "success")])  # fmt: skip
    statuses = parser.parse_message(frame, 7)
    assert all(isinstance(s, PolygonStatus) for s in statuses)
    kinds = [type(status_error(s)) for s in statuses]
    assert kinds == [type(None), type(None), AuthenticationFailed, ConnectionLimit, type(None)]


def test_unsupported_events_are_skipped_and_counted():
    parser = PolygonParser()
    assert parser.parse_message(b'[{"ev":"XL2","pair":"BTC-USD"},{"ev":"LULD"}]', 0) == []
    assert parser.unsupported == 2


def test_rest_error_bodies_map_to_the_error_tree():
    errors = json.loads((PG / "errors.json").read_text())
    assert isinstance(rest_error(429, json.dumps(errors["429"])), RateLimited)
    assert isinstance(rest_error(401, json.dumps(errors["401"])), AuthenticationFailed)
    assert isinstance(rest_error(403, b'{"status":"NOT_AUTHORIZED","message":"You are not entitled"}'),
                      AuthenticationFailed)  # fmt: skip
    assert type(rest_error(404, json.dumps(errors["404"]))) is PermanentVenueError
    assert isinstance(rest_error(502, b"<html>bad gateway</html>"), VenueUnavailable)
    assert rest_error(429, b"{}", retry_after_s=3).retry_after_s == 3


def test_every_documented_fixture_parses():
    parser = PolygonParser()
    for name in ("ws_crypto.json", "ws_stocks.json"):
        events = parser.parse_message((PG / name).read_bytes(), 0)
        assert len(events) == len(json.loads((PG / name).read_text()))
    bars, next_url = parser.parse_aggregates((PG / "prev_AAPL.json").read_bytes(), "1d", 0)
    assert next_url is None and bars[0].vwap() == Decimal("158.6074") and bars[0].trades == 899965
    av = AlphaVantageParser()
    for function in FUNCTIONS:
        assert av.parse(function, (AV / f"{function}.json").read_bytes(), 0)
    legacy = av.digital_currency_daily((AV / "DIGITAL_CURRENCY_DAILY_legacy.json").read_bytes(), 0)
    assert legacy[-1].instrument_id == "BTCCNY.ALPHAVANTAGE" and legacy[-1].to_dict()["open"] == "370289.71440000"


def test_alpha_vantage_error_bodies_are_typed():
    errors = json.loads((AV / "errors.json").read_text())
    assert isinstance(error_in(json.dumps(errors["note"])), RateLimited)
    assert isinstance(error_in(json.dumps(errors["information"])), RateLimited)
    assert isinstance(error_in(json.dumps(errors["bad_key"])), AuthenticationFailed)
    assert type(error_in(json.dumps(errors["invalid_call"]))) is PermanentVenueError
    assert type(error_in(b'{"Information": "This is a premium endpoint."}')) is PermanentVenueError
    with pytest.raises(RateLimited):
        AlphaVantageParser().time_series_daily(json.dumps(errors["note"]), 0)


# -- fuzzing ---------------------------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=5),
    max_leaves=20,
)
_KEYS = ["ev", "pair", "sym", "p", "s", "t", "i", "c", "x", "bp", "bs", "ap", "as", "o", "h", "l", "v", "vw", "e",
         "status", "message", "q"]  # fmt: skip
polygon_events = st.dictionaries(
    st.sampled_from(_KEYS),
    st.sampled_from(["XT", "XQ", "XA", "XAS", "T", "Q", "A", "AM", "status", "BTC-USD"]) | json_values,
    max_size=12,
)


def _typed_only(fn, *args):
    try:
        fn(*args)
    except RaytradeError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.lists(polygon_events, max_size=4))
def test_polygon_messages_give_events_or_the_typed_error(events):
    _typed_only(PolygonParser().parse_message, json.dumps(events), 0)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_polygon_any_bytes_give_the_typed_error_at_worst(data):
    parser = PolygonParser()
    _typed_only(parser.parse_message, data, 0)
    _typed_only(parser.parse_aggregates, data, "1m", 0)
    _typed_only(parser.parse_snapshot, data, 0)
    _typed_only(rest_error, 500, data)


def _mutated(value, draw_value):
    if isinstance(value, dict):
        return {k: _mutated(v, draw_value) for k, v in value.items()}
    return draw_value if isinstance(value, str) and len(value) < 16 else value


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FUNCTIONS), json_values, st.booleans())
def test_alpha_vantage_bodies_give_bars_or_the_typed_error(function, junk, mutate):
    body = json.loads((AV / f"{function}.json").read_text())
    data = json.dumps(_mutated(body, junk) if mutate else junk).encode()
    _typed_only(AlphaVantageParser().parse, function, data, 0)
    _typed_only(error_in, data)
