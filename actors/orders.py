"""The order vocabulary and the one order state machine of paper and live execution (DESIGN.md §3, §6).

Everything here is frozen and exact. Prices and sizes are fixed-point integers at the instrument's
``price_decimals`` / ``size_decimals`` (see :mod:`actors.fixedpoint`; every message carries both scales), fees and
PnL are :class:`~decimal.Decimal`. Times are ``int`` nanoseconds since the epoch.

Flow: a strategy (or the API) emits an :class:`OrderIntent` (submit / cancel / replace) -> the risk gate approves
or rejects it -> execution (paper or live) turns it into :class:`OrderEvent`\\ s and :class:`Fill`\\ s.

Lifecycle (:class:`OrderState`, the only place a status changes)::

    new ──► accepted ──► partially_filled ──► filled
     │         │   └──► triggered (stop / take-profit) ──► partially_filled / filled
     │         └──────► canceled | expired          (also from triggered / partially_filled)
     └──► rejected

A transition the diagram does not allow raises :class:`~actors.errors.InvalidOrderTransition`; a fill larger than
the remaining size raises it too. ``canceled`` / ``expired`` after a partial fill keep the filled part.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import msgspec

from actors.errors import InvalidOrderTransition
from actors.fixedpoint import fixed_to_decimal, fixed_to_str

__all__ = [
    "Fill",
    "IntentAction",
    "Liquidity",
    "Order",
    "OrderEvent",
    "OrderEventKind",
    "OrderIntent",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "PositionSnapshot",
    "Side",
    "Signal",
    "TimeInForce",
    "TERMINAL_STATUSES",
]


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, -1 for sell."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """``stop_market`` / ``stop_limit`` trigger when the last trade goes through ``trigger_price`` against the
    position (buy: at or above, sell: at or below); ``take_profit`` is a market order triggered the other way
    (buy: at or below, sell: at or above). After triggering, a stop_limit works as a limit at ``price``."""

    MARKET = "market"
    LIMIT = "limit"
    STOP_MARKET = "stop_market"
    STOP_LIMIT = "stop_limit"
    TAKE_PROFIT = "take_profit"

    @property
    def is_triggered(self) -> bool:
        return self in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT)


class TimeInForce(StrEnum):
    """``GTC`` rests until canceled; ``IOC`` fills what it can at once, the rest is canceled; ``FOK`` fills
    wholly at once or is canceled (``expired``); ``GTX`` is post-only: rejected when it would take liquidity
    (Binance spot ``LIMIT_MAKER``, futures ``timeInForce=GTX``)."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTX = "GTX"


class OrderStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    TRIGGERED = "triggered"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


TERMINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


