"""OrderTracker: venue order updates -> the one order state machine (:class:`~actors.orders.OrderState`), idempotently.

The live execution path registers every order it sends (:meth:`OrderTracker.track`, the same ``OrderState`` the
paper path uses) and feeds the tracker every :class:`~.model.OrderUpdate`, whether it came from the user-data
stream or from reconciliation (:func:`~.reconcile.reconcile`). The tracker turns them into the project's
:class:`~actors.orders.OrderEvent` / :class:`~actors.orders.Fill` through ``OrderState``'s own transitions:

* a fill is applied once per :func:`~.model.venue_fill_id` (``"<SYMBOL>:<trade id>"``), however often it is
  reported (stream, then reconciliation, then the stream again after a reconnect). The event's ``Fill.fill_id`` is
  ``OrderState``'s own ``"<client_order_id>-<n>"`` by default, exactly as paper numbers fills (so a testnet run
  and a paper run give the same fills), with the venue id in :attr:`OrderTracker.venue_fill_ids`;
  ``fill_id_source="venue"`` makes the venue id the ``fill_id`` instead. ``fee_currency`` is the venue's
  commission asset (``N``) when it names one;
* ``new`` -> ``accepted`` on the first update of an order (the venue has it), ``rejected`` when the first update
  says so; ``accepted`` -> ``triggered`` when the venue reports the stop working; ``canceled`` / ``expired`` when
  the venue says so (the venue wins), each only while the order is open: a repeated closure is a no-op;
* a closure reporting more filled (``z``) than the fills counted leaves the order open (an anomaly) so that
  reconciliation adds the missing fills first and then closes it;
* ``filled`` is reached by the fills themselves (``OrderState.fill`` decides): a venue ``FILLED`` with size still
  remaining locally means fills are missing, which only reconciliation can supply (recorded in ``anomalies``).

Updates for orders never tracked (placed by another client on the same account) are counted in ``unknown`` and
returned by reconciliation as alerts; inconsistent updates (a fill larger than the remaining size, a fill on an
order closed locally) are skipped and recorded in ``anomalies`` (bounded) instead of raising into the stream.

Balances: ``outboundAccountPosition`` and ``ACCOUNT_UPDATE`` set the assets they carry; ``balanceUpdate`` adds to
``free``; ``externalLockUpdate`` moves ``delta`` from ``free`` to ``locked``. Reconciliation sets them to the
venue's values (the venue wins).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from actors.errors import ConfigError
from actors.execution.userdata.model import (
    AccountUpdate,
    Balance,
    BalanceDelta,
    BalanceSnapshot,
    OrderUpdate,
    UserDataEvent,
)
from actors.orders import TERMINAL_STATUSES, OrderEvent, OrderState, OrderStatus

__all__ = ["LocalView", "OrderTracker"]


class LocalView(msgspec.Struct, frozen=True, gc=False):
    """What reconciliation compares with the venue: every tracked order (snapshot), the fill ids counted, balances."""

    orders: dict
    fill_ids: frozenset[str]
    balances: dict


class OrderTracker:
    """Local order, fill and balance state of one venue account, fed by venue updates.

    Args:
        orders: the ``client_order_id -> OrderState`` map to drive (default: a new one). Pass the execution
            transport's own map to share the order states with it.
        fill_id_source: ``"order"`` (``Fill.fill_id`` = ``<client_order_id>-<n>``, as paper) or ``"venue"``
            (``Fill.fill_id`` = ``<SYMBOL>:<trade id>``).
        max_anomalies: how many anomaly descriptions to keep.

    Attributes:
        orders: ``client_order_id -> OrderState``.
        fill_ids: venue fill ids (``<SYMBOL>:<trade id>``) already counted.
        venue_fill_ids: ``Fill.fill_id -> venue fill id`` of every fill counted.
        last_trade_id: ``symbol -> highest trade id counted`` (REST ``fromId`` for the next reconciliation).
        balances: ``asset -> Balance``.
        unknown: updates seen for untracked orders; anomalies: recent inconsistent updates (text).
    """

    def __init__(self, orders: dict[str, OrderState] | None = None, fill_id_source: str = "order",
                 max_anomalies: int = 1000) -> None:  # fmt: skip
        if fill_id_source not in ("order", "venue"):
            raise ConfigError(f"fill_id_source must be 'order' or 'venue', not {fill_id_source!r}")
        self.orders: dict[str, OrderState] = {} if orders is None else orders
        self.fill_id_source = fill_id_source
        self.fill_ids: set[str] = set()
        self.venue_fill_ids: dict[str, str] = {}
        self.last_trade_id: dict[str, int] = {}
        self.balances: dict[str, Balance] = {}
        self.unknown = 0
        self.anomalies: deque[str] = deque(maxlen=max_anomalies)

    def track(self, state: OrderState) -> None:
        """Register an order we sent (before it is sent, so its first update finds it)."""
        self.orders[state.client_order_id] = state

    def view(self) -> LocalView:
        return LocalView({c: s.snapshot() for c, s in self.orders.items()}, frozenset(self.fill_ids),
                         dict(self.balances))  # fmt: skip

    def apply_event(self, event: UserDataEvent) -> list[OrderEvent]:
        """Apply any stream event; returns the order events it caused (balances change silently)."""
        if isinstance(event, OrderUpdate):
            return self.apply(event)
        if isinstance(event, (BalanceSnapshot, AccountUpdate)):
            self.set_balances(event.balances)
        elif isinstance(event, BalanceDelta):
            old = self.balances.get(event.asset) or Balance(event.asset, Decimal(0))
            if event.kind == "lock":
                new = Balance(event.asset, old.free - event.delta, old.locked + event.delta)
            else:
                new = Balance(event.asset, old.free + event.delta, old.locked)
            self.balances[event.asset] = new
        return []

    def set_balances(self, balances: Iterable[Balance]) -> None:
        for b in balances:
            self.balances[b.asset] = b

    def apply(self, update: OrderUpdate) -> list[OrderEvent]:
        """Apply one order update; returns the :class:`OrderEvent` s it caused (none when it was already applied)."""
        state = self.orders.get(update.client_order_id)
        if state is None:
            self.unknown += 1
            return []
        if not state.venue_order_id:
            state.venue_order_id = update.venue_order_id
        ts = update.ts_event
        events: list[OrderEvent] = []
        if state.status is OrderStatus.NEW:
            if update.status is OrderStatus.REJECTED:
                return [state.reject(update.reason or "venue_rejected", ts)]
            events.append(state.accept(ts))
        if (update.status is OrderStatus.TRIGGERED and state.status is OrderStatus.ACCEPTED
                and state.intent.order_type.is_triggered):
            events.append(state.trigger(ts))  # fmt: skip
        fill = update.fill
        if fill is not None and fill.fill_id not in self.fill_ids:
            if not state.is_open:
                self._anomaly(update, f"fill {fill.fill_id} on an order already {state.status.value}")
            elif fill.size > state.remaining:
                self._anomaly(update, f"fill {fill.fill_id} of {fill.size} with {state.remaining} remaining")
            else:
                ev = state.fill(fill.price, fill.size, fill.liquidity, fill.fee, fill.ts_event)
                changes = {"fee_currency": fill.fee_currency} if fill.fee_currency else {}
                if self.fill_id_source == "venue":
                    changes["fill_id"] = fill.fill_id
                if changes:
                    ev = msgspec.structs.replace(ev, fill=msgspec.structs.replace(ev.fill, **changes))
                events.append(ev)
                self.fill_ids.add(fill.fill_id)
                self.venue_fill_ids[ev.fill.fill_id] = fill.fill_id
                if fill.trade_id > self.last_trade_id.get(update.symbol, -1):
                    self.last_trade_id[update.symbol] = fill.trade_id
        if state.is_open and update.status in TERMINAL_STATUSES:
            if update.filled > state.filled and update.status is not OrderStatus.FILLED:
                self._anomaly(update, f"{update.status.value} at the venue after {update.filled} filled, "
                                      f"{state.filled} counted: left open for reconciliation")  # fmt: skip
            elif update.status is OrderStatus.CANCELED:
                events.append(state.cancel(update.reason or "venue_canceled", ts))
            elif update.status is OrderStatus.EXPIRED:
                events.append(state.expire(update.reason or "venue_expired", ts))
            elif update.status is OrderStatus.FILLED:
                self._anomaly(update, f"filled at the venue with {state.remaining} remaining locally")
            else:
                self._anomaly(update, f"rejected at the venue while {state.status.value} locally")
        return events

    def _anomaly(self, update: OrderUpdate, text: str) -> None:
        self.anomalies.append(f"{update.client_order_id} ({update.symbol} {update.execution}): {text}")
