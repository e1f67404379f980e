"""The feed's websocket transport against a real websockets server on loopback: stale feeds, drops, backpressure."""

from __future__ import annotations

import asyncio
import random

import websockets

from actors.feed.backoff import Backoff
from actors.feed.transport import WebSocketTransport


async def _serve(handler):
    server = await websockets.serve(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/stream?streams=x"


def _numbers_then_silence(count: int, silence_s: float):
    """A venue handler: sends ``"0"`` .. ``str(count - 1)``, then keeps the connection open and silent."""

    async def handler(ws):
        for i in range(count):
            await ws.send(str(i))
        await asyncio.sleep(silence_s)

    return handler


def _run_until_connects(handler, connects_wanted: int, **transport_options):
    """Serve ``handler``, run a transport until it connected ``connects_wanted`` times (max 5 s), stop it.

    Returns ``(stats, frames received, the reconnect flag of every connection)``.
    """

    async def scenario():
        server, url = await _serve(handler)
        frames, connects = [], []

        async def on_connect(reconnect: bool) -> None:
            connects.append(reconnect)

        transport = WebSocketTransport(url, lambda f, ts: frames.append(f) and False, on_connect,
                                       **transport_options)  # fmt: skip
        task = asyncio.ensure_future(transport.run())
        for _ in range(250):
            await asyncio.sleep(0.02)
            if len(connects) >= connects_wanted:
                break
        transport.stop()
        await asyncio.wait_for(task, 5)
        server.close()
        return transport.stats, frames, connects

    return asyncio.run(scenario())


def test_silent_stream_is_detected_as_stale_and_the_transport_reconnects():
    async def handler(ws):
        for i in range(3):
            await ws.send(f'{{"n":{i}}}')
        await asyncio.sleep(30)  # then silence, the connection left open

    stats, frames, connects = _run_until_connects(
        handler, 2, backoff=Backoff(0.01, 0.05, rng=random.Random(1)), stale_after_ms=200
    )
    assert connects[:2] == [False, True]
    assert stats.stale_disconnects >= 1 and stats.reconnects >= 1
    assert frames[:3] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']  # bytes, exactly as sent
    assert "stale" in (stats.last_error or "")


def test_dropped_connection_reconnects_with_jittered_backoff():
    async def handler(ws):
        await ws.send("hello")
        await ws.close(code=1011)

    stats, _, connects = _run_until_connects(
        handler, 4, backoff=Backoff(0.01, 0.04, rng=random.Random(2)), stale_after_ms=0
    )
    assert len(connects) >= 4 and connects[0] is False and all(connects[1:])
    assert stats.backoff_s and all(0 <= d <= 0.04 for d in stats.backoff_s)


def test_consumer_backpressure_stops_reading_until_drained():
    async def scenario():
        server, url = await _serve(_numbers_then_silence(50, 5))
        seen, drained_at = [], []
        gate = asyncio.Event()

        async def drain() -> None:
            drained_at.append(len(seen))
            await gate.wait()

        async def on_connect(reconnect: bool) -> None:
            return None

        def on_frame(frame, ts):
            seen.append(frame)
            return len(seen) == 10  # ask for a drain after the tenth frame

        transport = WebSocketTransport(url, on_frame, on_connect, drain=drain, stale_after_ms=0)
        task = asyncio.ensure_future(transport.run())
        await asyncio.sleep(0.5)
        held = len(seen)
        gate.set()
        await asyncio.sleep(0.5)
        transport.stop()
        await asyncio.wait_for(task, 5)
        server.close()
        return held, len(seen), drained_at

    held, total, drained_at = asyncio.run(scenario())
    assert drained_at == [10] and held == 10  # nothing read while the consumer drained
    assert total == 50


def test_time_held_back_by_the_consumer_is_not_a_stale_stream():
    """The consumer holds the reader in ``drain()`` for 4x ``stale_after_ms`` while the venue has frames queued
    for us: no stale disconnect, one connection, every frame received in order. The venue then goes silent and
    that is still detected."""

    async def scenario():
        server, url = await _serve(_numbers_then_silence(50, 30))
        seen, connects = [], []
        held_for_s = 0.8

        async def drain() -> None:
            await asyncio.sleep(held_for_s)  # a slow book / subscriber: the feed is not reading

        async def on_connect(reconnect: bool) -> None:
            connects.append(reconnect)

        def on_frame(frame, ts):
            seen.append(frame)
            return len(seen) in (10, 20)  # held twice

        transport = WebSocketTransport(url, on_frame, on_connect, drain=drain, stale_after_ms=200,
                                       backoff=Backoff(5, 5, rng=random.Random(3)))  # fmt: skip
        task = asyncio.ensure_future(transport.run())
        for _ in range(200):
            await asyncio.sleep(0.02)
            if len(seen) == 50:
                break
        after_frames = transport.stats.stale_disconnects
        await asyncio.sleep(0.6)  # now silent: stale
        transport.stop()
        await asyncio.wait_for(task, 10)
        server.close()
        return seen, connects, after_frames, transport.stats.stale_disconnects

    seen, connects, after_frames, in_the_end = asyncio.run(scenario())
    assert seen == [str(i).encode() for i in range(50)] and connects == [False]
    assert after_frames == 0  # 1.6 s held, never counted as the venue's silence
    assert in_the_end == 1  # a silent venue is still stale


def test_a_new_connection_waits_first_frame_ms_for_its_first_frame_then_stale_after_ms():
    """A venue that holds its first frame for 3x ``stale_after_ms`` (the replay venue holds its clock until the
    run is up) is not stale; the same silence once frames have flowed is."""

    async def handler(ws):
        await asyncio.sleep(0.6)
        for i in range(3):
            await ws.send(str(i))
        await asyncio.sleep(30)

    stats, frames, connects = _run_until_connects(
        handler, 2, backoff=Backoff(0.01, 0.05, rng=random.Random(4)), stale_after_ms=200, first_frame_ms=2000
    )
    assert frames[:3] == [b"0", b"1", b"2"]  # the first connection lived to see its first frames
    assert connects[:2] == [False, True] and stats.stale_disconnects >= 1  # then its silence was stale


def _held_behind_a_full_socket(**transport_options):
    """The venue sends 3,000 frames of 2 KiB as fast as it can; the consumer holds the reader for 2 s after frame
    10 while keep-alive pings go out every 0.2 s. Returns ``(frames received, connects, last_error)``."""

    async def handler(ws):
        payload = "x" * 2048
        for i in range(3000):
            await ws.send(f"{i} {payload}")
        await asyncio.sleep(30)

    async def scenario():
        server, url = await _serve(handler)
        seen, connects = [], []

        async def drain() -> None:
            await asyncio.sleep(2.0)

        async def on_connect(reconnect: bool) -> None:
            connects.append(reconnect)

        def on_frame(frame, ts):
            seen.append(frame)
            return len(seen) == 10

        transport = WebSocketTransport(url, on_frame, on_connect, drain=drain, stale_after_ms=5000,
                                       ping_interval_s=0.2, backoff=Backoff(5, 5, rng=random.Random(5)),
                                       **transport_options)  # fmt: skip
        task = asyncio.ensure_future(transport.run())
        for _ in range(500):
            await asyncio.sleep(0.02)
            if len(seen) >= 3000 or transport.stats.disconnects:
                break
        transport.stop()
        await asyncio.wait_for(task, 10)
        server.close()
        return seen, connects, transport.stats.last_error

    return asyncio.run(scenario())


def test_a_pong_queued_behind_unread_frames_does_not_close_a_live_connection():
    """websockets stops reading while its queue is full, so our keep-alive pong waits behind the frames the
    consumer has not read yet. By default that is not a dead peer: one connection, every frame in order."""
    seen, connects, _ = _held_behind_a_full_socket()
    assert connects == [False]
    assert [int(f.split(b" ")[0]) for f in seen] == list(range(3000))


def test_an_explicit_ping_timeout_still_closes_such_a_connection():
    """The same held reader with ``ping_timeout_s`` = 0.3 s: the keep-alive timeout fires (what the default avoids)."""
    seen, connects, last_error = _held_behind_a_full_socket(ping_timeout_s=0.3)
    assert len(seen) < 3000 and "keepalive ping timeout" in str(last_error), (len(seen), last_error)


def test_an_ack_is_not_the_first_data_so_the_first_frame_allowance_lasts_until_data_arrives():
    """A venue that acks the subscription at once, then sends its first data after 3x ``stale_after_ms`` (the
    replay venue with its clock held): with the consumer's ``data_frames`` count, not stale; once data has
    flowed, the same silence is."""

    async def handler(ws):
        await ws.send("ack")
        await asyncio.sleep(0.6)
        for i in range(3):
            await ws.send(str(i))
        await asyncio.sleep(30)

    data = [0]

    def on_frame(frame, ts):
        data[0] += frame != b"ack"
        return False

    async def scenario(**options):
        server, url = await _serve(handler)
        connects = []

        async def on_connect(reconnect: bool) -> None:
            connects.append(reconnect)

        transport = WebSocketTransport(url, on_frame, on_connect, stale_after_ms=200, first_frame_ms=2000,
                                       backoff=Backoff(5, 5, rng=random.Random(6)), **options)  # fmt: skip
        task = asyncio.ensure_future(transport.run())
        await asyncio.sleep(1.2)
        transport.stop()
        await asyncio.wait_for(task, 10)
        server.close()
        return transport.stats

    counted = asyncio.run(scenario(data_frames=lambda: data[0]))
    assert counted.frames == 4 and counted.stale_disconnects == 1  # lived to see the data, then stale once
    data[0] = 0
    uncounted = asyncio.run(scenario())  # every frame counts: the ack ends the allowance
    assert uncounted.frames == 1 and uncounted.stale_disconnects == 1  # closed as stale before the data came
