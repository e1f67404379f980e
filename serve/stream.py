"""Live updates: one conflated server-sent-event stream of public API objects (``GET /stream``), for the dashboard.

Each event's ``data`` is exactly the JSON a public ``GET`` route returns; the event name says which (the table is
:data:`TOPICS`). One producer per API replica (:class:`StreamHub`) reads every topic through the API's own handlers
on a fixed cadence, only while someone listens, and offers a topic to the subscribers only when its JSON changed.
Each subscriber holds at most one pending value per topic (:class:`Conflator`): a newer value replaces an unsent
one, so a slow browser gets the latest state, never a backlog, and the server's memory per client is bounded by the
number of topics. Conflation happens here, on the server; the page never polls.

Wire format (the W3C / WHATWG "Server-sent events" section of the HTML standard): ``event: <topic>``,
``id: <n>``, ``data: <one line of JSON>``, a blank line. ``event: error`` carries
``{"topic", "status", "detail"}`` when a topic's handler failed (e.g. 503 with the dead actor's role); ``event:
meta`` carries the hub's counters (:meth:`StreamHub.stats`) once a second; a comment line keeps idle connections
open. Payload sizes are bounded by the routes' own limits (depth, limit) in :data:`TOPICS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Conflator", "StreamHub", "TOPICS", "Topic", "api_topics", "sse_frame"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topic:
    """One stream topic: the route whose JSON it carries, and how often (every ``every`` ticks) it is read."""

    route: str
    every: int = 1


BOOK_DEPTH = 25
"""Levels per side of each ``books`` entry (``GET /books/{id}?depth=25``)."""

TOPICS: dict[str, Topic] = {
    "status": Topic("GET /status", every=2),
    "books": Topic("GET /books/{instrument_id}?depth=25, for every instrument of /status, keyed by instrument_id"),
    "bars": Topic("GET /bars/{instrument_id}?interval=1m&limit=60, for every instrument, keyed by instrument_id",
                  every=4),
    "risk": Topic("GET /risk"),
    "portfolio": Topic("GET /portfolio"),
    "positions": Topic("GET /positions", every=2),
    "orders": Topic("GET /orders?limit=100", every=2),
    "fills": Topic("GET /fills?limit=200", every=2),
    "strategies": Topic("GET /strategies", every=2),
    "signals": Topic("GET /strategies/{id}/signals?limit=20, for every strategy, keyed by strategy id", every=4),
    "performance": Topic("GET /performance", every=4),
    "alerts": Topic("GET /runs/{current}/system_alerts?limit=200", every=4),
}
"""Event name -> the route its data is the response of. Ticks are :attr:`StreamHub.interval_s` apart."""


def sse_frame(event: str, data: bytes, event_id: int | None = None) -> bytes:
    """One server-sent event. ``data`` must be one line (orjson output is)."""
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return head.encode() + b"data: " + data + b"\n\n"


class Conflator:
    """A subscriber's mailbox: at most one pending payload per topic, the newest (older unsent ones are dropped).

    Args:
        topics: the topics this subscriber wants (None: all).
    """

    def __init__(self, topics: frozenset[str] | None = None) -> None:
        self.topics = topics
        self._pending: dict[str, bytes] = {}
        self._ready = asyncio.Event()
        self.offered = 0
        self.conflated = 0

    def offer(self, topic: str, payload: bytes) -> None:
        """Keep ``payload`` as the topic's pending value (replacing an unsent one, counted in ``conflated``)."""
        if self.topics is not None and topic not in self.topics and topic not in ("error", "meta"):
            return
        self.offered += 1
        if topic in self._pending:
            self.conflated += 1
        self._pending[topic] = payload
        self._ready.set()

    async def take(self, timeout_s: float | None = None) -> dict[str, bytes]:
        """Every pending payload (topic -> JSON bytes), waiting until there is one; {} after ``timeout_s``."""
        if not self._pending:
            self._ready.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout_s)
        out, self._pending = self._pending, {}
        return out


Fetch = Callable[[str], Awaitable[Any]]
"""Reads one topic's current value (the route's JSON-friendly response); raises on failure."""


