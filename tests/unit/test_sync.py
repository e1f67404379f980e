"""Sequencing on real recorded frames: Binance's documented procedures, gaps, resync, stale and crossed books."""

from __future__ import annotations

import pytest

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome, SyncState
from actors.feed.venues.binance import BinanceFuturesPolicy, BinanceSpotPolicy
from actors.messages import BookDeltas, BookSnapshot


def new_sync(events, rules) -> BookSync:
    first = next(e for _, e in events if isinstance(e, BookDeltas))
    return BookSync(OrderBook(first.instrument_id, first.price_decimals, first.size_decimals), rules)


def diffs(events):
    return [e for _, e in events if isinstance(e, BookDeltas)]


def snapshot_of(events):
    return next(e for kind, e in events if kind == "rest")


def play(sync: BookSync, events, skip=None) -> list[DiffOutcome]:
    outcomes = []
    for kind, event in events:
        if kind == "rest":
            sync.on_snapshot(event)
        elif isinstance(event, BookDeltas) and event is not skip:
            outcomes.append(sync.on_diff(event))
    return outcomes


def true_snapshot(sync: BookSync) -> BookSnapshot:
    """A REST-like snapshot of a correct book (what the venue would answer now)."""
    bids, asks = sync.book.depth(10**9)
    book = sync.book
    return BookSnapshot(book.instrument_id, sync.last_sequence, tuple(bids), tuple(asks),
                        book.price_decimals, book.size_decimals, 0, 0)


@pytest.mark.parametrize("fixture, rules", [("spot_events", BinanceSpotPolicy()),
                                             ("usdm_events", BinanceFuturesPolicy())])
def test_real_capture_syncs_without_gaps(request, fixture, rules):
    events = request.getfixturevalue(fixture)
    sync = new_sync(events, rules)
    play(sync, events)
    assert sync.ready and sync.gaps == 0 and sync.crossed == 0
    assert sync.diffs_applied > 100 and sync.snapshots == 1


def test_diffs_before_the_snapshot_are_buffered_and_stale_ones_dropped(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    first = diffs(spot_events)[0]
    assert sync.on_diff(first) is DiffOutcome.BUFFERED
    assert not sync.ready and sync.state is SyncState.WAITING_SNAPSHOT


@pytest.mark.parametrize("fixture, rules", [("spot_events", BinanceSpotPolicy()),
                                             ("usdm_events", BinanceFuturesPolicy())])
def test_gap_marks_book_not_ready_until_resync(request, fixture, rules):
    events = request.getfixturevalue(fixture)
    all_diffs = diffs(events)
    missing = all_diffs[len(all_diffs) // 2]
    cut = next(i for i, (_, e) in enumerate(events) if e is missing)
    reference, faulty = new_sync(events, rules), new_sync(events, rules)

    play(reference, events[:cut + 1])
    outcomes = play(faulty, events[:cut + 1], skip=missing)
    gap_at = next(i for i, (_, e) in enumerate(events[cut + 1:], cut + 1) if isinstance(e, BookDeltas))
    assert faulty.on_diff(events[gap_at][1]) is DiffOutcome.GAP
    assert outcomes.count(DiffOutcome.GAP) == 0
    assert not faulty.ready and faulty.gaps == 1 and faulty.book.bid_levels == 0  # never served partially
    reference.on_diff(events[gap_at][1])

    # More diffs arrive while resyncing; then a fresh snapshot of the true book is loaded.
    later = [e for _, e in events[gap_at + 1:gap_at + 40] if isinstance(e, BookDeltas)]
    for diff in later[:10]:
        assert faulty.on_diff(diff) is DiffOutcome.BUFFERED
        reference.on_diff(diff)
    assert faulty.on_snapshot(true_snapshot(reference)) is SyncState.READY
    for diff in later[10:]:
        assert faulty.on_diff(diff) is DiffOutcome.APPLIED
        reference.on_diff(diff)
    assert faulty.resyncs == 1
    assert faulty.book.depth(10**9) == reference.book.depth(10**9)


def test_duplicate_diff_is_dropped_as_stale_not_a_gap(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    play(sync, spot_events)
    last = diffs(spot_events)[-1]
    assert sync.on_diff(last) is DiffOutcome.STALE
    assert sync.ready and sync.gaps == 0


def test_capture_without_snapshot_is_never_ready(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    play(sync, [(k, e) for k, e in spot_events if k != "rest"])
    assert not sync.ready and sync.diffs_applied == 0 and sync.buffered > 0


def test_snapshot_older_than_the_stream_waits_for_a_newer_one(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    snap = snapshot_of(spot_events)
    later = [d for d in diffs(spot_events) if d.first_sequence > snap.sequence + 50][:5]
    for diff in later:
        sync.on_diff(diff)
    assert sync.on_snapshot(snap) is SyncState.WAITING_SNAPSHOT
    assert not sync.ready and sync.stale_snapshots == 1 and sync.buffered == 5


def test_crossed_book_after_a_diff_forces_resync(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    play(sync, spot_events)
    best_ask = sync.book.best_ask_price()
    crossing = BookDeltas(sync.book.instrument_id, sync.last_sequence + 1, sync.last_sequence + 1, -1,
                          ((best_ask + 100, 1),), (), 8, 8, 0, 0)
    assert sync.on_diff(crossing) is DiffOutcome.CROSSED
    assert not sync.ready and sync.crossed == 1 and sync.needs_snapshot


def test_stale_snapshot_on_a_ready_book_is_ignored(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    play(sync, spot_events)
    levels = sync.book.bid_levels
    assert sync.on_snapshot(snapshot_of(spot_events)) is SyncState.READY
    assert sync.stale_snapshots == 1 and sync.book.bid_levels == levels


def test_request_resync_clears_the_book(spot_events):
    sync = new_sync(spot_events, BinanceSpotPolicy())
    play(sync, spot_events)
    sync.request_resync()
    assert not sync.ready and sync.book.ask_levels == 0
