"""The feed's pure core on real recorded frames: sequencing, per-instrument resync, batches for remote books."""

from __future__ import annotations

from actors.book.keeper import BookKeeper
from actors.feed.pipeline import FeedPipeline
from actors.instruments import spec_for
from actors.messages import BookDeltas, BookReset, BookSnapshot
from actors.replay.captures import read_recordings
from actors.replay.rebuild import BookRebuilder
from tests.conftest import SPOT, USDM

SPOT_ID = "BTCUSDT.BINANCE"


def records(paths, limit):
    (recording,) = read_recordings(paths)
    out = []
    for i, rec in enumerate(recording.records()):
        if i >= limit:
            break
        out.append(rec)
    return out


def feed_through(pipeline, keeper, recs, parser_symbol="BTCUSDT", skip=()):
    """Drive a pipeline like the feed actor does; REST records play the role of the snapshot answer."""
    for i, rec in enumerate(recs):
        if i in skip:
            continue
        if rec.kind == "ws":
            pipeline.on_frame(rec.data, rec.ts_recv)
        elif rec.kind == "rest":
            pipeline.on_snapshot(pipeline.parser.parse_snapshot(rec.data, parser_symbol, rec.ts_recv))
        for events in pipeline.drain().values():
            keeper.apply(events, rec.ts_recv)


def test_forwarded_stream_rebuilds_exactly_the_ground_truth_book():
    recs = records(SPOT, 20_000)
    pipeline = FeedPipeline("binance", [spec_for("binance", "BTCUSDT")])
    keeper = BookKeeper([spec_for("binance", "BTCUSDT")])
    feed_through(pipeline, keeper, recs)
    truth = BookRebuilder("binance").feed_all(recs).syncs[SPOT_ID]
    ib = keeper.books[SPOT_ID]
    assert ib.ready and ib.sequence == truth.last_sequence
    assert ib.book.depth(10**6) == truth.book.depth(10**6)
    assert pipeline.stats()[SPOT_ID]["diffs_applied"] == truth.diffs_applied == ib.diffs_applied


def test_gap_resets_the_remote_book_and_asks_for_a_snapshot():
    recs = records(USDM, 6_000)
    specs = [spec_for("binance_usdm", "BTCUSDT")]
    pipeline, keeper = FeedPipeline("binance_usdm", specs), BookKeeper(specs)
    depth_idx = [i for i, r in enumerate(recs) if b"depthUpdate" in r.data]
    feed_through(pipeline, keeper, recs, skip={depth_idx[len(depth_idx) // 2]})
    iid = "BTCUSDT.BINANCE_USDM"
    assert pipeline.stats()[iid]["gaps"] == 1
    assert not keeper.books[iid].ready and keeper.books[iid].book.bid_levels == 0
    assert keeper.books[iid].resets == 1
    assert pipeline.snapshots_due() == [iid]
    assert pipeline.snapshots_due() == []  # already in flight


def test_only_the_gapped_instrument_resyncs():
    specs = [spec_for("binance", "BTCUSDT"), spec_for("binance", "ETHUSDT")]
    pipeline = FeedPipeline("binance", specs, route={"ETHUSDT.BINANCE": "other"})
    eth = BookSnapshot("ETHUSDT.BINANCE", 10, ((300_000_000_000, 1),), ((300_100_000_000, 1),), 8, 8, 0, 0)
    pipeline.on_snapshot(eth)
    pipeline.on_frame(b'{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":11,'
                      b'"u":12,"b":[],"a":[]}}', 1)
    pipeline.on_frame(b'{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":13,'
                      b'"u":14,"b":[],"a":[]}}', 2)
    feed_through(pipeline, BookKeeper(specs), records(SPOT, 3000))
    pipeline.on_frame(b'{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":99,'
                      b'"u":100,"b":[],"a":[]}}', 3)
    stats = pipeline.stats()
    assert stats["ETHUSDT.BINANCE"]["gaps"] == 1 and not stats["ETHUSDT.BINANCE"]["ready"]
    assert stats[SPOT_ID]["ready"] and stats[SPOT_ID]["gaps"] == 0
    batches = pipeline.drain()
    assert [type(e) for e in batches["other"]][-1] is BookReset


def test_reconnect_resets_every_book_and_malformed_frames_are_counted():
    specs = [spec_for("binance", "BTCUSDT")]
    pipeline, keeper = FeedPipeline("binance", specs), BookKeeper(specs)
    feed_through(pipeline, keeper, records(SPOT, 3000))
    pipeline.on_frame(b'{"stream":"btcusdt@depth@100ms","data":{"e":"depth', 5)
    pipeline.on_frame(b'{"stream":"btcusdt@kline_1m","data":{}}', 5)
    pipeline.on_reconnect(6)
    (events,) = pipeline.drain().values()
    assert isinstance(events[-1], BookReset) and events[-1].reason == "reconnect"
    assert (pipeline.malformed, pipeline.unsupported) == (1, 1)
    keeper.apply(events, 7)
    assert not keeper.books[SPOT_ID].ready


def test_keeper_reports_crossed_books_for_resync():
    spec = spec_for("binance", "BTCUSDT")
    keeper = BookKeeper([spec])
    snap = BookSnapshot(SPOT_ID, 1, ((100, 1),), ((200, 1),), 8, 8, 0, 0)
    crossing = BookDeltas(SPOT_ID, 2, 2, -1, ((250, 1),), (), 8, 8, 0, 0)
    changed, crossed = keeper.apply([snap, crossing], 0)
    assert crossed == [SPOT_ID] and not keeper.books[SPOT_ID].ready and keeper.books[SPOT_ID].crossed == 1