class StreamHub:
    """The replica's one producer: each topic is read every ``interval_s * every`` by its own loop (a slow route
    delays only its topic) and offered to every subscriber when its JSON changed. It runs only while there are
    subscribers.

    Args:
        fetch: ``await fetch(topic)`` -> the topic's value; an exception with ``status_code`` / ``detail`` (FastAPI's
            HTTPException) becomes an ``error`` event with that status, any other one a 500.
        topics: topic -> :class:`Topic` (how often it is read).
        interval_s: seconds between ticks (the page sees at most ``1 / interval_s`` updates of a topic per second).
        clock: monotonic seconds (tests pass a fake).
        fetch_timeout_s: a read taking longer becomes an ``error`` event (503, "no answer within ...").
    """

    def __init__(self, fetch: Fetch, topics: dict[str, Topic] = TOPICS, interval_s: float = 0.25,
                 clock: Callable[[], float] = time.monotonic, fetch_timeout_s: float = 10.0) -> None:  # fmt: skip
        self.fetch = fetch
        self.fetch_timeout_s = fetch_timeout_s
        self.topics = topics
        self.interval_s = interval_s
        self.clock = clock
        self._subscribers: set[Conflator] = set()
        self._last: dict[str, bytes] = {}
        self._task: asyncio.Task | None = None
        self.ticks = 0
        self.published = 0
        self.errors = 0
        self.sent = 0
        self.bytes_sent = 0
        self.subscribed_total = 0
        self._started = clock()
        self._last_meta = 0.0

    # -- subscribers -------------------------------------------------------------------------------------------
    def subscribe(self, topics: frozenset[str] | None = None) -> Conflator:
        """A new subscriber; it gets the last value of every topic at once, then changes."""
        sub = Conflator(topics)
        for topic, payload in self._last.items():
            sub.offer(topic, payload)
        self._subscribers.add(sub)
        self.subscribed_total += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return sub

    def unsubscribe(self, sub: Conflator) -> None:
        self._subscribers.discard(sub)

    def record_sent(self, frames: int, size: int) -> None:
        """Count what a subscriber's response actually wrote (for ``meta`` and the benchmark)."""
        self.sent += frames
        self.bytes_sent += size

    def stats(self) -> dict:
        """Counters: ``ticks``, ``published`` (topic changes offered), ``sent`` (events written to clients),
        ``conflated`` (values replaced before they were sent, over current subscribers), ``errors``,
        ``subscribers``, ``interval_ms``, ``uptime_s``."""
        return {"ticks": self.ticks, "published": self.published, "sent": self.sent, "bytes_sent": self.bytes_sent,
                "conflated": sum(s.conflated for s in self._subscribers), "errors": self.errors,
                "subscribers": len(self._subscribers), "interval_ms": round(self.interval_s * 1000),
                "uptime_s": round(self.clock() - self._started, 3)}  # fmt: skip

    # -- producer ----------------------------------------------------------------------------------------------
    async def poll(self, topic: str) -> None:
        """Read one topic (bounded by ``fetch_timeout_s``) and offer it if it changed, or offer its error."""
        try:
            value = await asyncio.wait_for(self.fetch(topic), self.fetch_timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error event the page shows
            self.errors += 1
            if isinstance(exc, asyncio.TimeoutError):
                status, detail = 503, f"{topic}: no answer within {self.fetch_timeout_s:g} s"
            else:
                status = getattr(exc, "status_code", 500)
                detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            self._offer("error", orjson.dumps({"topic": topic, "status": status, "detail": str(detail)}),
                        remember=False)  # fmt: skip
            return
        self._offer(topic, orjson.dumps(value))

    async def tick(self) -> None:
        """One round: read the topics due at this tick number concurrently (tests drive the hub with it)."""
        due = [t for t, spec in self.topics.items() if self.ticks % spec.every == 0]
        self.ticks += 1
        await asyncio.gather(*(self.poll(t) for t in due))
        self._meta()

    def _meta(self) -> None:
        now = self.clock()
        if now - self._last_meta >= 1.0:
            self._last_meta = now
            self._offer("meta", orjson.dumps(self.stats()), remember=False)

    def _offer(self, topic: str, payload: bytes, remember: bool = True) -> None:
        if remember:
            if self._last.get(topic) == payload:
                return
            self._last[topic] = payload
        self.published += 1
        for sub in self._subscribers:
            sub.offer(topic, payload)

    async def _run(self) -> None:
        """One polling loop per topic, so a slow or hanging route delays only its own topic."""

        async def loop(topic: str, period_s: float) -> None:
            while self._subscribers:
                started = self.clock()
                try:
                    await self.poll(topic)
                except Exception:  # noqa: BLE001 - keep streaming; logged and counted
                    self.errors += 1
                    log.exception("stream topic %s failed", topic)
                await asyncio.sleep(max(0.0, period_s - (self.clock() - started)))

        async def meta() -> None:
            while self._subscribers:
                self.ticks += 1
                self._meta()
                await asyncio.sleep(self.interval_s)

        try:
            await asyncio.gather(meta(), *(loop(t, self.interval_s * spec.every) for t, spec in self.topics.items()))
        finally:
            if self._task is asyncio.current_task():
                self._task = None


async def events(hub: StreamHub, sub: Conflator, keepalive_s: float = 15.0):
    """The response body of one subscriber: SSE frames until the client goes away (the caller unsubscribes)."""
    yield b"retry: 2000\n\n"
    seq = 0
    while True:
        pending = await sub.take(timeout_s=keepalive_s)
        if not pending:
            yield b": keepalive\n\n"
            continue
        chunk = b"".join(sse_frame(topic, payload, (seq := seq + 1)) for topic, payload in pending.items())
        hub.record_sent(len(pending), len(chunk))
        yield chunk


def api_topics(server) -> Fetch:
    """The fetcher of every :data:`TOPICS` entry through ``server``'s own route handlers (so each event's data is
    the route's response, byte for byte the same JSON shape)."""

    memo: dict[str, tuple[float, Any]] = {}

    async def recent(name: str, read, max_age_s: float = 2.0):
        """A read shared by the topics that need it (the instrument and strategy lists change rarely)."""
        now = time.monotonic()
        if name in memo and now - memo[name][0] < max_age_s:
            return memo[name][1]
        value = await read()
        memo[name] = (now, value)
        return value

    async def instruments() -> list[str]:
        status = await recent("status", server.status)
        return sorted({iid for book in status.get("books", {}).values() for iid in book.get("instruments", {})})

    async def book(iid: str) -> dict:
        return (await server.book(iid, depth=BOOK_DEPTH)).model_dump(mode="json")

    async def strategy_ids() -> list[str]:
        listed = await recent("strategies", server.list_strategies)
        return [s["strategy_id"] for s in listed["strategies"] if "strategy_id" in s]

    async def fetch(topic: str) -> Any:
        match topic:
            case "status":
                memo["status"] = (time.monotonic(), value := await server.status())
                return value
            case "books":
                ids = await instruments()
                views = await asyncio.gather(*(book(i) for i in ids), return_exceptions=True)
                return {i: v for i, v in zip(ids, views) if not isinstance(v, BaseException)}
            case "bars":
                ids = await instruments()
                got = await asyncio.gather(*(server.bars(i, interval="1m", limit=60) for i in ids),
                                           return_exceptions=True)  # fmt: skip
                return {i: g.model_dump(mode="json") for i, g in zip(ids, got) if not isinstance(g, BaseException)}
            case "risk":
                return await server.get_risk()
            case "portfolio":
                return await server.get_portfolio()
            case "positions":
                return await server.list_positions(strategy=None)
            case "orders":
                return await server.list_orders(status=None, strategy=None, limit=100)
            case "fills":
                return await server.list_fills(strategy=None, limit=200)
            case "strategies":
                memo["strategies"] = (time.monotonic(), value := await server.list_strategies())
                return value
            case "signals":
                ids = await strategy_ids()
                got = await asyncio.gather(*(server.strategy_signals(i, 20) for i in ids), return_exceptions=True)
                return {i: g["signals"] for i, g in zip(ids, got) if not isinstance(g, BaseException)}
            case "performance":
                return await server.get_performance()
            case "alerts":
                if server.run_id is None:
                    return {"rows": [], "total": 0}
                return await server.run_rows(server.run_id, "system_alerts", limit=200, offset=0, since_ns=None,
                                             until_ns=None)  # fmt: skip
        raise KeyError(topic)

    return fetch


def response(hub: StreamHub, topics: str | None):
    """The ``GET /stream`` response: subscribes to ``hub`` (only ``topics``, comma-separated, when given) and
    unsubscribes when the client goes away.

    Raises:
        HTTPException 422: an unknown topic (named, with the known ones).
    """
    from fastapi import HTTPException
    from fastapi.responses import StreamingResponse

    wanted = frozenset(topics.split(",")) if topics else None
    unknown = sorted((wanted or frozenset()) - set(hub.topics))
    if unknown:
        raise HTTPException(422, detail=f"topics: unknown {unknown}; known: {sorted(hub.topics)}")
    sub = hub.subscribe(wanted)

    async def body():
        try:
            async for chunk in events(hub, sub):
                yield chunk
        finally:
            hub.unsubscribe(sub)

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip


OPENAPI_RESPONSES = {
    200: {
        "description": "text/event-stream. Event names and the route whose JSON each carries: "
        + "; ".join(f"`{name}`: {t.route}" for name, t in TOPICS.items())
        + ". `error`: {topic, status, detail} when a topic's route failed; `meta`: the stream's counters "
        "(ticks, published, sent, bytes_sent, conflated, errors, subscribers, interval_ms, uptime_s).",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    422: {"description": "An unknown topic"},
}
