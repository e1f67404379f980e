"""RiskActor: the risk gate. Every intent passes it before execution; it owns the portfolio and the trading state.

Thin around pure code: :class:`~actors.risk.gate.RiskGate` (pre-trade rules, breakers, kill switch) and
:class:`~actors.portfolio.ledger.Portfolio` (positions, PnL, equity). Flow:

* ``submit(intents)`` (from strategy actors and the API): each intent is checked against a
  :class:`~actors.risk.gate.RiskContext` built from the portfolio, the latest book view and the open orders; the
  approved ones go to the execution actor in one call. Returns one result per intent: approved or the rejection
  reason. A strategy that gets no answer in time treats every intent as rejected with ``risk_unavailable``
  (fail closed: only this actor talks to execution).
* ``on_views(views, trades)`` (book subscriptions): marks the portfolio to mid, feeds equity to the breakers on
  the venue event clock (the daily-loss baseline is the equity at 00:00 UTC of ``ts_event``), checks stop-loss /
  take-profit per position on every trade; a breaker that trips to ``halted`` cancels every open order (and
  flattens when ``flatten_on_halt``).
* ``on_execution_events(batch)`` (from execution, sequence-numbered): applies fills to the portfolio, tracks open
  orders, forwards each strategy its events and its updated positions (``StrategyActor.on_execution``).
* ``kill`` / ``reset`` / ``update_limits``: the API's controls (the API checks the token first).
* ``strategy_down`` / ``strategy_up`` (from the supervisor): a strategy whose actor is dead or restarting is held
  in ``strategy_down`` by the gate (its new risk rejected, see :mod:`actors.risk.gate`); with
  ``strategy_down_orders = "cancel"`` its resting orders are canceled when it goes down. ``status()`` lists the
  held strategies (``strategies_down``); the events go to the recorder and to ``breaker_events`` like a breaker's.

Recovery (after the supervisor restarts it): ``recover()`` rebuilds the portfolio and open orders from the execution
actor's event log (``events_since(0)``) and the trading state from its last checkpoint at the supervisor; pushes that
arrive meanwhile are held and applied after, by sequence number, so nothing is applied twice or out of order.
Every decision is a :class:`~actors.risk.breakers.RiskEvent`, kept in order (``events()``). **Write-ahead**: the
events of a ``submit`` batch are committed by the recorder (``risk_events``) before any approved intent goes to
execution and before the caller gets its answer; when the recorder cannot be reached the approved intents are
rejected with ``recorder_unavailable`` (their events are kept and written later: nothing is lost, nothing goes out
unrecorded). Breaker trips, kills and resets are written the same way and also raise a ``system_alerts`` row.
Cross-venue divergence (:mod:`actors.validation.divergence`, soft) runs here on the views it already gets from
every book; its rate-limited alert rows go to ``system_alerts`` as market-class rows, its counts to
``status()["divergence"]``.
Positions are written on every fill; ``strategy_state``, ``performance_metrics`` and ``account_balances`` every
``state_interval_s`` of the market clock. Decision events carry the gate's clock (wall ns), breaker events the
market clock (venue ``ts_event``), as the daily-loss baseline needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Sequence
from decimal import Decimal

from actors.instruments import InstrumentSpec, specs_by_id, trading_specs
from actors.messages import BookView, Trade
from actors.orders import (
    IntentAction,
    OrderEvent,
    OrderIntent,
    OrderType,
    TERMINAL_STATUSES,
)
from actors.portfolio.analytics import EquityCurve, performance
from actors.portfolio.ledger import Portfolio
from actors.risk.breakers import RiskEvent, TradingState
from actors.risk.gate import BookState, RiskContext, RiskGate
from actors.risk.limits import RiskLimits
from actors.validation.config import ValidationSettings
from actors.validation.divergence import DivergenceMonitor

__all__ = ["RiskActor"]

log = logging.getLogger(__name__)


class RiskActor:
    """Args:
    name: the actor's name.
    instrument_ids: the run's instruments.
    limits: :class:`RiskLimits` fields (dict; Decimals as strings are fine).
    strategies: ``strategy_id -> {"allocated_capital": str, "actor": actor name or None, "limits": {...}}``.
    execution_name, supervisor_name: collaborators, by name.
    lookup: ``name -> handle`` (default Ray named actors in ``namespace``); clock: wall ns.
    execution_timeout_s: how long a submit waits for execution before rejecting ``execution_unavailable``.
    equity_interval_s: sampling interval of the equity curves (market clock).
    equity_check_interval_ms: the breakers see the portfolio equity at most this often (market clock, ms): a
        daily-loss or drawdown breach is acted on within this time of the mark that caused it.
    """

    def __init__(self, name: str, instrument_ids: Sequence[str], limits: dict | None = None,
                 strategies: dict | None = None, execution_name: str | None = None,
                 supervisor_name: str | None = None, namespace: str = "raytrade", lookup=None,
                 clock=time.time_ns, execution_timeout_s: float = 2.0, equity_interval_s: float = 1.0,
                 equity_check_interval_ms: float = 100.0, recorder_name: str | None = None,
                 recorder_timeout_s: float = 5.0, state_interval_s: float = 10.0, modes: dict | None = None,
                 validation: ValidationSettings | None = None,
                 specs: Sequence[InstrumentSpec] = ()) -> None:  # fmt: skip
        if lookup is None:
            from actors.remote import RaySpawner

            lookup = RaySpawner(namespace).lookup
        self.name = name
        # money: the venue's loaded spec (Bybit, OKX: none loaded -> left out, its orders rejected instrument_unknown)
        self.specs = trading_specs(instrument_ids, specs)
        self.strategies = dict(strategies or {})
        overrides = {sid: info["limits"] for sid, info in self.strategies.items() if info.get("limits")}
        self.limits = RiskLimits.from_dict({**(limits or {}), **({"strategies": overrides} if overrides else {})})
        self.gate = RiskGate(self.limits)
        self.portfolio = Portfolio(self.specs)
        validation = validation if validation is not None else ValidationSettings()
        self.divergence = (DivergenceMonitor(validation, specs_by_id(instrument_ids, specs).values())
                           if validation.enabled else None)  # market data only: an exact wide default is fine
        self._divergence_alerts = 0
        for sid, info in self.strategies.items():
            self.portfolio.add_strategy(sid, Decimal(str(info.get("allocated_capital", "0"))))
        self.execution_name = execution_name
        self.supervisor_name = supervisor_name
        self._lookup = lookup
        self._handles: dict[str, object] = {}
        self.clock = clock
        self.execution_timeout_s = execution_timeout_s
        self.books: dict[str, BookView] = {}
        self.open_orders: dict[str, object] = {}  # client_order_id -> Order (latest)
        self.pending_submits: dict[str, str] = {}  # approved, not yet known to execution: cid -> strategy
        self.applied_seq = 0
        self._reorder: dict[int, OrderEvent] = {}
        self._hole_since: float | None = None
        self.reorder_timeout_s = 1.0
        self._recovering = False
        self._held: list[tuple[int, OrderEvent]] = []
        self.equity_interval_s = equity_interval_s
        self.curves: dict[str | None, EquityCurve] = {None: EquityCurve(equity_interval_s)}
        for sid in self.strategies:
            self.curves[sid] = EquityCurve(equity_interval_s)
        self.decisions: Counter = Counter()
        self.rejections: dict[str, Counter] = {}
        self.event_log: deque[RiskEvent] = deque(maxlen=100_000)
        self.breaker_events: list[dict] = []
        self.market_ts = 0
        self.forward_errors = 0
        self.closing: set[tuple[str, str]] = set()
        self.volume_usd: dict[str, Decimal] = {}
        self.recorder_name = recorder_name
        self.recorder_timeout_s = recorder_timeout_s
        self._unpersisted: list[RiskEvent] = []
        self._persist_lock = asyncio.Lock()
        self.persist_errors = 0
        self.state_interval_ns = int(state_interval_s * 1e9)
        self._last_state_ts = 0
        self.equity_check_ns = int(equity_check_interval_ms * 1e6)
        self._last_equity_ts = 0

    def _notional_usd(self, fill) -> Decimal:
        """A fill's notional in USD: linear ``price * size`` at the quote's USD rate; inverse ``size * contract``."""
        spec = self.specs.get(fill.instrument_id)
        if spec is not None and spec.inverse:
            return fill.size_decimal() * spec.contract_size
        rate = self.portfolio.usd_rate(spec.quote) if spec is not None else None
        return fill.price_decimal() * fill.size_decimal() * (rate if rate is not None else Decimal(1))

    # -- helpers ---------------------------------------------------------------------------------------------
    def _peer(self, name: str):
        handle = self._handles.get(name)
        if handle is None:
            handle = self._handles[name] = self._lookup(name)
        return handle

    def _drop(self, name: str) -> None:
        self._handles.pop(name, None)

    def refresh_peer(self, name: str) -> bool:
        """Forget the cached handle of ``name``, so the next push looks its current incarnation up.

        The supervisor calls it for a restarted strategy before that strategy's ``recover()``: pushes to strategies
        are fire-and-forget, so a handle of a dead incarnation (e.g. one lost with its node) would otherwise keep
        swallowing its fills and order events. Returns whether a handle was cached."""
        return self._handles.pop(name, None) is not None

    def _record(self, events: Sequence[RiskEvent] = ()) -> None:
        """Take every event the gate produced (decisions, breakers, kill, reset) into the ordered log."""
        for ev in self.gate.drain_events():
            self.event_log.append(ev)
            self._unpersisted.append(ev)
            if ev.kind in ("breaker", "kill", "reset", "state", "strategy_down", "strategy_up"):
                self.breaker_events.append({"ts_event": ev.ts_event, "kind": ev.kind, "reason": ev.reason,
                                            "state": ev.state, "detail": ev.detail,
                                            **({"strategy_id": ev.strategy_id} if ev.strategy_id else {})})  # fmt: skip

    async def _persist(self) -> bool:
        """Write-ahead of the waiting risk events (and an alert per breaker / kill / reset). True when all are
        stored (or there is no recorder)."""
        async with self._persist_lock:
            if not self._unpersisted:
                return True
            if self.recorder_name is None:
                self._unpersisted.clear()
                return True
            batch = list(self._unpersisted)
            alerts = [{"severity": "critical" if e.state == "halted" else "warning", "source": "risk",
                       "message": f"{e.kind}: {e.reason} ({e.detail})", "acknowledged": False, "ts": e.ts_event}
                      for e in batch if e.kind in ("breaker", "kill", "reset")]  # fmt: skip
            try:
                await asyncio.wait_for(self._call(self.recorder_name, "write_now", "risk_events", batch),
                                       self.recorder_timeout_s)  # fmt: skip
                if alerts:
                    await asyncio.wait_for(self._call(self.recorder_name, "write_now", "system_alerts", alerts),
                                           self.recorder_timeout_s)  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - kept, retried by the next call
                self.persist_errors += 1
                log.warning("recorder unavailable: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)
                return False
            del self._unpersisted[: len(batch)]
            return True

    def _market(self, table: str, rows: list) -> None:
        """Fire-and-forget market-class rows (positions, state snapshots): may lose the last flush interval."""
        if self.recorder_name is None or not rows:
            return
        try:
            self._peer(self.recorder_name).write_market.remote(table, rows)
        except Exception:  # noqa: BLE001
            self._drop(self.recorder_name)

    async def flush_records(self) -> int:
        """Persist whatever waits and a last state snapshot (the run's teardown calls it). Returns events left."""
        self._write_state(self.market_ts or self.clock())
        await self._persist()
        return len(self._unpersisted)

    def _write_state(self, ts: int) -> None:
        """``strategy_state``, ``performance_metrics`` and ``account_balances`` rows at ``ts``."""
        states, metrics = [], []
        for sid, info in self.strategies.items():
            report = self.strategy_report(sid)
            perf, pnl = report["performance"], report["pnl"]
            dd = perf.get("max_drawdown_pct")
            metrics.append({"strategy_id": sid, "equity": report["equity_usd"], "total_pnl": pnl["net"],
                            "realized_pnl": pnl["realized"], "unrealized_pnl": pnl["unrealized"], "fees": pnl["fees"],
                            "trades": perf.get("trades"), "win_rate": _float(perf.get("win_rate")),
                            "sharpe": _float(perf.get("sharpe")), "sortino": _float(perf.get("sortino")),
                            "max_drawdown": _float(dd), "ts": ts})  # fmt: skip
            usage = self.gate.breakers.usage()
            states.append({"strategy_id": sid, "active": self.gate.breakers.state is TradingState.ACTIVE,
                           "mode": info.get("mode", "paper"), "allocated_capital": str(info.get("allocated_capital", "0")),
                           "current_capital": report["equity_usd"], "total_pnl": pnl["net"],
                           "realized_pnl": pnl["realized"], "unrealized_pnl": pnl["unrealized"],
                           "trades": perf.get("trades"), "wins": perf.get("wins"), "losses": perf.get("losses"),
                           "win_rate": _float(perf.get("win_rate")), "sharpe": _float(perf.get("sharpe")),
                           "max_drawdown": _float(dd), "daily_loss_limit": str(self.limits.daily_loss_limit_pct),
                           "daily_loss_used": _dec(usage.get("daily_loss_pct")),
                           "max_position_size": str(self.limits.max_position_pct),
                           "open_positions": self.portfolio.open_position_count(sid),
                           "emergency_stop": self.gate.breakers.state is TradingState.HALTED,
                           "emergency_reason": self.gate.breakers.halt_reason, "ts": ts})  # fmt: skip
        balances = [{"venue": "paper", "mode": "paper", "asset": asset, "free": _money(v), "locked": "0", "total": _money(v),
                     "value_usd": None if self.portfolio.usd_rate(asset) is None
                     else _money(v * self.portfolio.usd_rate(asset)), "ts": ts}
                    for asset, v in self.portfolio.balances().items()]  # fmt: skip
        self._market("strategy_state", states)
        self._market("performance_metrics", metrics)
        self._market("account_balances", balances)

    def _context(self, intent: OrderIntent, now: int) -> RiskContext:
        sid, iid = intent.strategy_id, intent.instrument_id
        spec = self.specs.get(iid)
        view = self.books.get(iid)
        book = None
        if view is not None:
            pd = view.price_decimals
            bid = Decimal(view.bids[0][0]).scaleb(-pd) if view.bids else None
            ask = Decimal(view.asks[0][0]).scaleb(-pd) if view.asks else None
            age_ms = (now - view.ts_recv) / 1e6 if view.ts_recv else None
            book = BookState(view.ready, bid, ask, age_ms)
        pos = self.portfolio.position(sid, iid) if spec is not None else None
        open_total = len(self.open_orders) + len(self.pending_submits)
        open_strategy = sum(1 for o in self.open_orders.values() if o.strategy_id == sid)
        open_strategy += sum(1 for s in self.pending_submits.values() if s == sid)
        return RiskContext(
            now_ns=now, spec=spec, book=book, position_size=pos.size if pos else 0,
            position_notional_usd=self.portfolio.notional_usd(sid, iid) if spec is not None else Decimal(0),
            strategy_equity_usd=self.portfolio.equity_usd(sid) if sid in self.strategies else self.portfolio.equity_usd(),
            portfolio_equity_usd=self.portfolio.equity_usd(),
            open_positions_total=self.portfolio.open_position_count(),
            open_positions_strategy=self.portfolio.open_position_count(sid),
            has_position=bool(pos and pos.size), open_orders_total=open_total, open_orders_strategy=open_strategy,
        )  # fmt: skip

    # -- the gate --------------------------------------------------------------------------------------------
    async def submit(self, intents: list[OrderIntent]) -> list[dict]:
        """Check each intent; send the approved ones to execution. Returns per intent
        ``{"client_order_id", "approved", "reason", "detail"}`` (reason ``execution_unavailable`` when execution did
        not answer in time: then nothing of the batch is known to have executed)."""
        now = self.clock()
        results, approved = [], []
        for intent in intents:
            decision = self.gate.check(intent, self._context(intent, now))
            self.decisions["approved" if decision.approved else "rejected"] += 1
            if decision.approved:
                approved.append(intent)
                if intent.action is IntentAction.SUBMIT:
                    self.pending_submits[intent.client_order_id] = intent.strategy_id
                elif intent.action is IntentAction.REPLACE and intent.new_client_order_id:
                    self.pending_submits[intent.new_client_order_id] = intent.strategy_id
            else:
                self.rejections.setdefault(intent.strategy_id, Counter())[decision.reason] += 1
            self._record()
            results.append({"client_order_id": intent.client_order_id, "approved": decision.approved,
                            "reason": decision.reason, "detail": decision.detail})  # fmt: skip
        if not await self._persist() and approved:  # fail closed: nothing goes out unrecorded
            for r in results:
                if r["approved"]:
                    r.update(approved=False, reason="recorder_unavailable", detail="risk events not stored")
            for intent in approved:
                self.pending_submits.pop(intent.client_order_id, None)
                if intent.new_client_order_id:
                    self.pending_submits.pop(intent.new_client_order_id, None)
            approved = []
        if approved and self.gate.breakers.state is TradingState.HALTED:
            # halted while these waited for the recorder (a kill or a breaker in between): nothing new goes out
            late = [i for i in approved if i.action is not IntentAction.CANCEL]
            for r in results:
                if r["approved"] and r["client_order_id"] in {i.client_order_id for i in late}:
                    r.update(approved=False, reason="halted", detail="halted before it was sent")
            for intent in late:
                self.pending_submits.pop(intent.client_order_id, None)
                if intent.new_client_order_id:
                    self.pending_submits.pop(intent.new_client_order_id, None)
            approved = [i for i in approved if i.action is IntentAction.CANCEL]
        if approved:
            try:
                await asyncio.wait_for(self._call(self.execution_name, "submit", approved), self.execution_timeout_s)
            except Exception as exc:  # noqa: BLE001 - fail closed: report, the orders may not exist
                log.warning("execution unavailable: %s", exc)
                for r in results:
                    if r["approved"]:
                        r.update(approved=False, reason="execution_unavailable", detail=str(exc)[:200])
                for intent in approved:
                    self.pending_submits.pop(intent.client_order_id, None)
        return results

    async def _call(self, name: str, method: str, *args):
        try:
            return await getattr(self._peer(name), method).remote(*args)
        except Exception:
            self._drop(name)
            raise

    # -- market data -----------------------------------------------------------------------------------------
    async def on_views(self, views: list[BookView], trades: list[Trade] = ()) -> int:
        """Mark the portfolio, feed the breakers, check stop-loss / take-profit on trades."""
        divergence = self.divergence
        for view in views:
            self.books[view.instrument_id] = view
            if divergence is not None:
                divergence.on_view(view)
            if view.ready:
                mid = view.mid()
                if mid is not None:
                    self.portfolio.on_mark(view.instrument_id, mid, view.ts_event)
            if view.ts_event:
                self.market_ts = max(self.market_ts, view.ts_event)
        if divergence is not None and divergence.alerts.rows != self._divergence_alerts:
            self._divergence_alerts = divergence.alerts.rows
            self._market("system_alerts", divergence.alerts.drain())
        intents: list[OrderIntent] = []
        for trade in trades:
            price = trade.price_decimal()
            for trig in self.portfolio.protection_triggers(trade.instrument_id, price, trade.ts_event):
                key = (trig.strategy_id, trig.instrument_id)
                if key in self.closing:
                    continue
                self.closing.add(key)
                spec = self.specs[trig.instrument_id]
                intents.append(OrderIntent(IntentAction.SUBMIT, trig.strategy_id,
                                           f"{trig.strategy_id}-{trig.reason}-{trade.trade_id}", trig.instrument_id,
                                           spec.price_decimals, spec.size_decimals, trig.close_side,
                                           OrderType.MARKET, trig.size, reduce_only=True,
                                           ts_created=trade.ts_recv, tag=trig.reason))  # fmt: skip
        if self.market_ts and views and self.market_ts - self._last_equity_ts >= self.equity_check_ns:
            self._last_equity_ts = self.market_ts
            await self._on_equity()
        if intents:
            await self.submit(intents)
        return len(views)

    async def _on_equity(self) -> None:
        equity = self.portfolio.equity_usd()
        self.curves[None].sample(self.market_ts, equity)
        for sid in self.strategies:
            self.curves[sid].sample(self.market_ts, self.portfolio.equity_usd(sid))
        before = self.gate.breakers.state
        events = self.gate.on_equity(equity, self.market_ts)
        if events:
            self._record()
            await self._persist()
            await self._checkpoint()
        if self.market_ts - self._last_state_ts >= self.state_interval_ns:
            self._last_state_ts = self.market_ts
            self._write_state(self.market_ts)
        if before is not TradingState.HALTED and self.gate.breakers.state is TradingState.HALTED:
            await self._halt(self.limits.flatten_on_halt, "breaker")

    async def _halt(self, flatten: bool, why: str) -> None:
        try:
            await asyncio.wait_for(self._call(self.execution_name, "cancel_all", None, why), self.execution_timeout_s)
        except Exception as exc:  # noqa: BLE001
            log.error("cancel all on halt failed: %s", exc)
        if flatten:
            intents = self.gate.flatten_intents(self.portfolio.positions(open_only=True), self.specs, self.clock())
            if intents:
                try:
                    await asyncio.wait_for(self._call(self.execution_name, "submit", intents), self.execution_timeout_s)
                except Exception as exc:  # noqa: BLE001
                    log.error("flatten failed: %s", exc)

    # -- execution events ------------------------------------------------------------------------------------
    async def on_execution_events(self, batch: list[tuple[int, OrderEvent]]) -> int:
        """Apply sequence-numbered execution events (each at most once, in order); forward them to strategies."""
        if self._recovering:
            self._held.extend(batch)
            return 0
        return await self._apply_events(batch)

    async def _apply_events(self, batch: list[tuple[int, OrderEvent]], forward: bool = True) -> int:
        """Apply events strictly in sequence: a batch that overtook an earlier one (Ray does not order the calls
        of an async actor) waits in ``_reorder`` until the missing sequence numbers arrive; a hole that stays open
        past ``reorder_timeout_s`` (a push that failed) is filled from execution's log (``events_since``)."""
        for seq, ev in batch:
            if seq > self.applied_seq:
                self._reorder[seq] = ev
        if self._reorder and self.applied_seq + 1 not in self._reorder:
            self._hole_since = self._hole_since or time.monotonic()
            if time.monotonic() - self._hole_since > self.reorder_timeout_s:
                self._hole_since = None
                try:
                    missing = await self._call(self.execution_name, "events_since", self.applied_seq)
                    for seq, ev in missing:
                        if seq > self.applied_seq:
                            self._reorder.setdefault(seq, ev)
                except Exception as exc:  # noqa: BLE001 - retried on the next batch
                    log.warning("filling an event hole from execution: %s", exc)
        ordered = []
        while self.applied_seq + 1 in self._reorder:
            self.applied_seq += 1
            ordered.append((self.applied_seq, self._reorder.pop(self.applied_seq)))
        if ordered:
            self._hole_since = None if not self._reorder else time.monotonic()
        per_strategy: dict[str, list[OrderEvent]] = {}
        applied = 0
        for seq, ev in ordered:
            applied += 1
            order = ev.order
            cid = order.client_order_id
            self.pending_submits.pop(cid, None)
            if order.status in TERMINAL_STATUSES:
                self.open_orders.pop(cid, None)
            else:
                self.open_orders[cid] = order
            if ev.fill is not None:
                self.portfolio.on_fill(ev.fill)
                self.volume_usd[order.strategy_id] = self.volume_usd.get(order.strategy_id, Decimal(0)) + \
                    self._notional_usd(ev.fill)
                pos = self.portfolio.position(order.strategy_id, order.instrument_id)
                if not pos.size:
                    self.closing.discard((order.strategy_id, order.instrument_id))
            per_strategy.setdefault(order.strategy_id, []).append(ev)
        if forward:
            touched = {(ev.order.strategy_id, ev.order.instrument_id) for evs in per_strategy.values() for ev in evs
                       if ev.fill is not None}  # fmt: skip
            self._market("positions", [self.portfolio.position(sid, iid) for sid, iid in sorted(touched)])
            for sid, events in per_strategy.items():
                actor = self.strategies.get(sid, {}).get("actor")
                if not actor:
                    continue
                positions = self.portfolio.positions(sid)
                try:
                    self._peer(actor).on_execution.remote(events, positions)
                except Exception:  # noqa: BLE001 - a dead strategy recovers from execution and portfolio state
                    self.forward_errors += 1
                    self._drop(actor)
        return applied

    # -- controls --------------------------------------------------------------------------------------------
    async def kill(self, reason: str = "kill_switch", actor: str = "api") -> dict:
        """Kill switch: ``halted``, cancel every open order, flatten every position. Returns the status."""
        self.gate.kill(self._ts(), reason, actor)
        self._record()
        await self._persist()
        await self._checkpoint()
        await self._halt(True, reason)
        return self.status()

    async def reset(self, actor: str = "api") -> dict:
        """Leave ``halted`` / ``reducing`` (an explicit, authenticated operator action). Returns the status."""
        self.gate.reset(self._ts(), actor)
        self._record()
        await self._persist()
        await self._checkpoint()
        return self.status()

    async def strategy_down(self, strategy_id: str, reason: str = "actor down") -> dict:
        """Hold ``strategy_id`` in ``strategy_down`` (the supervisor calls it when the strategy's actor died).

        Its new risk is rejected until :meth:`strategy_up`; with ``strategy_down_orders = "cancel"`` its resting
        orders are sent a cancel now with reason ``strategy_down`` (the call is awaited, so the restart's
        recovery comes after it). Idempotent: a second call while it is down changes nothing. Returns
        ``{"strategy_id", "state", "cancels_sent"}`` (the strategy's open orders when the cancels were sent)."""
        event = self.gate.strategy_down(strategy_id, self.clock(), reason)
        self._record()
        await self._persist()
        canceled = 0
        if event is not None and self.limits.strategy_down_orders == "cancel":
            try:
                await asyncio.wait_for(self._call(self.execution_name, "cancel_all", strategy_id, "strategy_down"),
                                       self.execution_timeout_s)  # fmt: skip
                canceled = sum(1 for o in self.open_orders.values() if o.strategy_id == strategy_id)
            except Exception as exc:  # noqa: BLE001 - the orders stay; the gate still refuses new risk
                log.error("canceling %s's orders while it is down: %s", strategy_id, exc)
        return {"strategy_id": strategy_id, "state": self.gate.strategy_state(strategy_id), "cancels_sent": canceled}

    async def strategy_up(self, strategy_id: str, detail: str = "recovered") -> dict:
        """Clear ``strategy_down`` (the supervisor calls it after the new incarnation's ``recover()``).
        Returns ``{"strategy_id", "state"}``."""
        self.gate.strategy_up(strategy_id, self.clock(), detail)
        self._record()
        await self._persist()
        return {"strategy_id": strategy_id, "state": self.gate.strategy_state(strategy_id)}

    def update_limits(self, changes: dict) -> dict:
        """Change limits (validated; ``ConfigError`` names the bad field). Returns the new limits."""
        self.limits = self.gate.update_limits(self._ts(), "api", **changes)
        return self.status()["limits"]

    def add_strategy(self, strategy_id: str, allocated_capital: str, actor: str | None = None,
                     limits: dict | None = None) -> None:  # fmt: skip
        """Register a strategy started at run time (``POST /strategies``)."""
        self.strategies[strategy_id] = {"allocated_capital": str(allocated_capital), "actor": actor, "limits": limits or {}}
        if limits:
            self.limits = self.gate.update_limits(self._ts(), "api", strategies={**self.gate.limits.strategies,
                                                                             strategy_id: limits})  # fmt: skip
        self.portfolio.add_strategy(strategy_id, Decimal(str(allocated_capital)))
        self.curves.setdefault(strategy_id, EquityCurve(self.equity_interval_s))

    def _ts(self) -> int:
        return self.market_ts or self.clock()

    # -- recovery --------------------------------------------------------------------------------------------
    async def _checkpoint(self) -> None:
        if self.supervisor_name is None:
            return
        try:
            self._peer(self.supervisor_name).put_checkpoint.remote(self.name, self.gate.breakers.to_state())
        except Exception:  # noqa: BLE001
            self._drop(self.supervisor_name)

    async def recover(self) -> dict:
        """Rebuild portfolio, open orders and trading state after a restart (see the module docstring)."""
        self._recovering = True
        try:
            if self.supervisor_name is not None:
                state = await self._call(self.supervisor_name, "get_checkpoint", self.name)
                if state:
                    self.gate.breakers.restore(state)
            events = await self._call(self.execution_name, "events_since", 0)
            await self._apply_events(events, forward=False)
        finally:
            held, self._held = sorted(self._held, key=lambda x: x[0]), []
            self._recovering = False
        await self._apply_events(held)
        return {"applied_seq": self.applied_seq, "open_orders": len(self.open_orders),
                "state": self.gate.breakers.state.value}  # fmt: skip

    # -- queries ---------------------------------------------------------------------------------------------
    def ping(self) -> str:
        return self.name

    def positions(self, strategy_id: str | None = None) -> list:
        return self.portfolio.positions(strategy_id)

    def events(self, since: int = 0) -> list[dict]:
        """Risk events (approve / reject / breaker / kill / reset), oldest first, from index ``since``."""
        return [e.to_json() for e in list(self.event_log)[since:]]

    def portfolio_summary(self) -> dict:
        pnl = self.portfolio.pnl_usd()
        return {"equity_usd": _money(self.portfolio.equity_usd()),
                "balances": {k: _money(v) for k, v in self.portfolio.balances().items()},
                **{k: _money(v) for k, v in pnl.items()}, "positions": len(self.portfolio.positions(open_only=True)),
                "open_orders": len(self.open_orders)}  # fmt: skip

    def strategy_report(self, strategy_id: str | None = None) -> dict:
        """Per strategy (or the total for None): fills, volume, fees, realized / unrealized PnL, performance."""
        curve = self.curves.get(strategy_id) or EquityCurve(self.equity_interval_s)
        trips = self.portfolio.round_trips(strategy_id)
        start = (Decimal(str(self.strategies[strategy_id].get("allocated_capital", "0"))) if strategy_id
                 else sum((Decimal(str(s.get("allocated_capital", "0"))) for s in self.strategies.values()), Decimal(0)))  # fmt: skip
        perf = performance(curve.points(), trips, self.equity_interval_s, start)
        pnl = {k: _money(v) for k, v in self.portfolio.pnl_usd(strategy_id).items()}
        volume = (self.volume_usd.get(strategy_id, Decimal(0)) if strategy_id
                  else sum(self.volume_usd.values(), Decimal(0)))  # fmt: skip
        pnl["volume"] = _money(volume)
        return {"pnl": pnl, "performance": perf,
                "equity_usd": _money(self.portfolio.equity_usd(strategy_id))}  # fmt: skip

    def equity_curve(self, strategy_id: str | None = None) -> list[tuple[int, str]]:
        curve = self.curves.get(strategy_id)
        return [(t, str(v)) for t, v in curve.points()] if curve else []

    def status(self) -> dict:
        """Trading state, limits, usage of each limit, breaker history, decision counts."""
        gate = self.gate.status()
        return {**gate, "breaker_events": list(self.breaker_events), "decisions": dict(self.decisions),
                "rejections": {k: dict(v) for k, v in self.rejections.items()},
                "open_orders": len(self.open_orders), "pending_submits": len(self.pending_submits),
                "applied_seq": self.applied_seq, "market_ts": self.market_ts,
                "unpersisted_events": len(self._unpersisted), "persist_errors": self.persist_errors,
                "portfolio": self.portfolio_summary(),
                "divergence": self.divergence.stats() if self.divergence is not None else None}  # fmt: skip


_REPORT_QUANTUM = Decimal("1e-10")


def _money(value: Decimal) -> str:
    """A report amount as a plain decimal string at 10 decimals (the ledger itself keeps full precision)."""
    return format(Decimal(value).quantize(_REPORT_QUANTUM), "f")


def _float(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _dec(value) -> str | None:
    return None if value is None else str(value)
