"""Gemini v2, Bitstamp v2 and Backpack parsers on their documentation's example messages (no recordings exist
here), symbols both ways, strictness, fuzzing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.errors import ConfigError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues import backpack, bitstamp, gemini
from actors.feed.venues.backpack import BackpackParser
from actors.feed.venues.bitstamp import BitstampParser
from actors.feed.venues.gemini import GeminiParser
from actors.messages import BookDeltas, BookSnapshot, Quote, Trade

GEMINI_INITIAL = (b'{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07",'
                  b'"0.98942292"],["buy","9122.01","1"]],"trades":[{"type":"trade","symbol":"BTCUSD","event_id":169841458,'
                  b'"timestamp":1560976400428,"price":"9122.04","quantity":"0.0073173","side":"sell","tid":2840140800042677}],'
                  b'"auction_events":[]}')
GEMINI_UPDATE = b'{"type":"l2_updates","symbol":"BTCUSD","changes":[["sell","9122.07","0"]]}'
GEMINI_TRADE = (b'{"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":151231241,"price":"9004.21000000",'
                b'"quantity":"0.09110000","side":"buy"}')
BITSTAMP_DIFF = (b'{"data":{"timestamp":"1605019478","microtimestamp":"1605019478446829","bids":[["15339.44",'
                 b'"0.00000000"]],"asks":[["15342.63","0.60000000"]]},"channel":"diff_order_book_btcusd","event":"data"}')
BITSTAMP_TRADE = (b'{"data":{"id":127023460,"timestamp":"1605019489","amount":0.02,"amount_str":"0.02000000","price":'
                  b'15339.21,"price_str":"15339.21","type":1,"microtimestamp":"1605019489123000","buy_order_id":1,'
                  b'"sell_order_id":2},"channel":"live_trades_btcusd","event":"trade"}')
BITSTAMP_BOOK = (b'{"timestamp":"1605019478","microtimestamp":"1605019478000000","bids":[["15339.44","0.5"],'
                 b'["15339.50","1.0"]],"asks":[["15342.63","0.6"]]}')
BACKPACK_DEPTH = (b'{"stream":"depth.SOL_USDC","data":{"e":"depth","E":1694687965941000,"s":"SOL_USDC","a":[["18.70",'
                  b'"0.000"]],"b":[["18.67","0.832"],["18.68","0.000"]],"U":94978271,"u":94978271,"T":1694687965940999}}')
BACKPACK_TRADE = (b'{"stream":"trade.SOL_USDC","data":{"e":"trade","E":1694688638091000,"s":"SOL_USDC","p":"18.68",'
                  b'"q":"0.122","b":"111063070525358080","a":"111063070525358081","t":12345,"T":1694688638089000,'
                  b'"m":true}}')
BACKPACK_TICKER = (b'{"stream":"bookTicker.SOL_USDC","data":{"e":"bookTicker","E":1694687692980000,"s":"SOL_USDC",'
                   b'"a":"18.70","A":"1.000","b":"18.67","B":"2.000","u":"111063070525358080","T":1694687692979999}}')
BACKPACK_REST = (b'{"asks":[["180.52","8.10"],["180.51","12.34"]],"bids":[["180.48","5.55"],["180.50","15.20"]],'
                 b'"lastUpdateId":"1234567890","timestamp":1735689600000}')


# -- Gemini ---------------------------------------------------------------------------------------------------
def test_gemini_initial_l2_updates_is_the_full_book():
    (snap,) = GeminiParser().parse_frame(GEMINI_INITIAL, 3)
    assert isinstance(snap, BookSnapshot) and snap.instrument_id == "BTCUSD.GEMINI"
    assert [p for p, _ in snap.bids] == [91_220_400_000_000, 91_220_100_000_000]  # best first
    assert snap.asks == ((91_220_700_000_000, 9_894_229_200),)


def test_gemini_later_updates_are_absolute_deltas_and_trades_have_taker_side():
    p = GeminiParser()
    (d,) = p.parse_frame(GEMINI_UPDATE, 3)
    assert isinstance(d, BookDeltas) and d.asks == ((91_220_700_000_000, 0),) and d.sequence == 3  # ts_recv
    (t,) = p.parse_frame(GEMINI_TRADE, 3)
    assert isinstance(t, Trade) and (t.trade_id, t.aggressor_side, t.ts_event) == ("3575573053", "buy", 151231241 * 10**6)
    assert p.parse_frame(b'{"type":"heartbeat","timestamp":1}', 3) == ()
    with pytest.raises(UnsupportedFrame):
        p.parse_frame(b'{"type":"candles_1m_updates","symbol":"BTCUSD","changes":[]}', 3)


def test_gemini_symbols_convert_both_ways():
    assert gemini.ccxt_symbol("BTCUSD") == "BTC/USD" and gemini.ccxt_symbol("ETHGUSD") == "ETH/GUSD"
    assert gemini.symbol_from_ccxt("ETH/BTC") == "ETHBTC"
    with pytest.raises(ConfigError):
        gemini.symbol_from_ccxt("BTC/USD:USD")
    assert json.loads(gemini.subscribe_frame(["btcusd"])) == {
        "type": "subscribe", "subscriptions": [{"name": "l2", "symbols": ["BTCUSD"]}]}


# -- Bitstamp -------------------------------------------------------------------------------------------------
def test_bitstamp_diff_carries_its_microtimestamp_as_sequence():
    (d,) = BitstampParser().parse_frame(BITSTAMP_DIFF, 1)
    assert isinstance(d, BookDeltas) and d.instrument_id == "BTCUSD.BITSTAMP"
    assert (d.first_sequence, d.sequence, d.ts_event) == (1605019478446829, 1605019478446829, 1605019478446829000)
    assert d.bids == ((1_533_944_000_000, 0),) and d.asks == ((1_534_263_000_000, 60_000_000),)


def test_bitstamp_trade_uses_the_exact_strings_and_type_for_the_taker():
    (t,) = BitstampParser().parse_frame(BITSTAMP_TRADE, 1)
    assert (t.trade_id, t.aggressor_side, t.price, t.size) == ("127023460", "sell", 1_533_921_000_000, 2_000_000)


def test_bitstamp_rest_order_book_is_the_snapshot_at_its_microtimestamp():
    snap = BitstampParser().parse_snapshot(BITSTAMP_BOOK, "btcusd", 9)
    assert snap.sequence == 1605019478000000 and snap.bids[0][0] == 1_533_950_000_000
    with pytest.raises(VenueError):
        BitstampParser().parse_snapshot(b'{"status":"error","reason":"Invalid pair"}', "zzz", 9)


def test_bitstamp_replies_and_reconnect_requests():
    p = BitstampParser()
    assert p.parse_frame(b'{"event":"bts:subscription_succeeded","channel":"diff_order_book_btcusd","data":{}}', 1) == ()
    with pytest.raises(VenueError):
        p.parse_frame(b'{"event":"bts:request_reconnect","channel":"","data":""}', 1)
    with pytest.raises(UnsupportedFrame):
        p.parse_frame(b'{"event":"data","channel":"order_book_btcusd","data":{}}', 1)


def test_bitstamp_symbols_convert_both_ways():
    assert bitstamp.ccxt_symbol("btcusd") == "BTC/USD" and bitstamp.pair_from_ccxt("ETH/EUR") == "etheur"
    assert bitstamp.order_book_path("BTCUSD") == "/api/v2/order_book/btcusd/"
    assert [json.loads(f)["data"]["channel"] for f in bitstamp.subscribe_frames(["btcusd"])] == [
        "diff_order_book_btcusd", "live_trades_btcusd"]


# -- Backpack -------------------------------------------------------------------------------------------------
def test_backpack_depth_update_has_first_and_last_update_ids():
    (d,) = BackpackParser().parse_frame(BACKPACK_DEPTH, 1)
    assert isinstance(d, BookDeltas) and d.instrument_id == "SOL_USDC.BACKPACK"
    assert (d.first_sequence, d.sequence, d.ts_event) == (94978271, 94978271, 1694687965940999000)
    assert d.bids == ((186_700_000_000, 8_320_000_000), (186_800_000_000, 0))


def test_backpack_trade_and_book_ticker():
    p = BackpackParser()
    (t,) = p.parse_frame(BACKPACK_TRADE, 1)
    assert (t.trade_id, t.aggressor_side) == ("12345", "sell")  # m: buyer is the maker
    (q,) = p.parse_frame(BACKPACK_TICKER, 1)
    assert isinstance(q, Quote) and q.sequence == 111063070525358080 and q.ask_size == 10_000_000_000


def test_backpack_rest_depth_string_update_id_and_sorted_sides():
    snap = BackpackParser().parse_snapshot(BACKPACK_REST, "SOL_USDC", 1)
    assert snap.sequence == 1234567890 and snap.ts_event == 1735689600000 * 10**6
    assert [p for p, _ in snap.bids] == [1_805_000_000_000, 1_804_800_000_000]
    assert [p for p, _ in snap.asks] == [1_805_100_000_000, 1_805_200_000_000]


@pytest.mark.parametrize("frame", [
    BACKPACK_DEPTH.replace(b'"U":94978271', b'"U":"94978271"'),  # mistyped
    BACKPACK_DEPTH.replace(b',"T":1694687965940999', b""),  # missing field
    BACKPACK_DEPTH.replace(b'"s":"SOL_USDC"', b'"s":"BTC_USDC"'),  # not the stream's symbol
    BACKPACK_DEPTH.replace(b'"18.70"', b'"1e1"'),  # not a plain decimal
    BACKPACK_DEPTH.replace(b'"U":94978271', b'"U":94978272'),  # U > u
])  # fmt: skip
def test_backpack_parser_is_strict(frame):
    with pytest.raises(MalformedFrame):
        BackpackParser().parse_frame(frame, 1)


def test_backpack_unknown_streams_and_errors():
    p = BackpackParser()
    with pytest.raises(UnsupportedFrame):
        p.parse_frame(b'{"stream":"kline.1m.SOL_USDC","data":{}}', 1)
    with pytest.raises(VenueError):
        p.parse_frame(b'{"id":1,"error":{"code":4005,"message":"Invalid stream"}}', 1)


def test_backpack_symbols_convert_both_ways():
    assert backpack.ccxt_symbol("SOL_USDC") == "SOL/USDC" and backpack.ccxt_symbol("SOL_USDC_PERP") == "SOL/USDC:USDC"
    assert backpack.symbol_from_ccxt("SOL/USDC:USDC") == "SOL_USDC_PERP" and backpack.symbol_from_ccxt("BTC/USDC") == "BTC_USDC"
    with pytest.raises(ConfigError):
        backpack.symbol_from_ccxt("BTC/USD:BTC")
    assert backpack.default_spec("SOL_USDC_PERP").kind == "perpetual"
    assert json.loads(backpack.subscribe_frame(["SOL_USDC"]))["params"] == [
        "depth.SOL_USDC", "trade.SOL_USDC", "bookTicker.SOL_USDC"]


# -- fuzzing --------------------------------------------------------------------------------------------------
PARSERS = [GeminiParser, BitstampParser, BackpackParser]


@pytest.mark.parametrize("make", PARSERS)
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_typed_errors(make, data):
    try:
        make().parse_frame(data, 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass


_KEYS = ["type", "symbol", "changes", "trades", "auction_events", "event_id", "timestamp", "price", "quantity",
         "side", "event", "channel", "data", "bids", "asks", "microtimestamp", "id", "amount_str", "price_str",
         "stream", "e", "E", "s", "a", "b", "U", "u", "T", "p", "q", "t", "m", "A", "B"]
_ATOMS = st.none() | st.booleans() | st.integers(-2, 2**53) | st.sampled_from(
    ["l2_updates", "trade", "buy", "sell", "BTCUSD", "1.5", "0", "data", "diff_order_book_btcusd",
     "live_trades_btcusd", "depth.SOL_USDC", "depth", "SOL_USDC", "1605019478446829"])


@pytest.mark.parametrize("make", PARSERS)
@settings(max_examples=200, deadline=None)
@given(value=st.recursive(_ATOMS, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=8), max_leaves=30))  # fmt: skip
def test_structured_garbage_raises_only_typed_errors(make, value):
    try:
        make().parse_frame(json.dumps(value).encode(), 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass


@pytest.mark.parametrize("make", [BitstampParser, BackpackParser])
@settings(max_examples=200, deadline=None)
@given(value=st.recursive(_ATOMS, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.sampled_from(_KEYS + ["lastUpdateId", "status", "code", "message"]),
                                            inner, max_size=8), max_leaves=30))  # fmt: skip
def test_rest_garbage_raises_only_typed_errors(make, value):
    try:
        make().parse_snapshot(json.dumps(value).encode(), "BTCUSD", 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass
