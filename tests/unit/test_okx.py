"""OKX v5: parser on recorded frames, the CRC32 checksum (every recorded one matches; one flipped level is caught
and resynced), seqId/prevSeqId continuity, symbol conversion, and a fuzz that only the typed errors come out."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome, SyncState
from actors.errors import FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues import adapter_for
from actors.feed.venues.okx import OKX, OkxParser, okx_checksum
from actors.instruments import spec_for
from actors.messages import BookDeltas, BookSnapshot, Quote, Trade

# Recorded (cryptofeed/v3/OKX.jsonl): the data README's update, a trade.
UPDATE = (b'{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["30247.5","0.00406",'
          b'"0","3"],["30263.4","0","0","0"],["30617.7","1.95965079","0","1"],["30620.7","0","0","0"],["30651",'
          b'"0.00007125","0","1"]],"bids":[["30247.4","0.34078301","0","3"]],"ts":"1652459228568",'
          b'"checksum":308193036}]}')  # fmt: skip
TRADE = (b'{"arg":{"channel":"trades","instId":"BTC-USD-220527"},"data":[{"instId":"BTC-USD-220527","tradeId":'
         b'"7849","px":"30218.8","sz":"1","side":"buy","ts":"1652459199958"}]}')  # fmt: skip
SUB = b'{"event":"subscribe","arg":{"channel":"tickers","instId":"BTC-USD-220527"}}'


def book_frame(action, bids, asks, checksum=None, seq=None, prev=None, inst="BTC-USDT") -> bytes:
    data = {"asks": [[p, s, "0", "1"] for p, s in asks], "bids": [[p, s, "0", "1"] for p, s in bids], "ts": "1"}
    if checksum is not None:
        data["checksum"] = checksum
    if seq is not None:
        data["seqId"], data["prevSeqId"] = seq, prev
    return json.dumps({"arg": {"channel": "books", "instId": inst}, "action": action, "data": [data]}).encode()


def okx_crc(bids, asks) -> int:
    """The checksum computed straight from OKX's own strings (the doc's construction)."""
    import zlib

    parts = []
    for i in range(25):
        if i < len(bids):
            parts += bids[i]
        if i < len(asks):
            parts += asks[i]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - 2**32 if crc >= 2**31 else crc


def test_update_trade_and_ticker_parse_to_exact_domain_events():
    (d,) = OkxParser().parse_frame(UPDATE, ts_recv=3)
    assert isinstance(d, BookDeltas) and d.instrument_id == "BTC-USDT.OKX" and d.checksum == 308193036
    assert d.asks[1] == (302634 * 10**11, 0) and d.asks[4][0] == 30651 * 10**12 and d.sequence == -1
    (t,) = OkxParser().parse_frame(TRADE, 0)
    assert isinstance(t, Trade) and t.aggressor_side == "buy" and t.size == 10**12 and t.trade_id == "7849"
    ticker = (b'{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","bidPx":"30210.4",'
              b'"bidSz":"4","askPx":"30220.1","askSz":"3","ts":"1652459223003"}]}')  # fmt: skip
    (q,) = OkxParser().parse_frame(ticker, 0)
    assert isinstance(q, Quote) and q.bid_price == 302104 * 10**11 and q.ask_size == 3 * 10**12


def test_events_pong_and_errors():
    parser = OkxParser()
    assert parser.parse_frame(SUB, 0) == () and parser.parse_frame(b"pong", 0) == ()
    with pytest.raises(VenueError):
        parser.parse_frame(b'{"event":"error","code":"60012","msg":"Invalid request"}', 0)
    with pytest.raises(UnsupportedFrame):
        parser.parse_frame(b'{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[]}', 0)
    with pytest.raises(MalformedFrame):
        parser.parse_frame(UPDATE.replace(b'"update"', b'"upsert"'), 0)


def test_checksum_is_the_crc32_of_okx_strings_without_trailing_zeros():
    bids = [["30247.4", "0.34078301"], ["30247", "1.5"]]
    asks = [["30247.5", "0.00406"], ["30651", "0.00007125"], ["30700.1", "2"]]
    (snap,) = OkxParser().parse_frame(book_frame("snapshot", bids, asks), 0)
    assert okx_checksum(snap.bids, snap.asks, snap.price_decimals, snap.size_decimals) == okx_crc(bids, asks)


def test_a_flipped_level_is_caught_by_the_checksum_and_the_book_resyncs():
    parser = OkxParser()
    bids, asks = [["100.1", "1"], ["100", "2"]], [["100.2", "3"], ["100.5", "4"]]
    (snap,) = parser.parse_frame(book_frame("snapshot", bids, asks, okx_crc(bids, asks)), 0)
    sync = BookSync(OrderBook(snap.instrument_id, snap.price_decimals, snap.size_decimals), OKX.policy())
    sync.on_snapshot(snap)
    good_bids = [["100.1", "5"], ["100", "2"]]
    ok = parser.parse_frame(book_frame("update", [["100.1", "5"]], [], okx_crc(good_bids, asks)), 0)[0]
    assert sync.on_diff(ok) is DiffOutcome.APPLIED and sync.checksum_checks == 2
    flipped = parser.parse_frame(book_frame("update", [["100.1", "6"]], [], okx_crc(good_bids, asks)), 0)[0]
    assert sync.on_diff(flipped) is DiffOutcome.CHECKSUM
    assert sync.state is SyncState.RESYNCING and sync.book.bid_levels == 0 and sync.checksum_mismatches == 1
    sync.on_snapshot(parser.parse_frame(book_frame("snapshot", bids, asks, okx_crc(bids, asks)), 0)[0])
    assert sync.ready and sync.book.best_bid()[1] == 10**12


def test_recorded_capture_every_checksum_matches_and_a_flipped_level_is_resynced(shared_data):
    """Flip one level's size in one recorded update: its checksum (and OKX's) no longer matches the book: the
    feed pipeline clears the book (``BookReset`` reason ``checksum``), asks to resubscribe, and the next stream
    snapshot (what a resubscribe returns) makes it ready again."""
    from actors.feed.pipeline import FeedPipeline
    from actors.messages import BookReset
    from actors.replay.captures import read_recordings

    (recording,) = read_recordings([shared_data / "cryptofeed" / "v3" / "OKX.jsonl"])
    frames = [r.data for r in recording.records() if r.kind == "ws"]
    spec = spec_for("okx", "BTC-USDT")
    clean = FeedPipeline("okx", [spec])
    for f in frames:
        clean.on_frame(f, 0)
    stats = clean.stats()[spec.instrument_id]
    assert stats["ready"] and stats["checksum_checks"] == 98 and stats["checksum_mismatches"] == 0

    updates = [i for i, f in enumerate(frames) if b'"instId":"BTC-USDT"},"action":"update"' in f]
    target = updates[40]
    value = json.loads(frames[target])
    level = (value["data"][0]["bids"] or value["data"][0]["asks"])[0]
    level[1] = "7.77"  # one level flipped
    broken = frames[:target] + [json.dumps(value, separators=(",", ":")).encode()] + frames[target + 1:]
    snapshot = next(f for f in frames if b'"instId":"BTC-USDT"},"action":"snapshot"' in f)
    pipeline = FeedPipeline("okx", [spec])
    resets = []
    for i, f in enumerate(broken):
        pipeline.on_frame(f, i)
        for events in pipeline.drain().values():
            resets += [e for e in events if isinstance(e, BookReset)]
        if i == target:
            assert pipeline.resubscribes_due() == [spec.instrument_id]
    assert [r.reason for r in resets] == ["checksum"]
    sync = pipeline.syncs[spec.instrument_id]
    assert sync.checksum_mismatches == 1 and not sync.ready
    assert sync.buffered > 0  # later updates wait for the snapshot the resubscribe brings
    pipeline.on_frame(snapshot, 0)  # what the venue sends after the resubscribe (here: the recorded one)
    assert sync.ready and sync.buffered == 0


def test_seq_id_continuity_keepalive_reset_duplicate_and_gap():
    parser = OkxParser()
    bids, asks = [["10", "1"]], [["11", "1"]]
    (snap,) = parser.parse_frame(book_frame("snapshot", bids, asks, seq=100, prev=-1), 0)
    sync = BookSync(OrderBook(snap.instrument_id, snap.price_decimals, snap.size_decimals), OKX.policy())
    sync.on_snapshot(snap)

    def upd(seq, prev):
        return parser.parse_frame(book_frame("update", [], [], seq=seq, prev=prev), 0)[0]

    assert sync.on_diff(upd(105, 100)) is DiffOutcome.APPLIED
    assert sync.on_diff(upd(105, 105)) is DiffOutcome.APPLIED  # keep-alive: seqId == prevSeqId == last
    assert sync.on_diff(upd(3, 105)) is DiffOutcome.APPLIED  # maintenance reset: seqId < prevSeqId
    assert sync.on_diff(upd(3, 105)) is DiffOutcome.STALE  # a duplicate of it
    assert sync.on_diff(upd(9, 7)) is DiffOutcome.GAP
    assert (sync.last_gap.expected, sync.last_gap.got) == (3, 7)


def test_rest_books_body_and_symbol_conversion():
    body = b'{"code":"0","msg":"","data":[{"asks":[["41006.8","0.6","0","1"]],"bids":[["41006.3","0.3","0","2"]],"ts":"1629966436396"}]}'
    s = OkxParser().parse_snapshot(body, "BTC-USDT", 1)
    assert isinstance(s, BookSnapshot) and s.asks == ((410068 * 10**11, 6 * 10**11),) and s.sequence == -1
    with pytest.raises(VenueError):
        OkxParser().parse_snapshot(b'{"code":"51001","msg":"Instrument ID does not exist","data":[]}', "X", 0)
    okx = adapter_for("okx")
    cases = {"BTC-USDT": "BTC/USDT", "BTC-USDT-SWAP": "BTC/USDT:USDT", "BTC-USD-SWAP": "BTC/USD:BTC",
             "BTC-USD-220527": "BTC/USD:BTC-220527"}  # fmt: skip
    for inst_id, unified in cases.items():
        spec = okx.spec_for(inst_id)
        assert spec.instrument_id == f"{inst_id}.OKX" and okx.ccxt_symbol(spec) == unified
        assert okx.symbol_from_ccxt(unified) == inst_id
    market = {"id": "BTC-USDT-SWAP", "precision": {"price": 0.1, "amount": 1.0},
              "info": {"instId": "BTC-USDT-SWAP", "tickSz": "0.1", "lotSz": "1", "ctVal": "0.01"}}  # fmt: skip
    spec = okx.spec_from_market(market)
    assert (spec.price_decimals, spec.size_decimals, str(spec.contract_size), spec.inverse) == (1, 0, "0.01", False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=300),
    st.sampled_from([UPDATE, TRADE, SUB, b"pong"]).flatmap(
        lambda f: st.tuples(st.just(f), st.integers(0, len(f)), st.binary(max_size=8))
    ).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]):]),
))  # fmt: skip
def test_fuzzed_frames_raise_only_typed_errors(frame):
    try:
        events = OkxParser().parse_frame(frame, 0)
    except (FeedError, VenueError):
        return
    assert isinstance(events, tuple)
