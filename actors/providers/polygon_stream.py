"""Polygon.io WebSocket client over the shared websocket transport: auth, subscribe / unsubscribe, status
handling, reconnect with backoff and re-subscription.

Protocol (Polygon.io docs, "WebSocket > Getting started"): connect to ``wss://socket.polygon.io/crypto`` (or
``/stocks``); the server says ``[{"ev":"status","status":"connected",...}]``; the client sends
``{"action":"auth","params":KEY}`` and gets ``auth_success`` or ``auth_failed``; then
``{"action":"subscribe","params":"XT.BTC-USD,XQ.BTC-USD"}`` (``unsubscribe`` likewise), each answered by a
``success`` status per channel; a key already connected elsewhere gets ``max_connections``.

Behaviour:

* every (re)connection authenticates first and, on ``auth_success``, subscribes every channel wanted at that
  moment (so a reconnect restores the subscriptions); channels subscribed while connected are sent at once;
* ``auth_failed`` and ``max_connections`` are permanent (:class:`AuthenticationFailed`, :class:`ConnectionLimit`):
  the client stops and :meth:`PolygonStream.run` raises them; anything else that ends a connection (a close, an
  error, a stale stream when ``stale_after_ms`` is set) reconnects with exponential backoff and full jitter
  (:class:`~actors.feed.backoff.Backoff`, reset after a healthy connection);
* data events are parsed by the pure :class:`~actors.feed.venues.polygon.PolygonParser` and handed over as one
  list per message to ``on_events`` (``Trade``, ``Quote``, ``Bar``); a malformed message is counted and skipped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from pydantic import SecretStr

from actors.errors import MalformedFrame, VenueError
from actors.feed.backoff import Backoff
from actors.feed.transport import WebSocketTransport
from actors.feed.venues.polygon import WS_BASE_URL, PolygonParser, PolygonStatus, auth_frame, status_error
from actors.feed.venues.polygon import subscribe_frame

__all__ = ["PolygonStream"]


class PolygonStream:
    """One Polygon WebSocket connection (one market).

    Args:
        api_key: the key (``SecretStr``).
        market: ``"crypto"`` or ``"stocks"`` (picks the default URL).
        url: the full URL (default :data:`WS_BASE_URL` of the market; a loopback fake in tests).
        channels: channels to subscribe from the start (``["XT.BTC-USD", "XA.BTC-USD"]``,
            :func:`~actors.feed.venues.polygon.channels_for`).
        on_events: called with each message's market events (``Trade`` / ``Quote`` / ``Bar``), in order.
        backoff: reconnect policy. stale_after_ms: reconnect after this long without a message (0: never;
            Polygon sends nothing on a quiet pair, websocket pings keep the connection checked).

    Attributes:
        state: ``connecting``, ``authenticating``, ``subscribed`` (authenticated), ``failed``, ``stopped``.
        subscribed: channels the server confirmed on the current connection.
        error: the permanent error that stopped the client, if any.
        statuses: the last 50 status events. malformed, events: counters.
    """

    def __init__(self, api_key: SecretStr | str, market: str = "crypto", url: str | None = None,
                 channels: Iterable[str] = (), on_events: Callable[[list], None] | None = None,
                 backoff: Backoff | None = None, stale_after_ms: int = 0, clock=time.time_ns) -> None:  # fmt: skip
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self.url = url or WS_BASE_URL[market]
        self.wanted: dict[str, None] = dict.fromkeys(channels)
        self.subscribed: set[str] = set()
        self.on_events = on_events or (lambda events: None)
        self.parser = PolygonParser()
        self.state = "connecting"
        self.error: VenueError | None = None
        self.statuses: list[PolygonStatus] = []
        self.malformed = self.events = self.auths = 0
        self.clock = clock
        self._tasks: set[asyncio.Task] = set()
        self.transport = WebSocketTransport(self.url, self._on_frame, self._on_connect, backoff=backoff,
                                            on_disconnect=self._on_disconnect, stale_after_ms=stale_after_ms)  # fmt: skip

    @property
    def stats(self):
        """The transport's connection counters (connects, reconnects, backoff_s, ...)."""
        return self.transport.stats

    async def run(self) -> None:
        """Connect, authenticate, subscribe, receive; reconnect on failures until :meth:`stop`.

        Raises:
            AuthenticationFailed: the key was refused (``auth_failed``).
            ConnectionLimit: ``max_connections``.
        """
        await self.transport.run()
        for task in list(self._tasks):
            task.cancel()
        if self.error is not None:
            self.state = "failed"
            raise self.error
        self.state = "stopped"

    def stop(self) -> None:
        """Close the connection and make :meth:`run` return."""
        self.transport.stop()

    async def subscribe(self, channels: Iterable[str]) -> None:
        """Want ``channels`` from now on (sent now when authenticated, else after the next ``auth_success``)."""
        new = [c for c in channels if c not in self.wanted]
        self.wanted.update(dict.fromkeys(new))
        if new and self.state == "subscribed":
            await self.transport.send(subscribe_frame(new))

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        """Stop wanting ``channels`` (sent now when authenticated)."""
        gone = [c for c in channels if c in self.wanted]
        for c in gone:
            del self.wanted[c]
        if gone and self.state == "subscribed":
            await self.transport.send(subscribe_frame(gone, "unsubscribe"))

    # -- transport callbacks ---------------------------------------------------------------------------------
    async def _on_connect(self, reconnect: bool) -> None:
        self.state = "authenticating"
        self.subscribed = set()
        await self.transport.send(auth_frame(self._key.get_secret_value()))

    async def _on_disconnect(self, reason: str) -> None:
        self.state = "connecting"
        self.subscribed = set()

    def _on_frame(self, frame: str | bytes, ts_recv: int) -> bool:
        try:
            events = self.parser.parse_message(frame, ts_recv)
        except MalformedFrame:
            self.malformed += 1
            return False
        data = []
        for event in events:
            if isinstance(event, PolygonStatus):
                self._on_status(event)
            else:
                data.append(event)
        if data:
            self.events += len(data)
            self.on_events(data)
        return False

    def _on_status(self, status: PolygonStatus) -> None:
        self.statuses = (self.statuses + [status])[-50:]
        error = status_error(status)
        if error is not None:
            self.error = error
            self.state = "failed"
            self.transport.stop()
            return
        if status.status == "auth_success":
            self.auths += 1
            self.state = "subscribed"
            if self.wanted:
                self._spawn(self.transport.send(subscribe_frame(list(self.wanted))))
        elif status.status == "success":
            verb, _, channels = status.message.partition(" to: ")
            for channel in filter(None, (c.strip() for c in channels.split(","))):
                if verb.startswith("subscribed"):
                    self.subscribed.add(channel)
                elif verb.startswith("unsubscribed"):
                    self.subscribed.discard(channel)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
