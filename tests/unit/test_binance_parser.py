"""Binance parsers on real recorded frames, malformed input and arbitrary bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.errors import MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.binance import BinanceParser, combined_stream_path, default_streams, subscribe_frame
from actors.messages import BookDeltas, MarkPrice, Quote, Trade

SPOT_DIFF = (b'{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT",'
             b'"U":50093239203,"u":50093239207,"b":[["55653.87000000","0.00000000"]],"a":[["61838.04000000",'
             b'"0.32332000"],["61844.30000000","0.40163000"],["61862.50000000","0.05019000"],["61862.51000000",'
             b'"0.00000000"]]}}')
SPOT_TRADE = (b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,'
              b'"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}')
SPOT_TICKER = (b'{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000",'
               b'"B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}')
COINM_DIFF = ('{"stream":"btcusd_perp@depth@0ms","data":{"e":"depthUpdate","E":1723161257440,"T":1723161257432,'
              '"s":"BTCUSD_PERP","ps":"BTCUSD","U":1007198631260,"u":1007198631565,"pu":1007198631198,'
              '"b":[["61773.6","1001"]],"a":[]}}')
USDM_SNAPSHOT = (b'{"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,'
                 b'"bids":[["61800.20","2.909"]],"asks":[["61800.30","1.000"]]}')
MARK = (b'{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT",'
        b'"p":"11794.15","i":"11784.62","P":"11784.25","r":"0.00038167","T":1562306400000}}')


def test_spot_depth_update_becomes_exact_deltas():
    d = BinanceParser("binance").parse_event(SPOT_DIFF, ts_recv=7)
    assert isinstance(d, BookDeltas)
    assert d.instrument_id == "BTCUSDT.BINANCE"
    assert (d.first_sequence, d.sequence, d.prev_sequence) == (50093239203, 50093239207, -1)
    assert d.bids == ((5_565_387_000_000, 0),)
    assert d.asks[0] == (6_183_804_000_000, 32_332_000)
    assert (d.ts_event, d.ts_recv) == (1723161255308 * 10**6, 7)


def test_futures_depth_update_carries_pu_and_contract_sizes():
    d = BinanceParser("binance_coinm").parse_event(COINM_DIFF, ts_recv=0)
    assert d.instrument_id == "BTCUSD_PERP.BINANCE_COINM"
    assert d.prev_sequence == 1007198631198
    assert d.bids == ((617_736, 1001),) and d.asks == ()


def test_trade_aggressor_side_from_buyer_is_maker():
    t = BinanceParser("binance").parse_event(SPOT_TRADE, ts_recv=0)
    assert isinstance(t, Trade)
    assert (t.trade_id, t.price, t.size, t.aggressor_side) == ("3735683259", 6_183_763_000_000, 2_000_000, "sell")
    assert t.ts_event == 1723161255342 * 10**6


def test_spot_book_ticker_without_event_time_has_ts_event_zero():
    q = BinanceParser("binance").parse_event(SPOT_TICKER, ts_recv=42)
    assert isinstance(q, Quote)
    assert (q.sequence, q.bid_price, q.ask_size, q.ts_event, q.ts_recv) == (
        50093239212, 6_183_763_000_000, 154_698_000, 0, 42)


def test_mark_price_update():
    m = BinanceParser("binance_usdm").parse_event(MARK, ts_recv=0)
    assert isinstance(m, MarkPrice)
    assert (m.mark_price, m.index_price, m.funding_rate) == (1_179_415, 1_178_462, "0.00038167")


def test_raw_stream_payload_and_str_frames_parse_like_combined_ones():
    parser = BinanceParser("binance")
    raw = SPOT_DIFF.decode().split('"data":', 1)[1][:-1]
    assert parser.parse_event(raw, 7) == parser.parse_event(SPOT_DIFF, 7)


def test_subscription_reply_parses_to_none_and_error_reply_raises():
    parser = BinanceParser("binance")
    assert parser.parse_event(b'{"result":null,"id":1}', 0) is None
    with pytest.raises(VenueError):
        parser.parse_event(b'{"error":{"code":2,"msg":"Invalid request"},"id":1}', 0)


def test_futures_snapshot_and_spot_error_body():
    s = BinanceParser("binance_usdm").parse_depth_snapshot(USDM_SNAPSHOT, "btcusdt", ts_recv=1)
    assert (s.instrument_id, s.sequence, s.bids, s.ts_event) == (
        "BTCUSDT.BINANCE_USDM", 5123107852948, ((6_180_020, 2909),), 1723161256501 * 10**6)
    with pytest.raises(VenueError):
        BinanceParser("binance").parse_depth_snapshot(b'{"code":-1121,"msg":"Invalid symbol."}', "X", 0)


@pytest.mark.parametrize("frame", [
    SPOT_DIFF[: len(SPOT_DIFF) // 2],                      # truncated
    SPOT_DIFF.replace(b'"U":50093239203,', b""),           # missing field
    SPOT_DIFF.replace(b'"55653.87000000"', b'55653.87'),   # number instead of string
    SPOT_DIFF.replace(b'"61838.04000000"', b'"61838.04x"'),  # bad decimal
    b"[1,2,3]", b"", b"\xff\xfe",
])
def test_malformed_frames_raise_the_typed_error(frame):
    with pytest.raises(MalformedFrame):
        BinanceParser("binance").parse_event(frame, 0)


def test_unknown_stream_is_unsupported_not_malformed():
    with pytest.raises(UnsupportedFrame):
        BinanceParser("binance").parse_event(b'{"stream":"btcusdt@kline_1m","data":{"e":"kline"}}', 0)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_typed_errors(data):
    parser = BinanceParser("binance_usdm")
    for blob in (data, b'{"stream":"btcusdt@depth@0ms","data":' + data + b"}"):
        try:
            parser.parse_event(blob, 0)
        except (MalformedFrame, UnsupportedFrame, VenueError):
            pass
        try:
            parser.parse_depth_snapshot(blob, "BTCUSDT", 0)
        except (MalformedFrame, VenueError):
            pass


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SPOT_DIFF)), st.integers(0, 255))
def test_corrupted_real_frames_raise_only_typed_errors(pos, byte):
    frame = SPOT_DIFF[:pos] + bytes([byte]) + SPOT_DIFF[pos + 1:]
    try:
        BinanceParser("binance").parse_event(frame, 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass


def test_stream_names_and_subscribe_frame():
    streams = default_streams("binance", "BTCUSDT")
    assert streams == ["btcusdt@depth@100ms", "btcusdt@trade", "btcusdt@bookTicker"]
    assert combined_stream_path(streams) == "/stream?streams=btcusdt@depth@100ms/btcusdt@trade/btcusdt@bookTicker"
    assert subscribe_frame(["btcusdt@trade"], 3) == '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":3}'


def test_snapshot_from_an_already_decoded_body_as_ccxt_returns_it():
    import json

    parser = BinanceParser("binance_usdm")
    body = json.loads(USDM_SNAPSHOT)
    assert parser.parse_depth_snapshot(body, "BTCUSDT", 1) == parser.parse_depth_snapshot(USDM_SNAPSHOT, "BTCUSDT", 1)
    with pytest.raises(MalformedFrame):
        parser.parse_depth_snapshot({"lastUpdateId": "x"}, "BTCUSDT", 1)
    with pytest.raises(VenueError):
        parser.parse_depth_snapshot({"code": -1121, "msg": "Invalid symbol."}, "BTCUSDT", 1)


def test_parse_frame_is_the_seam_form_a_tuple_of_events_empty_for_replies():
    parser = BinanceParser("binance")
    assert parser.parse_frame(SPOT_DIFF, 7) == (parser.parse_event(SPOT_DIFF, 7),)
    assert parser.parse_frame(b'{"result":null,"id":1}', 0) == ()
