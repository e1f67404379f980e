"""UserDataStream: one account's Binance user-data websocket (async, Ray-free): listen key, keep-alive, reconnects.

Lifecycle (Binance Spot API docs, "User Data Streams" with the listenKey endpoints; USDⓈ-M Futures docs, "User Data
Streams" / "Start / Keepalive / Close User Data Stream"):

* **listen key**: created through :class:`ListenKeyApi` (spot ``POST /api/v3/userDataStream``, USD-M
  ``POST /fapi/v1/listenKey``, both with the ``X-MBX-APIKEY`` header only) and kept alive every
  ``keepalive_interval_s`` (default 30 min: "It's recommended to send a ping about every 30 minutes"; the key
  expires 60 min after its last keep-alive). A failed keep-alive creates the key again (a ``POST`` on an account with
  an active key returns that key and extends it); a different key means a new connection.
* **socket**: ``<ws_base_url>/ws/<listenKey>`` with :mod:`websockets`; websockets answers the venue's pings and sends
  its own every ``ping_interval_s``, so a dead peer is noticed after ``ping_timeout_s`` (the stale-socket detection
  for a stream that may be silent for hours when nothing trades); ``stale_after_s`` > 0 also closes a socket that
  delivered nothing for that long.
* **reconnect** with the project's :class:`~actors.feed.backoff.Backoff` (full jitter, reset after a healthy
  connection). ``listenKeyExpired`` / ``eventStreamTerminated`` (or the venue refusing the handshake) drops the key:
  the next connection creates one, at once.
* **callbacks**: ``on_events(list[UserDataEvent])`` in arrival order, and ``on_reconnect(reason)`` with ``reason`` in
  ``"connect"`` (first connection), ``"reconnect"``, ``"listen_key_expired"``, ``"overflow"``, ``"periodic"``: the
  reconciliation hook. It is queued behind the events received before it, after the new socket is open, so REST
  read in the hook covers everything the stream may have missed (the tracker de-duplicates what both report).
  Callbacks may be plain functions or coroutines; they run on the stream's event loop, one at a time.
* **never blocks the reader**: parsed events go to a bounded queue (``max_queue``); when it is full, events are
  dropped (``stats.dropped``) and an ``on_reconnect("overflow")`` follows, so reconciliation recovers them from REST.
  Frames that do not parse are counted (``malformed``, ``unsupported``) and skipped.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import connect

from actors.errors import MalformedFrame, UnsupportedFrame
from actors.execution.userdata.model import ListenKeyExpired, StreamTerminated
from actors.execution.userdata.parse import UserDataParser
from actors.feed.backoff import Backoff
from actors.instruments import InstrumentSpec, Venue

__all__ = ["ListenKeyApi", "UserDataStats", "UserDataStream", "ccxt_listen_key_api", "rest_listen_key_api"]

log = logging.getLogger(__name__)

SPOT_LISTEN_KEY_PATH = "/api/v3/userDataStream"
USDM_LISTEN_KEY_PATH = "/fapi/v1/listenKey"


@dataclass(frozen=True)
class ListenKeyApi:
    """The three listen-key calls, as async callables (built by :func:`rest_listen_key_api` /
    :func:`ccxt_listen_key_api`). ``create() -> key``; ``keepalive(key)``; ``close(key)`` (optional). They raise
    whatever the REST client raises (the live client translates into :mod:`actors.errors`)."""

    create: Callable[[], Awaitable[str]]
    keepalive: Callable[[str], Awaitable[Any]]
    close: Callable[[str], Awaitable[Any]] | None = None


def _key_of(answer: Any) -> str:
    key = answer.get("listenKey") if isinstance(answer, Mapping) else None
    if not isinstance(key, str) or not key:
        raise MalformedFrame("binance", "listen key answer without 'listenKey'", repr(answer))
    return key


def rest_listen_key_api(rest: Callable[[str, str, dict], Awaitable[Any]], venue: Venue | str = Venue.BINANCE,
                        ) -> ListenKeyApi:  # fmt: skip
    """Listen-key calls through ``rest(method, path, params) -> decoded JSON`` (which sends ``X-MBX-APIKEY``).

    Spot: ``POST|PUT|DELETE /api/v3/userDataStream`` (``listenKey`` param on PUT / DELETE); USD-M:
    ``POST|PUT|DELETE /fapi/v1/listenKey`` (no params).
    """
    if Venue(venue) is Venue.BINANCE_USDM:
        path = USDM_LISTEN_KEY_PATH

        async def create() -> str:
            return _key_of(await rest("POST", path, {}))

        return ListenKeyApi(create, lambda key: rest("PUT", path, {}), lambda key: rest("DELETE", path, {}))
    path = SPOT_LISTEN_KEY_PATH

    async def create_spot() -> str:
        return _key_of(await rest("POST", path, {}))

    return ListenKeyApi(create_spot, lambda key: rest("PUT", path, {"listenKey": key}),
                        lambda key: rest("DELETE", path, {"listenKey": key}))  # fmt: skip


def ccxt_listen_key_api(exchange: Any, venue: Venue | str = Venue.BINANCE) -> ListenKeyApi:
    """Listen-key calls through a ccxt (async) ``binance`` / ``binanceusdm`` instance's implicit methods
    (``publicPostUserDataStream`` ..., ``fapiPrivatePostListenKey`` ...: ccxt sends only the API key header for
    these paths, ``binance.sign``)."""
    if Venue(venue) is Venue.BINANCE_USDM:
        async def create() -> str:
            return _key_of(await exchange.fapiPrivatePostListenKey({}))

        return ListenKeyApi(create, lambda key: exchange.fapiPrivatePutListenKey({}),
                            lambda key: exchange.fapiPrivateDeleteListenKey({}))  # fmt: skip

    async def create_spot() -> str:
        return _key_of(await exchange.publicPostUserDataStream({}))

    return ListenKeyApi(create_spot, lambda key: exchange.publicPutUserDataStream({"listenKey": key}),
                        lambda key: exchange.publicDeleteUserDataStream({"listenKey": key}))  # fmt: skip


@dataclass
class UserDataStats:
    """Counters (JSON-friendly)."""

    connected: bool = False
    connects: int = 0
    reconnects: int = 0
    disconnects: int = 0
    stale_disconnects: int = 0
    frames: int = 0
    events: int = 0
    malformed: int = 0
    unsupported: int = 0
    dropped: int = 0
    listen_keys_created: int = 0
    key_expiries: int = 0
    keepalives: int = 0
    keepalive_failures: int = 0
    reconciles_requested: int = 0
    handshake_refusals: int = 0
    callback_errors: int = 0
    last_error: str | None = None
    backoff_s: list[float] = field(default_factory=list)


_Callback = Callable[..., Any]


class UserDataStream:
    """Args:
    ws_base_url: ``wss://stream.binance.com:9443`` / ``wss://fstream.binance.com`` / the testnet venue's
        ``ws://127.0.0.1:PORT`` (``/ws/<listenKey>`` is appended).
    listen_keys: the listen-key calls.
    on_events: called with each batch (list, in order) of parsed events.
    on_reconnect: called with the reason (see the module docstring): run reconciliation there.
    venue: ``binance`` or ``binance_usdm``; specs: instrument specs by venue symbol (see :class:`UserDataParser`).
    backoff: reconnect policy.
    keepalive_interval_s: listen-key keep-alive period (s).
    reconcile_interval_s: ``on_reconnect("periodic")`` period while connected (s); 0 disables.
    ping_interval_s, ping_timeout_s: websocket keep-alive (s).
    stale_after_s: close a socket silent this long (s); 0 disables (user-data streams are silent when idle).
    max_queue: bound of the event queue; max_batch: largest ``on_events`` batch.
    clock: wall clock in ns for ``ts_recv``.
    """

    def __init__(self, ws_base_url: str, listen_keys: ListenKeyApi, on_events: _Callback, on_reconnect: _Callback,
                 venue: Venue | str = Venue.BINANCE, specs: Mapping[str, InstrumentSpec] | None = None,
                 backoff: Backoff | None = None, keepalive_interval_s: float = 1800.0,
                 reconcile_interval_s: float = 0.0, ping_interval_s: float = 20.0, ping_timeout_s: float = 20.0,
                 stale_after_s: float = 0.0, max_queue: int = 10_000, max_batch: int = 500,
                 clock: Callable[[], int] = time.time_ns, close_key_on_stop: bool = True) -> None:  # fmt: skip
        self.ws_base_url = ws_base_url.rstrip("/")
        self.listen_keys = listen_keys
        self.on_events = on_events
        self.on_reconnect = on_reconnect
        self.parser = UserDataParser(venue, specs)
        self.backoff = backoff or Backoff()
        self.keepalive_interval_s = keepalive_interval_s
        self.reconcile_interval_s = reconcile_interval_s
        self.ping_interval_s = ping_interval_s
        self.ping_timeout_s = ping_timeout_s
        self.stale_after_s = stale_after_s
        self.max_queue = max_queue
        self.max_batch = max_batch
        self.clock = clock
        self.close_key_on_stop = close_key_on_stop
        self.stats = UserDataStats()
        self.listen_key: str | None = None
        self._queue: deque = deque()  # events, or ("reconnect", reason) markers
        self._markers = 0
        self._wake = asyncio.Event()
        self._overflow = False
        self._stop = asyncio.Event()
        self._ws = None
        self._expired = False

    # ---- control -------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask :meth:`run` to return (it closes the socket and, by default, the listen key)."""
        self._stop.set()
        self._close_ws(1000, "stop")

    def reconnect(self) -> None:
        """Close the current socket; :meth:`run` reconnects (and calls ``on_reconnect("reconnect")``)."""
        self._close_ws(4000, "reconnect")

    def request_reconcile(self, reason: str = "requested") -> None:
        """Queue an ``on_reconnect(reason)`` behind the events already received."""
        self._put_marker(reason)

    def _close_ws(self, code: int, reason: str) -> None:
        if self._ws is not None:
            asyncio.ensure_future(self._ws.close(code=code, reason=reason))

    @property
    def queued(self) -> int:
        return len(self._queue)

    # ---- the loop ------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect and receive until :meth:`stop`; reconnect on any failure."""
        tasks = [asyncio.ensure_future(self._consume()), asyncio.ensure_future(self._keepalive_loop())]
        if self.reconcile_interval_s > 0:
            tasks.append(asyncio.ensure_future(self._periodic()))
        first = True
        try:
            while not self._stop.is_set():
                frames_before = self.stats.frames
                connected = False
                try:
                    if self.listen_key is None:
                        self.listen_key = await self.listen_keys.create()
                        self.stats.listen_keys_created += 1
                    async with connect(f"{self.ws_base_url}/ws/{self.listen_key}", ping_interval=self.ping_interval_s,
                                       ping_timeout=self.ping_timeout_s, open_timeout=10, close_timeout=2,
                                       max_size=2**20) as ws:  # fmt: skip
                        self._ws = ws
                        connected = True
                        self.stats.connected = True
                        self.stats.connects += 1
                        self.stats.reconnects += 0 if first else 1
                        self.backoff.connected(time.monotonic())
                        reason = "connect" if first else ("listen_key_expired" if self._expired else "reconnect")
                        self._expired = False
                        first = False
                        self._put_marker(reason)
                        await self._receive(ws)
                except websockets.exceptions.InvalidStatus as exc:  # the venue refused this key's handshake
                    self.stats.handshake_refusals += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    self.listen_key = None
                except websockets.exceptions.ConnectionClosed as exc:
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                except Exception as exc:  # the REST client's error creating the key (its own tree): retry with backoff
                    self.stats.last_error = f"listen key: {type(exc).__name__}: {exc}"
                    log.warning("user-data stream: creating the listen key failed: %s", type(exc).__name__)
                finally:
                    self._ws = None
                    if connected:
                        self.stats.connected = False
                        self.stats.disconnects += 1
                        self.backoff.disconnected(time.monotonic(), self.stats.frames > frames_before)
                if self._stop.is_set():
                    break
                if self._expired and connected:
                    continue  # a new key at once: the venue ended this one, not a failure
                delay = self.backoff.next_delay_s()
                self.stats.backoff_s = (self.stats.backoff_s + [round(delay, 3)])[-10:]
                try:
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._drain()
            if self.close_key_on_stop and self.listen_key is not None and self.listen_keys.close is not None:
                try:
                    await self.listen_keys.close(self.listen_key)
                except Exception as exc:  # best effort: the key expires by itself within 60 min
                    log.info("user-data stream: closing the listen key failed: %s", type(exc).__name__)

    async def _receive(self, ws) -> None:
        stats, parse, clock = self.stats, self.parser.parse, self.clock
        timeout = self.stale_after_s if self.stale_after_s > 0 else None
        while True:
            try:
                frame = await asyncio.wait_for(ws.recv(decode=False), timeout=timeout)
            except asyncio.TimeoutError:
                stats.stale_disconnects += 1
                await ws.close(code=4000, reason="stale")
                return
            ts_recv = clock()
            stats.frames += 1
            try:
                event = parse(frame, ts_recv)
            except UnsupportedFrame:
                stats.unsupported += 1
                continue
            except MalformedFrame as exc:
                stats.malformed += 1
                log.warning("user-data stream: %s", exc)
                continue
            stats.events += 1
            self._put(event)
            if isinstance(event, (ListenKeyExpired, StreamTerminated)):
                stats.key_expiries += 1
                self._expired = True
                self.listen_key = None
                await ws.close(code=1000, reason="listen key expired")
                return

    def _put(self, event) -> None:
        if len(self._queue) - self._markers >= self.max_queue:
            self.stats.dropped += 1
            self._overflow = True
        else:
            self._queue.append(event)
        self._wake.set()

    def _put_marker(self, reason: str) -> None:
        self.stats.reconciles_requested += 1
        self._queue.append(("reconnect", reason))
        self._markers += 1
        self._wake.set()

    async def _call(self, fn: _Callback, arg) -> None:
        try:
            result = fn(arg)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:
            self.stats.callback_errors += 1
            log.exception("user-data stream: callback %s failed", getattr(fn, "__name__", fn))

    async def _drain(self) -> None:
        queue = self._queue
        while queue:
            batch = []
            while queue and len(batch) < self.max_batch and not isinstance(queue[0], tuple):
                batch.append(queue.popleft())
            if batch:
                await self._call(self.on_events, batch)
            elif queue:
                _, reason = queue.popleft()
                self._markers -= 1
                await self._call(self.on_reconnect, reason)
        if self._overflow:
            self._overflow = False
            self.stats.reconciles_requested += 1
            await self._call(self.on_reconnect, "overflow")

    async def _consume(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._drain()

    async def _keepalive_loop(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_interval_s)
            key = self.listen_key
            if key is None:
                continue
            try:
                await self.listen_keys.keepalive(key)
                self.stats.keepalives += 1
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.keepalive_failures += 1
                self.stats.last_error = f"keepalive: {type(exc).__name__}: {exc}"
            try:  # a POST returns the active key (extended) or a new one
                new = await self.listen_keys.create()
                self.stats.listen_keys_created += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.last_error = f"listen key: {type(exc).__name__}: {exc}"
                continue
            if new != key:
                self.listen_key = new
                self._expired = True
                self._close_ws(1000, "new listen key")

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_interval_s)
            if self.stats.connected:
                self._put_marker("periodic")
