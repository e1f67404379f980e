"""ProviderFeedActor: a Polygon.io WebSocket stream as a feed of the run. Thin.

It runs a :class:`~actors.providers.polygon_stream.PolygonStream` and forwards what it parses, in order, as
:class:`~actors.messages.EventBatch` es: to the book actor of each instrument (``apply``: trades, quotes; the book
builds bars from the trades like any other) and to the market subscribers (``on_market``: the recorder's
``trades`` / ``quotes`` tables), flushed every ``flush_ms``, at most ``max_in_flight`` unacknowledged calls per
receiver. Provider bars (Polygon ``XA``/``XAS``) are kept here (``bars()``, the last 1000) but not stored: the
store's ``bars`` of a provider instrument are the ones its book builds from the provider's trades, like any
venue's (one bar per instrument, interval and start). A provider instrument has no order book snapshot, so its
book never becomes ready: it carries trades, quotes and bars, not depth.

``run()`` returns the final status; a permanent error (``auth_failed``, ``max_connections``) returns state
``failed`` with ``failed_reason`` (the supervisor does not restart it), anything else reconnects inside the stream.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from dataclasses import dataclass, field

from pydantic import SecretStr

from actors.bars.bar import Bar
from actors.errors import ConfigError, VenueError
from actors.feed.backoff import Backoff
from actors.messages import EventBatch, Quote, Trade
from actors.providers.polygon_stream import PolygonStream

__all__ = ["ProviderFeedActor", "ProviderFeedSpec"]


@dataclass(frozen=True)
class ProviderFeedSpec:
    """What a provider feed needs (built by the topology from ``[[providers]]``).

    Attributes:
        provider_id: the feed's id. kind: ``"polygon"``. market: ``"crypto"`` or ``"stocks"``.
        url: the WebSocket URL (``wss://socket.polygon.io/crypto`` or the loopback fake's).
        channels: Polygon channels (``XT.BTC-USD``, ...).
        api_key_env: the environment variable the actor reads the key from, on its own node, so the key is never
            in the actor's arguments (and so never in the supervisor's registry record in Ray's GCS): set it on
            every node (``ray start`` inherits it; ``cluster/README.md``).
        api_key: a key that is *not* a secret of the user's: the loopback fake's throwaway key, or one written in
            the config file itself. None: read ``api_key_env``.
        book_actors: instrument id -> book actor name. market_subscribers: actors that get ``on_market``.
        recorder_name: the run's recorder, or None (unused: bars are recorded by the book subscription).
    """

    provider_id: str
    kind: str
    market: str
    url: str
    channels: tuple[str, ...]
    api_key_env: str = "RAYTRADE_POLYGON_API_KEY"
    api_key: SecretStr | None = None
    book_actors: dict[str, str] = field(default_factory=dict)
    market_subscribers: tuple[str, ...] = ()
    recorder_name: str | None = None
    flush_ms: float = 10.0
    max_in_flight: int = 4
    namespace: str = "raytrade"


class ProviderFeedActor:
    """Args: spec (:class:`ProviderFeedSpec`); lookup: ``name -> handle`` (default: Ray's named actors).

    Raises:
        ConfigError: no ``spec.api_key`` and ``spec.api_key_env`` is not set on this actor's node.
    """

    def __init__(self, spec: ProviderFeedSpec, lookup=None) -> None:
        if lookup is None:
            from actors.remote import RaySpawner

            lookup = RaySpawner(spec.namespace).lookup
        self.spec = spec
        self._lookup = lookup
        self._handles: dict[str, object] = {}
        self.stream = PolygonStream(_api_key(spec), spec.market, spec.url, spec.channels, self._on_events,
                                    backoff=Backoff(base_s=0.5, cap_s=30.0))  # fmt: skip
        self._pending: list = []
        self._in_flight: dict[str, list] = {}
        self.provider_bars: deque[Bar] = deque(maxlen=1000)
        self.trades = self.quotes = self.bars_received = self.batches_sent = self.dropped = 0
        self.failed_reason: str | None = None
        self.unknown_instruments: set[str] = set()
        self._flusher: asyncio.Task | None = None
        self._stopping = False
        self._run_task: asyncio.Task | None = None

    async def run(self) -> dict:
        """Stream until :meth:`stop` or a permanent error; returns :meth:`status`. Called again while running (a
        restarted supervisor awaits its feeds' ``run()`` again), it waits for the same stream: one connection."""
        if self._run_task is None:
            self._run_task = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._run_task)

    async def _run(self) -> dict:
        self._flusher = asyncio.ensure_future(self._flush_loop())
        try:
            await self.stream.run()
        except VenueError as exc:
            self.failed_reason = str(exc)
        finally:
            if self._flusher is not None:
                self._flusher.cancel()
            await self._flush()
        return self.status()

    async def stop(self) -> dict:
        """Stop streaming (last events flushed); returns :meth:`status`."""
        self._stopping = True
        self.stream.stop()
        await self._flush()
        return self.status()

    def ping(self) -> str:
        return self.spec.provider_id

    async def resync(self, instruments=()) -> int:
        """Nothing to resync: a provider sends no order book (a restarted book simply gets the next trades)."""
        return 0

    def bars(self, instrument_id: str | None = None, limit: int = 100) -> list[Bar]:
        """The provider's own bars (Polygon aggregates) received last, oldest first."""
        out = [b for b in self.provider_bars if instrument_id is None or b.instrument_id == instrument_id]
        return out[-limit:] if limit > 0 else []

    def status(self) -> dict:
        """State and counters (the run's progress line and summary read ``state``, ``connected``, ``frames``)."""
        s = self.stream.stats
        state = "failed" if self.failed_reason else ("stopped" if self._stopping else "running")
        return {"feed_id": self.spec.provider_id, "kind": self.spec.kind, "state": state, "connected": s.connected,
                "frames": s.frames, "connects": s.connects, "reconnects": s.reconnects,
                "malformed": self.stream.malformed, "stream_state": self.stream.state,
                "subscribed": sorted(self.stream.subscribed), "trades": self.trades, "quotes": self.quotes,
                "bars": self.bars_received, "batches_sent": self.batches_sent, "dropped": self.dropped,
                "unknown_instruments": sorted(self.unknown_instruments), "pending": len(self._pending),
                "in_flight": sum(1 for v in self._in_flight.values() for c in v if not c.done()),
                "failed_reason": self.failed_reason, "last_error": self.failed_reason or s.last_error}  # fmt: skip

    # -- forwarding ------------------------------------------------------------------------------------------
    def _on_events(self, events: list) -> None:
        self._pending.extend(events)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.spec.flush_ms / 1000)
            await self._flush()

    async def _flush(self) -> None:
        events, self._pending = self._pending, []
        if not events:
            return
        now = time.time_ns()
        per_book: dict[str, list] = {}
        market, bars = [], []
        for event in events:
            if isinstance(event, Bar):
                self.bars_received += 1
                self.provider_bars.append(event)
                bars.append(event)
                continue
            if isinstance(event, Trade):
                self.trades += 1
            elif isinstance(event, Quote):
                self.quotes += 1
            market.append(event)
            book = self.spec.book_actors.get(event.instrument_id)
            if book is None:
                self.unknown_instruments.add(event.instrument_id)
                continue
            per_book.setdefault(book, []).append(event)
        for book, evs in per_book.items():
            await self._send(book, "apply", EventBatch(self.spec.provider_id, tuple(evs), now))
        if market:
            batch = EventBatch(self.spec.provider_id, tuple(market), now)
            for name in self.spec.market_subscribers:
                await self._send(name, "on_market", batch)

    async def _send(self, name: str, method: str, *args) -> None:
        calls = self._in_flight.setdefault(name, [])
        calls[:] = [c for c in calls if not c.done()]
        if len(calls) >= self.spec.max_in_flight:  # backpressure: wait for this receiver (at most 5 s)
            await asyncio.wait(calls, timeout=5)
            calls[:] = [c for c in calls if not c.done()]
        try:
            handle = self._handles.get(name) or self._lookup(name)
            self._handles[name] = handle
            calls.append(asyncio.ensure_future(_await(getattr(handle, method).remote(*args))))
            self.batches_sent += 1
        except Exception:  # noqa: BLE001 - a receiver that is gone (restarting): drop, look it up again next time
            self._handles.pop(name, None)
            self.dropped += 1


async def _await(ref):
    try:
        return await ref
    except Exception:  # noqa: BLE001 - a receiver that died mid-call: the supervisor restarts it
        return None


def _api_key(spec: ProviderFeedSpec) -> SecretStr:
    if spec.api_key is not None:
        return spec.api_key
    value = os.environ.get(spec.api_key_env)
    if not value:
        raise ConfigError(f"provider {spec.provider_id!r}: ${spec.api_key_env} is not set on this node")
    return SecretStr(value)
