"""Pure pre-trade rules: one function per rule, run in :data:`RULES` order on every submit / replace intent.

Each rule is ``check_<name>(intent, ctx, limits) -> Rejection | None`` and reads only its arguments: the intent,
a :class:`RiskContext` the risk actor builds from the portfolio, execution and book views, and the strategy's
effective :class:`~actors.risk.limits.RiskLimits`. A new rule is one function here plus one entry in ``RULES``.

Boundaries (a limit is the largest allowed value): an order at exactly ``max_order_notional``, a limit price
exactly ``price_band_pct`` from the mid, a post-trade position exactly ``max_position_pct`` of equity and a book
exactly ``book_stale_after_ms`` old pass; one tick / lot / ms beyond rejects. Counts reject when the order would
make one more than the limit (``open_orders_total == max_open_orders`` rejects a new order).

Not checked here: cancels (always pass, they reduce risk: the gate approves them before any rule) and the trading
state (``halted`` / ``reducing``, the gate's job). A reduce-only or position-reducing submit passes the position
and open-positions limits (it cannot add exposure), but not the others.

Notional (USD): linear (spot, USD-M) ``size * price * contract_size * usd_per_quote``; inverse (COIN-M)
``size * contract_size`` (the contract is worth ``contract_size`` USD whatever the price: Binance COIN-M
"Contract Specifications"). The price is the limit price, else the trigger price, else the touch the order would
take (buy: best ask, sell: best bid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from actors.fixedpoint import fixed_to_decimal
from actors.instruments import InstrumentSpec
from actors.messages import BookView
from actors.orders import IntentAction, OrderIntent, Side
from actors.risk.limits import RiskLimits

__all__ = [
    "RULES",
    "BookState",
    "Rejection",
    "RiskContext",
    "Rule",
    "check_book_not_ready",
    "check_book_stale",
    "check_instrument_unknown",
    "check_max_open_orders",
    "check_max_open_positions",
    "check_max_order_notional",
    "check_max_position",
    "check_order_rate",
    "check_price_band",
    "is_reducing",
    "order_notional_usd",
    "reference_price",
]

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class BookState:
    """What the gate knows of one instrument's book.

    Attributes:
        ready: the book has a snapshot and no gap since (``BookView.ready``).
        best_bid, best_ask: exact prices, None when that side is empty.
        age_ms: ms between the receipt of the book's last event and the gate's clock; None when unknown.
    """

    ready: bool
    best_bid: Decimal | None
    best_ask: Decimal | None
    age_ms: float | None

    @property
    def mid(self) -> Decimal | None:
        """``(best_bid + best_ask) / 2``, exact; None when a side is empty."""
        if self.best_bid is None or self.best_ask is None:
            return None
        return (self.best_bid + self.best_ask) / 2

    @classmethod
    def from_view(cls, view: BookView, now_ns: int) -> BookState:
        """The state of a published view at ``now_ns`` (age measured from the view's ``ts_recv``)."""
        d = view.price_decimals
        return cls(
            ready=view.ready,
            best_bid=fixed_to_decimal(view.bids[0][0], d) if view.bids else None,
            best_ask=fixed_to_decimal(view.asks[0][0], d) if view.asks else None,
            age_ms=(now_ns - view.ts_recv) / 1e6,
        )


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything a rule reads about one intent; built by the risk actor.

    Attributes:
        now_ns: the gate's clock (ns).
        spec: the instrument's spec; None for an instrument the system does not know.
        book: the instrument's book state; None when no view was seen.
        position_size: the strategy's signed position in the instrument, fixed-point at ``spec.size_decimals``.
        position_notional_usd: abs value of that position at mark, USD.
        strategy_equity_usd, portfolio_equity_usd: USD.
        open_positions_total, open_positions_strategy: open (non-flat) positions, whole portfolio / this strategy.
        has_position: the strategy has an open position in this instrument (an order adds no new position).
        open_orders_total, open_orders_strategy: open orders, whole portfolio / this strategy.
        usd_per_quote: USD per unit of the instrument's quote currency (1 for USDT and USD).
        orders_in_window: this strategy's approved submits / replaces in the last second; set by the gate.
    """

    now_ns: int
    spec: InstrumentSpec | None
    book: BookState | None
    position_size: int
    position_notional_usd: Decimal
    strategy_equity_usd: Decimal
    portfolio_equity_usd: Decimal
    open_positions_total: int
    open_positions_strategy: int
    has_position: bool
    open_orders_total: int
    open_orders_strategy: int
    usd_per_quote: Decimal = Decimal(1)
    orders_in_window: int = 0


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a rule refused an intent: ``reason`` is the rule's name, ``detail`` the numbers."""

    reason: str
    detail: str


def _fmt(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent (``2050.00000`` -> ``2050``), for details."""
    return format(value.normalize(), "f")


Rule = Callable[[OrderIntent, RiskContext, RiskLimits], "Rejection | None"]


def is_reducing(intent: OrderIntent, ctx: RiskContext) -> bool:
    """True when the order can only reduce the strategy's position: reduce-only, or opposite to the position
    with ``size <= |position|``. A cancel is not an order and is handled by the gate."""
    if intent.reduce_only:
        return True
    pos = ctx.position_size
    return pos != 0 and intent.side.sign * pos < 0 and intent.size <= abs(pos)


def reference_price(intent: OrderIntent, book: BookState | None) -> Decimal | None:
    """The price an order is valued at: its limit price, else its trigger price, else the touch it would take."""
    if intent.price is not None:
        return fixed_to_decimal(intent.price, intent.price_decimals)
    if intent.trigger_price is not None:
        return fixed_to_decimal(intent.trigger_price, intent.price_decimals)
    if book is None:
        return None
    return book.best_ask if intent.side is Side.BUY else book.best_bid


def order_notional_usd(intent: OrderIntent, spec: InstrumentSpec, book: BookState | None,
                       usd_per_quote: Decimal = Decimal(1)) -> Decimal | None:  # fmt: skip
    """USD notional of ``intent`` (see the module docstring); None when a linear order has no price to value."""
    size = fixed_to_decimal(intent.size, intent.size_decimals)
    if spec.inverse:
        return size * spec.contract_size * usd_per_quote
    price = reference_price(intent, book)
    if price is None:
        return None
    return size * price * spec.contract_size * usd_per_quote


def check_instrument_unknown(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """The instrument has a spec, and the intent's decimals are the spec's (else its integers mean other values)."""
    if ctx.spec is None:
        return Rejection("instrument_unknown", f"no spec for {intent.instrument_id}")
    if (intent.price_decimals, intent.size_decimals) != (ctx.spec.price_decimals, ctx.spec.size_decimals):
        return Rejection("instrument_unknown", f"decimals {intent.price_decimals}/{intent.size_decimals} are not "
                         f"{ctx.spec.price_decimals}/{ctx.spec.size_decimals} of {intent.instrument_id}")  # fmt: skip
    return None


def check_book_not_ready(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """The book has been seen and is ready (snapshot applied, no gap since)."""
    if ctx.book is None:
        return Rejection("book_not_ready", f"no book seen for {intent.instrument_id}")
    if not ctx.book.ready:
        return Rejection("book_not_ready", f"{intent.instrument_id} is resyncing")
    return None


def check_book_stale(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """The book's last event is at most ``book_stale_after_ms`` old (fails closed when the age is unknown)."""
    age = None if ctx.book is None else ctx.book.age_ms
    if age is None:
        return Rejection("book_stale", "book age unknown")
    if age > limits.book_stale_after_ms:
        return Rejection("book_stale", f"book age {age:.1f} ms > {limits.book_stale_after_ms} ms")
    return None


def check_price_band(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """A limit price lies within ``mid * (1 +- price_band_pct / 100)``; an order without a price needs a mid."""
    mid = None if ctx.book is None else ctx.book.mid
    if mid is None or mid <= 0:
        return Rejection("price_band", "the book has no mid")
    if intent.price is None:
        return None
    price = fixed_to_decimal(intent.price, intent.price_decimals)
    distance_pct = abs(price - mid) / mid * _HUNDRED
    if distance_pct > limits.price_band_pct:
        return Rejection("price_band", f"price {_fmt(price)} is {distance_pct:.4f} % from mid {_fmt(mid)} "
                         f"> {limits.price_band_pct} %")  # fmt: skip
    return None


def check_max_order_notional(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """The order's USD notional is at most ``max_order_notional`` (and can be valued at all)."""
    notional = order_notional_usd(intent, ctx.spec, ctx.book, ctx.usd_per_quote)
    if notional is None:
        return Rejection("max_order_notional", "no price to value the order")
    if notional > limits.max_order_notional:
        return Rejection("max_order_notional", f"notional {_fmt(notional)} USD > {_fmt(limits.max_order_notional)} USD")
    return None


def check_max_position(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """The strategy's abs position notional in the instrument after the order is at most ``max_position_pct`` of
    its equity. The existing position is valued at mark (``position_notional_usd``), the added part at the
    order's price; an order that flips the position is valued by the size beyond flat."""
    if is_reducing(intent, ctx):
        return None
    notional = order_notional_usd(intent, ctx.spec, ctx.book, ctx.usd_per_quote) or Decimal(0)
    pos = ctx.position_size
    if pos != 0 and intent.side.sign * pos < 0:  # flips: only the part beyond flat remains
        after = notional * (intent.size - abs(pos)) / intent.size
    else:
        after = ctx.position_notional_usd + notional
    cap = ctx.strategy_equity_usd * limits.max_position_pct / _HUNDRED
    if after > cap:
        return Rejection("max_position", f"position after order {_fmt(after)} USD > {_fmt(limits.max_position_pct)} % "
                         f"of equity {_fmt(ctx.strategy_equity_usd)} USD = {_fmt(cap)} USD")  # fmt: skip
    return None


def check_max_open_positions(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """An order that would open a new position (the strategy is flat in the instrument) keeps the open
    positions within ``max_open_positions`` (total) and ``max_open_positions_per_strategy``."""
    if ctx.has_position or is_reducing(intent, ctx):
        return None
    if ctx.open_positions_total >= limits.max_open_positions:
        return Rejection("max_open_positions", f"{ctx.open_positions_total} open positions, "
                         f"max {limits.max_open_positions} total")  # fmt: skip
    if ctx.open_positions_strategy >= limits.max_open_positions_per_strategy:
        return Rejection("max_open_positions", f"{ctx.open_positions_strategy} open positions, "
                         f"max {limits.max_open_positions_per_strategy} per strategy")  # fmt: skip
    return None


def check_max_open_orders(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """A submit keeps the open orders within ``max_open_orders`` (total) and ``max_open_orders_per_strategy``;
    a replace swaps one open order for another and adds none."""
    if intent.action is IntentAction.REPLACE:
        return None
    if ctx.open_orders_total >= limits.max_open_orders:
        return Rejection("max_open_orders", f"{ctx.open_orders_total} open orders, max {limits.max_open_orders} total")
    if ctx.open_orders_strategy >= limits.max_open_orders_per_strategy:
        return Rejection("max_open_orders", f"{ctx.open_orders_strategy} open orders, "
                         f"max {limits.max_open_orders_per_strategy} per strategy")  # fmt: skip
    return None


def check_order_rate(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Rejection | None:
    """At most ``max_orders_per_s`` approved submits / replaces per strategy in the sliding second before
    ``now_ns`` (the count, ``ctx.orders_in_window``, is kept by the gate)."""
    if ctx.orders_in_window >= limits.max_orders_per_s:
        return Rejection("order_rate", f"{ctx.orders_in_window} orders in the last 1 s, max {limits.max_orders_per_s}")
    return None


RULES: tuple[Rule, ...] = (
    check_instrument_unknown,
    check_book_not_ready,
    check_book_stale,
    check_price_band,
    check_max_order_notional,
    check_max_position,
    check_max_open_positions,
    check_max_open_orders,
    check_order_rate,
)
"""The pre-trade rules in the order the gate runs them; the first rejection wins."""
