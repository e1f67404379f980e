"""The replay venue's websocket side, over real loopback sockets with a plain ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from actors.replay.venue import ReplayVenue
from tests.conftest import COINM, SPOT, USDM
from tests.integration.replay_support import capture_lines, recv_frames, recv_until_quiet, stream_frames


@pytest.mark.parametrize("paths", [SPOT, USDM, COINM], ids=["spot", "usdm", "coinm"])
def test_combined_stream_frames_are_byte_identical_to_the_capture_in_order(paths):
    expected = stream_frames(capture_lines(paths))

    async def main():
        venue = ReplayVenue(paths, speed="max", paused=True)
        urls = await venue.open()
        async with connect(urls["combined"], max_size=None) as ws:
            await venue.start()
            got = await recv_frames(ws, len(expected), timeout_s=60)
        status = await venue.stop()
        return got, status

    got, status = asyncio.run(main())
    assert got == expected
    assert status["finished"] and status["frames_sent"] == len(expected)
    assert status["max_queued"] <= status["queue_cap"]


def test_raw_stream_sends_the_data_part_of_each_frame_byte_for_byte():
    lines = capture_lines(SPOT[:1], limit=3000)
    expected = [line[len(b'{"stream":"btcusdt@trade","data":') : -1] for line in lines
                if line.startswith(b'{"stream":"btcusdt@trade"')]  # fmt: skip

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=3000)
        urls = await venue.open()
        async with connect(f"{urls['ws']}/ws/btcusdt@trade") as ws:
            await venue.start()
            got = await recv_frames(ws, len(expected))
        await venue.stop()
        return got

    got = asyncio.run(main())
    assert got == expected
    assert json.loads(got[0])["e"] == "trade"


def test_subscribe_on_an_open_connection_then_frames_of_those_streams_flow():
    lines = stream_frames(capture_lines(SPOT[:1], limit=3000))
    wanted = ("btcusdt@depth@100ms", "btcusdt@trade")
    expected = [f for f in lines if f.startswith((b'{"stream":"btcusdt@depth@100ms"', b'{"stream":"btcusdt@trade"'))]

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=3000)
        urls = await venue.open()
        async with connect(f"{urls['ws']}/stream") as ws:
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": list(wanted), "id": 1}))
            subscribed = await ws.recv()
            await ws.send('{"method":"LIST_SUBSCRIPTIONS","id":2}')
            listed = await ws.recv()
            await venue.start()
            got = await recv_frames(ws, len(expected))
        await venue.stop()
        return subscribed, listed, got

    subscribed, listed, got = asyncio.run(main())
    assert subscribed == '{"result":null,"id":1}'
    assert listed == '{"result":["btcusdt@depth@100ms","btcusdt@trade"],"id":2}'
    assert got == expected


def test_two_clients_at_once_each_get_the_whole_stream():
    expected = stream_frames(capture_lines(SPOT[:1], limit=4000))

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=4000)
        urls = await venue.open()
        async with connect(urls["combined"]) as a, connect(urls["combined"]) as b:
            await venue.start()
            got = await asyncio.gather(recv_frames(a, len(expected)), recv_frames(b, len(expected)))
        status = await venue.stop()
        return got, status

    (got_a, got_b), status = asyncio.run(main())
    assert got_a == got_b == expected
    assert status["frames_sent"] == 2 * len(expected)


def test_unknown_streams_get_binance_error_replies_and_the_connection_stays_usable():
    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=2000)
        urls = await venue.open()
        async with connect(f"{urls['ws']}/stream?streams=ethusdt@trade/btcusdt@trade") as ws:
            on_open = await ws.recv()
            await ws.send('{"method":"SUBSCRIBE","params":["btcusdt@depth@1000ms"],"id":9}')
            refused = await ws.recv()
            await ws.send("this is not json")
            bad_json = await ws.recv()
            await ws.send('{"method":"LIST_SUBSCRIPTIONS","id":10}')
            listed = await ws.recv()
        await venue.stop()
        return on_open, refused, bad_json, listed

    on_open, refused, bad_json, listed = asyncio.run(main())
    assert on_open == '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":null}'
    assert refused == '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":9}'
    assert json.loads(bad_json)["error"]["code"] == 3
    assert listed == '{"result":["btcusdt@trade"],"id":10}'


def test_paths_binance_does_not_serve_are_refused_with_404():
    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=100)
        urls = await venue.open()
        try:
            with pytest.raises(InvalidStatus) as err:
                async with connect(f"{urls['ws']}/api/v3/depth"):
                    pass
            return err.value.response.status_code
        finally:
            await venue.stop()

    assert asyncio.run(main()) == 404


def test_a_client_that_connects_late_sees_the_stream_from_that_point_on():
    async def main():
        venue = ReplayVenue(SPOT, speed=25, max_records=4000)  # ~36 s of recorder time in ~1.5 s
        urls = await venue.open()
        async with connect(urls["combined"]) as early:
            await asyncio.sleep(0.5)
            async with connect(urls["combined"]) as late:
                got_late = await recv_until_quiet(late)
            got_early = await recv_until_quiet(early)
        await venue.stop()
        return got_early, got_late

    got_early, got_late = asyncio.run(main())
    assert 0 < len(got_late) < len(got_early)
    assert got_early[-len(got_late) :] == got_late


def test_at_max_speed_a_stalled_reader_holds_the_replay_and_buffers_stay_capped():
    cap = 64
    expected = stream_frames(capture_lines(SPOT))

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, queue_cap=cap)
        urls = await venue.open()
        async with connect(urls["combined"], max_queue=4) as ws:
            await venue.start()
            previous, stalled = -1, None  # not reading: kernel buffers fill, then the venue's queue, then it waits
            async with asyncio.timeout(30):
                while stalled is None or stalled["records"] != previous:
                    previous = -1 if stalled is None else stalled["records"]
                    await asyncio.sleep(0.4)
                    stalled = await venue.status()
            got = await recv_frames(ws, len(expected), timeout_s=60)
        final = await venue.stop()
        return stalled, got, final

    stalled, got, final = asyncio.run(main())
    assert not stalled["finished"] and stalled["records"] < stalled["records_total"] // 2  # held by the reader
    assert stalled["clients"][0]["queued"] == cap  # full, and no further
    assert final["max_queued"] <= cap
    assert got == expected


def test_at_finite_speed_a_consumer_that_falls_a_queue_behind_is_disconnected():
    async def main():
        venue = ReplayVenue(SPOT, speed=2000, queue_cap=16)  # 11 min of recorder time in ~0.33 s
        urls = await venue.open()
        async with connect(urls["combined"], max_queue=1) as ws:
            await venue.wait_finished(30)  # not reading meanwhile
            with pytest.raises(ConnectionClosed):
                await recv_frames(ws, 10**9)  # what the kernel buffered, then the close frame
            closed = ws.close_code
        await venue.stop()
        return closed, await venue.status()

    closed, status = asyncio.run(main())
    assert closed == 1008
    assert status["slow_disconnects"] == 1
    assert status["max_queued"] <= 16


def test_server_sockets_disable_nagle_so_small_frames_are_not_held_for_delayed_acks():
    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=100)
        urls = await venue.open()
        async with connect(urls["combined"]):
            await asyncio.sleep(0.05)
            sock = venue.subscribers[0].ws.transport.get_extra_info("socket")
            nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        await venue.stop()
        return nodelay

    assert asyncio.run(main()) == 1


def test_concurrent_opens_bind_the_servers_once():
    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=100)
        first, second = await asyncio.gather(venue.urls(), venue.open())
        await venue.stop()
        return first, second

    first, second = asyncio.run(main())
    assert first == second
