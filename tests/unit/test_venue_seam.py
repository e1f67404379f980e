"""The venue seam: BookSync driven by a policy object (stream snapshots, resets, checksums), the registry, the
pipeline's per-connection sequence. The policies here are small test policies shaped like Bybit/OKX rules."""

from __future__ import annotations

import pytest

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome, SyncState
from actors.errors import ConfigError
from actors.feed.venues import ADAPTERS, adapter_for, policy_for
from actors.feed.venues.base import SequencePolicy, Verdict
from actors.feed.venues.binance import BinanceFuturesPolicy, BinanceSpotPolicy
from actors.messages import BookDeltas, BookSnapshot

IID = "X.OKX"


class PlusOnePolicy:
    """``u`` + 1 per message, stream snapshots, ``u == 1`` resets, checksum = best bid price + best ask price."""

    name = "test"
    snapshot_source = "stream"
    has_checksum = True

    def first_diff(self, diff, snapshot_sequence):
        if diff.sequence <= snapshot_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.sequence == snapshot_sequence + 1 else Verdict.GAP

    def next_diff(self, diff, last_sequence):
        if diff.sequence <= last_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.sequence == last_sequence + 1 else Verdict.GAP

    def gap_values(self, diff, last_sequence):
        return last_sequence + 1, diff.sequence

    def resets(self, diff):
        return diff.sequence == 1

    def checksum_ok(self, book, checksum):
        bids, asks = book.depth(1)
        return bids[0][0] + asks[0][0] == checksum


def snap(seq, bid=100, ask=200, checksum=None):
    return BookSnapshot(IID, seq, ((bid, 1),), ((ask, 1),), 0, 0, 0, 0, checksum)


def diff(seq, bids=(), asks=(), checksum=None):
    return BookDeltas(IID, seq, seq, -1, tuple(bids), tuple(asks), 0, 0, 0, 0, checksum)


def new_sync(validate=True):
    return BookSync(OrderBook(IID, 0, 0), PlusOnePolicy(), validate_checksum=validate)


def test_policies_satisfy_the_protocol_and_the_registry_resolves_binance():
    assert isinstance(PlusOnePolicy(), SequencePolicy)
    assert isinstance(BinanceSpotPolicy(), SequencePolicy) and isinstance(BinanceFuturesPolicy(), SequencePolicy)
    assert {"binance", "binance_usdm", "binance_coinm"} <= set(ADAPTERS)
    assert policy_for("binance").name == "binance_spot" and policy_for("binance_coinm").name == "binance_futures"
    with pytest.raises(ConfigError):
        adapter_for("no_such_venue")


def test_a_stream_snapshot_always_replaces_the_book_even_with_a_lower_sequence():
    sync = new_sync()
    sync.on_snapshot(snap(50))
    assert sync.on_diff(diff(51, bids=[(110, 2)])) is DiffOutcome.APPLIED
    sync.on_snapshot(snap(7, bid=90))  # the venue restarted its sequence
    assert sync.ready and sync.last_sequence == 7 and sync.book.best_bid() == (90, 1)


def test_a_diff_the_policy_says_resets_is_loaded_as_a_snapshot():
    sync = new_sync()
    sync.on_snapshot(snap(50))
    assert sync.on_diff(diff(1, bids=[(95, 3)], asks=[(105, 4)])) is DiffOutcome.RESET
    assert sync.ready and sync.resets == 1 and sync.book.depth(5) == ([(95, 3)], [(105, 4)])
    assert sync.on_diff(diff(2, bids=[(96, 1)])) is DiffOutcome.APPLIED


def test_a_checksum_mismatch_clears_the_book_and_needs_a_new_snapshot():
    sync = new_sync()
    sync.on_snapshot(snap(10, checksum=300))
    assert sync.on_diff(diff(11, bids=[(150, 1)], checksum=350)) is DiffOutcome.APPLIED
    assert sync.on_diff(diff(12, asks=[(190, 1)], checksum=999)) is DiffOutcome.CHECKSUM
    assert sync.state is SyncState.RESYNCING and sync.book.bid_levels == 0
    assert (sync.checksum_checks, sync.checksum_mismatches) == (3, 1)
    assert sync.on_diff(diff(13)) is DiffOutcome.BUFFERED
    sync.on_snapshot(snap(13, checksum=300))
    assert sync.ready and sync.on_diff(diff(14, checksum=300)) is DiffOutcome.APPLIED


def test_checksums_are_not_checked_when_validation_is_off():
    sync = new_sync(validate=False)
    sync.on_snapshot(snap(10, checksum=1))
    assert sync.ready and sync.checksum_checks == 0


def test_a_continuity_break_is_a_gap_with_the_policys_values():
    sync = new_sync()
    sync.on_snapshot(snap(10))
    assert sync.on_diff(diff(11)) is DiffOutcome.APPLIED
    assert sync.on_diff(diff(11)) is DiffOutcome.STALE
    assert sync.on_diff(diff(13)) is DiffOutcome.GAP
    assert (sync.last_gap.expected, sync.last_gap.got) == (12, 13) and not sync.ready


def test_the_feed_pipeline_sequences_on_a_real_book_and_reports_crossing_itself():
    from actors.feed.pipeline import FeedPipeline
    from actors.instruments import spec_for
    from actors.messages import BookReset

    spec = spec_for("binance", "BTCUSDT")
    pipeline = FeedPipeline("binance", [spec])
    iid = spec.instrument_id
    pipeline.on_snapshot(BookSnapshot(iid, 10, ((100, 1),), ((200, 1),), 8, 8, 0, 0))
    frame = (b'{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":11,"u":11,'
             b'"b":[["0.00000250","1"]],"a":[]}}')  # fmt: skip
    pipeline.on_frame(frame, 5)
    (events,) = pipeline.drain().values()
    assert isinstance(events[-1], BookReset) and events[-1].reason == "crossed"
    assert pipeline.syncs[iid].crossed == 1 and not pipeline.syncs[iid].ready
