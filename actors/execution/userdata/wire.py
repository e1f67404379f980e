"""Binance user-data wire structs: field names exactly as Binance writes them, decoded by msgspec from the bytes.

Every field Binance documents for these events is either a field here (kept) or listed in the struct's docstring as
ignored, with why. Unknown extra fields are ignored by msgspec (Binance adds fields without notice).

Sources:

* Binance Spot API docs, "User Data Streams" (binance-spot-api-docs ``user-data-stream.md``: "Account Update"
  ``outboundAccountPosition``, "Balance Update" ``balanceUpdate``, "Order Update" ``executionReport`` with its
  "Conditional Fields in Execution Report", "Event Stream Terminated", "External Lock Update"; ``listenKeyExpired``
  as documented with the listenKey endpoints, CHANGELOG 2023-11: its ``E`` is written as a *string*).
* Binance USDⓈ-M Futures docs, "User Data Streams": "Event: Order Update" (``ORDER_TRADE_UPDATE``), "Event: Balance
  and Position Update" (``ACCOUNT_UPDATE``), "Event: Margin Call" (``MARGIN_CALL``), "Event: User Data Stream
  Expired" (``listenKeyExpired``).
"""

from __future__ import annotations

import msgspec

__all__ = [
    "AccountUpdateData",
    "ExecutionReport",
    "FuturesAccountUpdate",
    "FuturesBalance",
    "FuturesListenKeyExpired",
    "FuturesOrder",
    "FuturesOrderTradeUpdate",
    "FuturesPosition",
    "MarginCall",
    "MarginCallPosition",
    "Peek",
    "SpotBalance",
    "SpotBalanceUpdate",
    "SpotEventStreamTerminated",
    "SpotListenKeyExpired",
    "SpotOutboundAccountPosition",
]

_F = msgspec.field


class Peek(msgspec.Struct, gc=False):
    """The event type, or the envelope around it: WebSocket API ``{"subscriptionId":0,"event":{...}}`` and combined
    streams ``{"stream":"<listenKey>","data":{...}}`` both carry the event inside."""

    e: str | None = None
    event: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    data: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


class ExecutionReport(msgspec.Struct, gc=False):
    """Spot ``executionReport``.

    Ignored, with reason: ``F`` iceberg quantity, ``g`` order list id, ``I`` execution id, ``M`` ("Ignore"),
    ``Y`` last quote quantity (= ``L * l``), ``Q`` quote order quantity, ``W`` working time, ``V`` self-trade
    prevention mode (we never set it), conditional ``d`` / ``D`` (trailing: not traded), ``j`` / ``J`` (strategy
    id/type: not sent), ``v`` / ``A`` / ``B`` / ``u`` / ``U`` / ``Cs`` / ``pl`` / ``pL`` / ``pY`` (self-trade
    prevention details: the expiry itself is in ``X`` / ``eR``), ``b`` / ``a`` / ``k`` / ``uS`` (allocations, SOR:
    not used), ``gP`` / ``gOT`` / ``gOV`` / ``gp`` (pegged orders: not traded).
    """

    event_time: int = _F(name="E")
    symbol: str = _F(name="s")
    client_order_id: str = _F(name="c")
    side: str = _F(name="S")
    order_type: str = _F(name="o")
    time_in_force: str = _F(name="f")
    quantity: str = _F(name="q")
    price: str = _F(name="p")
    stop_price: str = _F(name="P")
    execution_type: str = _F(name="x")
    status: str = _F(name="X")
    order_id: int = _F(name="i")
    last_quantity: str = _F(name="l")
    cum_quantity: str = _F(name="z")
    last_price: str = _F(name="L")
    commission: str = _F(name="n")
    transaction_time: int = _F(name="T")
    trade_id: int = _F(name="t")
    is_working: bool = _F(name="w")
    is_maker: bool = _F(name="m")
    order_time: int = _F(name="O")
    cum_quote: str = _F(name="Z")
    commission_asset: str | None = _F(name="N", default=None)
    orig_client_order_id: str = _F(name="C", default="")
    reject_reason: str = _F(name="r", default="NONE")
    expiry_reason: str | None = _F(name="eR", default=None)


class SpotBalance(msgspec.Struct, gc=False):
    asset: str = _F(name="a")
    free: str = _F(name="f")
    locked: str = _F(name="l")


class SpotOutboundAccountPosition(msgspec.Struct, gc=False):
    """Spot ``outboundAccountPosition``: every field kept (``E``, ``u``, ``B`` with ``a``/``f``/``l``)."""

    event_time: int = _F(name="E")
    last_update: int = _F(name="u")
    balances: list[SpotBalance] = _F(name="B")


class SpotBalanceUpdate(msgspec.Struct, gc=False):
    """Spot ``balanceUpdate`` and ``externalLockUpdate`` (same shape): every field kept (``E``, ``a``, ``d``, ``T``)."""

    event_time: int = _F(name="E")
    asset: str = _F(name="a")
    delta: str = _F(name="d")
    clear_time: int = _F(name="T")


