"""Coinbase Advanced Trade and the legacy Exchange feed: parsers on recorded frames, symbols, specs, fuzzing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.book.orderbook import OrderBook
from actors.errors import ConfigError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.coinbase import (
    CoinbaseParser,
    ccxt_symbol,
    product_from_ccxt,
    specs_from_products,
    subscribe_frames,
)
from actors.messages import BookDeltas, BookSnapshot, Quote, StreamSequence, Trade

# Recorded (cryptofeed/v3/COINBASE.jsonl and cryptofeed/v1/COINBASE.ws.28.0)
L2_UPDATE = (b'{"channel":"l2_data","timestamp":"2026-08-09T21:05:50.470488625Z","sequence_num":97,"events":[{"type":'
             b'"update","product_id":"ETH-USD","updates":[{"side":"bid","event_time":"2026-08-09T21:05:50.453897Z",'
             b'"price_level":"1679.53","new_quantity":"0"}]}]}')
TRADES = (b'{"channel":"market_trades","timestamp":"2026-08-09T21:05:56.178816336Z","sequence_num":325,"events":[{'
          b'"type":"update","trades":[{"product_id":"ETH-USD","trade_id":"833140788","price":"1919.48","size":'
          b'"0.058662","time":"2026-08-09T21:05:56.147332Z","side":"SELL"}]}]}')
TICKER = (b'{"channel":"ticker","timestamp":"2026-08-09T21:05:48.298032046Z","sequence_num":10,"events":[{"type":'
          b'"update","tickers":[{"type":"ticker","product_id":"ETH-USD","price":"1919.41","volume_24_h":"19975.959",'
          b'"low_24_h":"1911.04","high_24_h":"1925","low_52_w":"1505","high_52_w":"4955.9","price_percent_chg_24_h":'
          b'"0.025","best_bid":"1919.44","best_ask":"1919.49","best_bid_quantity":"0.02858092","best_ask_quantity":'
          b'"0.07814824"}]}]}')
HEARTBEAT = (b'{"channel":"heartbeats","timestamp":"2026-08-09T21:05:48.856364007Z","sequence_num":35,"events":[{'
             b'"current_time":"2026-08-09 21:05:48.854840045 +0000 UTC m=+41691.260485341","heartbeat_counter":41691}]}')
CANDLES = (b'{"channel":"candles","timestamp":"2026-08-09T21:05:51.491081826Z","sequence_num":138,"events":[{"type":'
           b'"update","candles":[{"start":"1786309500","high":"1919.6","low":"1919.27","open":"1919.58","close":'
           b'"1919.41","volume":"36.36630914","product_id":"ETH-USD"}]}]}')
LEGACY_UPDATE = (b'{"type":"l2update","product_id":"SKL-BTC","changes":[["sell","0.00001306","660.5"]],'
                 b'"time":"2021-04-17T16:43:37.075687Z"}')
LEGACY_MATCH = (b'{"type":"match","trade_id":280232,"maker_order_id":"2a0da34e","taker_order_id":"3c82abaa","side":'
                b'"sell","size":"985","price":"0.00001305","product_id":"SKL-BTC","sequence":177100030,'
                b'"time":"2021-04-17T16:43:37.089723Z"}')
LEGACY_TICKER = (b'{"type":"ticker","sequence":333938798,"product_id":"BAND-GBP","price":"14.7775","best_bid":"14.7550",'
                 b'"best_ask":"14.8060","side":"buy","time":"2021-04-17T16:43:30.244075Z","trade_id":881613,'
                 b'"last_size":"0.04"}')


def test_every_advanced_trade_frame_starts_with_its_connection_sequence():
    p = CoinbaseParser()
    for frame, seq in ((L2_UPDATE, 97), (TRADES, 325), (TICKER, 10), (HEARTBEAT, 35), (CANDLES, 138)):
        events = p.parse_frame(frame, ts_recv=1)
        assert isinstance(events[0], StreamSequence) and events[0].sequence == seq
    assert len(p.parse_frame(HEARTBEAT, 1)) == 1 and len(p.parse_frame(CANDLES, 1)) == 1  # counted, not translated


def test_l2_update_is_an_absolute_delta_at_the_frames_sequence():
    _, d = CoinbaseParser().parse_frame(L2_UPDATE, ts_recv=1)
    assert isinstance(d, BookDeltas)
    assert d.instrument_id == "ETH-USD.COINBASE"
    assert (d.first_sequence, d.sequence) == (97, 97)
    assert d.bids == ((16_795_300_000_000, 0),) and d.asks == ()
    assert d.ts_event == 1786309550_453897000  # 2026-08-09T21:05:50.453897Z


def test_trade_side_is_the_makers_so_the_aggressor_is_the_other():
    _, t = CoinbaseParser().parse_frame(TRADES, 1)
    assert isinstance(t, Trade)
    assert (t.trade_id, t.aggressor_side) == ("833140788", "buy")
    assert t.ts_event == 1786309556_147332000


def test_ticker_is_a_quote_off_the_book_scale():
    _, q = CoinbaseParser().parse_frame(TICKER, 1)
    assert isinstance(q, Quote) and q.sequence == -1
    assert (q.bid_price, q.bid_size, q.ask_price) == (19_194_400_000_000, 285_809_200, 19_194_900_000_000)


def test_snapshot_trades_are_not_emitted():
    frame = (b'{"channel":"market_trades","timestamp":"2026-08-09T21:05:48.228568804Z","sequence_num":0,"events":[{'
             b'"type":"snapshot","trades":[{"product_id":"BTC-USD","trade_id":"1","price":"1","size":"1","time":'
             b'"2026-08-09T21:05:42.514318Z","side":"SELL"}]}]}')
    assert [type(e) for e in CoinbaseParser().parse_frame(frame, 1)] == [StreamSequence]


def test_legacy_frames_carry_no_connection_sequence():
    p = CoinbaseParser()
    (d,) = p.parse_frame(LEGACY_UPDATE, 1)
    assert isinstance(d, BookDeltas) and d.asks == ((130_600, 6_605_000_000_000),) and d.sequence == 1  # its receive time
    (t,) = p.parse_frame(LEGACY_MATCH, 1)
    assert (t.trade_id, t.aggressor_side) == ("280232", "buy")  # match side is the maker's
    (q,) = p.parse_frame(LEGACY_TICKER, 1)
    assert isinstance(q, Quote) and (q.bid_size, q.ask_size) == (0, 0)  # the legacy ticker sends no sizes
    assert p.parse_frame(b'{"type":"heartbeat","sequence":1,"last_trade_id":2,"product_id":"BTC-USD","time":'
                         b'"2021-04-17T16:43:37.075687Z"}', 1) == ()
    with pytest.raises(UnsupportedFrame):
        p.parse_frame(b'{"type":"received","product_id":"BTC-USD"}', 1)
    with pytest.raises(VenueError):
        p.parse_frame(b'{"type":"error","message":"Failed to subscribe","reason":"ZZZ-USD is not a valid product"}', 1)


@pytest.mark.parametrize("frame", [
    b'{"channel":"l2_data","timestamp":"x","sequence_num":-1,"events":[]}',
    b'{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":'
    b'"up","event_time":"2026-08-09T21:05:50Z","price_level":"1","new_quantity":"0"}]}]}',
    b'{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":'
    b'"bid","event_time":"2026-08-09T21:05:50+02:00","price_level":"1","new_quantity":"0"}]}]}',
    b'{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTCUSD","updates":[]}]}',
    b'{"channel":"market_trades","sequence_num":1,"events":[{"type":"update","trades":[{"product_id":"BTC-USD",'
    b'"trade_id":"1","price":1.5,"size":"1","time":"2026-08-09T21:05:42Z","side":"SELL"}]}]}',
    b'{"channel":"nope","sequence_num":1,"events":[]}',
    b'[1,2]',
])  # fmt: skip
def test_malformed_frames_raise_the_typed_error(frame):
    with pytest.raises(MalformedFrame):
        CoinbaseParser().parse_frame(frame, 0)


def test_symbols_convert_both_ways():
    assert ccxt_symbol("BTC-USD") == "BTC/USD" and product_from_ccxt("ETH/USDC") == "ETH-USDC"
    with pytest.raises(ConfigError):
        product_from_ccxt("BTC/USD:USD")
    with pytest.raises(ConfigError):
        ccxt_symbol("BTCUSD")


def test_one_subscribe_frame_per_channel():
    frames = [json.loads(f) for f in subscribe_frames(["BTC-USD"])]
    assert [f["channel"] for f in frames] == ["level2", "market_trades", "ticker", "heartbeats"]
    assert all(f["type"] == "subscribe" and f["product_ids"] == ["BTC-USD"] for f in frames)


def _v3(shared_data):
    records = [json.loads(line) for line in (shared_data / "cryptofeed" / "v3" / "COINBASE.jsonl").open()]
    return next(r["data"] for r in records if r["t"] == "http"), [
        (r["data"].encode(), int(r["ts"] * 1e9)) for r in records if r["t"] == "recv"]


def test_recorded_products_give_exact_specs(shared_data):
    body, _ = _v3(shared_data)
    btc = next(s for s in specs_from_products(body) if s.symbol == "BTC-USD")
    assert (btc.price_decimals, btc.size_decimals, str(btc.tick_size)) == (2, 8, "0.01")
    legacy = (shared_data / "cryptofeed" / "v1" / "COINBASE.0").open().readline().split(": ", 1)[1]
    assert any(s.symbol == "SKL-BTC" and s.price_decimals == 8 for s in specs_from_products(legacy))


def test_recorded_advanced_trade_capture_is_contiguous_and_never_crossed(shared_data):
    body, frames = _v3(shared_data)
    parser = CoinbaseParser(specs_from_products(body))
    books: dict[str, OrderBook] = {}
    sequences, trades, crossed = [], 0, 0
    for frame, ts in frames:
        for e in parser.parse_frame(frame, ts):
            if isinstance(e, StreamSequence):
                sequences.append(e.sequence)
            elif isinstance(e, BookSnapshot):
                books[e.instrument_id] = OrderBook(e.instrument_id, e.price_decimals, e.size_decimals)
                books[e.instrument_id].on_snapshot(e)
            elif isinstance(e, BookDeltas):
                books[e.instrument_id].on_deltas(e)
                crossed += books[e.instrument_id].is_crossed()
            elif isinstance(e, Trade):
                trades += 1
    assert sequences == list(range(1030))  # data README: sequence_num 0..1029, no gaps
    assert sorted(books) == ["BTC-USD.COINBASE", "ETH-USD.COINBASE"] and crossed == 0
    assert trades == 79  # the 200 snapshot trades predate the subscription


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_typed_errors(data):
    try:
        CoinbaseParser().parse_frame(data, 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass


_KEYS = ["channel", "sequence_num", "events", "type", "product_id", "updates", "side", "price_level",
         "new_quantity", "event_time", "trades", "tickers", "changes", "bids", "asks", "time", "price", "size"]


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-2, 2**40) | st.sampled_from(
    ["l2_data", "market_trades", "ticker", "snapshot", "update", "l2update", "match", "bid", "offer", "buy",
     "BTC-USD", "1.5", "0", "2026-08-09T21:05:50.453897Z"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=6),
    max_leaves=30))  # fmt: skip
def test_structured_garbage_raises_only_typed_errors(value):
    try:
        CoinbaseParser().parse_frame(json.dumps(value).encode(), 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass
