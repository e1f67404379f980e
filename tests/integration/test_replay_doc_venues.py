"""The replay venue serving Gemini v2, Bitstamp v2 and Backpack over loopback, to a client that does what the feed
actor does (subscribe frames from the venue adapter, the feed pipeline, REST snapshots through ccxt, reconnects).

**The recordings are generated, not real traffic** (``tests/data/venue_docs/``, ``scripts/make_doc_recordings.py``):
no Gemini, Bitstamp or Backpack capture exists in ``../shared/data``. Each frame has the shape of the venue's
documented example; values come from a seeded random walk.

What the protocols let a client see under injected faults:

* Backpack (``U``/``u`` continuity): every dropped or reordered ``depth`` frame is a gap; the book is resynced
  from ``GET /api/v1/depth`` and ends equal to the truth.
* Gemini, Bitstamp (no sequence numbers): a dropped update is **not detected** (0 gaps) and the book ends wrong;
  a duplicate is harmless (absolute sizes); a disconnect is a resync (Gemini: the full book again on subscribe;
  Bitstamp: a new REST ``order_book``) and the book ends equal to the truth.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from actors.errors import FeedError, VenueError
from actors.feed.pipeline import FeedPipeline
from actors.feed.rest import DepthClient
from actors.feed.venues import adapter_for
from actors.replay.captures import read_recordings
from actors.replay.rebuild import BookRebuilder
from actors.replay.venue import ReplayVenue
from actors.replay.ws_server import ENDED_CODE
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "venue_docs"
SYMBOLS = {"gemini": ["BTCUSD", "ETHUSD"], "bitstamp": ["BTCUSD", "ETHUSD"], "backpack": ["SOL_USDC", "BTC_USDC"]}


def _path(venue: str) -> Path:
    return DATA / f"{venue.upper()}.jsonl"


def _truth(venue: str) -> BookRebuilder:
    return BookRebuilder(venue).feed_all(read_recordings([_path(venue)])[0].records())


class _Client:
    """One feed connection's loop, as the feed actor runs it (reconnecting after an injected disconnect)."""

    def __init__(self, venue: str, faults: str, seed: int) -> None:
        self.venue_name = venue
        self.adapter = adapter_for(venue)
        self.symbols = SYMBOLS[venue]
        self.pipeline = FeedPipeline(venue, [self.adapter.spec_for(s) for s in self.symbols])
        # a finite speed (20 s of recording in 4 s): at speed max the pump would outrun any REST round trip
        self.replay = ReplayVenue([_path(venue)], speed="5", paused=True, faults=faults, seed=seed)
        self.connections = 0
        self.control: list[dict] = []
        self.snapshots = 0
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> _Client:
        urls = await self.replay.open()
        (plan,) = self.adapter.connections(self.symbols, urls["ws"])
        rest = DepthClient(self.venue_name, urls["rest"])
        if self.adapter.policy().snapshot_source == "rest":  # warm ccxt's client up before the clock runs (an
            try:  # unknown symbol: answered at once), so the first snapshot comes a round trip after the first diff
                await rest.fetch("WARMUP", 1)
            except (VenueError, FeedError):
                pass
        try:
            while await self._connection(plan, rest):
                pass
            await asyncio.gather(*self._tasks)
        finally:
            await rest.close()
            await self.replay.stop()
        return self

    async def _snapshot(self, rest: DepthClient, iid: str) -> None:
        symbol = iid.rpartition(".")[0]
        body = await rest.fetch(symbol, 1000)
        self.snapshots += 1
        self.pipeline.on_snapshot(self.pipeline.parser.parse_snapshot(body, symbol, time.time_ns()))

    async def _connection(self, plan, rest: DepthClient) -> bool:
        """One connection; True when the venue closed it for a reconnect, False when the recording ended."""
        try:
            return await self._session(plan, rest)
        except ConnectionClosed as exc:  # closed while subscribing (the recording ended during a reconnect)
            return not (exc.rcvd is not None and exc.rcvd.code == ENDED_CODE)

    async def _session(self, plan, rest: DepthClient) -> bool:
        async with connect(plan.url, max_size=None) as ws:
            self.connections += 1
            if self.connections > 1:
                self.pipeline.on_reconnect(time.time_ns())
            for frame in plan.subscribe:
                await ws.send(frame)
            self.pipeline.expect_stream_snapshots()
            if self.connections == 1:
                await self.replay.start()
            try:
                while True:
                    frame = await asyncio.wait_for(ws.recv(decode=False), 10)
                    if not frame.startswith((b'{"type":"l2_updates"', b'{"type":"trade"', b'{"data"', b'{"stream"',
                                             b'{"type":"heartbeat"')):  # fmt: skip
                        self.control.append(json.loads(frame))
                    self.pipeline.on_frame(frame, time.time_ns())
                    for iid in self.pipeline.snapshots_due():  # fetched while the stream goes on, as the feed does
                        self._tasks.add(asyncio.create_task(self._snapshot(rest, iid)))
                    for iid in self.pipeline.resubscribes_due():
                        for out in self.adapter.resubscribe_frames(iid.rpartition(".")[0]):
                            await ws.send(out)
            except ConnectionClosed as exc:
                return not (exc.rcvd is not None and exc.rcvd.code == ENDED_CODE)


