"""FeedActor: one venue connection. Thin: websocket transport + pure pipeline + ccxt snapshots + batching.

Flow: :class:`~actors.feed.transport.WebSocketTransport` hands each frame to
:class:`~actors.feed.pipeline.FeedPipeline` (parse, sequence); events are shipped as one
:class:`~actors.messages.EventBatch` per book actor. Batching is adaptive: when no batch is unacknowledged and
nothing was sent for ``flush_interval_ms``, events go at once (low latency at low rates); otherwise they
accumulate until ``flush_interval_ms`` passes or ``batch_max_events`` are pending (under load: at most one call
per flush period per book, never one per frame). At most ``max_in_flight`` batches
per feed are unacknowledged; past it the websocket is not read (backpressure reaches the venue's TCP window, and a
replay venue at ``--speed max``).

Snapshots: when the pipeline says an instrument needs one, it is fetched with ccxt (:mod:`actors.feed.rest`);
429/418 wait ``Retry-After``; other failures retry with backoff. A gap on one instrument resyncs only it.
On every (re)start the feed first tells its books to reset (reason ``"restart"``): a new feed never trusts a
book it did not build.

Market-data validation (:mod:`actors.validation`): the pipeline runs the per-instrument checks on its book; this
actor adds the stale-book check (once a second: it alone knows both that the connection is up and when each book
last changed; the transport's own stale detection only sees a silent connection) and writes the rate-limited
alert rows to the recorder's ``system_alerts`` table (market-class, with the feed events). Counts: ``status()
["validation"]``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass

from actors.errors import ConfigError, PermanentVenueError, RateLimited, RaytradeError
from actors.feed.backoff import Backoff
from actors.feed.pipeline import FeedPipeline
from actors.feed.rest import DepthClient
from actors.feed.transport import WebSocketTransport
from actors.instruments import InstrumentSpec, instrument_id, spec_for
from actors.messages import EventBatch
from actors.validation.config import ValidationSettings

__all__ = ["FeedActor", "FeedSpec"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedSpec:
    """Everything a feed needs (built from the typed config by the topology).

    Attributes:
        feed_id: unique name (``binance-spot``).
        venue: venue name (``binance``).
        symbols: venue symbols on this connection.
        ws_url: the full stream URL (Binance: combined streams in the URL).
        subscribe: frames sent after every (re)connection (venues that subscribe by message).
        ping_frame, ping_interval_s: the venue's application-level ping and its period (s); None: none.
        resubscribe_timeout_s: a resubscribe whose stream snapshot has not arrived after this long is sent again.
        rest_url: REST base URL for snapshots (None: the real venue's).
        book_actors: ``instrument_id -> book actor name``.
        market_subscribers: names of actors that get every batch too, unconflated (the paper execution actor: a
            queue model needs every level decrease and trade). Each batch is ``ray.put`` once and its ObjectRef
            handed to the book and to each of them, so it is serialized once.
        subscriber_flush_ms: market subscribers get one batch of every event at most this often (ms).
        subscriber_kinds: per market subscriber, the event types it reads (``{"<name>": ("Trade", "Quote")}``);
            default every type. Receivers that read the same types share one ``ray.put``.
        redeliver_to: market subscribers whose failed deliveries are kept and re-sent, in order, once they answer
            again (the recorder: a restarted recorder loses only what it had not flushed). At most
            ``redeliver_max_batches`` per subscriber are kept; beyond that the oldest are dropped and counted. The
            last ``redeliver_window_s`` of delivered batches are sent again to a new incarnation too (what the dead
            one had not flushed yet).
        recorder_name: where feed events (connect, disconnect, stale, snapshot, resync, failed) go, once a second.
        raw_dir: when set, every received frame and REST snapshot body is written byte for byte, with its receive
            time, in the hftbacktest line format under ``<raw_dir>/raw/<venue>/`` (``raytrade replay`` and
            ``raytrade verify`` read it back).
        namespace: Ray namespace of the book actors.
        flush_interval_ms, batch_max_events, max_in_flight: batching (ms, events, batches).
        stale_after_ms: reconnect after this long without a frame (ms).
        snapshot_limit: REST depth levels per side.
        backoff_base_s, backoff_cap_s, backoff_reset_after_s: reconnect and snapshot-retry backoff (s).
        seed: seeds the backoff jitter (None: random).
        validation: the market-data checks' settings (``[validation]``; default on with the built-in thresholds).
        instrument_specs: specs loaded from the venue's instrument endpoint (:mod:`actors.feed.instrument_specs`);
            symbols without one use ``spec_for``.
    """

    feed_id: str
    venue: str
    symbols: tuple[str, ...]
    ws_url: str
    rest_url: str | None
    book_actors: dict[str, str]
    subscribe: tuple[str, ...] = ()
    ping_frame: str | None = None
    ping_interval_s: float = 20.0
    resubscribe_timeout_s: float = 5.0
    market_subscribers: tuple[str, ...] = ()
    redeliver_to: tuple[str, ...] = ()
    redeliver_max_batches: int = 2000
    redeliver_window_s: float = 10.0
    subscriber_flush_ms: float = 10.0
    subscriber_kinds: dict[str, tuple[str, ...]] | None = None
    recorder_name: str | None = None
    raw_dir: str | None = None
    namespace: str = "raytrade"
    flush_interval_ms: float = 2.0
    batch_max_events: int = 2000
    max_in_flight: int = 4
    stale_after_ms: int = 10_000
    snapshot_limit: int = 1000
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 10.0
    backoff_reset_after_s: float = 30.0
    seed: int | None = None
    validation: ValidationSettings = ValidationSettings()
    instrument_specs: tuple[InstrumentSpec, ...] = ()


class FeedActor:
    """A plain class; ``actors.remote`` makes it a Ray actor. Methods are async (one event loop per actor).

    Args:
        spec: what to connect to and where to send batches.
        lookup: ``name -> actor handle`` for the book actors and market subscribers (default: Ray's named actors
            in ``spec.namespace``); a handle whose calls fail is looked up again on the next batch (a restarted
            actor gets the same name).
        put: stores a batch once for several receivers (default ``ray.put``; tests pass ``lambda x: x``).
    """

    def __init__(self, spec: FeedSpec, lookup=None, put=None) -> None:
        self.spec = spec
        if lookup is None:
            from actors.remote import RaySpawner

            lookup = RaySpawner(spec.namespace).lookup
        self._lookup = lookup
        self._put = put
        loaded = {s.symbol: s for s in spec.instrument_specs}
        specs = [loaded.get(s.upper()) or spec_for(spec.venue, s) for s in spec.symbols]
        self.pipeline = FeedPipeline(spec.venue, specs, route=spec.book_actors, validation=spec.validation)
        rng = random.Random(spec.seed)
        self.transport = WebSocketTransport(
            spec.ws_url, self._on_frame, self._on_connect, drain=self._flush, on_disconnect=self._on_disconnect,
            backoff=Backoff(spec.backoff_base_s, spec.backoff_cap_s, spec.backoff_reset_after_s, rng=rng),
            stale_after_ms=spec.stale_after_ms, subscribe=spec.subscribe, app_ping_frame=spec.ping_frame,
            app_ping_interval_s=spec.ping_interval_s, data_frames=lambda: self.pipeline.data_frames,
        )  # fmt: skip
        # instrument -> (monotonic time, pipeline.data_frames) of its last resubscribe
        self._resubscribed: dict[str, tuple[float, int]] = {}
        self.depth = DepthClient(spec.venue, spec.rest_url)
        self._snapshot_backoff = Backoff(spec.backoff_base_s, spec.backoff_cap_s, spec.backoff_reset_after_s, rng=rng)
        self._symbols = {instrument_id(s, spec.venue): s for s in spec.symbols}
        self._books: dict[str, object] = {}
        self._in_flight: deque = deque()
        self._redeliver: dict[str, deque] = {}
        self._recent: dict[str, deque] = {}
        self._replay_recent: dict[str, bool] = {}
        self._events: list[dict] = []
        self._sub_events: list = []
        self._sub_last_ns = 0
        self._sub_interval_ns = int(spec.subscriber_flush_ms * 1e6)
        self._seen_counts: dict[str, dict[str, int]] = {}
        self._raw = None
        self.redeliver_dropped = 0
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self.batches_sent = self.events_sent = self.snapshot_requests = self.snapshot_failures = 0
        self.unexpected_errors = 0
        self._unacked = 0  # batches sent and not yet applied
        self._last_send_ns = 0
        self._flush_interval_ns = int(spec.flush_interval_ms * 1_000_000)
        self.started_ns = time.time_ns()
        self.failed_reason: str | None = None
        self._state = "created"
        self._run_future: asyncio.Future | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    async def run(self) -> dict:
        """Run until :meth:`stop`. Returns the final status. The supervisor awaits this call to watch the actor.

        Idempotent: a second call (a restarted supervisor watching again) waits for the same run and returns the
        same final status; it never starts a second connection.
        """
        if self._run_future is None:
            self._run_future = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._run_future)

    async def _run(self) -> dict:
        self._state = "running"
        if self.spec.raw_dir:
            from actors.recorder.raw import RawFrameWriter, raw_path

            self._raw = RawFrameWriter(raw_path(self.spec.raw_dir, self.spec.venue, self.spec.symbols[0],
                                                time.time_ns()))  # fmt: skip
        self._event("start", "")
        self.pipeline.announce_reset("restart", time.time_ns())
        flusher = asyncio.ensure_future(self._flush_loop())
        try:
            await self.transport.run()
            if self.transport.ended:
                await self._final_snapshots()
        finally:
            if self._raw is not None:
                self._raw.close()
                self._raw = None
            flusher.cancel()
            await self._flush(force=True)
            await self._wait_in_flight(0)
            await self.depth.close()
            if self.transport.ended and self._state != "failed":
                self._state = "ended"
            self._event("stop", self._state)
            await self._send_events()
            if self._state not in ("failed", "ended"):
                self._state = "stopped"
        return self.status()

    async def stop(self) -> None:
        """Close the connection; :meth:`run` returns once the last batch is acknowledged."""
        self._state = "stopping"
        self._stopping.set()
        self.transport.stop()

    def ping(self) -> str:
        """Liveness check."""
        return self.spec.feed_id

    def status(self) -> dict:
        """Connection, batching and per-instrument sequencing state (JSON-friendly)."""
        t = self.transport.stats
        now = time.time_ns()
        return {
            "feed_id": self.spec.feed_id, "venue": self.spec.venue, "state": self._state,
            "connected": t.connected, "connects": t.connects, "reconnects": t.reconnects,
            "stale_disconnects": t.stale_disconnects, "frames": t.frames,
            "last_frame_age_ms": (now - t.last_frame_ns) / 1e6 if t.last_frame_ns else None,
            "last_error": t.last_error or (str(self.pipeline.last_error) if self.pipeline.last_error else None),
            "malformed": self.pipeline.malformed, "unsupported": self.pipeline.unsupported,
            "batches_sent": self.batches_sent, "events_sent": self.events_sent, "in_flight": self._unacked,
            "pending": self.pipeline.pending, "snapshot_requests": self.snapshot_requests,
            "snapshot_failures": self.snapshot_failures, "unexpected_errors": self.unexpected_errors,
            "snapshots_in_flight": sorted(self.pipeline.snapshots_in_flight), "instruments": self.pipeline.stats(),
            "failed_reason": self.failed_reason, "redeliver_dropped": self.redeliver_dropped,
            "redeliver_pending": {k: len(v) for k, v in self._redeliver.items() if v},
            "validation": self.pipeline.validator.stats() if self.pipeline.validator is not None else None,
        }  # fmt: skip

    def sync_log(self) -> dict[str, list[tuple]]:
        """Per instrument, the last sequencing events: ``("gap", expected, got)``, ``("snapshot", L)``, ..."""
        return {iid: list(sync.log) for iid, sync in self.pipeline.syncs.items()}

    # -- transport callbacks ---------------------------------------------------------------------------------
    def _on_frame(self, frame: str | bytes, ts_recv: int) -> bool:
        if self._raw is not None:
            self._raw.write(ts_recv, frame if isinstance(frame, bytes) else frame.encode())
        self.pipeline.on_frame(frame, ts_recv)
        pending = self.pipeline.pending
        # Adaptive batching: send at once when the books are idle and nothing was sent for a flush period
        # (latency at low rates); else let events accumulate until the flush period or batch_max_events
        # (throughput): at most one call per flush period per feed under load, never one per frame.
        if pending >= self.spec.batch_max_events:
            return True
        return pending > 0 and self._unacked == 0 and ts_recv - self._last_send_ns >= self._flush_interval_ns

    async def _on_disconnect(self, reason: str) -> None:
        """The connection is gone: every book is not ready (reason ``disconnected`` / ``stale``) until resynced."""
        now = time.time_ns()
        self._event(reason, self.transport.stats.last_error or "")
        for iid in self.pipeline.syncs:
            self.pipeline.resync(iid, reason, now)
        await self._flush()

    def _event(self, kind: str, detail: str, instrument_id: str = "") -> None:
        self._events.append({"venue": self.spec.venue, "feed_id": self.spec.feed_id, "instrument_id": instrument_id,
                             "kind": kind, "detail": detail[:500], "ts": time.time_ns()})  # fmt: skip

    async def _send_events(self) -> None:
        """Feed events to the recorder (market-class: a crash may lose the last second of them). Gaps and resyncs
        are read off the sequencing counters since the last call."""
        for iid, sync in self.pipeline.syncs.items():
            seen = self._seen_counts.setdefault(iid, {"gaps": 0, "resyncs": 0})
            for kind in ("gaps", "resyncs"):
                now_count = getattr(sync, kind)
                if now_count > seen[kind]:
                    self._event(kind[:-1], f"{now_count - seen[kind]} new ({now_count} in all)", iid)
                    seen[kind] = now_count
        validator = self.pipeline.validator
        alerts = []
        if validator is not None:
            validator.check_stale(time.time_ns(), self.transport.stats.connected)
            alerts = validator.alerts.drain()
        if self.spec.recorder_name is None:
            self._events.clear()
            return
        events, self._events = self._events, []
        try:
            recorder = self._book(self.spec.recorder_name)
            if events:
                recorder.write_market.remote("feed_events", events)
            if alerts:
                recorder.write_market.remote("system_alerts", alerts)
        except Exception:  # noqa: BLE001 - the recorder is restarting
            self._books.pop(self.spec.recorder_name, None)

    async def _on_connect(self, reconnect: bool) -> None:
        self._event("reconnect" if reconnect else "connect", self.spec.ws_url)
        if reconnect:
            self.pipeline.on_reconnect(time.time_ns())
        sent = (time.monotonic(), self.pipeline.data_frames)
        for iid in self.pipeline.expect_stream_snapshots():  # the snapshots the (re)sent subscriptions bring
            self._resubscribed[iid] = sent
        if reconnect:
            await self._flush()

    # -- batching --------------------------------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        interval_s = self.spec.flush_interval_ms / 1000
        last_events = time.monotonic()
        while True:
            await asyncio.sleep(interval_s)
            if time.monotonic() - last_events >= 1.0:
                last_events = time.monotonic()
                if self._raw is not None:
                    self._raw.flush()
                await self._send_events()
            if self.pipeline.pending or (self._sub_events and time.time_ns() - self._sub_last_ns >= self._sub_interval_ns):
                await self._flush()
            if not self.transport.stats.connected:
                continue
            for iid in self.pipeline.snapshots_due():
                task = asyncio.ensure_future(self._fetch_snapshot(iid))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            await self._resubscribe()

    async def _resubscribe(self) -> None:
        """Books of a stream-snapshot venue that need a snapshot: ask the venue for one (the adapter's unsubscribe +
        subscribe frames); one not answered within ``resubscribe_timeout_s`` is asked again. A venue with no such
        frames gets a reconnect (every book then resyncs from the new connection's snapshots).

        The timeout runs only while the venue sends market data: a venue silent on every instrument (the replay
        venue before its clock starts; a paused stream) is not ignoring our subscription, and asking again every
        few seconds only adds unsubscribe / subscribe churn (the stale watchdog handles a dead connection)."""
        now = time.monotonic()
        data_frames = self.pipeline.data_frames
        for iid, (sent, data_at_send) in list(self._resubscribed.items()):
            if self.pipeline.syncs[iid].ready:
                del self._resubscribed[iid]
            elif now - sent > self.spec.resubscribe_timeout_s and data_frames > data_at_send:
                del self._resubscribed[iid]
                self.pipeline.on_snapshot_failed(iid)
        for iid in self.pipeline.resubscribes_due():
            frames = self.pipeline.adapter.resubscribe_frames(self._symbols[iid])
            self._event("resubscribe", iid, iid)
            self._resubscribed[iid] = (now, data_frames)
            if not frames:
                self.transport.reconnect()
                return
            for frame in frames:
                if not await self.transport.send(frame):
                    self.pipeline.on_snapshot_failed(iid)
                    break

    async def _flush(self, force: bool = False) -> None:
        """Send what the pipeline queued: each book its own batch at once; market subscribers (execution, the
        recorder) one batch of every event, ``ray.put`` once and shared, at most every ``subscriber_flush_ms``
        (or at ``batch_max_events``, or when ``force``): fewer, larger calls where latency matters less."""
        async with self._lock:
            batches = self.pipeline.drain()
            now = time.time_ns()
            subscribers = self.spec.market_subscribers
            if batches:
                self._last_send_ns = now
            for name, events in batches.items():
                self._deliver(name, EventBatch(self.spec.feed_id, tuple(events), now), is_book=True)
                if subscribers:
                    self._sub_events.extend(events)
                self.batches_sent += 1
                self.events_sent += len(events)
            due = (force or now - self._sub_last_ns >= self._sub_interval_ns
                   or len(self._sub_events) >= self.spec.batch_max_events)  # fmt: skip
            if subscribers and self._sub_events and due:
                events, self._sub_events = self._sub_events, []
                self._sub_last_ns = now
                kinds = self.spec.subscriber_kinds or {}
                payloads: dict[tuple[str, ...] | None, object] = {}
                for target in subscribers:
                    wanted = kinds.get(target)
                    if wanted not in payloads:
                        chosen = events if wanted is None else [e for e in events if type(e).__name__ in wanted]
                        payloads[wanted] = self._store(EventBatch(self.spec.feed_id, tuple(chosen), now)) \
                            if chosen else None
                    if payloads[wanted] is not None:
                        self._deliver(target, payloads[wanted], is_book=False)
            await self._wait_in_flight(self.spec.max_in_flight * (1 + len(subscribers)))

    def _deliver(self, target: str, payload, is_book: bool) -> None:
        """Send one batch to ``target`` (``apply`` for its book, ``on_market`` for a market subscriber); a
        redelivery target first gets what it missed, in order."""
        backlog = self._redeliver.get(target)
        try:
            handle = self._book(target)
            method = handle.apply if is_book else handle.on_market
            if self._replay_recent.pop(target, False):  # a new incarnation: what the old one may not have flushed
                for _, old in list(self._recent.get(target, ())):
                    self._track(target, method.remote(old), old, is_book)
            while backlog:
                self._track(target, method.remote(backlog[0]), backlog[0], is_book)
                backlog.popleft()
            self._track(target, method.remote(payload), payload, is_book)
            self._remember(target, payload)
        except Exception as exc:  # noqa: BLE001 - a dead receiver: look it up again next time
            self._books.pop(target, None)
            self.pipeline.last_error = exc
            self._keep_for_redelivery(target, payload)

    def _track(self, target: str, ref, payload, is_book: bool) -> None:
        self._in_flight.append((target, ref, payload))
        if is_book:  # adaptive batching watches the books only: subscribers have their own cadence
            self._unacked += 1
            asyncio.wrap_future(ref.future()).add_done_callback(self._acked)

    def _remember(self, target: str, payload) -> None:
        """Keep the last ``redeliver_window_s`` of batches sent to a redelivery target: a receiver that dies loses
        what it had buffered, and its next incarnation gets these again (idempotent rows: no duplicates)."""
        if target not in self.spec.redeliver_to:
            return
        now = time.monotonic()
        recent = self._recent.setdefault(target, deque())
        recent.append((now, payload))
        while recent and (now - recent[0][0] > self.spec.redeliver_window_s
                          or len(recent) > self.spec.redeliver_max_batches):  # fmt: skip
            recent.popleft()

    def _keep_for_redelivery(self, target: str, payload) -> None:
        if target not in self.spec.redeliver_to:
            return
        self._replay_recent[target] = True
        backlog = self._redeliver.setdefault(target, deque())
        backlog.append(payload)
        if len(backlog) > self.spec.redeliver_max_batches:
            backlog.popleft()
            self.redeliver_dropped += 1

    async def _wait_in_flight(self, limit: int) -> None:
        while len(self._in_flight) > limit:
            target, ref, payload = self._in_flight.popleft()
            try:
                crossed = await ref
            except Exception as exc:  # a dead receiver: the supervisor restarts it; look it up again next time
                self.pipeline.last_error = exc
                self._books.pop(target, None)
                self._keep_for_redelivery(target, payload)
                continue
            for iid in crossed or ():
                self.pipeline.on_book_crossed(iid, time.time_ns())

    def _acked(self, _future: object) -> None:
        self._unacked -= 1

    def _book(self, name: str):
        handle = self._books.get(name)
        if handle is None:
            handle = self._books[name] = self._lookup(name)
        return handle

    def _store(self, batch: EventBatch):
        if self._put is None:
            import ray

            self._put = ray.put
        return self._put(batch)

    async def _final_snapshots(self, attempts: int = 5) -> None:
        """The recording has ended: rebuild every book from one last REST snapshot (the venue's final true book),
        so a diff lost at the very end, which no later diff can reveal, cannot leave a book wrong. Venues without a
        REST book (their adapter has no ``snapshot_request``: Kraken, Coinbase, Gemini) keep the book the stream
        built (Kraken's validated by its checksum up to the last update)."""
        now = time.time_ns()
        rest = [iid for iid in self.pipeline.syncs if self._has_rest_snapshot(iid)]
        for iid in rest:  # a venue with no REST book (Kraken, Coinbase, Gemini) keeps its stream-validated book
            self.pipeline.resync(iid, "ended", now)
        await self._flush()
        for iid in rest:
            sync = self.pipeline.syncs[iid]
            for _ in range(attempts):
                if sync.ready or self._state == "failed":
                    break
                await self._fetch_snapshot(iid)
        await self._flush(force=True)

    def _has_rest_snapshot(self, iid: str) -> bool:
        """True when the venue serves a REST book snapshot of ``iid`` (its adapter has a ``snapshot_request``)."""
        try:
            self.depth.adapter.snapshot_request(self._symbols[iid], self.spec.snapshot_limit)
        except (ConfigError, KeyError):
            return False
        return True

    async def resync(self, instrument_ids: list[str]) -> list[str]:
        """Rebuild these books from fresh snapshots (a restarted book actor starts empty). Returns those held."""
        held = [i for i in instrument_ids if i in self.pipeline.syncs]
        now = time.time_ns()
        for iid in held:
            self.pipeline.resync(iid, "book_restart", now)
        await self._flush()
        return held

    # -- snapshots -------------------------------------------------------------------------------------------
    async def _fetch_snapshot(self, iid: str) -> None:
        """Fetch one snapshot; on any failure wait (``Retry-After`` or backoff) and let it be asked for again."""
        symbol = self._symbols[iid]
        self.snapshot_requests += 1
        try:
            body = await self.depth.fetch(symbol, self.spec.snapshot_limit)
            ts_body = time.time_ns()
            if self._raw is not None:
                raw_body = getattr(self.depth.exchange, "last_http_response", None)
                if raw_body:
                    self._raw.write(ts_body, raw_body.encode() if isinstance(raw_body, str) else raw_body)
            snapshot = self.pipeline.parser.parse_snapshot(body, symbol, ts_body)
        except asyncio.CancelledError:
            self.pipeline.on_snapshot_failed(iid)
            raise
        except PermanentVenueError as exc:
            # Retrying cannot fix an unknown symbol or a bad request: stop the feed with a clear state.
            self.snapshot_failures += 1
            self.pipeline.last_error = exc
            self.failed_reason = f"{iid}: {exc}"
            log.error("feed %s stops: %s", self.spec.feed_id, exc)
            self._state = "failed"
            self._event("failed", self.failed_reason, iid)
            self.transport.stop()
            return
        except Exception as exc:  # noqa: BLE001 - transient (VenueUnavailable, RateLimited) and unexpected errors
            self.snapshot_failures += 1
            self._event("snapshot_failed", f"{iid}: {type(exc).__name__}: {exc}", iid)
            self.pipeline.last_error = exc
            delay_s = exc.retry_after_s if isinstance(exc, RateLimited) else self._snapshot_backoff.next_delay_s()
            if not isinstance(exc, (RaytradeError, OSError, asyncio.TimeoutError)):
                log.warning("snapshot %s: unexpected %s: %s", iid, type(exc).__name__, exc)
                self.unexpected_errors += 1
            await asyncio.sleep(delay_s)
            self.pipeline.on_snapshot_failed(iid)
            return
        self._snapshot_backoff.failures = 0
        self._event("snapshot", f"{iid} lastUpdateId {snapshot.sequence}", iid)
        self.pipeline.on_snapshot(snapshot)
        await self._flush()
