"""Coinbase, Kraken, Gemini, Bitstamp and Backpack through the venue seam: policies, adapters, verify on the
recorded captures, and a flipped Kraken level caught by the checksum and resynced."""

from __future__ import annotations

import json

import pytest

from actors.book.orderbook import OrderBook
from actors.book.sync import BookSync, DiffOutcome, SyncState
from actors.feed.pipeline import FeedPipeline
from actors.feed.venues import adapter_for
from actors.feed.venues.base import Verdict
from actors.feed.venues.kraken import KRAKEN_POLICY, KrakenParser, instrument_symbol
from actors.fixedpoint import fixed_to_str
from actors.messages import BookDeltas, BookReset, BookSnapshot
from cluster.verify import verify_paths

MORE = ["coinbase", "kraken", "gemini", "bitstamp", "backpack"]


def _diff(first: int, last: int) -> BookDeltas:
    return BookDeltas("X.V", first, last, -1, ((1, 1),), (), 0, 0, 0, 0)


@pytest.mark.parametrize("venue", MORE)
def test_every_adapter_converts_its_symbols_both_ways(venue):
    adapter = adapter_for(venue)
    symbol = {"coinbase": "BTC-USD", "kraken": "XBTUSD", "gemini": "BTCUSD", "bitstamp": "BTCUSD",
              "backpack": "SOL_USDC_PERP"}[venue]  # fmt: skip
    spec = adapter.spec_for(symbol)
    assert spec.instrument_id == f"{symbol}.{venue.upper()}"
    unified = adapter.ccxt_symbol(spec)
    assert unified == {"coinbase": "BTC/USD", "kraken": "BTC/USD", "gemini": "BTC/USD", "bitstamp": "BTC/USD",
                       "backpack": "SOL/USDC:USDC"}[venue]  # fmt: skip
    assert adapter.symbol_from_ccxt(unified) == symbol
    assert adapter.parser([spec]).instrument_spec(symbol) == spec


@pytest.mark.parametrize("venue", MORE)
def test_connections_point_at_the_replay_host_and_subscribe(venue):
    adapter = adapter_for(venue)
    symbol = {"coinbase": "BTC-USD", "kraken": "XBTUSD", "gemini": "BTCUSD", "bitstamp": "BTCUSD",
              "backpack": "SOL_USDC"}[venue]  # fmt: skip
    (live,) = adapter.connections([symbol])
    (local,) = adapter.connections([symbol], ws_base="ws://127.0.0.1:9000")
    assert live.url.startswith("wss://") and local.url.startswith("ws://127.0.0.1:9000")
    assert local.symbols == (symbol,) and local.subscribe and all(json.loads(f) for f in local.subscribe)
    policy = adapter.policy(adapter.spec_for(symbol))
    if policy.snapshot_source == "stream":
        assert adapter.resubscribe_frames(symbol)  # a resync is a resubscribe
    else:
        request = adapter.snapshot_request(symbol, 100)
        assert request.ccxt_method and request.path.startswith("/api/")


def test_coinbase_connection_sequence_must_be_contiguous_and_diffs_not_older_than_the_book():
    adapter, policy = adapter_for("coinbase"), adapter_for("coinbase").policy()
    assert adapter.connection_continues(41, 42) and not adapter.connection_continues(41, 43)
    assert not adapter.connection_continues(41, 41)
    assert policy.first_diff(_diff(13, 13), 13) is Verdict.STALE
    assert policy.next_diff(_diff(20, 20), 14) is Verdict.APPLY  # not contiguous per book: other channels between
    assert policy.next_diff(_diff(13, 13), 14) is Verdict.STALE  # a late duplicate
    assert policy.next_diff(_diff(14, 14), 14) is Verdict.APPLY  # legacy: two frames received in the same ns