@functools.cache
def _run(venue: str, faults: str = "", seed: int = 3) -> _Client:
    """One replay run (cached: the clean runs serve several tests)."""
    return asyncio.run(_Client(venue, faults, seed).run())


def _same_books(client: _Client, truth: BookRebuilder) -> dict[str, bool]:
    out = {}
    for iid, sync in client.pipeline.syncs.items():
        book, true_book = sync.book, truth.syncs[iid].book
        out[iid] = sync.ready and book.depth(10_000) == true_book.depth(10_000)
    return out


def test_the_generated_recordings_say_they_are_not_real_traffic():
    for venue in SYMBOLS:
        header = json.loads(_path(venue).open().readline())
        assert header["t"] == "header" and "not real traffic" in header["generated"]


def test_clean_replays_end_with_every_book_ready_and_equal_to_the_truth():
    for venue in SYMBOLS:
        client, truth = _run(venue), _truth(venue)
        assert all(_same_books(client, truth).values()), venue
        assert all(s.gaps == 0 for s in client.pipeline.syncs.values()), venue
        assert client.pipeline.malformed == 0 and client.connections == 1, venue
    # REST-snapshot venues fetched exactly one snapshot per book through ccxt
    assert _run("backpack").snapshots == 2 and _run("bitstamp").snapshots == 2


def test_subscribe_replies_are_the_venues_own():
    bitstamp = _run("bitstamp")
    assert sorted(r["channel"] for r in bitstamp.control if r["event"] == "bts:subscription_succeeded") == [
        "diff_order_book_btcusd", "diff_order_book_ethusd", "live_trades_btcusd", "live_trades_ethusd"]
    assert _run("gemini").control == [] and _run("backpack").control == []  # their docs show no ack


def test_backpack_detects_every_lost_or_reordered_depth_frame_and_resyncs_to_the_truth():
    client, truth = _run("backpack", "drop=0.03,dup=0.02,reorder=0.02:3", seed=5), _truth("backpack")
    syncs = client.pipeline.syncs.values()
    # a second gap while a resync's snapshot is in flight is counted but needs no resync of its own
    assert sum(s.gaps for s in syncs) > 2 and sum(s.resyncs for s in syncs) > 2
    assert sum(s.diffs_dropped_stale for s in syncs) > 0  # the duplicates
    assert client.snapshots > 2  # one REST depth per resync
    assert all(_same_books(client, truth).values())


def test_a_disconnect_resyncs_every_venue_to_the_truth():
    for venue in SYMBOLS:
        client, truth = _run(venue, "disconnect_every=6s"), _truth(venue)
        assert client.connections >= 3, venue
        assert all(_same_books(client, truth).values()), venue


def test_gemini_and_bitstamp_cannot_detect_a_dropped_update_and_end_wrong():
    for venue in ("gemini", "bitstamp"):
        client, truth = _run(venue, "drop=0.05", seed=5), _truth(venue)
        assert sum(s.gaps for s in client.pipeline.syncs.values()) == 0, venue  # nothing on the wire tells
        assert all(s.ready for s in client.pipeline.syncs.values()), venue  # ... so the books look fine
        assert not all(_same_books(client, truth).values()), venue  # ... and are not


def test_gemini_and_bitstamp_duplicates_are_harmless():
    for venue in ("gemini", "bitstamp"):
        client, truth = _run(venue, "dup=0.05", seed=5), _truth(venue)
        assert all(_same_books(client, truth).values()), venue
