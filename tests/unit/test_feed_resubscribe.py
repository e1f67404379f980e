"""The feed actor's resubscribe clock for stream-snapshot venues (Bybit here): it runs only while the venue sends
market data. Built directly (plain class, no Ray); only the transport's ``send`` is replaced, to see the frames."""

from __future__ import annotations

import asyncio
import json

from actors.feed.actor import FeedActor, FeedSpec

IID = "BTCUSDT.BYBIT"


def _delta(u: int) -> bytes:
    return json.dumps({"topic": "orderbook.50.BTCUSDT", "type": "delta", "ts": 2, "data": {
        "s": "BTCUSDT", "b": [["65000.00", "1.000"]], "a": [], "u": u, "seq": 10}}).encode()  # fmt: skip


def test_a_silent_venue_is_not_asked_again_and_a_venue_sending_data_without_our_snapshot_is():
    async def scenario():
        spec = FeedSpec(feed_id="bybit-spot", venue="bybit", symbols=("BTCUSDT",),
                        ws_url="ws://127.0.0.1:9/v5/public/spot", rest_url="http://127.0.0.1:9",
                        book_actors={IID: "book"}, resubscribe_timeout_s=0.05)  # fmt: skip
        actor = FeedActor(spec, lookup=lambda name: None, put=lambda x: x)
        sent: list[str] = []

        async def send(frame) -> bool:
            sent.append(frame if isinstance(frame, str) else frame.decode())
            return True

        actor.transport.send = send
        actor.transport.stats.connected = True
        await actor._on_connect(False)  # the subscription went out with the connection: its snapshot is awaited
        await asyncio.sleep(0.15)  # 3x the timeout, and the venue has sent nothing at all
        await actor._resubscribe()
        silent = list(sent)

        actor._on_frame(_delta(5), 1)  # now the venue sends data of the book, but not the snapshot we asked for
        await asyncio.sleep(0.06)
        await actor._resubscribe()
        return silent, sent, actor.pipeline.data_frames

    silent, sent, data_frames = asyncio.run(scenario())
    assert silent == []  # no unsubscribe / subscribe churn while the venue is silent
    assert data_frames == 1
    ops = [json.loads(f)["op"] for f in sent]
    assert ops == ["unsubscribe", "subscribe"] and all("orderbook" in f for f in sent), sent