def test_no_sequence_stream_venues_drop_diffs_received_before_the_snapshot():
    for venue in ("kraken", "gemini"):
        policy = adapter_for(venue).policy()
        assert policy.first_diff(_diff(99, 99), 100) is Verdict.STALE  # buffered before the resubscribe snapshot
        assert policy.first_diff(_diff(100, 100), 100) is Verdict.APPLY
        assert policy.next_diff(_diff(5, 5), 100) is Verdict.APPLY  # no sequence: everything after applies


def test_bitstamp_applies_only_diffs_after_the_snapshot_microtimestamp():
    policy = adapter_for("bitstamp").policy()
    assert policy.first_diff(_diff(100, 100), 100) is Verdict.STALE
    assert policy.first_diff(_diff(101, 101), 100) is Verdict.APPLY
    assert policy.next_diff(_diff(99, 99), 101) is Verdict.STALE


def test_backpack_first_and_last_update_id_rule():
    policy = adapter_for("backpack").policy()
    assert policy.first_diff(_diff(5, 10), 10) is Verdict.STALE  # u <= L
    assert policy.first_diff(_diff(8, 12), 10) is Verdict.APPLY  # U <= L + 1 <= u
    assert policy.first_diff(_diff(12, 14), 10) is Verdict.GAP  # the snapshot is older than the stream
    assert policy.next_diff(_diff(15, 16), 14) is Verdict.APPLY
    assert policy.next_diff(_diff(16, 17), 14) is Verdict.GAP
    assert policy.gap_values(_diff(16, 17), 14) == (15, 16)


def test_backpack_stream_gap_resyncs_from_a_rest_snapshot():
    parser = adapter_for("backpack").parser()
    sync = BookSync(OrderBook("SOL_USDC.BACKPACK", 10, 10), adapter_for("backpack").policy())

    def depth(first, last, price):
        return (f'{{"stream":"depth.SOL_USDC","data":{{"e":"depth","E":1,"s":"SOL_USDC","a":[["{price}","1"]],"b":[],'
                f'"U":{first},"u":{last},"T":1}}}}').encode()

    (d1,) = parser.parse_frame(depth(9, 11, "18.70"), 1)
    sync.on_diff(d1)
    snap = parser.parse_snapshot(b'{"asks":[["18.71","2"]],"bids":[["18.60","1"]],"lastUpdateId":"10"}', "SOL_USDC", 1)
    assert sync.on_snapshot(snap) is SyncState.READY and sync.last_sequence == 11
    (d2,) = parser.parse_frame(depth(13, 13, "18.72"), 1)  # 12 was lost
    assert sync.on_diff(d2) is DiffOutcome.GAP and not sync.ready and sync.gaps == 1


def _shared_file(shared_data, *parts):
    path = shared_data.joinpath("cryptofeed", *parts)
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


def test_verify_on_the_coinbase_and_kraken_captures(shared_data):
    paths = [_shared_file(shared_data, "v3", "COINBASE.jsonl"), _shared_file(shared_data, "v3", "KRAKEN.jsonl"),
             _shared_file(shared_data, "v1", "COINBASE.0"), _shared_file(shared_data, "v1", "COINBASE.ws.28.0")]
    results, notes = verify_paths(paths)
    by_venue: dict[str, list[dict]] = {}
    for r in results:
        by_venue.setdefault(r["venue"], []).append(r)
    assert len(by_venue["kraken"]) == 10 and len(by_venue["coinbase"]) == 12
    assert all(r["ready"] and r["gaps"] == 0 and r["crossed"] == 0 and r["checksum_mismatches"] == 0 for r in results)
    assert sum(r["checksum_checks"] for r in by_venue["kraken"]) == 4269  # every Kraken update is checked
    at = {r["instrument_id"]: r for r in by_venue["coinbase"]}
    assert at["BTC-USD.COINBASE"]["diffs_applied"] == 399 and at["ETH-USD.COINBASE"]["diffs_applied"] == 374
    assert sum(r["trades"] for r in by_venue["coinbase"] if r["instrument_id"] in ("BTC-USD.COINBASE",
                                                                                  "ETH-USD.COINBASE")) == 79


