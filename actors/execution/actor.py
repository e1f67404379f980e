"""ExecutionActor: execution of approved orders, paper, testnet or live, through one transport seam.

Every strategy has a mode (``paper`` | ``testnet`` | ``live``, ``modes``); its intents go to the transport of that
mode and the instrument's venue (:mod:`actors.execution.transport`): the pure
:class:`~actors.execution.paper.PaperVenue` for paper, a :class:`~actors.execution.live.LiveTransport` (signed
Binance REST through ccxt) for testnet and live. Everything else in this actor (event numbering, write-ahead to the
recorder, the push to the risk gate, the kill switch) is the same code for every mode. Live transports are
connected by :meth:`ExecutionActor.start` (the run calls it once the actor exists): a refused key raises
:class:`~actors.errors.AuthenticationError` there, before any order is sent. Keys are read by the transport from
the environment variables named in ``live`` (never passed as arguments).

Inputs:

* ``on_market(batch)``: every feed batch, unconflated (the same ``EventBatch`` object the book actor applies,
  passed by ObjectRef): the fill model needs every trade and every level decrease.
* ``submit(intents)``: approved intents, **only from the risk gate** (nothing else holds this actor's handle in a
  run). Every submit is logged with its wall receive time (``submit_log``), so a test can prove that nothing was
  executed while the risk gate was down.

Outputs: every :class:`~actors.orders.OrderEvent` gets a sequence number and is kept in an in-memory log
(``events_since(seq)``: the risk gate rebuilds its portfolio from it after a restart). **Write-ahead**: each event
(and its fill) is committed by the recorder (``RecorderActor.write_now`` into ``orders`` / ``fills``) before it is
pushed, in order, to the risk gate (``RiskActor.on_execution_events``), which applies fills to the portfolio and
forwards each strategy its events: nothing is acknowledged that is not stored. While the recorder is unreachable
events wait here and are retried on the timer (trading sees them late, never lost); when the recorder reports
``SpoolFull`` (its store is down and its spool is full) this actor stops acknowledging, asks the risk gate to halt
(``kill("recorder_failed")``) and reports ``recorder_failed`` in its status. Pushes are bounded in flight; while
the risk gate is unreachable they are re-sent by the risk gate's own recovery (``events_since``).

Clock: the paper model runs on the market-data clock (the feed's ``ts_recv``, wall time on this machine), and
submits are stamped with this actor's wall clock, the same clock. A timer (every ``timer_interval_ms``) advances the
model so that an order's entry latency elapses even when no market data arrives.

Tick-to-order latency (``latency_ms.tick_to_order``): from the feed's receipt of the frame that triggered the
strategy's decision (``OrderIntent.ts_created`` = the view's ``ts_recv``) to this actor's receipt of the approved
intent, i.e. through book, strategy and risk gate; the model's entry latency comes on top.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence

from actors.errors import ConfigError
from actors.execution.paper import PaperConfig
from actors.execution.transport import MODES, PaperTransport, Transport
from actors.instruments import InstrumentSpec, trading_specs
from actors.messages import EventBatch
from actors.metrics import latency_histogram, percentiles_ms
from actors.orders import Fill, IntentAction, Order, OrderEvent, OrderIntent

__all__ = ["ExecutionActor"]

log = logging.getLogger(__name__)


class ExecutionActor:
    """Args:
    name: the actor's name.
    instrument_ids: instruments it can trade.
    paper: :class:`PaperConfig` fields (dict).
    risk_name: the risk gate's actor name (events go there).
    lookup: ``name -> handle`` (default: Ray named actors in ``namespace``).
    clock: wall clock in ns (tests pass a fake).
    timer_interval_ms: model advance period.
    recorder_name: the recorder (None: no persistence; events are acknowledged at once).
    recorder_timeout_s: how long one write-ahead may take before it is retried.
    advance_lag_ms: the timer advances the model only to ``now - advance_lag_ms``: market data reaches this actor
        in batches (every ``subscriber_flush_ms`` of the feed), so an order's arrival is not processed before the
        events received ahead of it (the model clock is the feeds' receive clock). Market data itself advances
        the model at once.
    modes: ``strategy_id -> mode`` (default ``paper`` for every strategy, manual orders included).
    live: ``mode -> settings`` of the testnet / live transports (:func:`actors.execution.live.transports_from_settings`):
        ``{"rest_urls": {venue: url}, "api_key_env", "api_secret_env", "poll_interval_s", ...}``: names of
        environment variables, never the keys.
    transports: ready transports (tests): ``(mode, venue) -> Transport``.
    live_allowed: production trading allowed (the run's live guard: config and command line both said so).
    """

    def __init__(self, name: str, instrument_ids: Sequence[str], paper: dict | None = None,
                 risk_name: str | None = None, namespace: str = "raytrade", lookup=None, clock=time.time_ns,
                 timer_interval_ms: float = 2.0, max_log: int = 1_000_000, recorder_name: str | None = None,
                 recorder_timeout_s: float = 5.0, advance_lag_ms: float = 25.0, modes: dict | None = None,
                 live: dict | None = None, transports: dict | None = None, live_allowed: bool = False,
                 specs: Sequence[InstrumentSpec] = ()) -> None:  # fmt: skip
        if lookup is None:
            from actors.remote import RaySpawner

            lookup = RaySpawner(namespace).lookup
        self.name = name
        # money: the venue's loaded spec (Bybit, OKX: none loaded -> left out, paper rejects unknown_instrument)
        self.specs = trading_specs(instrument_ids, specs)
        self.config = PaperConfig(**(paper or {}))
        self.paper = PaperTransport(self.specs, self.config)
        self.venue = self.paper.venue  # the paper model (tests read it)
        self.modes = dict(modes or {})
        bad = {m for m in self.modes.values() if m not in MODES}
        if bad:
            raise ValueError(f"unknown execution mode(s) {sorted(bad)}; expected one of {MODES}")
        self.live_settings = dict(live or {})
        self.transports: dict[tuple[str, str], Transport] = dict(transports or {})
        self.started: dict = {}
        self.live_allowed = live_allowed
        self._balances_written: dict = {}
        self._drain_scheduled = False
        self.namespace = namespace
        if "live" in self.modes.values() and not live_allowed:
            raise ConfigError("mode 'live' needs [execution] allow_live = true and raytrade run --live")
        self.risk_name = risk_name
        self._lookup = lookup
        self._risk = None
        self.clock = clock
        self.timer_interval_s = timer_interval_ms / 1000
        self.advance_lag_ns = int(advance_lag_ms * 1e6)
        self.log: deque[tuple[int, OrderEvent]] = deque(maxlen=max_log)
        self.seq = 0
        self.submit_log: deque[tuple[int, str, str]] = deque(maxlen=100_000)  # (wall ns, client_order_id, action)
        self._unsent: deque[tuple[int, OrderEvent]] = deque(maxlen=max_log)
        self._in_flight: list = []
        self._timer: asyncio.Task | None = None
        self._tick_to_order: deque[int] = deque(maxlen=100_000)
        self._hist = latency_histogram("raytrade_tick_to_order_ms", "Frame receipt to order at paper execution (ms)",
                                       ("role", "strategy", "instrument"))
        self.batches = self.market_events = 0
        self.push_errors = 0
        self.recorder_name = recorder_name
        self.recorder_timeout_s = recorder_timeout_s
        self._recorder = None
        self._unpersisted: deque[tuple[int, OrderEvent]] = deque()
        self._persist_lock = asyncio.Lock()
        self.persist_errors = 0
        self.recorder_failed: str | None = None

    # -- inputs ----------------------------------------------------------------------------------------------
    async def on_market(self, batch: EventBatch) -> list:
        """Apply one feed batch to the fill model; push the events it caused. Returns [] (nothing crossed)."""
        self._ensure_timer()
        self.batches += 1
        self.market_events += len(batch.events)
        await self._emit(self.paper.on_market(batch.events))
        return []

    async def submit(self, intents: list[OrderIntent]) -> list[OrderEvent]:
        """Approved intents (from the risk gate). Returns the events they caused at once (immediate rejections);
        accepted / filled events follow through the push to the risk gate."""
        self._ensure_timer()
        now = self.clock()
        out: list[OrderEvent] = []
        if self._unstarted():
            try:
                await self.start()  # e.g. after a restart: connect the venues again (keys from the environment)
            except Exception as exc:  # noqa: BLE001 - its intents are rejected by the unrouted transport below
                log.error("live transports not connected: %s", exc)
        for intent in intents:
            self.submit_log.append((now, intent.client_order_id, intent.action.value))
            if intent.ts_created:
                lat = now - intent.ts_created
                self._tick_to_order.append(lat)
                if self._hist is not None:
                    self._hist.observe(lat / 1e6, tags={"role": "execution", "strategy": intent.strategy_id,
                                                        "instrument": intent.instrument_id})
            out.extend(await self._route(intent).submit(intent, now))
        await self._emit(out)
        return out

    async def start(self) -> dict:
        """Connect the testnet / live transports the modes need (connection test, balances). Returns
        ``{"<mode>:<venue>": connection info}``.

        Raises:
            AuthenticationError: a venue refused the key or the signature (nothing was sent but the test).
            ConfigError: a key variable is unset, or a mode has no settings.
        """
        self._ensure_timer()
        need = {m for m in self.modes.values() if m != "paper"} - {m for m, _ in self.transports}
        if need:
            from actors.execution.live import transports_from_settings

            self.transports.update(transports_from_settings(self.live_settings, need, self.specs, self.namespace))
        for (mode, venue), t in self.transports.items():
            if hasattr(t, "notify"):
                t.notify = self._transport_ready
            if f"{mode}:{venue}" not in self.started:
                self.started[f"{mode}:{venue}"] = await t.start()
        return dict(self.started)

    async def set_mode(self, strategy_id: str, mode: str) -> dict:
        """Route ``strategy_id``'s intents to ``mode`` (``POST /strategies``); connects that mode's venues first.

        Raises:
            ConfigError: an unknown mode, ``live`` without the live guard (config and ``--live``), or missing keys.
            AuthenticationError: the venue refused the key.
        """
        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}; expected one of {MODES}")
        if mode == "live" and not self.live_allowed:
            raise ConfigError("mode 'live' needs [execution] allow_live = true and raytrade run --live")
        previous = self.modes.get(strategy_id)
        self.modes[strategy_id] = mode
        try:
            started = await self.start()
        except Exception:
            if previous is None:
                self.modes.pop(strategy_id, None)
            else:
                self.modes[strategy_id] = previous
            raise
        return {"strategy_id": strategy_id, "mode": mode, "connections": started}

    async def cancel_all(self, strategy_id: str | None = None, reason: str = "kill_switch") -> list[OrderEvent]:
        """Cancel every open order (of one strategy, or all: on a venue, every open order there, also those not
        known here). Returns the events released at once."""
        events = await self.paper.cancel_all(self.clock(), strategy_id, reason)
        for t in self.transports.values():
            events += await t.cancel_all(self.clock(), strategy_id, reason)
        await self._emit(events)
        return events

    async def accounts(self) -> list[dict]:
        """Per testnet / live transport: venue, mode, balances, permissions, last reconciliation (``GET
        /accounts``); paper: its mode only."""
        out = [{"venue": "paper", "mode": "paper", "balances": {}, "permissions": [], "last_reconciliation": None}]
        for t in self.transports.values():
            out.append(t.account())
        return out

    async def reconcile(self) -> list[dict]:
        """Reconcile every live transport now (what a user-data reconnect triggers); returns the reports."""
        reports = [await t.reconcile(force=True, reason="requested") for t in self.transports.values()]
        await self._emit([ev for t in self.transports.values() for ev in t.advance(self.clock())])
        return reports

    def _route(self, intent: OrderIntent) -> Transport:
        mode = self.modes.get(intent.strategy_id, "paper")
        if mode == "paper":
            return self.paper
        spec = self.specs.get(intent.instrument_id)
        t = self.transports.get((mode, spec.venue.value)) if spec else None
        if t is None:
            return _Unrouted(mode)
        return t

    def _transport_ready(self) -> None:
        """A live transport queued venue events: emit them now rather than on the next timer tick."""
        if not self._drain_scheduled:
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._drain_transports()))

    async def _drain_transports(self) -> None:
        self._drain_scheduled = False
        now = self.clock()
        await self._emit([ev for t in self.transports.values() for ev in t.advance(now)])

    def _write_balances(self) -> None:
        """``account_balances`` snapshots of every venue account, once per balance refresh (market-class rows:
        fire and forget, like the risk gate's paper balances)."""
        for key, t in self.transports.items():
            ts = getattr(t, "balances_ts", 0)
            if not ts or self._balances_written.get(key) == ts or self.recorder_name is None:
                continue
            self._balances_written[key] = ts
            try:
                if self._recorder is None:
                    self._recorder = self._lookup(self.recorder_name)
                self._recorder.write_market.remote("account_balances", t.balance_rows())
            except Exception:  # noqa: BLE001 - a lost snapshot is retried with the next refresh
                self._recorder = None
                self._balances_written.pop(key, None)

    def _unstarted(self) -> bool:
        need = {m for m in self.modes.values() if m != "paper"}
        return bool(need - {m for m, _ in self.transports}) or any(
            f"{m}:{v}" not in self.started for m, v in self.transports)

    def _all(self) -> list[Transport]:
        return [self.paper, *self.transports.values()]

    async def flush_records(self) -> int:
        """Persist and push whatever waits (the run's teardown calls it). Returns events still unpersisted."""
        await self._persist()
        self._push()
        return len(self._unpersisted)

    # -- queries ---------------------------------------------------------------------------------------------
    def open_orders(self, strategy_id: str | None = None) -> list[Order]:
        return [o for t in self._all() for o in t.open_orders(strategy_id)]

    def order(self, client_order_id: str) -> Order | None:
        for t in self._all():
            try:
                return t.order(client_order_id)
            except KeyError:
                continue
        return None

    def orders(self, strategy_id: str | None = None, status: str | None = None, limit: int = 1000) -> list[Order]:
        """Latest state of every order (``status``: ``open`` / ``closed`` / None), newest last."""
        latest: dict[str, Order] = {}
        for _, ev in self.log:
            latest[ev.order.client_order_id] = ev.order
        out = [o for o in latest.values() if strategy_id is None or o.strategy_id == strategy_id]
        if status == "open":
            out = [o for o in out if o.is_open]
        elif status == "closed":
            out = [o for o in out if not o.is_open]
        return out[-limit:]

    def fills(self, strategy_id: str | None = None, limit: int = 1000) -> list[Fill]:
        out = [ev.fill for _, ev in self.log if ev.fill is not None and (strategy_id is None or ev.fill.strategy_id == strategy_id)]
        return out[-limit:]

    def events_since(self, seq: int = 0) -> list[tuple[int, OrderEvent]]:
        """Every event with sequence number > ``seq``, in order."""
        return [(s, ev) for s, ev in self.log if s > seq]

    def submits(self) -> list[tuple[int, str, str]]:
        """The submit log: ``(wall receive ns, client_order_id, action)`` of every intent received."""
        return list(self.submit_log)

    def ping(self) -> str:
        return self.name

    def status(self) -> dict:
        return {"name": self.name, "mode": "paper", "modes": self.modes, "seq": self.seq, "batches": self.batches,
                "market_events": self.market_events, "open_orders": len(self.open_orders()),
                "transports": {f"{m}:{v}": t.stats() for (m, v), t in self.transports.items()},
                "unsent_events": len(self._unsent), "push_errors": self.push_errors,
                "unpersisted_events": len(self._unpersisted), "persist_errors": self.persist_errors,
                "recorder_failed": self.recorder_failed,
                "latency_ms": {"tick_to_order": percentiles_ms(sorted(self._tick_to_order))},
                "config": {k: (v if isinstance(v, (int, float, str)) else str(v))
                           for k, v in vars(self.config).items()} if hasattr(self.config, "__dict__") else {},
                **self.venue.stats()}  # fmt: skip

    def latency_samples(self) -> list[int]:
        return list(self._tick_to_order)

    # -- internals -------------------------------------------------------------------------------------------
    def _ensure_timer(self) -> None:
        if self._timer is None or self._timer.done():
            self._timer = asyncio.ensure_future(self._timer_loop())

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.timer_interval_s)
            try:
                now = self.clock()
                events = self.paper.advance(now - self.advance_lag_ns)
                for t in self.transports.values():
                    events += t.advance(now)
                await self._emit(events)
                self._write_balances()
                if self._unsent and not self._in_flight:
                    self._push()
            except Exception:  # noqa: BLE001 - the timer must survive a bad event; it is logged
                log.exception("execution timer")

    async def _emit(self, events: list[OrderEvent]) -> None:
        for ev in events:
            self.seq += 1
            self.log.append((self.seq, ev))
            self._unpersisted.append((self.seq, ev))
        if self._unpersisted:
            await self._persist()
        if self._unsent:
            self._push()

    async def _persist(self) -> None:
        """Write-ahead of the waiting events (in order, one writer at a time); the written ones become pushable."""
        async with self._persist_lock:
            if not self._unpersisted:
                return
            batch = list(self._unpersisted)
            if self.recorder_name is not None:
                if self.recorder_failed:
                    return  # never acknowledge what cannot be stored
                try:
                    if self._recorder is None:
                        self._recorder = self._lookup(self.recorder_name)
                    fills = [ev.fill for _, ev in batch if ev.fill is not None]
                    await asyncio.wait_for(_await(self._recorder.write_now.remote("orders", [e for _, e in batch])),
                                           self.recorder_timeout_s)  # fmt: skip
                    if fills:
                        await asyncio.wait_for(_await(self._recorder.write_now.remote("fills", fills)),
                                               self.recorder_timeout_s)  # fmt: skip
                except Exception as exc:  # noqa: BLE001 - recorder down or failed: keep the events, retry later
                    self.persist_errors += 1
                    self._recorder = None
                    if "SpoolFull" in f"{type(exc).__name__} {exc}":
                        self.recorder_failed = str(exc).splitlines()[-1][:300]
                        log.error("recorder failed, halting trading: %s", self.recorder_failed)
                        await self._halt_on_store_failure()
                    return
            for _ in batch:
                self._unsent.append(self._unpersisted.popleft())

    async def _halt_on_store_failure(self) -> None:
        if self.risk_name is None:
            return
        try:
            risk = self._risk or self._lookup(self.risk_name)
            risk.kill.remote("recorder_failed", "execution")
        except Exception:  # noqa: BLE001 - the risk gate fails closed on its own when it is down
            pass

    def _push(self) -> None:
        if self.risk_name is None:
            self._unsent.clear()
            return
        still = []
        for fut in self._in_flight:
            if not fut.done():
                still.append(fut)
            elif fut.cancelled() or fut.exception() is not None:
                self.push_errors += 1  # risk gate down: it rebuilds from events_since on recovery
                self._risk = None
        self._in_flight = still
        if len(self._in_flight) >= 8 or not self._unsent:
            return
        try:
            if self._risk is None:
                self._risk = self._lookup(self.risk_name)
            batch = list(self._unsent)
            self._unsent.clear()
            self._in_flight.append(asyncio.ensure_future(_await(self._risk.on_execution_events.remote(batch))))
        except Exception:  # noqa: BLE001 - not registered yet / dead: keep the events and retry on the timer
            self.push_errors += 1
            self._risk = None


async def _await(ref):
    return await ref


class _Unrouted:
    """A mode without a transport (its settings are missing): every order of it is rejected at once."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        from actors.orders import OrderState

        if intent.action is not IntentAction.SUBMIT:
            return []
        return [OrderState(intent, "", "", now_ns).reject(f"{self.mode}_not_connected", now_ns)]
