"""The venue's true book answers depth requests as Binance would, at every replay time, on the real captures."""

from __future__ import annotations

import json
from itertools import islice

import pytest

from actors.instruments import Venue
from actors.replay.captures import read_recordings
from actors.replay.rebuild import BookRebuilder
from actors.replay.streams import stream_of
from actors.replay.truebook import TrueBook
from tests.conftest import COINM, SPOT, USDM


def records(paths, n):
    (recording,) = read_recordings(paths)
    return list(islice(recording.records(), n))


def feed(book: TrueBook, record) -> None:
    if record.kind == "rest":
        book.feed_rest(record)
    elif (stream := stream_of(record.data)) and "@depth" in stream:
        book.feed_depth(record, stream)


def expected_body(rebuilder: BookRebuilder, iid: str, limit: int) -> dict:
    sync = rebuilder.syncs[iid]
    bids, asks = sync.book.depth(limit)
    fmt = sync.book.format_price, sync.book.format_size
    return {"lastUpdateId": sync.last_sequence, "bids": [[fmt[0](p), fmt[1](s)] for p, s in bids],
            "asks": [[fmt[0](p), fmt[1](s)] for p, s in asks]}  # fmt: skip


@pytest.fixture(scope="module")
def spot_records():
    return records(SPOT[:1], 6000)


def test_no_answer_before_the_first_snapshot(spot_records):
    book = TrueBook(Venue.BINANCE, {"BTCUSDT"})
    for record in spot_records[:7]:  # the snapshot is record 7
        feed(book, record)
    assert not book.ready("BTCUSDT")
    assert book.answer("BTCUSDT", 1000) is None


def test_at_the_snapshot_time_the_recorded_body_is_served_byte_for_byte(spot_records):
    book = TrueBook(Venue.BINANCE, {"BTCUSDT"})
    for record in spot_records[:8]:
        feed(book, record)
    assert spot_records[7].kind == "rest"
    assert book.answer("BTCUSDT", 1000) == spot_records[7].data
    assert book.answer("BTCUSDT", 5000) == spot_records[7].data
    feed(book, spot_records[8])  # a bookTicker: still the snapshot's time
    assert book.answer("BTCUSDT", 1000) == spot_records[7].data
    fewer = json.loads(book.answer("BTCUSDT", 10))
    assert len(fewer["bids"]) == len(fewer["asks"]) == 10
    assert fewer["lastUpdateId"] == book.last_update_id("BTCUSDT")


@pytest.mark.parametrize("upto", [10, 40, 777, 2500, 5999])  # record 9 is the first depth frame after the snapshot
def test_later_answers_equal_the_rebuilt_book_at_that_record(spot_records, upto):
    book, truth = TrueBook(Venue.BINANCE, {"BTCUSDT"}), BookRebuilder(Venue.BINANCE)
    for record in spot_records[:upto]:
        feed(book, record)
        truth.feed(record)
    for limit in (5, 100, 1000):
        assert json.loads(book.answer("BTCUSDT", limit)) == expected_body(truth, "BTCUSDT.BINANCE", limit)


@pytest.mark.parametrize(("paths", "venue", "symbol"), [(USDM, Venue.BINANCE_USDM, "BTCUSDT"),
                                                        (COINM[:1], Venue.BINANCE_COINM, "BTCUSD_PERP")])  # fmt: skip
def test_futures_answers_carry_the_last_update_times(paths, venue, symbol):
    recs = records(paths, 3000)
    book = TrueBook(venue, {symbol})
    snapshot_at = next(i for i, r in enumerate(recs) if r.kind == "rest")
    for record in recs[: snapshot_at + 1]:
        feed(book, record)
    assert book.answer(symbol, 1000) == recs[snapshot_at].data
    last_depth = None
    for record in recs[snapshot_at + 1 :]:
        feed(book, record)
        if b"@depth" in record.data[:40]:
            last_depth = json.loads(record.data)["data"]
    body = json.loads(book.answer(symbol, 20))
    assert body["lastUpdateId"] == last_depth["u"] == book.last_update_id(symbol)
    assert (body["E"], body["T"]) == (last_depth["E"], last_depth["T"])
    assert list(body)[:3] == ["lastUpdateId", "E", "T"]
    if venue is Venue.BINANCE_COINM:
        assert (body["symbol"], body["pair"]) == ("BTCUSD_PERP", "BTCUSD")


def test_a_capture_without_snapshot_never_answers():
    book = TrueBook(Venue.BINANCE, {"BTCUSDT"})
    for record in records(SPOT[1:], 2000):  # the 0809 file continues the session: no snapshot
        feed(book, record)
    assert book.answer("BTCUSDT", 100) is None
