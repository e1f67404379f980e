"""Fault injection end to end: reproducible logs across runs, and what a consumer detects matches what was injected."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from actors.replay.faultlog import read_fault_log
from actors.replay.venue import ReplayVenue
from actors.replay.ws_server import ENDED_CODE
from tests.conftest import SPOT

SPEC = "drop=0.01,dup=0.01,reorder=0.01:5,truncate=0.005,corrupt=0.005,delay_ms=2@0.002,disconnect_every=12s"


async def reconnecting_client(url: str, received: list[bytes], connections: list[int]) -> None:
    """Read frames; reconnect right away whenever the venue disconnects, stop when the recording has ended."""
    while True:
        try:
            async with connect(url) as ws:
                connections.append(1)
                async for frame in ws:
                    received.append(frame if isinstance(frame, bytes) else frame.encode())
                if ws.close_code == ENDED_CODE:
                    return
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == ENDED_CODE:
                return


def run_once(log_path, records=6000) -> tuple[list[bytes], dict, int]:
    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=records, faults=SPEC, seed=42,
                            fault_log=str(log_path))  # fmt: skip
        urls = await venue.open()
        received, connections = [], []
        client = asyncio.create_task(reconnecting_client(urls["combined"], received, connections))
        while not connections:
            await asyncio.sleep(0.01)
        await venue.start()
        assert await venue.wait_finished(30)
        assert await venue.drain()
        await asyncio.sleep(0.1)
        client.cancel()
        status = await venue.stop()
        return received, status, len(connections)

    return asyncio.run(main())


def test_the_same_seed_gives_an_identical_fault_log_across_runs(tmp_path):
    received_a, status_a, conns_a = run_once(tmp_path / "a.jsonl")
    received_b, status_b, conns_b = run_once(tmp_path / "b.jsonl")
    log_a = (tmp_path / "a.jsonl").read_bytes()
    assert log_a == (tmp_path / "b.jsonl").read_bytes()
    kinds = {e["kind"] for e in read_fault_log(tmp_path / "a.jsonl")}
    assert kinds >= {"drop", "dup", "reorder", "truncate", "corrupt", "disconnect"}
    assert conns_a == conns_b == status_a["connections"] >= 3
    assert received_a == received_b
    assert status_a["faults_by_kind"] == status_b["faults_by_kind"]


def test_gaps_a_consumer_detects_are_exactly_the_dropped_depth_frames(tmp_path):
    log_path = tmp_path / "faults.jsonl"

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=30000, faults="drop=0.03,dup=0.02", seed=9,
                            fault_log=str(log_path))  # fmt: skip
        urls = await venue.open()
        frames = []
        async with connect(f"{urls['ws']}/ws/btcusdt@depth@100ms") as ws:
            await venue.start()
            await venue.wait_finished(30)
            await venue.drain()
            try:
                while True:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), 1.0)))
            except (TimeoutError, ConnectionClosed):  # quiet, or the venue said the recording ended
                pass
        await venue.stop()
        return frames

    frames = asyncio.run(main())
    missing, duplicates, last_u = [], 0, None
    for frame in frames:  # Binance spot: every diff starts at the previous one's u + 1
        if last_u is not None:
            if frame["u"] <= last_u:
                duplicates += 1
                continue
            if frame["U"] != last_u + 1:
                missing.append((last_u + 1, frame["U"] - 1))
        last_u = frame["u"]
    entries = read_fault_log(log_path)
    drops = sorted((e["U"], e["u"]) for e in entries if e["kind"] == "drop")
    merged: list[tuple[int, int]] = []
    for first, last in drops:  # consecutive dropped diffs form one gap
        if merged and merged[-1][1] + 1 == first:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    if drops and drops[0][0] < frames[0]["U"]:
        merged = merged[1:] if merged[0][1] < frames[0]["U"] else merged  # a drop before the first frame received
    assert missing == merged and len(missing) > 20
    assert duplicates == sum(e["kind"] == "dup" for e in entries) > 20
