"""ReplayVenue: one recording served over loopback the way its venue serves it, on one replay clock.

The engine is venue-neutral: the venue's replay protocol (:mod:`actors.replay.protocol`, one module per venue,
e.g. :mod:`actors.replay.binance`) says which stream a recorded frame belongs to, which frames feed the true
book, what a connection's URL asks for, how client frames are answered, and which REST routes exist.

One *pump* task walks the recording in order. Each record waits until it is due on the
:class:`~actors.replay.clock.ReplayClock`, then: depth frames and REST depth bodies update the venue's true book (a
:class:`~actors.replay.rebuild.BookRebuilder`), and websocket frames go to every subscriber of their stream through
that subscriber's fault pipeline (:mod:`actors.replay.injector`) into its bounded queue; one sender task per
connection writes the queue to the socket (:mod:`actors.replay.ws_server`). REST requests are served from the true
book (:mod:`actors.replay.rest_server`). Clients that connect late see the stream from that point on.

Memory is bounded: at most ``queue_cap`` frames wait per subscriber. At speed max the pump waits for space (the
replay runs as fast as the slowest subscriber reads); at finite speeds a subscriber that falls ``queue_cap`` frames
behind is disconnected, as a live venue drops a slow consumer.

Usage (any asyncio loop; :mod:`actors.replay.actor` wraps it as a Ray actor)::

    venue = ReplayVenue(["data/sample/hftbacktest/binance_spot/btcusdt_20240808.gz"], speed="max", paused=True)
    urls = await venue.open()        # {"ws": "ws://127.0.0.1:PORT", "rest": "http://127.0.0.1:PORT", ...}
    ...connect subscribers...
    await venue.start()              # or: await venue.step(100) to dispatch 100 records while paused
    await venue.wait_finished()
    await venue.stop()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from actors.errors import ConfigError
from actors.instruments import Venue
from actors.replay.captures import CaptureRecord, Recording
from actors.replay.clock import LatenessHistogram, ReplayClock, format_speed
from actors.replay.config import ReplayConfig
from actors.replay.depth import load_exchange_info
from actors.replay.faultlog import FaultLog
from actors.replay.injector import FaultInjector, Outgoing, RestFault
from actors.replay.protocol import Session, protocol_for
from actors.replay.rest_server import RestEndpoint
from actors.replay.source import ReplaySource
from actors.replay.ws_server import DISCONNECT, ENDED, Subscriber, WsEndpoint

__all__ = ["ReplayConfig", "ReplayVenue"]

_YIELD_EVERY = 256  # records between forced yields to the loop, so sockets are served at speed max


class ReplayVenue:
    """A loopback venue replaying one recording (any venue with a replay protocol, :data:`~actors.replay.protocol.PROTOCOLS`).

    Args:
        source: capture file paths forming one recording, a :class:`Recording`, or a :class:`ReplaySource`.
        config: options (:class:`ReplayConfig`); keyword ``options`` override fields of it.

    Raises:
        ConfigError: invalid options, the paths form more than one recording, or no replay protocol for the venue.
        CaptureError / UnknownCaptureFormat: a file cannot be read.
    """

    def __init__(
        self,
        source: ReplaySource | Recording | Sequence[str | Path],
        config: ReplayConfig | None = None,
        **options: object,
    ) -> None:
        config = (config or ReplayConfig()).with_options(**options)
        self.config = config
        if isinstance(source, Recording):
            source = ReplaySource.from_recording(source, config.max_records)
        elif not isinstance(source, ReplaySource):
            source = ReplaySource.from_paths(list(source), config.max_records, config.venue)
        self.source = source
        self.venue: Venue = source.venue
        self.protocol = protocol_for(self.venue)
        self.index = source.index()
        self.known_streams = frozenset(self.index.streams)
        self.clock = ReplayClock(config.speed, self.index.first_ts if config.origin_ns is None else config.origin_ns)
        self.book = self.protocol.true_book(self.index.symbols)
        self.fault_log: FaultLog | None = None
        self.injector: FaultInjector | None = None
        self.exchange_info: bytes | None = None
        if getattr(self.protocol, "serves_exchange_info", False) and config.exchange_info != "":
            self.exchange_info = load_exchange_info(*([config.exchange_info] if config.exchange_info else []))
        self.subscribers: list[Subscriber] = []
        self.connections = self.rest_requests = self.records_dispatched = self.frames_sent = 0
        self.slow_disconnects = self.max_queued = 0
        self.finished = False
        self.lateness = LatenessHistogram()  # dispatch lateness against the schedule (finite speeds)
        self._wake = asyncio.Event()
        self._book_changed = asyncio.Event()
        self._finished = asyncio.Event()
        self._progress = asyncio.Event()
        self._step_budget = 0
        self._step_target = -1
        self._pump: asyncio.Task | None = None
        self._ws: WsEndpoint | None = None
        self._rest: RestEndpoint | None = None
        self._open_lock = asyncio.Lock()
        self._background: set[asyncio.Task] = set()
        self._stopping = False
        self.testnet = None  # TestnetService when config.testnet is set (created by open())
        self._recorded_rest: dict[str, list[tuple[dict[str, str], bytes]]] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------
    async def open(self) -> dict:
        """Bind both servers and start the pump (the clock runs unless ``paused``); idempotent.

        Returns:
            :meth:`urls`.
        """
        async with self._open_lock:  # concurrent calls (e.g. urls() and start() on the actor) bind once
            if self._pump is None:
                cfg = self.config
                self.fault_log = FaultLog(cfg.fault_log)
                self.injector = FaultInjector(cfg.faults, cfg.seed, self.fault_log)
                if cfg.testnet is not None:
                    from actors.replay.testnet.service import TestnetService

                    self.testnet = TestnetService(self)
                    self.testnet.start()
                self._ws = WsEndpoint(self)
                await self._ws.open(cfg.host, cfg.ws_port)
                self._rest = RestEndpoint(self)
                await self._rest.open(cfg.host, cfg.rest_port)
                if not cfg.paused:
                    self.clock.start(time.monotonic_ns())
                self._pump = asyncio.create_task(self._run_pump(), name=f"replay-pump-{self.venue.value}")
        return self._urls()

    async def start(self, at_epoch_ns: int | None = None) -> dict:
        """Run the clock (open first if needed).

        Args:
            at_epoch_ns: wall time (``time.time_ns()``) at which the current replay position is due; give several
                venues the same value (and ``origin_ns``) to keep them aligned. Default: now.

        Returns:
            :meth:`status`.
        """
        await self.open()
        now = time.monotonic_ns()
        at = None if at_epoch_ns is None else now + (at_epoch_ns - time.time_ns())
        self.clock.start(now, at)
        self._wake.set()
        return await self.status()

    async def pause(self) -> dict:
        """Freeze replay time. Returns :meth:`status`."""
        self.clock.pause(time.monotonic_ns())
        self._wake.set()
        return await self.status()

    async def step(self, records: int = 1, timeout_s: float = 60.0) -> dict:
        """While paused, dispatch the next ``records`` records (ignoring their timestamps) and return :meth:`status`.

        Raises:
            ConfigError: the clock is running.
            TimeoutError: the records were not dispatched within ``timeout_s`` (e.g. no subscriber at speed max).
        """
        await self.open()
        if self.clock.state.value == "running":
            raise ConfigError("replay: step() needs a paused venue")
        self._step_target = self.records_dispatched + self._step_budget + records
        self._step_budget += records
        self._progress.clear()
        self._wake.set()
        async with asyncio.timeout(timeout_s):
            while self.records_dispatched < self._step_target and not self.finished:
                await self._progress.wait()
                self._progress.clear()
        return await self.status()

    async def wait_finished(self, timeout_s: float | None = None) -> bool:
        """Wait until every record was dispatched; False on timeout."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._finished.wait()
        except TimeoutError:
            return False
        return True

    async def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every subscriber's queue is empty (all dispatched frames written); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while any(s.queue.qsize() for s in self.subscribers if not s.closing):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def stop(self) -> dict:
        """Stop the pump, close every connection (code 1001) and both servers; returns the final :meth:`status`."""
        self._stopping = True
        self._wake.set()
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._rest is not None:
            await self._rest.close()
        if self.testnet is not None:
            await self.testnet.stop()
        status = await self.status()
        if self.fault_log is not None:
            self.fault_log.close()
        return status

    async def urls(self) -> dict:
        """Where the venue serves (opens it first if needed): see :meth:`_urls`."""
        return await self.open()

    async def status(self) -> dict:
        """Replay position, counters and per-client state (see the README's replay section for the keys)."""
        now = time.monotonic_ns()
        clients = [s.status() for s in self.subscribers]
        log = self.fault_log
        return {
            "venue": self.venue.value, "source": self.source.name, "speed": format_speed(self.clock.speed),
            "state": "finished" if self.finished else self.clock.state.value, "finished": self.finished,
            "position_ns": self.clock.position_ns(now), "origin_ns": self.clock.origin_ns,
            "first_ts": self.index.first_ts, "last_ts": self.index.last_ts,
            "records": self.records_dispatched, "records_total": self.index.records,
            "frames_sent": self.frames_sent, "connections": self.connections, "clients": clients,
            "queue_cap": self.config.queue_cap, "max_queued": self.max_queued,
            "slow_disconnects": self.slow_disconnects, "rest_requests": self.rest_requests,
            "faults": log.count if log else 0, "faults_by_kind": dict(log.by_kind) if log else {}, "books": self.book.books(),
            "dispatch_lateness": self.lateness.summary(),
        }  # fmt: skip

    # -- used by the endpoints -------------------------------------------------------------------------------
    def add_subscriber(self, ws: object, session: Session, path: str) -> Subscriber:
        """Register a new connection; it receives frames from the current replay position on."""
        conn = self.connections
        self.connections += 1
        opened = self.clock.position_ns(time.monotonic_ns())
        faults = self.injector.connection(conn, opened) if self.injector else None
        sub = Subscriber(conn, ws, session, self.config.queue_cap, faults, path)
        self.subscribers.append(sub)
        self._wake.set()
        return sub

    def remove_subscriber(self, sub: Subscriber) -> None:
        """Unregister a closed connection and free its queue (unblocks the pump if it waited on it)."""
        sub.closing = True
        if sub in self.subscribers:
            self.subscribers.remove(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        self._wake.set()

    def subscriptions_changed(self) -> None:
        """A connection (un)subscribed: the pump re-checks for listeners."""
        self._wake.set()

    def position_ns(self) -> int:
        """Replay time now (recorder ns)."""
        return self.clock.position_ns(time.monotonic_ns())

    def rest_fault(self, path: str, symbol: str | None) -> RestFault | None:
        """Count a REST request and decide whether it fails (fault injection)."""
        request = self.rest_requests
        self.rest_requests += 1
        return self.injector.rest(request, self.position_ns(), path, symbol) if self.injector else None

    def recorded_rest(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        """Every recorded REST answer whose URL path is ``path``: ``(query, body)`` in recording order (query: the
        first value of each parameter). For answers replayed as recorded, whatever the replay time (instrument
        lists). Read once per path from the recording, then cached."""
        found = self._recorded_rest.get(path)
        if found is None:
            found = self._recorded_rest[path] = []
            for record in self.source.records():
                if record.kind == "rest" and record.url and urlparse(record.url).path.rstrip("/") == path.rstrip("/"):
                    query = {k: v[0] for k, v in parse_qs(urlparse(record.url).query).items()}
                    found.append((query, record.data))
        return found

    async def depth_snapshot(self, symbol: str, limit: int) -> bytes | None:
        """The depth body for ``symbol`` at the current replay time, waiting for the first snapshot if needed.

        Returns:
            The recorded body byte for byte at the recorded snapshot's replay time (from its record until the next
            depth frame of the symbol, or for as long as the true book stays at its ``lastUpdateId``) when ``limit``
            covers its levels; else a body built from the true book (``lastUpdateId`` = last applied ``u``,
            ``limit`` levels per side). None when no snapshot arrived within ``snapshot_wait_s`` of wall time or
            the replay ended without one (answer 503).
        """
        deadline = time.monotonic() + self.config.snapshot_wait_s
        while not self.book.ready(symbol):
            remaining = deadline - time.monotonic()
            if self.finished or self._stopping or remaining <= 0:
                return None
            try:
                async with asyncio.timeout(remaining):
                    await self._book_changed.wait()
            except TimeoutError:
                return None
        return self.book.answer(symbol, limit, self.position_ns() // 1_000_000)

    # -- the pump --------------------------------------------------------------------------------------------
    async def _run_pump(self) -> None:
        count = 0
        for record in self.source.records():
            await self._gate(record.ts_recv)
            await self._dispatch(record)
            count += 1
            if count % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        for sub in list(self.subscribers):
            if sub.faults is not None and not sub.closing:
                for out in sub.faults.flush():
                    await self._enqueue(sub, out)
        self.finished = True
        for sub in list(self.subscribers):  # after their last frame, tell the clients the recording has ended
            if not sub.closing:
                await self._enqueue(sub, ENDED)
        self._finished.set()
        self._progress.set()
        self._pulse_book()
        if self.fault_log is not None:
            self.fault_log.flush()

    async def _gate(self, ts: int) -> None:
        clock = self.clock
        while True:
            self._wake.clear()
            delay_ns = clock.due_in_ns(ts, time.monotonic_ns())
            if delay_ns is None:  # paused
                if self._step_budget > 0:
                    self._step_budget -= 1
                    return
                await self._wake.wait()
                continue
            if clock.is_max and self.config.max_waits_for_subscribers and not self._has_listeners():
                await self._wake.wait()
                continue
            if delay_ns <= 0:
                if not clock.is_max:
                    self.lateness.add(-delay_ns)
                return
            try:
                async with asyncio.timeout(delay_ns / 1e9):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _has_listeners(self) -> bool:
        return any(not s.closing and s.session.streams for s in self.subscribers)

    async def _dispatch(self, record: CaptureRecord) -> None:
        ts = record.ts_recv
        self.clock.observe(ts)
        self.records_dispatched += 1
        if self.records_dispatched >= self._step_target >= 0:
            self._progress.set()
        protocol = self.protocol
        if record.kind == "rest":
            if protocol.is_snapshot_body(record.data):
                self._feed_book(record, None)
                if self.testnet is not None:
                    self.testnet.on_snapshot(record.data, ts)
            return
        if record.kind != "ws":
            return
        data = record.data
        stream = protocol.stream_of(data)
        if stream is None:
            return
        if protocol.is_book_stream(stream):
            self._feed_book(record, stream)
        if self.testnet is not None:  # paper fills against this frame, sent now (or at ts with event_clock)
            self.testnet.on_frame(data, ts)
        if not self.subscribers:
            return
        for sub in tuple(self.subscribers):
            if sub.closing or stream not in sub.session.streams:
                continue
            frame = sub.offered
            sub.offered += 1
            if sub.faults is None:
                await self._enqueue(sub, Outgoing(data, stream))
                continue
            outs, disconnect = sub.faults.on_frame(frame, ts, stream, data)
            for out in outs:
                await self._enqueue(sub, out)
            if disconnect:
                await self._enqueue(sub, DISCONNECT)
                sub.closing = True

    async def send_stream_snapshot(self, sub: Subscriber, stream: str) -> None:
        """A client subscribed to ``stream``: where the venue sends book snapshots on the stream, queue one built
        from the true book now (before any later frame of the stream)."""
        queue = sub.queue
        while queue.full() and not sub.closing:  # wait for room, then build and queue in one step: no frame of
            await asyncio.sleep(0.0005)  # the pump may slip between the true book read and the snapshot's place
        frame = self.protocol.snapshot_frame(stream, self.book)
        if frame is not None and not sub.closing:
            if queue.full():  # finite speeds: the slow-consumer rule applies
                await self._enqueue(sub, Outgoing(frame, stream))
            else:
                queue.put_nowait(Outgoing(frame, stream))

    async def _enqueue(self, sub: Subscriber, item: object) -> None:
        queue = sub.queue
        if queue.full():
            if not self.clock.is_max:
                if not sub.closing:
                    sub.closing = True
                    self.slow_disconnects += 1
                    self._spawn(sub.ws.close(1008, "replay venue: slow consumer"))
                return
            await queue.put(item)  # backpressure: the slowest subscriber sets the pace
            if sub.closing and sub not in self.subscribers:
                return
        else:
            queue.put_nowait(item)
        size = queue.qsize()
        if size > sub.max_queued:
            sub.max_queued = size
            if size > self.max_queued:
                self.max_queued = size

    def _feed_book(self, record: CaptureRecord, stream: str | None) -> None:
        version = self.book.version
        if stream is None:
            self.book.feed_rest(record)
        else:
            self.book.feed_depth(record, stream)
        if self.book.version != version:
            self._pulse_book()

    def _pulse_book(self) -> None:
        event, self._book_changed = self._book_changed, asyncio.Event()
        event.set()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _urls(self) -> dict:
        """``ws``/``rest`` base URLs, ports, streams and symbols, plus the protocol's own entries (Binance:
        ``combined`` (every stream) and the ``depth`` URL)."""
        cfg = self.config
        ws = f"ws://{cfg.host}:{self._ws.port if self._ws else cfg.ws_port}"
        rest = f"http://{cfg.host}:{self._rest.port if self._rest else cfg.rest_port}"
        return {
            "venue": self.venue.value, "ws": ws, "rest": rest, **self.protocol.urls(ws, rest, self.index),
            "ws_port": int(ws.rsplit(":", 1)[1]), "rest_port": int(rest.rsplit(":", 1)[1]),
            "streams": list(self.index.streams), "symbols": sorted(self.index.symbols),
        }  # fmt: skip

