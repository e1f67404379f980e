"""The live stream (serve/stream.py): server-side conflation, change detection, per-topic cadence, errors as
events, and the SSE wire format over a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI, HTTPException

from serve.stream import TOPICS, StreamHub, Topic, response, sse_frame


def hub_over(values: dict, topics: dict[str, Topic] | None = None, **kw) -> StreamHub:
    async def fetch(topic: str):
        value = values[topic]
        if isinstance(value, Exception):
            raise value
        return value

    return StreamHub(fetch, topics or {t: Topic(f"GET /{t}") for t in values}, **kw)


def decoded(pending: dict[str, bytes]) -> dict:
    return {k: orjson.loads(v) for k, v in pending.items()}


def test_a_slow_subscriber_gets_only_the_newest_value_of_each_topic():
    async def scenario():
        values = {"risk": {"n": 0}, "portfolio": {"equity": "1"}}
        hub = hub_over(values)
        sub = hub.subscribe()
        hub._task.cancel()  # drive the producer by hand
        for n in range(1, 6):
            values["risk"] = {"n": n}
            await hub.tick()
        got = decoded(await sub.take(timeout_s=0))
        return got, sub.conflated

    got, conflated = asyncio.run(scenario())
    assert got["risk"] == {"n": 5} and got["portfolio"] == {"equity": "1"}
    assert conflated >= 4  # four unsent risk values were replaced, never queued


def test_an_unchanged_topic_is_not_offered_again():
    async def scenario():
        values = {"risk": {"n": 1}, "portfolio": {"equity": "1"}}
        hub = hub_over(values)
        sub = hub.subscribe()
        hub._task.cancel()
        await hub.tick()
        await sub.take(timeout_s=0)
        values["portfolio"] = {"equity": "2"}
        await hub.tick()
        return decoded(await sub.take(timeout_s=0))

    got = asyncio.run(scenario())
    assert set(got) - {"meta"} == {"portfolio"} and got["portfolio"] == {"equity": "2"}


def test_a_new_subscriber_gets_the_last_value_of_every_topic_at_once():
    async def scenario():
        hub = hub_over({"risk": {"state": "active"}, "orders": {"orders": []}})
        first = hub.subscribe()
        hub._task.cancel()
        await hub.tick()
        late = hub.subscribe()
        hub._task.cancel()
        return decoded(await late.take(timeout_s=0)), first

    got, _ = asyncio.run(scenario())
    assert got["risk"] == {"state": "active"} and got["orders"] == {"orders": []}


def test_each_topic_is_read_on_its_own_cadence():
    reads: list[str] = []

    async def fetch(topic: str):
        reads.append(topic)
        return {"t": topic}

    async def scenario():
        hub = StreamHub(fetch, {"fast": Topic("GET /fast"), "slow": Topic("GET /slow", every=4)})
        hub.subscribe()
        hub._task.cancel()
        for _ in range(8):
            await hub.tick()

    asyncio.run(scenario())
    assert reads.count("fast") == 8 and reads.count("slow") == 2


def test_a_failing_topic_becomes_an_error_event_naming_its_status_and_the_others_still_flow():
    async def scenario():
        hub = hub_over({"risk": HTTPException(503, detail="risk (risk) is not running"), "portfolio": {"e": 1}})
        sub = hub.subscribe()
        hub._task.cancel()
        await hub.tick()
        return decoded(await sub.take(timeout_s=0)), hub.stats()

    got, stats = asyncio.run(scenario())
    assert got["error"] == {"topic": "risk", "status": 503, "detail": "risk (risk) is not running"}
    assert got["portfolio"] == {"e": 1} and stats["errors"] == 1


def test_the_producer_runs_only_while_someone_listens():
    reads: list[float] = []

    async def fetch(topic: str):
        reads.append(time.monotonic())
        return {"n": len(reads)}

    async def scenario():
        hub = StreamHub(fetch, {"risk": Topic("GET /risk")}, interval_s=0.01)
        sub = hub.subscribe()
        await asyncio.sleep(0.1)
        hub.unsubscribe(sub)
        await asyncio.sleep(0.05)
        stopped_at = len(reads)
        await asyncio.sleep(0.1)
        return stopped_at, hub._task

    stopped_at, task = asyncio.run(scenario())
    assert stopped_at >= 3 and len(reads) == stopped_at and task is None


def test_a_hanging_route_delays_only_its_own_topic_and_becomes_a_503_error():
    async def fetch(topic: str):
        if topic == "alerts":
            await asyncio.sleep(3600)  # e.g. a store read that never returns
        return {"topic": topic, "t": time.monotonic()}

    async def scenario():
        hub = StreamHub(fetch, {"alerts": Topic("GET /alerts"), "risk": Topic("GET /risk")}, interval_s=0.01,
                        fetch_timeout_s=0.2)  # fmt: skip
        sub = hub.subscribe()
        seen: list[dict] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any("error" in got for got in seen):
            seen.append(decoded(await sub.take(timeout_s=1)))
        hub.unsubscribe(sub)
        return seen

    seen = asyncio.run(scenario())
    risks = [got["risk"] for got in seen if "risk" in got]
    errors = [got["error"] for got in seen if "error" in got]
    assert len(risks) >= 5  # kept flowing while alerts hung
    assert errors and errors[0] == {"topic": "alerts", "status": 503, "detail": "alerts: no answer within 0.2 s"}


def test_sse_frames_follow_the_event_stream_format():
    assert sse_frame("risk", b'{"state":"halted"}', 7) == b'event: risk\nid: 7\ndata: {"state":"halted"}\n\n'


def test_every_topic_names_the_public_route_it_carries():
    assert all(t.route.startswith("GET /") for t in TOPICS.values())
    assert {"books", "status", "risk", "portfolio", "orders", "fills", "strategies", "alerts"} <= set(TOPICS)


# -- over HTTP ---------------------------------------------------------------------------------------------------
@pytest.fixture
def served():
    """A FastAPI app serving ``GET /stream`` from a hub over a dict the test changes, on a loopback port."""
    values = {"risk": {"state": "active"}, "portfolio": {"equity_usd": "20000"}}
    hub = hub_over(values, interval_s=0.02)
    app = FastAPI()

    @app.get("/stream")
    async def live(topics: str | None = None):
        return response(hub, topics)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", values, hub
    server.should_exit = True
    thread.join(timeout=10)


def read_events(lines, until) -> list[tuple[str, dict]]:
    events, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            events.append((event, json.loads(line[6:])))
            if until(events):
                return events
    return events


def test_the_stream_serves_server_sent_events_of_each_change(served):
    base, values, hub = served
    with httpx.stream("GET", f"{base}/stream", params={"topics": "risk"}, timeout=10) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        lines = resp.iter_lines()
        first = read_events(lines, lambda ev: any(e == "risk" for e, _ in ev))
        values["risk"] = {"state": "halted"}
        later = read_events(lines, lambda ev: any(e == "risk" for e, _ in ev))
    assert ("risk", {"state": "active"}) in first and ("risk", {"state": "halted"}) in later
    assert not [e for e, _ in first + later if e == "portfolio"]  # not asked for
    deadline = time.monotonic() + 5
    while hub.stats()["subscribers"] and time.monotonic() < deadline:  # the closed client is unsubscribed
        time.sleep(0.05)
    assert hub.stats()["subscribers"] == 0 and hub.stats()["sent"] >= 2


def test_an_unknown_topic_is_a_422_naming_it(served):
    base, _, _ = served
    resp = httpx.get(f"{base}/stream", params={"topics": "risk,nope"}, timeout=10)
    assert resp.status_code == 422 and "nope" in resp.json()["detail"]