class OrderEventKind(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRIGGERED = "triggered"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    CANCEL_REJECTED = "cancel_rejected"


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class IntentAction(StrEnum):
    SUBMIT = "submit"
    CANCEL = "cancel"
    REPLACE = "replace"


class OrderIntent(msgspec.Struct, frozen=True, gc=False):
    """What a strategy or the API asks for. Every intent passes the risk gate before execution.

    Attributes:
        action: ``submit`` a new order; ``cancel`` ``client_order_id``; ``replace`` it by a new order
            ``new_client_order_id`` at ``price`` / ``size`` (cancel then submit: the queue position is lost, as on
            Binance ``cancelReplace``).
        strategy_id: the strategy (``"manual"`` for API orders).
        client_order_id: the order's id, unique per run (strategies build it from their id and a counter).
        instrument_id: ``SYMBOL.VENUE``.
        side, order_type, time_in_force, reduce_only: as the venue means them (reduce-only: never increases the
            absolute position; the excess is canceled).
        size: fixed-point at ``size_decimals`` (contracts for COIN-M), > 0 for submit / replace.
        price: limit price (fixed-point at ``price_decimals``) for limit / stop_limit, else None.
        trigger_price: for stop / take-profit orders, else None.
        ts_created: when the strategy made the intent (ns, the strategy's clock).
        tag: free text carried to the order (e.g. ``"quote-bid"``, ``"basis-leg-spot"``).
    """

    action: IntentAction
    strategy_id: str
    client_order_id: str
    instrument_id: str
    price_decimals: int
    size_decimals: int
    side: Side = Side.BUY
    order_type: OrderType = OrderType.LIMIT
    size: int = 0
    price: int | None = None
    trigger_price: int | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    new_client_order_id: str | None = None
    ts_created: int = 0
    tag: str = ""

    def price_decimal(self) -> Decimal | None:
        return None if self.price is None else fixed_to_decimal(self.price, self.price_decimals)

    def size_decimal(self) -> Decimal:
        return fixed_to_decimal(self.size, self.size_decimals)


class Order(msgspec.Struct, frozen=True, gc=False):
    """An order as execution knows it at one moment (a snapshot of :class:`OrderState`).

    Attributes:
        filled, remaining: fixed-point sizes; ``filled + remaining == size`` until a terminal status, after which
            ``remaining`` is 0 for filled and the unfilled part for canceled / expired.
        avg_fill_price: exact Decimal (None before the first fill).
        fee: fees paid so far, in ``fee_currency``.
        venue_order_id: the venue's id (paper: ``"paper-<n>"``).
        reason: why it was rejected / canceled / expired (``"post_only_would_take"``, ``"ioc_remainder"``, ...).
        ts_created, ts_updated: ns.
    """

    client_order_id: str
    strategy_id: str
    instrument_id: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    reduce_only: bool
    size: int
    price: int | None
    trigger_price: int | None
    price_decimals: int
    size_decimals: int
    status: OrderStatus
    filled: int
    remaining: int
    avg_fill_price: Decimal | None
    fee: Decimal
    fee_currency: str
    venue_order_id: str
    reason: str
    ts_created: int
    ts_updated: int
    tag: str = ""

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def to_json(self) -> dict:
        """JSON-friendly dict: prices and sizes as exact decimal strings."""
        pd, sd = self.price_decimals, self.size_decimals
        return {
            "client_order_id": self.client_order_id, "strategy_id": self.strategy_id,
            "instrument_id": self.instrument_id, "side": self.side.value, "order_type": self.order_type.value,
            "time_in_force": self.time_in_force.value, "reduce_only": self.reduce_only,
            "size": fixed_to_str(self.size, sd),
            "price": None if self.price is None else fixed_to_str(self.price, pd),
            "trigger_price": None if self.trigger_price is None else fixed_to_str(self.trigger_price, pd),
            "status": self.status.value, "filled": fixed_to_str(self.filled, sd),
            "remaining": fixed_to_str(self.remaining, sd),
            "avg_fill_price": None if self.avg_fill_price is None else str(self.avg_fill_price),
            "fee": str(self.fee), "fee_currency": self.fee_currency, "venue_order_id": self.venue_order_id,
            "reason": self.reason, "ts_created": self.ts_created, "ts_updated": self.ts_updated, "tag": self.tag,
        }  # fmt: skip


class Fill(msgspec.Struct, frozen=True, gc=False):
    """One execution of (part of) an order.

    Attributes:
        fill_id: unique per run (paper: ``"<client_order_id>-<n>"``).
        price, size: fixed-point (size in contracts for COIN-M).
        liquidity: ``maker`` (our resting order was hit) or ``taker``.
        fee: ``notional * rate`` (linear: quote currency; inverse: ``size * contract_size / price * rate`` in the
            coin), exact Decimal; ``fee_currency`` names it.
        ts_event: when the venue (or the paper model, on the market-data clock) executed it (ns).
    """

    fill_id: str
    client_order_id: str
    strategy_id: str
    instrument_id: str
    side: Side
    price: int
    size: int
    price_decimals: int
    size_decimals: int
    liquidity: Liquidity
    fee: Decimal
    fee_currency: str
    ts_event: int
    tag: str = ""

    def price_decimal(self) -> Decimal:
        return fixed_to_decimal(self.price, self.price_decimals)

    def size_decimal(self) -> Decimal:
        return fixed_to_decimal(self.size, self.size_decimals)

    def to_json(self) -> dict:
        return {"fill_id": self.fill_id, "client_order_id": self.client_order_id, "strategy_id": self.strategy_id,
                "instrument_id": self.instrument_id, "side": self.side.value,
                "price": fixed_to_str(self.price, self.price_decimals),
                "size": fixed_to_str(self.size, self.size_decimals), "liquidity": self.liquidity.value,
                "fee": str(self.fee), "fee_currency": self.fee_currency, "ts_event": self.ts_event,
                "tag": self.tag}  # fmt: skip


class OrderEvent(msgspec.Struct, frozen=True, gc=False):
    """One transition of an order, with the order as it is after it.

    Attributes:
        kind: what happened.
        order: the order after the transition.
        fill: the fill of a ``partially_filled`` / ``filled`` event, else None.
        reason: rejection / cancel / expiry reason (also ``order.reason``).
        ts_event: ns, on the execution's clock.
    """

    kind: OrderEventKind
    order: Order
    ts_event: int
    fill: Fill | None = None
    reason: str = ""


class Signal(msgspec.Struct, frozen=True, gc=False):
    """What a strategy saw, whether or not it traded on it.

    Attributes:
        action: ``"buy"``, ``"sell"``, ``"close"``, ``"hold"`` or a strategy-specific verb (``"enter_basis"``).
        strength: 0..1.
        entry, stop_loss, take_profit: suggested prices (exact Decimal) or None.
        size: suggested size (Decimal, instrument units) or None.
        reasoning: human-readable why.
        executed: True when the strategy emitted orders for it.
    """

    strategy_id: str
    instrument_id: str
    action: str
    strength: float
    ts_event: int
    reasoning: str = ""
    entry: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    size: Decimal | None = None
    executed: bool = False

    def to_json(self) -> dict:
        f = lambda v: None if v is None else str(v)  # noqa: E731
        return {"strategy_id": self.strategy_id, "instrument_id": self.instrument_id, "action": self.action,
                "strength": self.strength, "ts_event": self.ts_event, "reasoning": self.reasoning,
                "entry": f(self.entry), "stop_loss": f(self.stop_loss), "take_profit": f(self.take_profit),
                "size": f(self.size), "executed": self.executed}  # fmt: skip


class PositionSnapshot(msgspec.Struct, frozen=True, gc=False):
    """A position as the portfolio knows it (what strategies and the API read).

    Attributes:
        size: signed fixed-point at ``size_decimals`` (long > 0; contracts for COIN-M).
        avg_entry_price: exact Decimal (linear: size-weighted mean; inverse: contract-weighted harmonic mean) or
            None when flat.
        realized_pnl, unrealized_pnl, fees: in ``pnl_currency`` (quote for linear, the coin for inverse).
        status: ``open`` / ``partial`` (reduced but not closed) / ``closed``.
    """

    strategy_id: str
    instrument_id: str
    size: int
    size_decimals: int
    avg_entry_price: Decimal | None
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    pnl_currency: str
    status: str
    ts_opened: int = 0
    ts_updated: int = 0


_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset({OrderStatus.ACCEPTED, OrderStatus.REJECTED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
                                     OrderStatus.CANCELED, OrderStatus.EXPIRED}),
    OrderStatus.TRIGGERED: frozenset({OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED,
                                      OrderStatus.EXPIRED}),
    OrderStatus.PARTIALLY_FILLED: frozenset({OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
                                             OrderStatus.CANCELED, OrderStatus.EXPIRED}),
}  # fmt: skip


