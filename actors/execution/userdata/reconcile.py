"""Reconciliation, pure: local state vs the venue's REST view -> the differences and the updates that resolve them.

``reconcile(local, venue)`` compares an :class:`~.tracker.OrderTracker`'s :class:`~.tracker.LocalView` with a
:class:`VenueView` built from REST (:mod:`.rest`: ``openOrders``, ``myTrades`` / ``userTrades`` from the last
counted trade id, account balances, and ``GET order`` for each order open locally but not open at the venue) and
returns a :class:`ReconcileReport`. :func:`apply_report` feeds its resolving updates to the tracker through the same
path as stream updates, so applying a report twice equals applying it once, and reconciling again afterwards finds
nothing (both property-tested in ``tests/unit/test_userdata_reconcile.py``).

Rules (the venue wins every conflict; Binance is the book of record for our account):

* **missing fills**: a venue trade whose fill id (:func:`~.model.venue_fill_id`) the tracker has not counted is
  synthesized as an :class:`~.model.OrderUpdate` carrying that fill (``execution="RECONCILE"``), in trade-time
  order; its order is found by the venue order id (REST trades carry no client id). A trade of no known order is an
  alert (``unmatched_trades``).
* **orders closed at the venue but open locally**: the venue's final status (from ``GET order``, passed as
  ``VenueView.queried``) closes them (``canceled`` / ``expired``; ``filled`` is reached by the missing fills); one
  not queried yet is listed in ``to_query`` (query it, reconcile again); one the venue does not know
  (``VenueView.not_found``, Binance ``-2013``) and still ``new`` locally is rejected (``unknown_at_venue``).
* **orders open at the venue, unknown locally**: reported in ``unknown_orders`` and alerted (never adopted, never
  canceled automatically: the operator decides; the kill switch cancels everything on the venue anyway).
* **orders open at both**: a venue ``accepted`` / ``triggered`` the tracker has not seen is applied; a venue filled
  size larger than what the local fills plus the missing fills explain is a ``fill gap`` alert (trades beyond the
  REST window: fetch more trades); such an order is not closed until its fills are known.
* **balances**: every asset whose free or locked amount differs (a missing asset counts as 0) is reported in
  ``balance_diffs`` and set to the venue's value.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from actors.execution.userdata.model import Balance, OrderUpdate, VenueOrder, VenueTrade
from actors.execution.userdata.tracker import LocalView, OrderTracker
from actors.orders import TERMINAL_STATUSES, Order, OrderEvent, OrderStatus

__all__ = ["BalanceDiff", "ReconcileReport", "VenueView", "apply_report", "reconcile"]

RECONCILE = "RECONCILE"


class VenueView(msgspec.Struct, frozen=True, gc=False):
    """The venue's REST view of the account at ``ts_recv`` (ns, when the REST answers arrived).

    Attributes:
        open_orders: ``GET openOrders``.
        trades: ``GET myTrades`` / ``userTrades`` since the last counted trade id per symbol (more is fine: counted
            fills are skipped).
        balances: account balances, or None to skip the balance comparison.
        queried: ``GET order`` answers for the orders in a previous report's ``to_query``.
        not_found: client ids the venue answered "unknown order" (``-2013``) for.
    """

    open_orders: tuple[VenueOrder, ...] = ()
    trades: tuple[VenueTrade, ...] = ()
    balances: tuple[Balance, ...] | None = None
    queried: tuple[VenueOrder, ...] = ()
    not_found: tuple[str, ...] = ()
    ts_recv: int = 0


class BalanceDiff(msgspec.Struct, frozen=True, gc=False):
    asset: str
    local: Balance | None
    venue: Balance


class ReconcileReport(msgspec.Struct, frozen=True, gc=False):
    """What differs and how to resolve it.

    Attributes:
        fills: synthesized updates carrying the missing fills (resolving).
        status_updates: synthesized closures / acceptances (resolving).
        balances: venue balances to set (resolving).
        balance_diffs: the balance differences (reported).
        unknown_orders, unmatched_trades, conflicts: alerts (orders / trades unknown locally; fill gaps and orders
            closed locally but open at the venue, as text).
        to_query: client ids open locally, absent from the venue's open orders and not yet queried.
    """

    fills: tuple[OrderUpdate, ...] = ()
    status_updates: tuple[OrderUpdate, ...] = ()
    balances: tuple[Balance, ...] = ()
    balance_diffs: tuple[BalanceDiff, ...] = ()
    unknown_orders: tuple[VenueOrder, ...] = ()
    unmatched_trades: tuple[VenueTrade, ...] = ()
    conflicts: tuple[str, ...] = ()
    to_query: tuple[str, ...] = ()
    ts_recv: int = 0

    @property
    def updates(self) -> tuple[OrderUpdate, ...]:
        """The resolving order updates, fills first (a closure after its fills)."""
        return self.fills + self.status_updates

    @property
    def is_empty(self) -> bool:
        """Nothing differs (nothing to resolve, nothing to alert, nothing to query)."""
        return not (self.fills or self.status_updates or self.balances or self.unknown_orders
                    or self.unmatched_trades or self.conflicts or self.to_query)  # fmt: skip

    @property
    def alerts(self) -> tuple[str, ...]:
        """One line per difference an operator should see (resolved ones included: they mean the stream missed)."""
        out = [f"missing fill {u.fill.fill_id} of {u.client_order_id} recorded from REST" for u in self.fills]
        out += [f"order {u.client_order_id} {u.status.value} at the venue, closed locally" for u in self.status_updates
                if u.status in TERMINAL_STATUSES]  # fmt: skip
        out += [f"order {o.client_order_id} ({o.symbol} {o.venue_order_id}) open at the venue, unknown locally"
                for o in self.unknown_orders]  # fmt: skip
        out += [f"trade {t.fill.fill_id} of venue order {t.venue_order_id} matches no local order"
                for t in self.unmatched_trades]  # fmt: skip
        out += [f"balance {d.asset}: local {None if d.local is None else (str(d.local.free), str(d.local.locked))}"
                f" venue {(str(d.venue.free), str(d.venue.locked))}" for d in self.balance_diffs]  # fmt: skip
        return tuple(out) + self.conflicts


def _update(order: Order, venue_order_id: str, symbol: str, status: OrderStatus, filled: int, ts: int,
            ts_recv: int, fill=None, reason: str = "") -> OrderUpdate:  # fmt: skip
    return OrderUpdate(
        order.instrument_id.rpartition(".")[2].lower(), symbol, order.instrument_id, order.client_order_id,
        venue_order_id, order.side, order.order_type, order.order_type.value, order.time_in_force, order.size,
        order.price, order.trigger_price, order.price_decimals, order.size_decimals, status, RECONCILE, filled,
        None, ts, ts, ts_recv, fill, order.reduce_only, None, reason,
    )  # fmt: skip


def reconcile(local: LocalView, venue: VenueView) -> ReconcileReport:
    """Compare ``local`` with ``venue``; see the module docstring for the rules. Pure."""
    by_venue_id: dict[str, str] = {o.venue_order_id: c for c, o in local.orders.items() if o.venue_order_id}
    for o in venue.open_orders + venue.queried:
        if o.client_order_id in local.orders:
            by_venue_id[o.venue_order_id] = o.client_order_id
    open_at_venue = {o.client_order_id: o for o in venue.open_orders}
    queried = {o.client_order_id: o for o in venue.queried}
    ts_recv = venue.ts_recv

    fills: list[OrderUpdate] = []
    unmatched: list[VenueTrade] = []
    conflicts: list[str] = []
    filled_now = {c: o.filled for c, o in local.orders.items()}
    seen = set(local.fill_ids)
    for t in sorted(venue.trades, key=lambda t: (t.fill.ts_event, t.fill.trade_id)):
        if t.fill.fill_id in seen:
            continue
        seen.add(t.fill.fill_id)
        coid = by_venue_id.get(t.venue_order_id)
        if coid is None:
            unmatched.append(t)
            continue
        order = local.orders[coid]
        total = filled_now[coid] + t.fill.size
        if total > order.size:
            conflicts.append(f"order {coid}: venue trade {t.fill.fill_id} exceeds its size ({total} > {order.size})")
            continue
        filled_now[coid] = total
        status = OrderStatus.FILLED if total == order.size else OrderStatus.PARTIALLY_FILLED
        vid = order.venue_order_id or t.venue_order_id
        fills.append(_update(order, vid, t.symbol, status, total, t.fill.ts_event, ts_recv, t.fill))

    status_updates: list[OrderUpdate] = []
    to_query: list[str] = []
    not_found = set(venue.not_found)
    for coid, order in local.orders.items():
        symbol = order.instrument_id.rpartition(".")[0]
        v = open_at_venue.get(coid)
        if not order.is_open:
            if v is not None:
                conflicts.append(f"order {coid} is {order.status.value} locally but open at the venue")
            continue
        if v is None:
            v = queried.get(coid)
            if v is None:
                if coid in not_found:
                    if order.status is OrderStatus.NEW:
                        status_updates.append(_update(order, "", symbol, OrderStatus.REJECTED, order.filled, ts_recv,
                                                      ts_recv, reason="unknown_at_venue"))  # fmt: skip
                    else:
                        conflicts.append(f"order {coid} is {order.status.value} locally, unknown at the venue")
                else:
                    to_query.append(coid)
                continue
        if v.filled > filled_now[coid]:
            conflicts.append(f"order {coid}: venue filled {v.filled}, fills explain {filled_now[coid]} (fill gap)")
            continue  # not closed before its fills are known: fetch more trades
        ts_venue = v.ts_updated or ts_recv
        if v.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED):
            status_updates.append(_update(order, v.venue_order_id, v.symbol, v.status, v.filled, ts_venue, ts_recv,
                                          reason=f"venue_{v.status.value}"))
        elif order.status is OrderStatus.NEW or (
                v.status is OrderStatus.TRIGGERED and order.status is OrderStatus.ACCEPTED):
            status_updates.append(_update(order, v.venue_order_id, v.symbol, v.status, v.filled, ts_venue, ts_recv))
    unknown = tuple(o for o in venue.open_orders if o.client_order_id not in local.orders)

    balances: list[Balance] = []
    diffs: list[BalanceDiff] = []
    if venue.balances is not None:
        venue_balances = {b.asset: b for b in venue.balances}
        for asset in sorted(set(venue_balances) | set(local.balances)):
            mine = local.balances.get(asset)
            theirs = venue_balances.get(asset) or Balance(asset, mine.free * 0)
            if mine is None and theirs.free == 0 and theirs.locked == 0:
                continue
            if mine is None or mine.free != theirs.free or mine.locked != theirs.locked:
                balances.append(theirs)
                diffs.append(BalanceDiff(asset, mine, theirs))
    return ReconcileReport(tuple(fills), tuple(status_updates), tuple(balances), tuple(diffs), unknown,
                           tuple(unmatched), tuple(conflicts), tuple(to_query), ts_recv)  # fmt: skip


def apply_report(tracker: OrderTracker, report: ReconcileReport) -> list[OrderEvent]:
    """Apply a report's resolving updates and balances to ``tracker``; returns the order events (idempotent)."""
    events: list[OrderEvent] = []
    for update in report.updates:
        events.extend(tracker.apply(update))
    tracker.set_balances(report.balances)
    return events


def orders_to_query(report: ReconcileReport) -> Iterable[str]:
    """The client order ids to ``GET order`` before the next reconciliation."""
    return report.to_query
