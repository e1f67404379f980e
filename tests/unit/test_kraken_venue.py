"""Kraken WS v1: parser on recorded frames, the CRC32 checksum exactly as Kraken documents it, symbols, fuzzing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.book.orderbook import OrderBook
from actors.errors import ConfigError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.kraken import (
    KrakenParser,
    ccxt_symbol,
    instrument_symbol,
    pack_checksum,
    specs_from_asset_pairs,
    subscribe_frames,
    unpack_checksum,
    wsname,
    wsname_from_ccxt,
)
from actors.feed.venues.kraken_book import kraken_checksum, kraken_checksum_string
from actors.messages import BookDeltas, BookSnapshot, Quote, Trade

# Recorded (cryptofeed/v3/KRAKEN.jsonl, ws.50 / ws.48 / ws.49)
UPDATE_ONE = b'[1920,{"a":[["0.043210","0.00000000","1618678137.640504"]],"c":"2745838"},"book-1000","SC/EUR"]'
UPDATE_TWO = (b'[1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},{"b":[["0.042990","0.00000000",'
              b'"1618678145.920708"]],"c":"4105471083"},"book-1000","SC/EUR"]')
TRADE = b'[993,[["354.11000000","0.89594024","1618678142.557535","s","l",""]],"trade","XMR/USD"]'
TICKER = (b'[1668,{"a":["13.253900",35,"35.72892241"],"b":["13.232900",185,"185.18432037"],"c":["13.253900",'
          b'"3.71672000"],"v":["26560.85364463","72035.05488104"],"p":["13.529003","13.734728"],"t":[640,1353],'
          b'"l":["13.021800","13.021800"],"h":["13.942000","14.211200"],"o":["13.804000","13.428300"]},"ticker",'
          b'"WAVES/EUR"]')
SNAPSHOT = (b'[1920,{"as":[["0.043140","3348.53731567","1618678132.869433"],["0.043130","11802.77325050",'
            b'"1618678133.136361"]],"bs":[["0.042870","2332.63400000","1618678133.370507"],["0.042880","1.00000000",'
            b'"1618678130.000001"]]},"book-1000","SC/EUR"]')


def test_snapshot_is_sorted_best_first_with_the_newest_level_time():
    (snap,) = KrakenParser().parse_frame(SNAPSHOT, ts_recv=5)
    assert isinstance(snap, BookSnapshot)
    assert snap.instrument_id == "SCEUR.KRAKEN"
    assert [p for p, _ in snap.asks] == [431_300_000, 431_400_000]  # 10 decimals by default
    assert [p for p, _ in snap.bids] == [428_800_000, 428_700_000]
    assert snap.ts_event == 1618678133_370507000
    assert snap.checksum is None  # Kraken sends none on snapshots


def test_update_with_ask_and_bid_objects_carries_both_sides_and_the_packed_checksum():
    (d,) = KrakenParser().parse_frame(UPDATE_TWO, ts_recv=1)
    assert isinstance(d, BookDeltas)
    assert d.asks == ((429_900_000, 3_646_302_827_208_100),)
    assert d.bids == ((429_900_000, 0),)
    assert unpack_checksum(d.checksum) == (4105471083, 6, 8)  # CRC and the message's wire decimals
    assert d.ts_event == 1618678145_920708000


def test_republish_flag_is_applied_like_an_update():
    frame = b'[1,{"b":[["5541.30000","0.50000000","1534614248.456738","r"]],"c":"1"},"book-10","XBT/USD"]'
    (d,) = KrakenParser().parse_frame(frame, 0)
    assert d.bids == ((55_413_000_000_000, 5_000_000_000),)


def test_trade_side_and_synthesised_id():
    (t,) = KrakenParser().parse_frame(TRADE, 0)
    assert isinstance(t, Trade)
    assert (t.instrument_id, t.aggressor_side, t.trade_id) == ("XMRUSD.KRAKEN", "sell", "1618678142.557535-0")
    assert t.ts_event == 1618678142_557535000


def test_ticker_becomes_a_quote_off_the_book_sequence():
    (q,) = KrakenParser().parse_frame(TICKER, 0)
    assert isinstance(q, Quote)
    assert q.sequence == -1  # never compared with book updates (Kraken v1 has no sequence)
    assert (q.bid_price, q.ask_price) == (132_329_000_000, 132_539_000_000)
    assert q.ask_size == 357_289_224_100


def test_events_are_empty_and_a_refused_subscription_is_a_venue_error():
    p = KrakenParser()
    assert p.parse_frame(b'{"event":"heartbeat"}', 0) == ()
    with pytest.raises(VenueError):
        p.parse_frame(b'{"event":"subscriptionStatus","status":"error","errorMessage":"Currency pair not supported"}', 0)
    with pytest.raises(UnsupportedFrame):
        p.parse_frame(b'[1,["5698.4","5700.0","1542057299.545897","1.01234567","0.98765432"],"spread","XBT/USD"]', 0)


@pytest.mark.parametrize("frame", [
    b'[1920,{"a":[["0.043210","0.0","1618678137.640504"]],"c":"27x"},"book-1000","SC/EUR"]',  # bad checksum
    b'[1920,{"a":[["0.043210","0.00000000","1618678137.640504"],["0.0432","1.00000000","1.0"]]},"book-10","SC/EUR"]',
    b'[1920,{"z":[]},"book-10","SC/EUR"]',
    b'[1920,{"a":[["0.04321","1","x"]]},"book-10","SC/EUR"]',
    b'[1920,{"a":[[0.04321,"1","1.0"]]},"book-10","SC/EUR"]',
    b'[993,[["354.11","0.8","1.0","x","l",""]],"trade","XMR/USD"]',
    b'[1,{"a":[]},"book-10","XBTUSD"]',
    b"not json",
])  # fmt: skip
def test_malformed_frames_raise_the_typed_error(frame):
    with pytest.raises(MalformedFrame):
        KrakenParser().parse_frame(frame, 0)


def test_checksum_string_follows_the_documented_formatting():
    # Kraken "Book Checksum" v1: remove the "." and the leading zeros of price and volume, asks then bids.
    asks = [(5005, 500)]  # "0.05005", "0.00000500" at 5 and 8 decimals
    bids = [(4765, 500)]
    assert kraken_checksum_string(bids, asks, 5, 8) == "50055004765500"
    # The same levels held at wider decimals hash the same once told the wire decimals.
    assert kraken_checksum_string([(47650, 5000)], [(50050, 5000)], 6, 9, 5, 8) == "50055004765500"


def test_checksum_reads_only_the_top_ten_levels_per_side():
    asks = [(100 + i, 1) for i in range(12)]
    bids = [(99 - i, 1) for i in range(12)]
    assert kraken_checksum(bids, asks, 0, 0) == kraken_checksum(bids[:10], asks[:10], 0, 0)
    assert kraken_checksum(bids, asks, 0, 0) != kraken_checksum(bids[:9], asks[:10], 0, 0)


def test_pack_and_unpack_are_inverse():
    assert unpack_checksum(pack_checksum(0xFFFFFFFF, 9, 8)) == (0xFFFFFFFF, 9, 8)
    assert unpack_checksum(12345) == (12345, None, None)


def test_truncate_keeps_the_best_levels():
    book = OrderBook("X.KRAKEN", 0, 0)
    book.apply_snapshot([(10, 1), (9, 1), (8, 1)], [(11, 1), (12, 1), (13, 1)])
    assert book.truncate(2) == 2
    assert book.depth(5) == ([(10, 1), (9, 1)], [(11, 1), (12, 1)])
    book.apply_deltas([(8, 5)], [])  # a re-inserted worse level is kept until truncated again
    assert book.bid_levels == 3 and book.truncate(2) == 1 and book.size_at("bid", 8) == 0


def test_symbols_convert_both_ways():
    assert instrument_symbol("XBT/USD") == "XBTUSD"
    assert ccxt_symbol("XBT/USD") == "BTC/USD" and ccxt_symbol("XDG/EUR") == "DOGE/EUR"
    assert wsname_from_ccxt("BTC/USD") == "XBT/USD" and wsname_from_ccxt("ETH/CHF") == "ETH/CHF"
    with pytest.raises(ConfigError):
        wsname_from_ccxt("BTC/USD:USD")
    with pytest.raises(ConfigError):
        ccxt_symbol("XBTUSD")


def test_subscribe_frames_name_the_depth():
    book, trade = subscribe_frames(["XBT/USD"], depth=100, channels=("book", "trade"))
    assert json.loads(book) == {"event": "subscribe", "pair": ["XBT/USD"], "subscription": {"name": "book", "depth": 100}}
    assert json.loads(trade)["subscription"] == {"name": "trade"}
    with pytest.raises(ConfigError):
        subscribe_frames(["XBT/USD"], depth=7)


def _kraken_capture(shared_data):
    records = [json.loads(line) for line in (shared_data / "cryptofeed" / "v3" / "KRAKEN.jsonl").open()]
    pairs = next(r for r in records if r["t"] == "http")
    frames = [(r["data"].encode(), int(r["ts"] * 1e9)) for r in records if r["t"] == "recv"]
    return pairs["data"], frames


@pytest.mark.parametrize("with_specs", [True, False])
def test_every_recorded_checksum_matches_the_rebuilt_book(shared_data, with_specs):
    pairs_body, frames = _kraken_capture(shared_data)
    parser = KrakenParser(specs_from_asset_pairs(pairs_body) if with_specs else ())
    books: dict[str, OrderBook] = {}
    checked = matched = 0
    for frame, ts in frames:
        for event in parser.parse_frame(frame, ts):
            if isinstance(event, BookSnapshot):
                books[event.instrument_id] = OrderBook(event.instrument_id, event.price_decimals, event.size_decimals)
                books[event.instrument_id].on_snapshot(event)
            elif isinstance(event, BookDeltas):
                book = books[event.instrument_id]
                book.on_deltas(event)
                book.truncate(parser.depths[event.instrument_id])
                crc, wp, ws = unpack_checksum(event.checksum)
                checked += 1
                matched += kraken_checksum(*book.depth(10), book.price_decimals, book.size_decimals, wp, ws) == crc
    assert len(books) == 10
    assert checked == 4269 and matched == checked


def test_asset_pairs_specs_carry_wire_names_and_first_tier_fees(shared_data):
    pairs_body, _ = _kraken_capture(shared_data)
    specs = {wsname(s): s for s in specs_from_asset_pairs(pairs_body)}
    xmr = specs["XMR/USD"]
    assert (xmr.base, xmr.quote, xmr.price_decimals, xmr.size_decimals) == ("XMR", "USD", 2, 8)
    assert (xmr.symbol, xmr.instrument_id) == ("XMRUSD", "XMRUSD.KRAKEN")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_typed_errors(data):
    try:
        KrakenParser().parse_frame(data, 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(
                        ["a", "b", "as", "bs", "c", "event", "status"]), inner, max_size=4), max_leaves=25),
       st.sampled_from(["book-10", "trade", "ticker", "spread"]))  # fmt: skip
def test_structured_garbage_raises_only_typed_errors(payload, channel):
    frame = json.dumps([1, payload, channel, "XBT/USD"]).encode()
    try:
        KrakenParser().parse_frame(frame, 0)
    except (MalformedFrame, UnsupportedFrame, VenueError):
        pass
