"""StrategyActor: hosts one pure strategy instance; feeds it views, trades, its order events and fills; sends its
intents through the risk gate. Thin.

* ``on_views(views, trades, bars)`` (book subscription): updates the context's books, calls ``on_book`` per view,
  ``on_trade`` per trade and ``on_bar`` per closed bar (strategies that declare ``bar_intervals``), sends the
  intents.
* ``on_execution(events, positions)`` (from the risk gate, which got them from execution): updates the context's
  open orders and positions, calls ``on_order_event`` / ``on_fill``.
* A timer calls ``on_timer`` every ``timer_interval_ms``.

Intents go to the risk gate in one call per callback, with a timeout: **fail closed** — no answer (dead or slow
risk gate) means every intent of the batch is treated as rejected with reason ``risk_unavailable`` and the strategy
sees a ``rejected`` order event for each; nothing else can reach execution. Rejections from the gate come back the
same way with the gate's reason.

The context's open orders and positions are never the strategy's own memory: they are what execution and the
portfolio reported, and ``recover()`` (called by the supervisor after a restart) reloads them from the execution
actor (open orders) and the risk gate (positions). ``stop()`` cancels the strategy's open orders and stops new
submits; ``start()`` resumes. Parameters change through ``update_params`` (validated by the kind's model).

Clock: ``ctx.now_ns`` is the ``ts_recv`` of the event delivered (the feed's receive clock) or, for timers, this
host's wall clock, which is the same clock on one machine.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Sequence
from decimal import Decimal

from actors.instruments import InstrumentSpec, trading_spec
from actors.bars.bar import Bar
from actors.messages import BookView, Trade
from actors.metrics import latency_histogram, percentiles_ms
from actors.orders import (
    IntentAction,
    OrderEvent,
    OrderEventKind,
    OrderIntent,
    OrderState,
    PositionSnapshot,
    Signal,
)
from strategies import registry
from strategies.base import StrategyContext

__all__ = ["StrategyActor"]

log = logging.getLogger(__name__)


class StrategyActor:
    """Args:
    name: the actor's name.
    strategy_id, kind, instruments, params: the instance (``params`` validated by the kind's model).
    allocated_capital: USD, as a decimal string.
    mode: ``paper`` (live modes come with live execution).
    risk_name, execution_name: collaborators by name; lookup: ``name -> handle``.
    timer_interval_ms: period of ``on_timer`` (0: no timer).
    risk_timeout_s: how long to wait for the risk gate before failing closed.
    recorder_name: where signals are recorded (market-class: buffered, may lose the last flush interval).
    specs: instrument specs loaded from the venue (:mod:`actors.feed.instrument_specs`); others:
        :func:`actors.instruments.trading_spec` (Binance's table or exact default).

    Raises:
        MissingInstrumentSpec: an instrument of Bybit or OKX without a loaded spec (its tick and lot are unknown).
    """

    def __init__(self, name: str, strategy_id: str, kind: str, instruments: Sequence[str], params: dict | None = None,
                 allocated_capital: str = "0", mode: str = "paper", risk_name: str | None = None,
                 execution_name: str | None = None, namespace: str = "raytrade", lookup=None,
                 timer_interval_ms: float = 1000.0, risk_timeout_s: float = 2.0, enabled: bool = True,
                 recorder_name: str | None = None, specs: Sequence[InstrumentSpec] = ()) -> None:  # fmt: skip
        if lookup is None:
            from actors.remote import RaySpawner

            lookup = RaySpawner(namespace).lookup
        self.name = name
        self.strategy_id = strategy_id
        self.kind = kind
        self.mode = mode
        self.strategy = registry.build(kind, strategy_id, list(instruments), params or {})
        loaded = {s.instrument_id: s for s in specs}  # a strategy rounds quotes to tick and lot: no wide default
        self.ctx = StrategyContext(strategy_id, 0, {i: trading_spec(i, loaded) for i in self.strategy.instruments()},
                                   allocated_capital=Decimal(str(allocated_capital)))  # fmt: skip
        self.enabled = enabled
        self.risk_name = risk_name
        self.execution_name = execution_name
        self.recorder_name = recorder_name
        self._lookup = lookup
        self._handles: dict[str, object] = {}
        self.timer_interval_s = timer_interval_ms / 1000
        self.risk_timeout_s = risk_timeout_s
        self._timer: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self.signals: deque[Signal] = deque(maxlen=10_000)
        self._closed_ids: dict[str, None] = {}
        self.signal_count = 0
        self.orders_sent = 0
        self.cancels_sent = 0
        self.rejections: Counter = Counter()
        self.risk_unavailable_since: int | None = None
        self.fills = 0
        self.views = 0
        self.trades = 0
        self.bars = 0
        self.errors = 0
        self.last_error: str | None = None
        self._book_to_sub: deque[int] = deque(maxlen=100_000)
        self._frame_to_sub: deque[int] = deque(maxlen=100_000)
        self._hist = latency_histogram("raytrade_book_to_subscriber_ms", "Book view published to strategy (ms)",
                                       ("role", "strategy", "instrument"))
        self._hist_frame = latency_histogram("raytrade_frame_to_subscriber_ms", "Frame receipt to strategy (ms)",
                                             ("role", "strategy", "instrument"))

    # -- inputs ----------------------------------------------------------------------------------------------
    async def on_views(self, views: list[BookView], trades: list[Trade] = (), bars: list[Bar] = ()) -> int:
        """Deliver views (and the trades and closed bars since the last delivery) to the strategy; send its
        intents."""
        self._ensure_timer()
        now = time.time_ns()
        actions = []
        for view in views:
            self._book_to_sub.append(now - view.ts_published)
            if view.ts_recv:
                self._frame_to_sub.append(now - view.ts_recv)
            self.ctx.books[view.instrument_id] = view
            self.ctx.now_ns = view.ts_recv or now
            actions.extend(self._guard(self.strategy.on_book, view))
        for trade in trades:
            self.ctx.now_ns = trade.ts_recv or now
            actions.extend(self._guard(self.strategy.on_trade, trade))
        on_bar = getattr(self.strategy, "on_bar", None) if bars else None
        for bar in bars if on_bar is not None else ():
            self.ctx.now_ns = bar.ts_recv or now
            actions.extend(self._guard(on_bar, bar))
        self.bars += len(bars)
        if self._hist is not None and views:
            tags = {"role": "strategy", "strategy": self.strategy_id, "instrument": views[0].instrument_id}
            self._hist.observe((now - views[0].ts_published) / 1e6, tags=tags)
            if views[0].ts_recv:
                self._hist_frame.observe((now - views[0].ts_recv) / 1e6, tags=tags)
        self.views += len(views)
        self.trades += len(trades)
        await self._act(actions)
        return len(views)

    async def on_execution(self, events: list[OrderEvent], positions: list[PositionSnapshot]) -> int:
        """Order events and the strategy's positions after them (from the risk gate)."""
        for pos in positions:
            self.ctx.positions[pos.instrument_id] = pos
        actions = []
        for ev in events:
            self._track(ev)
            self.ctx.now_ns = max(self.ctx.now_ns, ev.ts_event)
            if ev.kind in (OrderEventKind.REJECTED, OrderEventKind.CANCEL_REJECTED):
                self.rejections[ev.reason or "rejected"] += 1
            actions.extend(self._guard(self.strategy.on_order_event, ev))
            if ev.fill is not None:
                self.fills += 1
                actions.extend(self._guard(self.strategy.on_fill, ev.fill))
        await self._act(actions)
        return len(events)

    def _track(self, ev: OrderEvent) -> None:
        """Keep ``ctx.open_orders`` as execution reports it. An id once closed is never listed again (an older event
        arriving late must not resurrect it); a cancel refused because the order was already closed removes it."""
        order = ev.order
        cid = order.client_order_id
        if ev.kind is OrderEventKind.CANCEL_REJECTED:
            if ev.reason == "order_closed":
                self._closed(cid)
            return
        if order.is_open and cid not in self._closed_ids:
            self.ctx.open_orders[cid] = order
        elif not order.is_open:
            self._closed(cid)

    def _closed(self, cid: str) -> None:
        self.ctx.open_orders.pop(cid, None)
        if cid not in self._closed_ids:
            self._closed_ids[cid] = None
            if len(self._closed_ids) > 100_000:
                del self._closed_ids[next(iter(self._closed_ids))]

    def _guard(self, callback, arg) -> list:
        try:
            return list(callback(arg, self.ctx) or ())
        except Exception as exc:  # noqa: BLE001 - a strategy bug must not kill the host: counted, logged
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("strategy %s", self.strategy_id)
            return []

    # -- intents ---------------------------------------------------------------------------------------------
    async def _act(self, actions: list) -> None:
        intents: list[OrderIntent] = []
        signals = []
        for action in actions:
            if isinstance(action, Signal):
                self.signals.append(action)
                self.signal_count += 1
                signals.append(action)
            elif isinstance(action, OrderIntent):
                if not self.enabled and action.action is not IntentAction.CANCEL:
                    continue  # stopped: only cancels go out
                intents.append(action)
        if signals and self.recorder_name:
            try:
                self._peer(self.recorder_name).write_market.remote("signals", signals)
            except Exception:  # noqa: BLE001 - signals are market-class records
                self._handles.pop(self.recorder_name, None)
        if intents:
            await self._send(intents)

    async def _send(self, intents: list[OrderIntent]) -> None:
        async with self._lock:
            for i in intents:
                if i.action is IntentAction.CANCEL:
                    self.cancels_sent += 1
                else:
                    self.orders_sent += 1
            try:
                handle = self._peer(self.risk_name)
                results = await asyncio.wait_for(handle.submit.remote(intents), self.risk_timeout_s)
                self.risk_unavailable_since = None
            except Exception as exc:  # noqa: BLE001 - fail closed: nothing reached execution through us
                self._handles.pop(self.risk_name, None)
                self.risk_unavailable_since = self.risk_unavailable_since or time.time_ns()
                self.last_error = f"risk_unavailable: {type(exc).__name__}"
                results = [{"client_order_id": i.client_order_id, "approved": False, "reason": "risk_unavailable",
                            "detail": type(exc).__name__} for i in intents]  # fmt: skip
        rejected = []
        for intent, result in zip(intents, results):
            if result["approved"]:
                continue
            rejected.append(_rejection(intent, result["reason"], self.ctx.now_ns or time.time_ns()))
        if rejected:
            await self.on_execution(rejected, [])

    def _peer(self, name: str | None):
        if name is None:
            raise LookupError("no risk gate configured")
        handle = self._handles.get(name)
        if handle is None:
            handle = self._handles[name] = self._lookup(name)
        return handle

    # -- timer -----------------------------------------------------------------------------------------------
    def _ensure_timer(self) -> None:
        if self.timer_interval_s > 0 and (self._timer is None or self._timer.done()):
            self._timer = asyncio.ensure_future(self._timer_loop())

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.timer_interval_s)
            self.ctx.now_ns = time.time_ns()
            await self._act(self._guard(lambda _a, ctx: self.strategy.on_timer(ctx), None))

    # -- controls --------------------------------------------------------------------------------------------
    async def recover(self) -> dict:
        """Reload open orders (from execution) and positions (from the risk gate's portfolio) after a restart."""
        orders = await self._peer(self.execution_name).orders.remote(self.strategy_id)
        for order in orders:
            if order.is_open:
                self.ctx.open_orders[order.client_order_id] = order
        self.ctx._seq[0] = max([self.ctx._seq[0], *(_suffix(o.client_order_id) for o in orders)]) + 1000
        positions = await self._peer(self.risk_name).positions.remote(self.strategy_id)
        for pos in positions:
            self.ctx.positions[pos.instrument_id] = pos
        return {"open_orders": len(self.ctx.open_orders), "positions": len(positions)}

    async def stop(self) -> dict:
        """Stop submitting; cancel this strategy's open orders through the risk gate."""
        self.enabled = False
        self.ctx.trading_enabled = False
        cancels = [OrderIntent(IntentAction.CANCEL, self.strategy_id, o.client_order_id, o.instrument_id,
                               o.price_decimals, o.size_decimals, ts_created=time.time_ns())
                   for o in self.ctx.open_orders.values()]  # fmt: skip
        if cancels:
            await self._send(cancels)
        return self.summary()

    async def start(self) -> dict:
        self.enabled = True
        self.ctx.trading_enabled = True
        return self.summary()

    def update_params(self, params: dict) -> dict:
        """Validate and apply new parameters. Raises ConfigError naming the bad field."""
        model = registry.validate_params(self.kind, {**self.strategy.params.model_dump(), **params})
        self.strategy.update_params(model)
        return model.model_dump(mode="json")

    # -- queries ---------------------------------------------------------------------------------------------
    def ping(self) -> str:
        return self.name

    def instruments(self) -> list[str]:
        return list(self.strategy.instruments())

    def wants_trades(self) -> bool:
        """Whether the strategy reads public trades (the book subscription sends them only then)."""
        return bool(getattr(self.strategy, "wants_trades", True))

    def wants_bars(self) -> list[str]:
        """The bar intervals the strategy reads (its optional ``bar_intervals``; the subscription sends those)."""
        return list(getattr(self.strategy, "bar_intervals", ()))

    def context_state(self) -> dict:
        """What the strategy currently sees: open order ids and position sizes by instrument (tests, debugging)."""
        return {"open_orders": sorted(self.ctx.open_orders),
                "positions": {i: p.size for i, p in self.ctx.positions.items()}}  # fmt: skip

    def recent_signals(self, limit: int = 100) -> list[dict]:
        return [s.to_json() for s in list(self.signals)[-limit:]]

    def latency_samples(self) -> dict[str, list[int]]:
        """Latency samples (ns): ``frame_to_subscriber`` and ``book_to_subscriber``, the most recent window."""
        return {"frame_to_subscriber": list(self._frame_to_sub), "book_to_subscriber": list(self._book_to_sub)}

    def summary(self) -> dict:
        """The strategy's own summary, overlaid with the host's counters (the host's keys win)."""
        params = self.strategy.params.model_dump(mode="json") if hasattr(self.strategy, "params") else {}
        return {**self.strategy.summary(), "name": self.name, "strategy_id": self.strategy_id, "kind": self.kind, "mode": self.mode,
                "state": "running" if self.enabled else "stopped", "instruments": self.instruments(),
                "params": params, "views": self.views, "trades": self.trades, "orders": self.orders_sent,
                "cancels": self.cancels_sent, "fills": self.fills, "signals": self.signal_count,
                "rejections": dict(self.rejections), "open_orders": len(self.ctx.open_orders),
                "errors": self.errors, "last_error": self.last_error,
                "allocated_capital": str(self.ctx.allocated_capital),
                "book_to_subscriber_ms": percentiles_ms(sorted(self._book_to_sub)),
                "frame_to_subscriber_ms": percentiles_ms(sorted(self._frame_to_sub))}  # fmt: skip


def _rejection(intent: OrderIntent, reason: str, ts: int) -> OrderEvent:
    if intent.action is IntentAction.SUBMIT:
        return OrderState(intent, "", "", ts).reject(reason, ts)
    # a refused cancel / replace: the order stays as it is
    sub = OrderIntent(IntentAction.SUBMIT, intent.strategy_id, intent.client_order_id, intent.instrument_id,
                      intent.price_decimals, intent.size_decimals, size=intent.size or 1)  # fmt: skip
    ev = OrderState(sub, "", "", ts).reject(reason, ts)
    return OrderEvent(OrderEventKind.CANCEL_REJECTED, ev.order, ts, reason=reason)


def _suffix(client_order_id: str) -> int:
    tail = client_order_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
