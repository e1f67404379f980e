"""The websocket side of a feed: connect, receive, answer pings, reconnect with backoff, detect a stale stream.

The transport never decodes JSON: it hands raw text frames and their receive time to ``on_frame``. It connects
to any URL the same way (``wss://stream.binance.com:9443/stream?streams=...`` or a replay venue's
``ws://127.0.0.1:PORT/stream?streams=...``).

Behaviour:

* keep-alive: websockets answers the venue's pings and sends its own every ``ping_interval_s``. A dead peer is
  noticed by the stale watchdog below, not by a keep-alive timeout: websockets stops reading the socket while
  its receive queue is full, so when we fall behind the pong waits behind frames we have not read yet, and a
  20 s ``ping_timeout`` closed live connections of the main job at speed max ("1011 keepalive ping timeout"),
  throwing away the frames the venue had queued for us. ``ping_timeout_s`` applies only when given, or when
  the stale watchdog is off (``stale_after_ms=0``: 60 s);
* stale feed: no frame for ``stale_after_ms`` closes the connection (counted in ``stale_disconnects``) and
  reconnects. Only time spent waiting for the venue counts: while the consumer holds the reader back (``drain``,
  its books or subscribers are slow) the venue is not silent, we are not reading, and closing then would throw
  away every frame the venue has queued for us;
  a new connection's first market data may take ``first_frame_ms`` (default 60 s), as long as
  ``stale_after_ms`` or longer: a venue may send nothing until it has news, and the replay venue holds its clock
  until every feed is connected and the API is up (10-20 s under load, which read as "stale" at 10 s). With
  ``data_frames`` given, only frames the consumer counts as data end that allowance: Bybit, OKX and Coinbase ack
  a subscription at once, and that ack is not the venue's first news;
* reconnect: exponential backoff with full jitter (:class:`~actors.feed.backoff.Backoff`), reset after a
  healthy connection; every (re)connection calls ``on_connect(reconnect: bool)`` so the feed can resync its books,
  and every lost connection calls ``on_disconnect(reason)`` at once, so books are marked not ready while the
  connection is down (a book nobody updates must not be served as ready);
* subscriptions: ``subscribe`` frames (venues that subscribe by message: Bybit, OKX, Coinbase ...) are sent on
  every (re)connection, after ``on_connect``; :meth:`send` sends more (a resubscribe);
* app-level heartbeat: ``app_ping_frame`` (Bybit ``{"op":"ping"}``, OKX ``ping``) is sent every
  ``app_ping_interval_s`` while connected, for venues that close a connection that sends nothing;
* a close with code 4001 (the replay venue's "recording ended") ends :meth:`run` without reconnecting: the
  books stay as the recording left them, which is the venue's true final state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.client import connect

from actors.feed.backoff import Backoff

ENDED_CODE = 4001  # actors.replay.ws_server.ENDED_CODE: the replay venue's "recording ended" close code

__all__ = ["TransportStats", "WebSocketTransport"]

log = logging.getLogger(__name__)


@dataclass
class TransportStats:
    """Connection counters (JSON-friendly)."""

    connected: bool = False
    connects: int = 0
    reconnects: int = 0
    disconnects: int = 0
    stale_disconnects: int = 0
    frames: int = 0
    last_frame_ns: int = 0
    last_error: str | None = None
    backoff_s: list[float] = field(default_factory=list)


class WebSocketTransport:
    """One websocket connection with reconnects.

    Args:
        url: the full stream URL.
        on_frame: called with ``(frame_text, ts_recv_ns)`` for every text frame, in order; returns True when the
            consumer wants ``drain`` awaited before the next frame is read (backpressure).
        on_connect: awaited after every successful connection (``reconnect`` is False the first time).
        on_disconnect: awaited when a connection is lost (reason ``"stale"`` or ``"disconnected"``), not on stop.
        drain: awaited when ``on_frame`` returns True.
        backoff: the reconnect policy.
        stale_after_ms: reconnect when no frame arrived for this long (ms); 0 disables.
        first_frame_ms: how long a new connection may wait for its first frame (ms; at least ``stale_after_ms``).
        data_frames: the consumer's count of frames that carried market data (None: every frame counts); until
            it moves on a connection, ``first_frame_ms`` applies.
        ping_interval_s: websocket keep-alive ping period (s).
        ping_timeout_s: close when a keep-alive pong takes longer (s); None (default): no timeout while the stale
            watchdog runs, 60 s when it is off (see the module docstring).
        max_frame_bytes: largest accepted frame (bytes).
        subscribe: text frames sent after every (re)connection, in order.
        app_ping_frame, app_ping_interval_s: an application-level ping sent every interval (s); None: none.
    """

    def __init__(
        self,
        url: str,
        on_frame: Callable[[str | bytes, int], bool],
        on_connect: Callable[[bool], Awaitable[None]],
        drain: Callable[[], Awaitable[None]] | None = None,
        backoff: Backoff | None = None,
        on_disconnect: Callable[[str], Awaitable[None]] | None = None,
        stale_after_ms: int = 10_000,
        first_frame_ms: int = 60_000,
        ping_interval_s: float = 20.0,
        ping_timeout_s: float | None = None,
        max_frame_bytes: int = 16 * 2**20,
        subscribe: tuple[str, ...] = (),
        app_ping_frame: str | None = None,
        app_ping_interval_s: float = 20.0,
        data_frames: Callable[[], int] | None = None,
    ) -> None:
        self.url = url
        self.subscribe = tuple(subscribe)
        self.app_ping_frame = app_ping_frame
        self.app_ping_interval_s = app_ping_interval_s
        self.on_frame = on_frame
        self.on_connect = on_connect
        self.drain = drain
        self.on_disconnect = on_disconnect
        self.backoff = backoff or Backoff()
        self.stale_after_ms = stale_after_ms
        self.ping_interval_s = ping_interval_s
        self.ping_timeout_s = ping_timeout_s if ping_timeout_s is not None or stale_after_ms else 60.0
        self.max_frame_bytes = max_frame_bytes
        self.stats = TransportStats()
        self.ended = False  # the (replay) venue closed with ENDED_CODE: its recording is over
        self._stop = asyncio.Event()
        self._ws = None
        self.first_frame_ms = first_frame_ms
        self.data_frames = data_frames
        self._holding = False  # the receive loop is inside ``drain()``: not reading (see _watch_stale)
        self._resumed_ns = 0  # when it last came back from ``drain()`` to read

    def stop(self) -> None:
        """Ask :meth:`run` to return after closing the connection."""
        self._stop.set()
        if self._ws is not None:
            asyncio.ensure_future(self._ws.close())

    async def send(self, text: str | bytes) -> bool:
        """Send one frame on the current connection (a venue protocol's auth or subscribe message, usually from
        ``on_connect``). Returns False when there is no connection (the next ``on_connect`` sends again)."""
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(text)
        except websockets.exceptions.ConnectionClosed:
            return False
        return True

    def reconnect(self) -> None:
        """Close the current connection (code 4000); :meth:`run` reconnects with backoff as after any loss."""
        if self._ws is not None:
            asyncio.ensure_future(self._ws.close(code=4000, reason="resync"))

    async def run(self) -> None:
        """Connect and receive until :meth:`stop`; reconnect on any failure."""
        first = True
        while not self._stop.is_set():
            frames_before = self.stats.frames
            stale_before = self.stats.stale_disconnects
            try:
                async with connect(
                    self.url,
                    ping_interval=self.ping_interval_s,
                    ping_timeout=self.ping_timeout_s,
                    max_size=self.max_frame_bytes,
                    open_timeout=10,
                    close_timeout=2,
                ) as ws:
                    self._ws = ws
                    self.stats.connected = True
                    self.stats.connects += 1
                    self.stats.reconnects += 0 if first else 1
                    self.backoff.connected(time.monotonic())
                    await self.on_connect(not first)
                    first = False
                    for frame in self.subscribe:
                        await ws.send(frame)
                    await self._receive(ws)
                    if ws.close_code == ENDED_CODE:
                        self.ended = True
            except websockets.exceptions.ConnectionClosed as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self.ended = exc.rcvd is not None and exc.rcvd.code == ENDED_CODE
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
            finally:
                was_connected = self.stats.connected
                if was_connected:
                    self.stats.disconnects += 1
                    self.backoff.disconnected(time.monotonic(), self.stats.frames > frames_before)
                self.stats.connected = False
                self._ws = None
            if self._stop.is_set():
                break
            if self.ended:  # a replay whose recording is over: not stale, not a reason to reconnect
                self.stats.last_error = "recording ended"
                break
            if was_connected and self.on_disconnect is not None:
                await self.on_disconnect("stale" if self.stats.stale_disconnects > stale_before else "disconnected")
            delay = self.backoff.next_delay_s()
            self.stats.backoff_s = (self.stats.backoff_s + [round(delay, 3)])[-10:]
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
            except asyncio.TimeoutError:
                pass

    async def _app_ping(self, ws) -> None:
        while True:
            await asyncio.sleep(self.app_ping_interval_s)
            await ws.send(self.app_ping_frame)

    async def _receive(self, ws) -> None:
        watchdog = asyncio.ensure_future(self._watch_stale(ws, time.time_ns())) if self.stale_after_ms else None
        pinger = asyncio.ensure_future(self._app_ping(ws)) if self.app_ping_frame else None
        stats, on_frame, drain, now = self.stats, self.on_frame, self.drain, time.time_ns
        try:
            while True:
                try:
                    frame = await ws.recv(decode=False)  # bytes: the parser reads them, no UTF-8 decode pass
                except websockets.exceptions.ConnectionClosedOK:
                    return
                ts = now()
                stats.frames += 1
                stats.last_frame_ns = ts
                if on_frame(frame, ts) and drain is not None:
                    self._holding = True
                    try:
                        await drain()
                    finally:
                        self._holding = False
                        self._resumed_ns = now()
                elif not stats.frames & 255:
                    await asyncio.sleep(0)  # let timers (flush, watchdog) run when frames never stop
                    self.backoff.tick(time.monotonic())
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if pinger is not None:
                pinger.cancel()

    async def _watch_stale(self, ws, start: int) -> None:
        """Close ``ws`` once no frame came for ``stale_after_ms`` while we were ready to read one: time the
        receive loop spent held in ``drain()`` is ours, not the venue's silence (module docstring)."""
        period_s = max(self.stale_after_ms / 4000, 0.05)
        data_frames = self.data_frames
        data_at_start = data_frames() if data_frames is not None else 0
        first_limit = max(self.first_frame_ms, self.stale_after_ms)
        while True:
            await asyncio.sleep(period_s)
            if self._holding:
                continue
            last = max(self.stats.last_frame_ns, start, self._resumed_ns)
            got_data = data_frames() > data_at_start if data_frames is not None else self.stats.last_frame_ns >= start
            limit = self.stale_after_ms if got_data else first_limit
            if (time.time_ns() - last) / 1e6 > limit:
                self.stats.stale_disconnects += 1
                self.stats.last_error = f"stale: no frame for {self.stale_after_ms} ms"
                await ws.close(code=4000, reason="stale feed")
                return
