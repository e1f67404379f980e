"""The replay venue serving the Kraken WS v1 capture over loopback: subscribe frames and replies as Kraken sends
them, the recorded frames byte for byte, a snapshot built from the true book on a resubscribe, and a feed pipeline
that rebuilds every book with every checksum matching, also under dropped frames."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from actors.feed.pipeline import FeedPipeline
from actors.feed.venues import adapter_for
from actors.replay.venue import ReplayVenue
from cluster.verify import verify_paths


def _capture(shared_data):
    path = shared_data / "cryptofeed" / "v3" / "KRAKEN.jsonl"
    if not path.exists():
        pytest.skip("KRAKEN.jsonl is not present")
    return path


async def _drain(ws, pipeline: FeedPipeline, quiet_s: float = 1.5) -> list[bytes]:
    frames = []
    while True:
        try:
            frame = await asyncio.wait_for(ws.recv(), quiet_s)
        except (TimeoutError, ConnectionClosed):
            return frames
        data = frame.encode() if isinstance(frame, str) else frame
        frames.append(data)
        pipeline.on_frame(data, time.time_ns())
        for iid in pipeline.resubscribes_due():
            try:
                for out in adapter_for("kraken").resubscribe_frames(iid.rpartition(".")[0]):
                    await ws.send(out)
            except ConnectionClosed:  # the recording ended: read what is still buffered
                pass


def _run(path, symbols, faults: str = "", seed: int = 0, queue_cap: int = 8192):
    adapter = adapter_for("kraken")
    specs = [adapter.spec_for(s) for s in symbols]

    async def main():
        venue = ReplayVenue([path], speed="max", paused=True, faults=faults, seed=seed, queue_cap=queue_cap)
        urls = await venue.open()
        (plan,) = adapter.connections(symbols, urls["ws"])
        pipeline = FeedPipeline("kraken", specs)
        async with connect(plan.url, max_size=None) as ws:
            greeting = json.loads(await ws.recv())
            for frame in plan.subscribe:
                await ws.send(frame)
            pipeline.expect_stream_snapshots()  # as the feed actor does: the subscriptions bring the snapshots
            replies = [json.loads(await ws.recv()) for _ in range(len(plan.subscribe) * len(symbols))]
            await venue.start()
            frames = await _drain(ws, pipeline)
        await venue.stop()
        return greeting, replies, frames, pipeline

    return asyncio.run(main())


def test_subscribe_replies_and_recorded_frames_as_kraken_sends_them(shared_data):
    path = _capture(shared_data)
    greeting, replies, frames, pipeline = _run(path, ["SCEUR", "XMRUSD"])
    assert greeting["event"] == "systemStatus" and greeting["status"] == "online"
    assert {(r["channelName"], r["pair"], r["status"]) for r in replies} >= {("book-1000", "SC/EUR", "subscribed"),
                                                                               ("trade", "XMR/USD", "subscribed")}
    recorded = [json.loads(line)["data"].encode() for line in path.open() if '"t":"recv"' in line]
    wanted = [f for f in recorded if f.startswith(b"[") and (f.endswith(b'"SC/EUR"]') or f.endswith(b'"XMR/USD"]'))]
    assert [f for f in frames if f.startswith(b"[")] == wanted  # byte for byte, in order
    truth = {r["instrument_id"]: r for r in verify_paths([path])[0]}
    for iid in ("SCEUR.KRAKEN", "XMRUSD.KRAKEN"):
        sync = pipeline.syncs[iid]
        assert sync.ready and sync.checksum_mismatches == 0
        assert sync.checksum_checks == truth[iid]["checksum_checks"]
        assert sync.book.format_price(sync.book.best_bid_price()) == truth[iid]["best_bid"]


def test_dropped_frames_are_caught_by_the_checksum_and_resynced_to_the_truth(shared_data):
    # queue_cap=2: at speed max the replay waits for this client, so its resubscribes land mid-stream
    path = _capture(shared_data)
    symbols = ["SCEUR", "XMRUSD", "OMGUSD"]
    _, _, frames, pipeline = _run(path, symbols, faults="drop=0.002", seed=5, queue_cap=2)
    from actors.replay.captures import read_recordings
    from actors.replay.rebuild import BookRebuilder

    truth = BookRebuilder("kraken").feed_all(read_recordings([path])[0].records())
    syncs = [pipeline.syncs[f"{s}.KRAKEN"] for s in symbols]
    assert sum(s.checksum_mismatches for s in syncs) >= 2  # drops of top-10 updates are caught
    assert sum(s.resyncs for s in syncs) >= 2  # ... and resubscribe snapshots rebuilt the books
    assert any(f.startswith(b'{"channelName":"book-1000"') and b'"unsubscribed"' in f for f in frames)
    for sync in syncs:
        if sync.ready:  # a book served at the end is the venue's book
            assert sync.book.depth(10) == truth.syncs[sync.book.instrument_id].book.depth(10)
        else:  # a drop after which the recording ended before the resubscribe was served: not ready, never wrong
            assert [e[0] for e in sync.log][-1] == "checksum"
    assert sum(s.ready for s in syncs) >= 2
