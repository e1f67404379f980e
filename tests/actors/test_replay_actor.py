"""The ReplayVenue as a Ray actor in a real local Ray: ports picked by the OS, paused start, status, stop."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

from actors.replay.actor import ReplayVenueActor
from tests.conftest import SPOT
from tests.integration.replay_support import capture_lines, http_get, recv_frames, stream_frames


def test_actor_serves_the_capture_on_os_picked_ports_from_its_own_event_loop(ray_session):
    ray = ray_session
    expected = stream_frames(capture_lines(SPOT[:1], limit=5000))
    venue = ReplayVenueActor.options(num_cpus=0).remote([str(p) for p in SPOT], speed="max", paused=True, max_records=5000)
    try:
        urls = ray.get(venue.urls.remote(), timeout=60)
        assert urls["ws_port"] > 0 and urls["rest_port"] > 0 and urls["ws_port"] != urls["rest_port"]
        assert ray.get(venue.status.remote())["state"] == "paused"

        async def client():
            async with connect(urls["combined"]) as ws:
                started = await asyncio.wrap_future(venue.start.remote().future())
                frames = await recv_frames(ws, len(expected))
            depth = await http_get(urls["depth"], symbol="BTCUSDT", limit=5)
            return started, frames, depth

        started, frames, (status_code, _, body) = asyncio.run(client())
        assert started["state"] in ("running", "finished")
        assert frames == expected
        assert status_code == 200 and len(json.loads(body)["bids"]) == 5
        status = ray.get(venue.status.remote())
        assert status["finished"] and status["frames_sent"] == len(expected)
        assert status["books"]["BTCUSDT"]["ready"]
        final = ray.get(venue.stop.remote(), timeout=30)
        assert final["records"] == 5000
    finally:
        ray.kill(venue)
