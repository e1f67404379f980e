"""Bybit v5: parser on recorded frames, the u+1 policy, u == 1 resets, symbol conversion, the recorded capture
(6 books, 0 gaps), the public history format, and a fuzz that only the typed errors come out."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome
from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues import adapter_for
from actors.feed.venues.bybit import LINEAR, SPOT, BybitParser
from actors.instruments import Venue
from actors.messages import BookDeltas, BookSnapshot, Quote, Trade

# Recorded (cryptofeed/v3/BYBIT.jsonl): the linear delta of the data README, a spot trade, a linear ticker delta.
DELTA = (b'{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1786310846428,"data":{"s":"BTCUSDT","b":[],'
         b'"a":[["65135.00","0.577"]],"u":15077219,"seq":753844622662},"cts":1786310846427}')  # fmt: skip
TRADE = (b'{"topic":"publicTrade.ETHUSDT","ts":1786310821917,"type":"snapshot","data":[{"i":"2280000001739247417",'
         b'"T":1786310821917,"p":"1923.28","v":"0.04537","S":"Sell","seq":178477362706,"s":"ETHUSDT","BT":false,'
         b'"RPI":false}]}')  # fmt: skip
TICKER = (b'{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"65114.20","bid1Size":'
          b'"6.054","ask1Price":"65114.30","ask1Size":"10.486"},"cs":753843907770,"ts":1786310817883}')  # fmt: skip
ACK = b'{"success":true,"ret_msg":"subscribe","conn_id":"d9avt8shteepr00gfc1g-4zd1x","op":"subscribe"}'
KLINE_SPOT = b'{"type":"snapshot","topic":"kline.1.ETHUSDT","data":[],"ts":1786310820000}'


def snapshot_frame(u: int, bids, asks, symbol="BTCUSDT") -> bytes:
    return json.dumps({"topic": f"orderbook.50.{symbol}", "type": "snapshot", "ts": 1, "data": {
        "s": symbol, "b": bids, "a": asks, "u": u, "seq": 9}}).encode()  # fmt: skip


def delta_frame(u: int, bids=(), asks=(), symbol="BTCUSDT") -> bytes:
    return json.dumps({"topic": f"orderbook.50.{symbol}", "type": "delta", "ts": 2, "data": {
        "s": symbol, "b": list(bids), "a": list(asks), "u": u, "seq": 10}}).encode()  # fmt: skip


def test_delta_trade_and_ticker_parse_to_exact_domain_events():
    (d,) = BybitParser("bybit_linear").parse_frame(DELTA, ts_recv=7)
    assert isinstance(d, BookDeltas) and d.instrument_id == "BTCUSDT.BYBIT_LINEAR"
    assert (d.first_sequence, d.sequence, d.prev_sequence) == (15077219, 15077219, -1)
    assert d.asks == ((65135 * 10**10, 577 * 10**7),) and d.bids == () and d.ts_event == 1786310846428 * 10**6
    (t,) = BybitParser("bybit").parse_frame(TRADE, 0)
    assert isinstance(t, Trade) and t.instrument_id == "ETHUSDT.BYBIT" and t.aggressor_side == "sell"
    assert t.trade_id == "2280000001739247417" and t.price == 192328 * 10**8
    (q,) = BybitParser("bybit_linear").parse_frame(TICKER, 0)
    assert isinstance(q, Quote) and q.bid_size == 6054 * 10**7 and q.ask_price == 6511430 * 10**8


def test_control_replies_and_partial_tickers_parse_to_nothing_and_errors_are_typed():
    parser = BybitParser("bybit")
    assert parser.parse_frame(ACK, 0) == ()
    assert parser.parse_frame(b'{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}', 0) == ()
    partial = b'{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","ask1Price":"1"},"cs":1,"ts":1}'
    assert parser.parse_frame(partial, 0) == ()
    with pytest.raises(UnsupportedFrame):
        parser.parse_frame(KLINE_SPOT, 0)  # "type" before "topic", as spot writes it
    with pytest.raises(VenueError):
        parser.parse_frame(b'{"success":false,"ret_msg":"error:handler not found","op":"subscribe"}', 0)
    with pytest.raises(MalformedFrame):
        parser.parse_frame(DELTA[:60], 0)
    with pytest.raises(MalformedFrame):
        parser.parse_frame(DELTA.replace(b'"0.577"', b'"x"'), 0)


def test_u_plus_one_continuity_a_missing_message_is_a_gap_and_a_new_snapshot_recovers():
    parser = BybitParser("bybit")
    (snap,) = parser.parse_frame(snapshot_frame(100, [["10.0", "1"]], [["11.0", "1"]]), 0)
    sync = BookSync(OrderBook(snap.instrument_id, snap.price_decimals, snap.size_decimals), SPOT.policy())
    assert sync.on_diff(parser.parse_frame(delta_frame(99, [["9.0", "1"]]), 0)[0]) is DiffOutcome.BUFFERED
    sync.on_snapshot(snap)
    assert sync.ready and sync.diffs_dropped_stale == 1  # the buffered delta is older than the snapshot
    assert sync.on_diff(parser.parse_frame(delta_frame(101, [["10.5", "2"]]), 0)[0]) is DiffOutcome.APPLIED
    assert sync.on_diff(parser.parse_frame(delta_frame(101, [["10.5", "2"]]), 0)[0]) is DiffOutcome.STALE
    assert sync.on_diff(parser.parse_frame(delta_frame(103), 0)[0]) is DiffOutcome.GAP
    assert (sync.last_gap.expected, sync.last_gap.got) == (102, 103) and not sync.ready
    (again,) = parser.parse_frame(snapshot_frame(110, [["10.0", "1"]], [["11.0", "1"]]), 0)
    sync.on_snapshot(again)
    assert sync.ready and sync.on_diff(parser.parse_frame(delta_frame(111), 0)[0]) is DiffOutcome.APPLIED
    assert sync.resyncs == 1


def test_u_equal_one_replaces_the_book():
    parser = BybitParser("bybit_linear")
    (snap,) = parser.parse_frame(snapshot_frame(500, [["10.0", "1"]], [["11.0", "1"]]), 0)
    sync = BookSync(OrderBook(snap.instrument_id, snap.price_decimals, snap.size_decimals), LINEAR.policy())
    sync.on_snapshot(snap)
    (restart,) = parser.parse_frame(delta_frame(1, [["20.0", "3"]], [["21.0", "4"]]), 0)
    assert sync.on_diff(restart) is DiffOutcome.RESET
    book = sync.book
    assert sync.ready and book.bid_levels == book.ask_levels == 1 and book.best_bid()[0] == 20 * 10**10
    assert sync.on_diff(parser.parse_frame(delta_frame(2, [["19.0", "1"]]), 0)[0]) is DiffOutcome.APPLIED


def test_rest_orderbook_body_parses_and_errors_are_typed():
    body = (b'{"retCode":0,"retMsg":"OK","result":{"s":"BTCUSDT","a":[["65135.00","0.577"]],"b":[["65134.90",'
            b'"1.2"]],"ts":1716863719031,"u":230704,"seq":1432604333,"cts":1716863718905},"time":1716863719382}')  # fmt: skip
    s = BybitParser("bybit_linear").parse_snapshot(body, "BTCUSDT", 5)
    assert isinstance(s, BookSnapshot) and s.sequence == 230704 and s.bids == ((651349 * 10**9, 12 * 10**9),)
    assert BybitParser("bybit_linear").parse_snapshot(json.loads(body), "BTCUSDT", 5) == s
    with pytest.raises(VenueError):
        BybitParser("bybit").parse_snapshot(b'{"retCode":10001,"retMsg":"params error"}', "X", 0)
    with pytest.raises(MalformedFrame):
        BybitParser("bybit").parse_snapshot(b'{"retCode":0,"retMsg":"OK","result":{"s":1}}', "X", 0)


def test_symbol_conversion_both_ways():
    spot, linear = adapter_for("bybit"), adapter_for("bybit_linear")
    s, p = spot.spec_for("btcusdt"), linear.spec_for("ETHUSDT")
    assert (s.instrument_id, spot.ccxt_symbol(s)) == ("BTCUSDT.BYBIT", "BTC/USDT")
    assert (p.instrument_id, linear.ccxt_symbol(p)) == ("ETHUSDT.BYBIT_LINEAR", "ETH/USDT:USDT")
    assert spot.symbol_from_ccxt("BTC/USDT") == "BTCUSDT" and linear.symbol_from_ccxt("ETH/USDT:USDT") == "ETHUSDT"
    with pytest.raises(ConfigError):
        spot.symbol_from_ccxt("BTC/USDT:USDT")
    market = {"id": "BTCUSDT", "symbol": "BTC/USDT:USDT", "base": "BTC", "quote": "USDT", "settle": "USDT",
              "type": "swap", "linear": True, "precision": {"price": 0.1, "amount": 0.001},
              "info": {"priceFilter": {"tickSize": "0.10"}, "lotSizeFilter": {"qtyStep": "0.001"}}}  # fmt: skip
    spec = linear.spec_from_market(market)
    assert (spec.price_decimals, spec.size_decimals, str(spec.tick_size)) == (1, 3, "0.10")
    with pytest.raises(ConfigError):
        spot.spec_from_market(market)


def test_connection_plan_subscribes_pings_and_resubscribes():
    (plan,) = SPOT.connections(["BTCUSDT", "ETHUSDT"], ws_base="ws://127.0.0.1:9")
    assert plan.url == "ws://127.0.0.1:9/v5/public/spot" and plan.ping_frame == '{"op":"ping"}'
    topics = [t for f in plan.subscribe for t in json.loads(f)["args"]]
    assert topics[:3] == ["orderbook.200.BTCUSDT", "publicTrade.BTCUSDT", "tickers.BTCUSDT"]
    assert all(len(json.loads(f)["args"]) <= 10 for f in plan.subscribe)
    unsub, sub = SPOT.resubscribe_frames("BTCUSDT")
    assert json.loads(unsub) == {"op": "unsubscribe", "args": ["orderbook.200.BTCUSDT"]}
    assert json.loads(sub)["op"] == "subscribe"


def test_recorded_capture_rebuilds_six_books_without_gaps(shared_data):
    from cluster.verify import verify_paths

    results, _ = verify_paths([shared_data / "cryptofeed" / "v3" / "BYBIT.jsonl"])
    by_id = {r["instrument_id"]: r for r in results}
    expected = {"BTCUSDT.BYBIT_LINEAR": 413, "ETHUSDT.BYBIT_LINEAR": 420, "SOLUSDT.BYBIT_LINEAR": 382,
                "DOGEUSDT.BYBIT_LINEAR": 379, "BTCUSDT.BYBIT": 299, "ETHUSDT.BYBIT": 249}  # the data README
    assert {i: by_id[i]["diffs_applied"] for i in expected} == expected
    for r in by_id.values():
        assert r["ready"] and r["gaps"] == r["crossed"] == 0 and r["snapshots"] == 1
        assert r["best_bid"] < r["best_ask"] and "checksum_checks" in r


def test_public_history_format_rebuilds_and_a_dropped_line_is_a_gap(tmp_path):
    from actors.replay.captures import read_recordings
    from actors.replay.rebuild import BookRebuilder

    lines = [snapshot_frame(1000, [["10.0", "1"], ["9.5", "2"]], [["11.0", "1"]]).replace(b"orderbook.50", b"orderbook.500")]
    lines += [delta_frame(1000 + i, [["10.0", str(i)]]).replace(b"orderbook.50", b"orderbook.500") for i in range(1, 6)]
    folder = tmp_path / "linear" / "BTCUSDT"
    folder.mkdir(parents=True)
    path = folder / "2024-08-08_BTCUSDT_ob500.data"
    path.write_bytes(b"\n".join(lines) + b"\n")
    (recording,) = read_recordings([path])
    assert recording.venue is Venue.BYBIT_LINEAR and recording.source == "bybit_history"
    (r,) = BookRebuilder(recording.venue).feed_all(recording.records()).results()
    assert (r["diffs_applied"], r["gaps"], r["ready"], r["best_bid"]) == (5, 0, True, "10.0000000000")
    path.write_bytes(b"\n".join(lines[:3] + lines[4:]) + b"\n")
    (r,) = BookRebuilder(recording.venue).feed_all(read_recordings([path])[0].records()).results()
    assert r["gaps"] == 1 and not r["ready"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=300),
    st.sampled_from([DELTA, TRADE, TICKER, ACK, KLINE_SPOT]).flatmap(
        lambda f: st.tuples(st.just(f), st.integers(0, len(f)), st.binary(max_size=8))
    ).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]):]),
))  # fmt: skip
def test_fuzzed_frames_raise_only_typed_errors(frame):
    for venue in ("bybit", "bybit_linear"):
        try:
            events = BybitParser(venue).parse_frame(frame, 0)
        except (FeedError, VenueError):
            continue
        assert isinstance(events, tuple)
