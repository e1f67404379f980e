"""The pure risk gate: the whole decision on one intent, the trading state, the kill switch (issue 9 item 6).

Every intent (strategies' and manual API orders) passes :meth:`RiskGate.check` before execution:

1. a ``cancel`` always passes (it reduces risk), in every trading state;
2. ``halted``: everything else is rejected with reason ``halted``;
3. a submit / replace with ``size <= 0`` is rejected (``invalid_intent``);
4. ``strategy_down`` (per strategy, see below): everything but reduce-only orders is rejected (``strategy_down``);
5. ``reducing``: only reduce-only or position-reducing orders pass (reason ``reducing``);
6. the pre-trade :data:`~actors.risk.rules.RULES` in order, with the strategy's effective limits; the first
   rejection wins, its reason is the rule's name;
7. an approval is counted in the strategy's sliding 1 s order-rate window (a deque of ``now_ns`` stamps).

Every decision, breaker trip, kill, reset and limits change is a :class:`~actors.risk.breakers.RiskEvent`: on the
decision, in :attr:`RiskGate.recent`, and queued for the recorder until :meth:`RiskGate.drain_events` (breaker
events too when the caller drives ``gate.breakers`` directly: the breakers report every event to the gate).

Fail closed for a strategy that is down (issue 13 item 3): while the supervisor sees a strategy's actor dead or
restarting (its process died, its node was lost), :meth:`RiskGate.strategy_down` holds that strategy in the
``strategy_down`` state. Its submits and replaces are rejected with that reason: an intent still in flight from the
lost incarnation, or one the new incarnation sends before it has rebuilt its orders and positions, would be decided
on a state nobody knows. Cancels pass (they only reduce risk) and so do reduce-only orders (the gate's own
stop-loss / take-profit exits are reduce-only and must keep working while the strategy is away). What happens to
the strategy's resting orders is ``RiskLimits.strategy_down_orders`` (the actor acts on it). The state clears only
through :meth:`RiskGate.strategy_up`, which the supervisor calls after the new incarnation's ``recover()`` returned.

Fail closed: when the risk actor is down or late, the caller must not execute; :func:`unavailable` builds the
rejection strategies then see (reason ``risk_unavailable``). Flatten orders built by :meth:`RiskGate.flatten_intents`
are the gate's own and go to execution without another check (a halted gate would refuse them).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import replace

import msgspec

from actors.errors import ConfigError, RiskRejected
from actors.instruments import InstrumentSpec, trading_spec
from actors.orders import IntentAction, OrderIntent, OrderType, PositionSnapshot, Side, TimeInForce
from actors.risk.breakers import Breakers, RiskEvent, TradingState
from actors.risk.limits import RiskLimits
from actors.risk.rules import RULES, BookState, RiskContext, is_reducing

__all__ = ["REJECTION_REASONS", "BookState", "Decision", "RiskContext", "RiskEvent", "RiskGate", "TradingState",
           "unavailable"]

_WINDOW_NS = 1_000_000_000

REJECTION_REASONS: tuple[str, ...] = (
    "halted", "invalid_intent", "strategy_down", "reducing", "instrument_unknown", "book_not_ready", "book_stale",
    "price_band", "max_order_notional", "max_position", "max_open_positions", "max_open_orders", "order_rate",
)  # fmt: skip
"""Every reason :meth:`RiskGate.check` can reject with (its own states, then the rule names in ``RULES`` order);
the metrics export a zero for each from the start (``actors/telemetry.py``)."""


class Decision(msgspec.Struct, frozen=True, gc=False):
    """The gate's answer on one intent.

    Attributes:
        approved: True when the intent may go to execution.
        reason: rejection reason (a rule name, ``halted``, ``reducing``, ``risk_unavailable``, ...), or the
            approved action (``submit`` / ``replace`` / ``cancel``).
        detail: the numbers behind it.
        event: the :class:`RiskEvent` recording it.
    """

    approved: bool
    reason: str = ""
    detail: str = ""
    event: RiskEvent | None = None

    def raise_if_rejected(self, client_order_id: str) -> None:
        """Raise :class:`~actors.errors.RiskRejected` for a rejection (for callers that prefer exceptions)."""
        if not self.approved:
            raise RiskRejected(client_order_id, self.reason, self.detail)


def unavailable(intent: OrderIntent, ts: int, detail: str = "the risk gate did not answer") -> Decision:
    """The fail-closed rejection when the risk actor is down or does not answer in time (``risk_unavailable``)."""
    event = RiskEvent(ts_event=ts, kind="reject", reason="risk_unavailable", strategy_id=intent.strategy_id,
                      client_order_id=intent.client_order_id, instrument_id=intent.instrument_id, detail=detail)
    return Decision(False, "risk_unavailable", detail, event)


class RiskGate:
    """Pre-trade rules + breakers + kill switch, Ray-free; the RiskActor holds one and forwards its events.

    Args:
        limits: the risk limits (:class:`~actors.risk.limits.RiskLimits`, defaults when omitted).
        recent_events: how many events :attr:`recent` and :meth:`status` keep.
        pending_events: at most this many undrained events are kept for :meth:`drain_events` (oldest dropped), so a
            caller that records events its own way never grows the gate without bound.

    Attributes:
        breakers: the portfolio trading state (:class:`~actors.risk.breakers.Breakers`).
        approvals: approvals by action; rejections: rejections by reason.
        recent: the last events, oldest first.
    """

    def __init__(self, limits: RiskLimits | None = None, recent_events: int = 100,
                 pending_events: int = 100_000) -> None:  # fmt: skip
        self.limits = limits or RiskLimits()
        self.breakers = Breakers(self.limits, on_event=self._record_one)
        self.approvals: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()
        self.recent: deque[RiskEvent] = deque(maxlen=recent_events)
        self._pending: deque[RiskEvent] = deque(maxlen=pending_events)
        self._windows: dict[str, deque[int]] = {}
        self._effective: dict[str, RiskLimits] = {}
        self._flatten_seq = 0
        self.down: dict[str, dict] = {}  # strategy_id -> {"since_ns", "reason"} while it is strategy_down

    @property
    def state(self) -> TradingState:
        """The portfolio trading state."""
        return self.breakers.state

    def check(self, intent: OrderIntent, ctx: RiskContext) -> Decision:
        """Decide on one intent (see the module docstring for the order of the checks).

        Args:
            intent: a submit, replace or cancel.
            ctx: what the rules read, built by the actor at ``ctx.now_ns`` (``orders_in_window`` is set here).

        Returns:
            The :class:`Decision`, with its event (also queued for :meth:`drain_events`).
        """
        if intent.action is IntentAction.CANCEL:
            return self._decide(intent, ctx.now_ns, True, "cancel", "cancels always pass")
        state = self.breakers.state
        if state is TradingState.HALTED:
            return self._decide(intent, ctx.now_ns, False, "halted", f"trading halted: {self.breakers.halt_reason}")
        if intent.size <= 0:
            return self._decide(intent, ctx.now_ns, False, "invalid_intent", f"size {intent.size} <= 0")
        down = self.down.get(intent.strategy_id)
        if down is not None and not intent.reduce_only:
            return self._decide(intent, ctx.now_ns, False, "strategy_down",
                                f"strategy {intent.strategy_id} is down: {down['reason']}")  # fmt: skip
        if state is TradingState.REDUCING and not is_reducing(intent, ctx):
            return self._decide(intent, ctx.now_ns, False, "reducing",
                                f"only reducing orders pass; position {ctx.position_size}")  # fmt: skip
        limits = self._limits_for(intent.strategy_id)
        window = self._window(intent.strategy_id, ctx.now_ns)
        ctx = replace(ctx, orders_in_window=len(window))
        for rule in RULES:
            rejection = rule(intent, ctx, limits)
            if rejection is not None:
                return self._decide(intent, ctx.now_ns, False, rejection.reason, rejection.detail)
        window.append(ctx.now_ns)
        return self._decide(intent, ctx.now_ns, True, intent.action.value, "")

    def strategy_down(self, strategy_id: str, ts: int, reason: str) -> RiskEvent | None:
        """Hold ``strategy_id`` in ``strategy_down`` (see the module docstring) from ``ts`` (ns).

        Returns the ``strategy_down`` event, or None when it was already down (the first reason and time stay)."""
        if strategy_id in self.down:
            return None
        self.down[strategy_id] = {"since_ns": ts, "reason": reason}
        event = RiskEvent(ts_event=ts, kind="strategy_down", reason="strategy_down", strategy_id=strategy_id,
                          detail=f"{reason}; resting orders: {self.limits.strategy_down_orders}",
                          state=self.state.value)  # fmt: skip
        self._record_one(event)
        return event

    def strategy_up(self, strategy_id: str, ts: int, detail: str = "recovered") -> RiskEvent | None:
        """Clear ``strategy_down`` for ``strategy_id`` (its new incarnation has recovered its orders and
        positions). Returns the ``strategy_up`` event, or None when it was not down."""
        down = self.down.pop(strategy_id, None)
        if down is None:
            return None
        event = RiskEvent(ts_event=ts, kind="strategy_up", reason="strategy_up", strategy_id=strategy_id,
                          detail=f"{detail}; down {(ts - down['since_ns']) / 1e9:.3f} s", state=self.state.value)
        self._record_one(event)
        return event

    def strategy_state(self, strategy_id: str) -> str:
        """``strategy_down`` while the strategy is held, else the portfolio trading state's value."""
        return "strategy_down" if strategy_id in self.down else self.state.value

    def on_equity(self, equity_usd, ts_event: int) -> list[RiskEvent]:
        """Feed one portfolio equity sample (USD, market clock ns) to the breakers; returns their events."""
        return self.breakers.on_equity(equity_usd, ts_event)

    def kill(self, ts: int, reason: str = "kill_switch", actor: str = "api") -> list[RiskEvent]:
        """The kill switch: ``halted`` + flatten requested; the actor cancels all open orders and sends
        :meth:`flatten_intents` to execution."""
        return self.breakers.kill(ts, reason, actor)

    def reset(self, ts: int, actor: str) -> list[RiskEvent]:
        """The explicit, authenticated way out of ``halted`` / ``reducing`` (see ``Breakers.reset``)."""
        return self.breakers.reset(ts, actor)

    def update_limits(self, ts: int = 0, actor: str = "api", **changes: object) -> RiskLimits:
        """Change limits at run time, validated; recorded as a ``limits`` event.

        Args:
            ts: ns of the change. actor: who made it. changes: ``RiskLimits`` field names and new values.

        Returns:
            The new limits (the breakers read them from the next equity sample).

        Raises:
            ConfigError: an unknown name or a bad value; the old limits stay.
        """
        if not changes:
            raise ConfigError("risk: update_limits needs at least one limit")
        new = self.limits.with_changes(**changes)
        self.limits = self.breakers.limits = new
        self._effective.clear()
        shown = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        self._record([RiskEvent(ts_event=ts, kind="limits", reason="update_limits", detail=f"by {actor}: {shown}",
                                state=self.state.value)])  # fmt: skip
        return new

    def flatten_intents(self, positions: Iterable[PositionSnapshot], specs: Mapping[str, InstrumentSpec],
                        ts: int) -> list[OrderIntent]:  # fmt: skip
        """Reduce-only IOC market orders closing every open position.

        Args:
            positions: positions (flat ones are skipped), any strategies.
            specs: instrument specs by id (for the decimals); a missing one: :func:`actors.instruments.trading_spec`
                (the risk actor passes the specs its portfolio holds positions with, so none is missing there).
            ts: ns, the intents' ``ts_created``.

        Returns:
            One intent per open position, ``strategy_id`` kept, ``client_order_id = "<sid>-flatten-<n>"`` with
            ``n`` counting up over the gate's life, tag ``"flatten"``.
        """
        out = []
        for pos in positions:
            if pos.size == 0:
                continue
            spec = trading_spec(pos.instrument_id, specs)
            self._flatten_seq += 1
            out.append(OrderIntent(
                action=IntentAction.SUBMIT, strategy_id=pos.strategy_id,
                client_order_id=f"{pos.strategy_id}-flatten-{self._flatten_seq}", instrument_id=pos.instrument_id,
                price_decimals=spec.price_decimals, size_decimals=pos.size_decimals,
                side=_side_closing(pos.size), order_type=OrderType.MARKET, size=abs(pos.size),
                time_in_force=TimeInForce.IOC, reduce_only=True, ts_created=ts, tag="flatten",
            ))  # fmt: skip
        return out

    def drain_events(self) -> list[RiskEvent]:
        """Every event since the last drain, oldest first (the actor sends them to the recorder)."""
        out = list(self._pending)
        self._pending.clear()
        return out

    def status(self) -> dict:
        """JSON-friendly: ``state``, ``limits``, ``usage`` (breakers), ``approvals`` / ``rejections`` by reason,
        ``recent_events``, ``strategies_down`` (``strategy_id -> {"since_ns", "reason"}``)."""
        return {
            "state": self.state.value,
            "strategies_down": {sid: dict(d) for sid, d in self.down.items()},
            "limits": self.limits.to_json(),
            "usage": self.breakers.usage(),
            "approvals": dict(self.approvals),
            "rejections": dict(self.rejections),
            "recent_events": [e.to_json() for e in self.recent],
        }

    def _decide(self, intent: OrderIntent, ts: int, approved: bool, reason: str, detail: str) -> Decision:
        (self.approvals if approved else self.rejections)[reason] += 1
        event = RiskEvent(ts_event=ts, kind="approve" if approved else "reject", reason=reason,
                          strategy_id=intent.strategy_id, client_order_id=intent.client_order_id,
                          instrument_id=intent.instrument_id, detail=detail, state=self.state.value)  # fmt: skip
        self._record([event])
        return Decision(approved, reason, detail, event)

    def _record(self, events: list[RiskEvent]) -> list[RiskEvent]:
        for event in events:
            self._record_one(event)
        return events

    def _record_one(self, event: RiskEvent) -> None:
        self.recent.append(event)
        self._pending.append(event)

    def _limits_for(self, strategy_id: str) -> RiskLimits:
        limits = self._effective.get(strategy_id)
        if limits is None:
            limits = self._effective[strategy_id] = self.limits.for_strategy(strategy_id)
        return limits

    def _window(self, strategy_id: str, now_ns: int) -> deque[int]:
        window = self._windows.setdefault(strategy_id, deque())
        while window and window[0] <= now_ns - _WINDOW_NS:
            window.popleft()
        return window


def _side_closing(size: int) -> Side:
    return Side.SELL if size > 0 else Side.BUY