class OrderState:
    """The mutable state of one order; every change goes through a method that checks the lifecycle.

    Args:
        intent: the approved ``submit`` intent.
        fee_currency: the currency fees are charged in.
        venue_order_id: the venue's id.
        ts: creation time (ns).

    Each method returns the :class:`OrderEvent` it caused. Raises :class:`~actors.errors.InvalidOrderTransition`
    on a transition the lifecycle forbids or a fill over the remaining size.
    """

    __slots__ = ("intent", "status", "filled", "notional", "inverse_notional", "fee", "fee_currency",
                 "venue_order_id", "reason", "ts_created", "ts_updated", "fills")  # fmt: skip

    def __init__(self, intent: OrderIntent, fee_currency: str, venue_order_id: str, ts: int) -> None:
        if intent.action is not IntentAction.SUBMIT:
            raise InvalidOrderTransition(intent.client_order_id, "new", f"an order comes from a submit, not {intent.action}")
        self.intent = intent
        self.status = OrderStatus.NEW
        self.filled = 0
        self.notional = 0  # sum(price * size), fixed-point at price_decimals + size_decimals
        self.inverse_notional = Decimal(0)
        self.fee = Decimal(0)
        self.fee_currency = fee_currency
        self.venue_order_id = venue_order_id
        self.reason = ""
        self.ts_created = ts
        self.ts_updated = ts
        self.fills = 0

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id

    @property
    def remaining(self) -> int:
        return self.intent.size - self.filled

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def snapshot(self) -> Order:
        i = self.intent
        avg = None
        if self.filled:
            avg = Decimal(self.notional).scaleb(-i.price_decimals) / self.filled
        terminal_remaining = 0 if self.status is OrderStatus.FILLED else self.remaining
        return Order(
            i.client_order_id, i.strategy_id, i.instrument_id, i.side, i.order_type, i.time_in_force, i.reduce_only,
            i.size, i.price, i.trigger_price, i.price_decimals, i.size_decimals, self.status, self.filled,
            terminal_remaining, avg, self.fee, self.fee_currency, self.venue_order_id, self.reason, self.ts_created,
            self.ts_updated, i.tag,
        )  # fmt: skip

    def _move(self, to: OrderStatus, ts: int) -> None:
        if to not in _ALLOWED.get(self.status, frozenset()):
            raise InvalidOrderTransition(self.client_order_id, self.status.value, to.value)
        self.status = to
        self.ts_updated = ts

    def accept(self, ts: int) -> OrderEvent:
        self._move(OrderStatus.ACCEPTED, ts)
        return OrderEvent(OrderEventKind.ACCEPTED, self.snapshot(), ts)

    def reject(self, reason: str, ts: int) -> OrderEvent:
        self._move(OrderStatus.REJECTED, ts)
        self.reason = reason
        return OrderEvent(OrderEventKind.REJECTED, self.snapshot(), ts, reason=reason)

    def trigger(self, ts: int) -> OrderEvent:
        self._move(OrderStatus.TRIGGERED, ts)
        return OrderEvent(OrderEventKind.TRIGGERED, self.snapshot(), ts)

    def cancel(self, reason: str, ts: int) -> OrderEvent:
        self._move(OrderStatus.CANCELED, ts)
        self.reason = reason
        return OrderEvent(OrderEventKind.CANCELED, self.snapshot(), ts, reason=reason)

    def expire(self, reason: str, ts: int) -> OrderEvent:
        self._move(OrderStatus.EXPIRED, ts)
        self.reason = reason
        return OrderEvent(OrderEventKind.EXPIRED, self.snapshot(), ts, reason=reason)

    def fill(self, price: int, size: int, liquidity: Liquidity, fee: Decimal, ts: int) -> OrderEvent:
        """Record a fill of ``size`` at ``price`` (fixed-point); returns the partially_filled / filled event."""
        if size <= 0 or size > self.remaining:
            raise InvalidOrderTransition(self.client_order_id, self.status.value,
                                         f"fill of {size} with {self.remaining} remaining")  # fmt: skip
        i = self.intent
        self.filled += size
        self.notional += price * size
        self.fee += fee
        self.fills += 1
        to = OrderStatus.FILLED if self.remaining == 0 else OrderStatus.PARTIALLY_FILLED
        self._move(to, ts)
        fill = Fill(f"{i.client_order_id}-{self.fills}", i.client_order_id, i.strategy_id, i.instrument_id, i.side,
                    price, size, i.price_decimals, i.size_decimals, liquidity, fee, self.fee_currency, ts, i.tag)  # fmt: skip
        kind = OrderEventKind.FILLED if to is OrderStatus.FILLED else OrderEventKind.PARTIALLY_FILLED
        return OrderEvent(kind, self.snapshot(), ts, fill=fill)
