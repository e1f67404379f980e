"""Domain types of the user-data stream and of the REST views that reconciliation compares (our words, exact money).

These are what :mod:`~actors.execution.userdata.parse` and :mod:`~actors.execution.userdata.rest` produce from
Binance's wire payloads, and what :class:`~actors.execution.userdata.tracker.OrderTracker` turns into the
project's :class:`~actors.orders.OrderEvent` / :class:`~actors.orders.Fill` through the one order state machine
(:class:`~actors.orders.OrderState`). Prices and sizes are fixed-point ints at ``price_decimals`` /
``size_decimals`` (:mod:`actors.fixedpoint`); fees, balances and PnL are :class:`~decimal.Decimal`; times are int
nanoseconds since the epoch (Binance's millisecond ``E`` / ``T`` times 1,000,000).

Fill ids: a venue fill's ``fill_id`` is ``"<SYMBOL>:<trade id>"`` (:func:`venue_fill_id`): Binance trade ids are
unique per symbol (Spot API docs, "Account trade list": ``fromId`` is a trade id of that symbol), so this id is
the same whether the fill came from the stream (``executionReport`` ``t``, ``ORDER_TRADE_UPDATE`` ``o.t``) or
from REST (``myTrades`` / ``userTrades`` ``id``). That is what makes a fill seen twice count once.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from actors.orders import Liquidity, OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "AccountUpdate",
    "Balance",
    "BalanceDelta",
    "BalanceSnapshot",
    "ListenKeyExpired",
    "MarginCall",
    "MarginCallPosition",
    "OrderUpdate",
    "PositionUpdate",
    "StreamTerminated",
    "UserDataEvent",
    "VenueFill",
    "VenueOrder",
    "VenueTrade",
    "venue_fill_id",
]


def venue_fill_id(symbol: str, trade_id: int) -> str:
    """The fill id of Binance trade ``trade_id`` on ``symbol``: ``"BTCUSDT:12345"`` (unique per venue account)."""
    return f"{symbol}:{trade_id}"


class VenueFill(msgspec.Struct, frozen=True, gc=False):
    """One execution the venue reported (the ``TRADE`` part of an order update, or one REST trade).

    Attributes:
        fill_id: :func:`venue_fill_id` of ``trade_id``.
        trade_id: the venue's trade id (Binance ``t`` / ``id``).
        price, size: fixed-point at the order's decimals (``L`` / ``l``, REST ``price`` / ``qty``).
        fee: commission as the venue charged it (``n``, REST ``commission``), exact, in ``fee_currency`` (``N``).
        liquidity: ``maker`` when the venue says the trade was the maker side (``m`` / ``isMaker`` / ``maker``).
        ts_event: trade time, ns (``T`` / REST ``time``).
        realized_pnl: USD-M ``rp`` / ``realizedPnl`` (None on spot).
    """

    fill_id: str
    trade_id: int
    price: int
    size: int
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    ts_event: int
    realized_pnl: Decimal | None = None


class _OrderFields(msgspec.Struct, frozen=True, gc=False):
    """The order fields a stream update and a REST answer share (first, in this order; see each subclass)."""

    venue: str
    symbol: str
    instrument_id: str
    client_order_id: str
    venue_order_id: str
    side: Side
    order_type: OrderType | None
    venue_order_type: str
    time_in_force: TimeInForce | None
    size: int
    price: int | None
    trigger_price: int | None
    price_decimals: int
    size_decimals: int
    status: OrderStatus


class OrderUpdate(_OrderFields, frozen=True, gc=False):
    """One order update: spot ``executionReport`` or USD-M ``ORDER_TRADE_UPDATE`` (or one synthesized by
    reconciliation from REST, then ``execution`` is ``"RECONCILE"`` and ``ts_recv`` is the REST receive time).

    Attributes:
        venue: ``"binance"`` or ``"binance_usdm"``; ``symbol`` the venue's symbol; ``instrument_id`` ours.
        client_order_id: the order's client id. On a spot cancel, Binance puts the canceled order's id in ``C``
            and the cancel request's id in ``c``: this is ``C`` then.
        venue_order_id: Binance ``i`` as a string.
        side, order_type, time_in_force: our vocabulary; ``order_type`` / ``time_in_force`` are None for venue
            types we do not trade (``TAKE_PROFIT_LIMIT``, ``TRAILING_STOP_MARKET``, ``GTD``); ``venue_order_type`` is
            Binance's own word (``o``; futures: the original type ``ot``).
        size, price, trigger_price: fixed-point; ``price`` None when Binance writes 0 (market orders),
            ``trigger_price`` None when 0.
        status: the order's status after the update (Binance ``X`` mapped, see :mod:`.parse`).
        execution: Binance's execution type ``x`` (``NEW``, ``TRADE``, ``CANCELED``, ``EXPIRED``, ...).
        filled: cumulative filled size (``z``), fixed-point.
        avg_fill_price: exact (futures ``ap``; spot ``Z / z``), None before any fill.
        fill: the execution of a ``TRADE`` update, else None.
        reduce_only: futures ``R``; False on spot.
        is_working: spot ``w`` (on the book), None on futures.
        reason: reject reason (spot ``r`` when not ``NONE``), expiry reason (spot ``eR``, futures ``er`` != 0) or "".
        ts_event: transaction time ``T`` (ns); ``event_time``: event time ``E`` (ns); ``ts_recv``: our receive (ns).
    """

    execution: str
    filled: int
    avg_fill_price: Decimal | None
    ts_event: int
    event_time: int
    ts_recv: int
    fill: VenueFill | None = None
    reduce_only: bool = False
    is_working: bool | None = None
    reason: str = ""


class Balance(msgspec.Struct, frozen=True, gc=False):
    """One asset's balance. Spot: ``free`` / ``locked`` (``f`` / ``l``, REST ``free`` / ``locked``). USD-M: ``free``
    is the wallet balance (``wb``, REST ``walletBalance`` / ``balance``) and ``locked`` is 0 (margin in use is not a
    lock on the wallet)."""

    asset: str
    free: Decimal
    locked: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


class BalanceSnapshot(msgspec.Struct, frozen=True, gc=False):
    """Spot ``outboundAccountPosition``: the new balances of the assets the event changed (not all assets).

    Attributes:
        balances: one per asset in ``B``.
        ts_event: time of the last account update ``u`` (ns); ``event_time`` ``E`` (ns).
    """

    venue: str
    balances: tuple[Balance, ...]
    ts_event: int
    event_time: int
    ts_recv: int


class BalanceDelta(msgspec.Struct, frozen=True, gc=False):
    """Spot ``balanceUpdate`` (deposit, withdrawal, transfer; ``d``) or ``externalLockUpdate`` (``kind="lock"``: part
    of the free balance locked by an external system, negative ``delta`` = unlocked). ``ts_event``: clear time ``T``."""

    venue: str
    asset: str
    delta: Decimal
    ts_event: int
    event_time: int
    ts_recv: int
    kind: str = "balance"


class PositionUpdate(msgspec.Struct, frozen=True, gc=False):
    """One USD-M position in ``ACCOUNT_UPDATE.a.P``.

    Attributes:
        size: signed position amount ``pa`` as exact Decimal (positions may carry more decimals than the lot).
        entry_price, breakeven_price: ``ep`` / ``bep``; accumulated_realized: ``cr`` (pre-fee);
        unrealized_pnl: ``up``; margin_type: ``mt`` (``isolated`` / ``cross``); isolated_wallet: ``iw``;
        position_side: ``ps`` (``BOTH`` / ``LONG`` / ``SHORT``).
    """

    symbol: str
    instrument_id: str
    size: Decimal
    entry_price: Decimal
    breakeven_price: Decimal | None
    accumulated_realized: Decimal
    unrealized_pnl: Decimal
    margin_type: str
    isolated_wallet: Decimal
    position_side: str


class AccountUpdate(msgspec.Struct, frozen=True, gc=False):
    """USD-M ``ACCOUNT_UPDATE``: balances (``a.B``) and the positions that changed (``a.P``).

    Attributes:
        reason: ``a.m`` (``ORDER``, ``FUNDING_FEE``, ``DEPOSIT``, ...).
        balances: wallet balance per asset (``wb``; :class:`Balance` ``free``); ``cross_wallet`` (``cw``) and
            ``balance_change`` (``bc``, the change except PnL and commission) per asset in the same order.
        ts_event: transaction time ``T`` (ns).
    """

    venue: str
    reason: str
    balances: tuple[Balance, ...]
    cross_wallet: tuple[Decimal, ...]
    balance_change: tuple[Decimal, ...]
    positions: tuple[PositionUpdate, ...]
    ts_event: int
    event_time: int
    ts_recv: int


class MarginCallPosition(msgspec.Struct, frozen=True, gc=False):
    """One position of a USD-M ``MARGIN_CALL`` (``p``): ``s``, ``ps``, ``pa``, ``mt``, ``iw``, ``mp`` (mark price),
    ``up``, ``mm`` (maintenance margin required)."""

    symbol: str
    position_side: str
    size: Decimal
    margin_type: str
    isolated_wallet: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    maintenance_margin: Decimal


class MarginCall(msgspec.Struct, frozen=True, gc=False):
    """USD-M ``MARGIN_CALL``: the account's risk is high; to be alerted (``cw``: cross wallet balance, only for
    crossed positions, else None)."""

    venue: str
    cross_wallet: Decimal | None
    positions: tuple[MarginCallPosition, ...]
    event_time: int
    ts_recv: int


class ListenKeyExpired(msgspec.Struct, frozen=True, gc=False):
    """``listenKeyExpired`` (spot and USD-M): the stream's key expired; a new key and a new connection are needed,
    and events between expiry and the new connection are only in REST (reconciliation)."""

    venue: str
    listen_key: str
    event_time: int
    ts_recv: int


class StreamTerminated(msgspec.Struct, frozen=True, gc=False):
    """Spot ``eventStreamTerminated``: the venue ended the subscription (treated like an expired key)."""

    venue: str
    event_time: int
    ts_recv: int


UserDataEvent = (
    OrderUpdate | BalanceSnapshot | BalanceDelta | AccountUpdate | MarginCall | ListenKeyExpired | StreamTerminated
)


class VenueOrder(_OrderFields, frozen=True, gc=False):
    """An order as the venue's REST API reports it (``GET openOrders`` / ``GET order``).

    Attributes:
        status: mapped as the stream's ``X``; ``filled``: ``executedQty``; ``avg_fill_price``: futures ``avgPrice``,
            spot ``cummulativeQuoteQty / executedQty`` (None when nothing filled).
        ts_updated: ``updateTime`` (ns).
    """

    filled: int
    avg_fill_price: Decimal | None
    ts_updated: int
    reduce_only: bool = False


class VenueTrade(msgspec.Struct, frozen=True, gc=False):
    """One of our trades as REST reports it (spot ``GET /api/v3/myTrades``, USD-M ``GET /fapi/v1/userTrades``).

    REST trades carry the venue's order id, not the client order id: reconciliation finds the order by
    ``venue_order_id``.
    """

    venue: str
    symbol: str
    instrument_id: str
    venue_order_id: str
    side: Side
    fill: VenueFill
    price_decimals: int
    size_decimals: int