def _kraken_frames(shared_data, pair="SC/EUR"):
    path = _shared_file(shared_data, "v3", "KRAKEN.jsonl")
    frames = []
    for line in path.open():
        record = json.loads(line)
        if record["t"] == "recv" and record["data"].endswith(f'"{pair}"]') and '"book-' in record["data"]:
            frames.append((record["data"].encode(), int(record["ts"] * 1e9)))
    return frames


def _snapshot_frame(book: OrderBook, pair: str, wire_pd: int, wire_sd: int) -> bytes:
    """A Kraken v1 book snapshot frame of ``book`` (as a resubscribe would bring), at the pair's wire decimals."""
    def levels(side):
        return [[fixed_to_str(p // 10 ** (book.price_decimals - wire_pd), wire_pd),
                 fixed_to_str(s // 10 ** (book.size_decimals - wire_sd), wire_sd), "1618678150.000000"]
                for p, s in side]  # fmt: skip

    bids, asks = book.depth(10_000)
    return json.dumps([1920, {"as": levels(asks), "bs": levels(bids)}, "book-1000", pair]).encode()


def test_a_flipped_kraken_level_is_caught_by_the_checksum_and_resynced(shared_data):
    frames = _kraken_frames(shared_data)
    truth = FeedPipeline("kraken", [adapter_for("kraken").spec_for("SC/EUR")])
    feed = FeedPipeline("kraken", [adapter_for("kraken").spec_for("SC/EUR")])
    iid = "SCEUR.KRAKEN"
    for frame, ts in frames[:300]:
        truth.on_frame(frame, ts)
        feed.on_frame(frame, ts)
    book = feed.syncs[iid].book
    best = book.best_bid()
    book.apply_deltas([(best[0], best[1] + 1)], [])  # one level of the book flips (a lost update)
    feed.drain()
    feed.on_frame(*frames[300])
    truth.on_frame(*frames[300])
    sync = feed.syncs[iid]
    assert sync.checksum_mismatches == 1 and not sync.ready and sync.state is SyncState.RESYNCING
    assert any(isinstance(e, BookReset) and e.reason == "checksum" for e in feed.drain()[iid])
    assert feed.resubscribes_due() == [iid]
    unsub, sub = adapter_for("kraken").resubscribe_frames("SCEUR")
    assert json.loads(unsub)["event"] == "unsubscribe" and json.loads(sub)["pair"] == ["SC/EUR"]
    # Kraken answers the resubscribe with a fresh snapshot: the true book at that moment.
    feed.on_frame(_snapshot_frame(truth.syncs[iid].book, "SC/EUR", 6, 8), frames[300][1])
    assert sync.ready and sync.snapshots == 2
    for frame, ts in frames[301:]:
        truth.on_frame(frame, ts)
        feed.on_frame(frame, ts)
    assert sync.ready and sync.checksum_mismatches == 1 and sync.checksum_checks == truth.syncs[iid].checksum_checks
    assert book.depth(10_000) == truth.syncs[iid].book.depth(10_000)  # the resynced book is the venue's


def test_kraken_policy_truncates_to_the_subscribed_depth_before_checking():
    parser = KrakenParser()
    (snap,) = parser.parse_frame(b'[1,{"as":[["10.0","1.0","1.0"],["11.0","1.0","1.0"]],"bs":[["9.0","1.0","1.0"]]},'
                                 b'"book-2","AB/CD"]', 1)
    sync = BookSync(OrderBook("ABCD.KRAKEN", 10, 10), KRAKEN_POLICY)
    sync.on_snapshot(snap)
    from actors.feed.venues.kraken_book import kraken_checksum_string
    import zlib

    # after inserting 10.5, the book holds 3 asks; Kraken (depth 2) checksums 10.0 and 10.5 only
    crc = zlib.crc32(kraken_checksum_string([(90, 10)], [(100, 10), (105, 10)], 1, 1).encode())
    frame = f'[1,{{"a":[["10.5","1.0","2.0"]],"c":"{crc}"}},"book-2","AB/CD"]'.encode()
    (d,) = parser.parse_frame(frame, 2)
    assert sync.on_diff(d) is DiffOutcome.APPLIED
    assert sync.book.ask_levels == 2 and instrument_symbol("AB/CD") == "ABCD"


def test_the_feed_forwards_kraken_truncation_to_the_book_actor():
    import zlib

    from actors.book.keeper import BookKeeper  # the book actor's pure state
    from actors.feed.venues.kraken_book import kraken_checksum_string

    spec = adapter_for("kraken").spec_for("AB/CD")
    feed = FeedPipeline("kraken", [spec])
    feed.on_frame(b'[1,{"as":[["10.0","1.0","1.0"],["11.0","1.0","1.0"]],"bs":[["9.0","1.0","1.0"]]},'
                  b'"book-2","AB/CD"]', 1)
    crc = zlib.crc32(kraken_checksum_string([(90, 10)], [(100, 10), (105, 10)], 1, 1).encode())
    feed.on_frame(f'[1,{{"a":[["10.5","1.0","2.0"]],"c":"{crc}"}},"book-2","AB/CD"]'.encode(), 2)
    events = feed.drain()["ABCD.KRAKEN"]
    diff = events[-1]
    assert isinstance(diff, BookDeltas) and diff.asks == ((105 * 10**9, 10**10), (110 * 10**9, 0))
    keeper = BookKeeper([spec])
    keeper.apply(events, now_ns=3)
    assert keeper.books["ABCD.KRAKEN"].book.depth(10) == feed.syncs["ABCD.KRAKEN"].book.depth(10)


def test_a_coinbase_reconnect_starts_a_new_connection_sequence():
    spec = adapter_for("coinbase").spec_for("BTC-USD")
    feed = FeedPipeline("coinbase", [spec])

    def heartbeat(seq):
        return (f'{{"channel":"heartbeats","timestamp":"2026-08-09T21:05:48Z","sequence_num":{seq},'
                f'"events":[]}}').encode()

    feed.on_frame(heartbeat(7), 1)
    feed.on_frame(heartbeat(8), 1)
    feed.on_reconnect(2)
    feed.on_frame(heartbeat(0), 3)  # a new connection counts from 0 again
    assert feed.connection_gaps == 0
    feed.on_frame(heartbeat(2), 4)
    assert feed.connection_gaps == 1


def test_verify_counts_connection_sequences_per_recorded_connection():
    from actors.replay.captures import CaptureRecord
    from actors.replay.rebuild import BookRebuilder

    def hb(seq):
        return f'{{"channel":"heartbeats","sequence_num":{seq},"events":[]}}'.encode()

    records = [CaptureRecord(1, "ws", hb(5), "ws.1"), CaptureRecord(2, "ws", hb(0), "ws.2"),
               CaptureRecord(3, "ws", hb(6), "ws.1"), CaptureRecord(4, "ws", hb(1), "ws.2"),
               CaptureRecord(5, "connect", b"", "ws.1"), CaptureRecord(6, "ws", hb(0), "ws.1")]
    assert BookRebuilder("coinbase").feed_all(records).connection_gaps == 0
    records.append(CaptureRecord(7, "ws", hb(3), "ws.2"))
    assert BookRebuilder("coinbase").feed_all(records).connection_gaps == 1


@pytest.mark.parametrize("venue", MORE)
def test_ccxt_clients_point_at_a_replay_host(venue):
    from actors.feed.rest import make_exchange

    exchange = make_exchange(venue, "http://127.0.0.1:9999")
    hosts = [v for k, v in exchange.urls["api"].items() if k in ("rest", "public", "private")]
    assert hosts and all(h.startswith("http://127.0.0.1:9999") for h in hosts)
