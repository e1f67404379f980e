"""The Strategy protocol: pure decision logic hosted by a StrategyActor. No Ray, no I/O, no wall clock.

A strategy sees book views, public trades, its own order events and fills, its positions and open orders (through
a :class:`StrategyContext` the host builds from execution and portfolio state, never from the strategy's own
memory), and timer ticks. It returns :class:`~actors.orders.OrderIntent`\\ s and :class:`~actors.orders.Signal`\\ s.
Every intent goes through the risk gate; a rejection comes back as an ``OrderEvent`` of kind ``rejected``.

Configuration: each kind has a pydantic parameter model (frozen, unknown keys rejected) and is registered by name
in :mod:`strategies.registry`; a new strategy is one module plus one registration line, no edit in ``cluster/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Protocol, runtime_checkable

from actors.instruments import InstrumentSpec
from actors.messages import BookView, Trade
from actors.orders import Fill, Order, OrderEvent, OrderIntent, PositionSnapshot, Signal

__all__ = ["Action", "Strategy", "StrategyContext", "price_to_fixed", "size_to_fixed"]

Action = OrderIntent | Signal
"""What a strategy returns."""


def price_to_fixed(value: Decimal, spec: InstrumentSpec, up: bool = False) -> int:
    """Round a model price exactly to the instrument's tick: down (bids) by default, ``up=True`` for asks.

    Args:
        value: a price (Decimal; a model's float may be passed through ``Decimal(x)``, which is exact).
        spec: the instrument (``tick_size``, ``price_decimals``).
        up: round toward +inf instead of -inf.

    Returns:
        The price as a fixed-point int at ``spec.price_decimals``, a multiple of the tick.
    """
    tick = int(spec.tick_size.scaleb(spec.price_decimals))
    units = (Decimal(value).scaleb(spec.price_decimals) / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return int(units) * tick


def size_to_fixed(value: Decimal, spec: InstrumentSpec) -> int:
    """Round a size down exactly to the lot (contracts for COIN-M); a fixed-point int at ``spec.size_decimals``."""
    lot = int(spec.lot_size.scaleb(spec.size_decimals))
    return max(0, int((Decimal(value).scaleb(spec.size_decimals) / lot).to_integral_value(ROUND_FLOOR)) * lot)


@dataclass
class StrategyContext:
    """What a strategy may read when it decides (built by the host; read-only by convention).

    Attributes:
        strategy_id: the instance's id (prefix of its client order ids).
        now_ns: the market-data clock at this callback (ns): the ``ts_recv`` of the event being delivered, or the
            timer's time. Strategies never read the wall clock.
        specs: instrument specs by id (tick, lot, decimals, contract size, fees).
        positions: this strategy's positions by instrument (flat instruments may be missing).
        open_orders: this strategy's open orders by client order id, as execution reports them.
        books: the latest view of each subscribed instrument.
        allocated_capital: the capital given to the instance (quote currency, USD/USDT).
        trading_enabled: False while the instance is stopped or the portfolio is not ``active``; a strategy
            should then only cancel (the risk gate enforces it anyway).
    """

    strategy_id: str
    now_ns: int
    specs: Mapping[str, InstrumentSpec]
    positions: Mapping[str, PositionSnapshot] = field(default_factory=dict)
    open_orders: Mapping[str, Order] = field(default_factory=dict)
    books: Mapping[str, BookView] = field(default_factory=dict)
    allocated_capital: object = 0
    trading_enabled: bool = True
    _seq: list[int] = field(default_factory=lambda: [0])

    def next_client_order_id(self, tag: str = "") -> str:
        """A fresh client order id ``<strategy_id>-<tag>-<n>`` (the host persists the counter across restarts)."""
        self._seq[0] += 1
        return f"{self.strategy_id}-{tag + '-' if tag else ''}{self._seq[0]}"


@runtime_checkable
class Strategy(Protocol):
    """What a StrategyActor hosts. Every callback returns a (possibly empty) sequence of actions."""

    strategy_id: str
    kind: str
    # Optional class attribute ``wants_trades`` (default True): False when ``on_trade`` does nothing, so the host
    # does not subscribe the strategy to public trades (fewer messages on the hot path).
    # Optional class attribute ``bar_intervals`` (default ``()``) with a method ``on_bar(bar, ctx)``: the host
    # subscribes the strategy to the closed bars (:class:`actors.bars.bar.Bar`) of those intervals (``"1m"``, ...),
    # each delivered once, in closing order, with the next book publish.

    def instruments(self) -> Sequence[str]:
        """Instrument ids whose books and trades the strategy needs."""
        ...

    def on_book(self, view: BookView, ctx: StrategyContext) -> Sequence[Action]:
        """A new view of one book (conflated: the latest, not every diff)."""
        ...

    def on_trade(self, trade: Trade, ctx: StrategyContext) -> Sequence[Action]:
        """A public trade of a subscribed instrument."""
        ...

    def on_order_event(self, event: OrderEvent, ctx: StrategyContext) -> Sequence[Action]:
        """A transition of one of the strategy's orders (accepted, rejected with reason, canceled, ...)."""
        ...

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Action]:
        """A fill of one of the strategy's orders (``ctx.positions`` already includes it)."""
        ...

    def on_timer(self, ctx: StrategyContext) -> Sequence[Action]:
        """A periodic tick (``ctx.now_ns``)."""
        ...

    def summary(self) -> dict:
        """A JSON-friendly summary of what the strategy saw or did (its own counters)."""
        ...