class SpotListenKeyExpired(msgspec.Struct, gc=False):
    """``listenKeyExpired``: ``E`` (string in the spot docs' example, int on USD-M: both accepted), ``listenKey``."""

    event_time: int | str = _F(name="E")
    listen_key: str = _F(name="listenKey", default="")


FuturesListenKeyExpired = SpotListenKeyExpired


class SpotEventStreamTerminated(msgspec.Struct, gc=False):
    """Spot ``eventStreamTerminated``: ``E`` only."""

    event_time: int = _F(name="E")


class FuturesOrder(msgspec.Struct, gc=False):
    """The ``o`` object of USD-M ``ORDER_TRADE_UPDATE``.

    Ignored, with reason: ``b`` / ``a`` (bids / asks notional of open orders: risk view, not order state), ``wt``
    (stop working type: we read the trigger, not how it is computed), ``ps`` (position side: one-way mode, ``BOTH``),
    ``cp`` (close-all flag of conditional orders), ``AP`` / ``cr`` (trailing stop: not traded), ``pP`` (price
    protection), ``si`` / ``ss`` ("ignore"), ``V`` (self-trade prevention mode), ``pm`` (price match mode), ``gtd``
    (GTD auto-cancel time: GTD not traded).
    """

    symbol: str = _F(name="s")
    client_order_id: str = _F(name="c")
    side: str = _F(name="S")
    order_type: str = _F(name="o")
    time_in_force: str = _F(name="f")
    quantity: str = _F(name="q")
    price: str = _F(name="p")
    avg_price: str = _F(name="ap")
    execution_type: str = _F(name="x")
    status: str = _F(name="X")
    order_id: int = _F(name="i")
    last_quantity: str = _F(name="l")
    cum_quantity: str = _F(name="z")
    last_price: str = _F(name="L")
    trade_time: int = _F(name="T")
    trade_id: int = _F(name="t")
    is_maker: bool = _F(name="m")
    reduce_only: bool = _F(name="R")
    stop_price: str = _F(name="sp", default="0")
    commission_asset: str | None = _F(name="N", default=None)  # "will not push if no commission"
    commission: str | None = _F(name="n", default=None)
    orig_order_type: str | None = _F(name="ot", default=None)
    realized_profit: str | None = _F(name="rp", default=None)
    expiry_reason: str | int | None = _F(name="er", default=None)


class FuturesOrderTradeUpdate(msgspec.Struct, gc=False):
    """USD-M ``ORDER_TRADE_UPDATE``: ``E``, ``T``, ``o`` kept (``fs`` / ``i`` business unit and account alias, of
    the portfolio-margin variant, ignored)."""

    event_time: int = _F(name="E")
    transaction_time: int = _F(name="T")
    order: FuturesOrder = _F(name="o")


class FuturesBalance(msgspec.Struct, gc=False):
    asset: str = _F(name="a")
    wallet_balance: str = _F(name="wb")
    cross_wallet: str = _F(name="cw")
    balance_change: str = _F(name="bc", default="0")


class FuturesPosition(msgspec.Struct, gc=False):
    """``a.P[]``: ``s``, ``pa``, ``ep``, ``bep``, ``cr``, ``up``, ``mt``, ``iw``, ``ps`` kept; ``ma`` (margin asset,
    undocumented on USD-M, seen in ccxt's examples) ignored."""

    symbol: str = _F(name="s")
    amount: str = _F(name="pa")
    entry_price: str = _F(name="ep")
    accumulated_realized: str = _F(name="cr")
    unrealized_pnl: str = _F(name="up")
    margin_type: str = _F(name="mt")
    isolated_wallet: str = _F(name="iw")
    position_side: str = _F(name="ps")
    breakeven_price: str | None = _F(name="bep", default=None)


class AccountUpdateData(msgspec.Struct, gc=False):
    reason: str = _F(name="m")
    balances: list[FuturesBalance] = _F(name="B", default_factory=list)
    positions: list[FuturesPosition] = _F(name="P", default_factory=list)


class FuturesAccountUpdate(msgspec.Struct, gc=False):
    """USD-M ``ACCOUNT_UPDATE``: ``E``, ``T``, ``a`` (``m``, ``B``, ``P``) kept."""

    event_time: int = _F(name="E")
    transaction_time: int = _F(name="T")
    data: AccountUpdateData = _F(name="a")


class MarginCallPosition(msgspec.Struct, gc=False):
    symbol: str = _F(name="s")
    position_side: str = _F(name="ps")
    amount: str = _F(name="pa")
    margin_type: str = _F(name="mt")
    isolated_wallet: str = _F(name="iw")
    mark_price: str = _F(name="mp")
    unrealized_pnl: str = _F(name="up")
    maintenance_margin: str = _F(name="mm")


class MarginCall(msgspec.Struct, gc=False):
    """USD-M ``MARGIN_CALL``: ``E``, ``cw`` ("only pushed with crossed position"), ``p`` kept."""

    event_time: int = _F(name="E")
    positions: list[MarginCallPosition] = _F(name="p")
    cross_wallet: str | None = _F(name="cw", default=None)
