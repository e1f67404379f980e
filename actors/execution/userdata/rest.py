"""Pure parsers of the Binance REST payloads reconciliation reads: open orders, one order, our trades, balances.

Each takes the decoded JSON (what a ccxt implicit method such as ``privateGetOpenOrders`` returns, or the ``info``
of a ccxt unified result) or the raw response bytes, and returns :mod:`.model` types in our vocabulary, with the
same mappings as the stream parser (:mod:`.parse`). Wrong shapes raise :class:`~actors.errors.MalformedFrame`.

Sources: Binance Spot API docs, "Trading endpoints" / "Account endpoints": ``GET /api/v3/openOrders`` and
``GET /api/v3/order`` (``symbol``, ``orderId``, ``clientOrderId``, ``price``, ``origQty``, ``executedQty``,
``cummulativeQuoteQty``, ``status``, ``timeInForce``, ``type``, ``side``, ``stopPrice``, ``updateTime``; ignored:
``orderListId``, ``icebergQty``, ``time``, ``isWorking``, ``workingTime``, ``origQuoteOrderQty``,
``selfTradePreventionMode``), ``GET /api/v3/myTrades`` (``symbol``, ``id``, ``orderId``, ``price``, ``qty``,
``commission``, ``commissionAsset``, ``time``, ``isBuyer``, ``isMaker``; ignored: ``orderListId``, ``quoteQty``,
``isBestMatch``), ``GET /api/v3/account`` (``balances`` of ``asset`` / ``free`` / ``locked``). Binance USDⓈ-M
Futures docs: ``GET /fapi/v1/openOrders`` / ``GET /fapi/v1/order`` (as spot plus ``avgPrice``, ``origType``,
``reduceOnly``; ignored: ``cumQuote``, ``positionSide``, ``closePosition``, ``activatePrice``, ``priceRate``,
``workingType``, ``priceProtect``, ``priceMatch``, ``selfTradePreventionMode``, ``goodTillDate``, ``time``),
``GET /fapi/v1/userTrades`` (as spot with ``buyer``, ``maker``, ``side``, ``realizedPnl``; ignored ``quoteQty``,
``positionSide``), ``GET /fapi/v2|v3/account`` (``assets[].walletBalance``) or ``GET /fapi/v2|v3/balance``
(``[].balance``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import msgspec

from actors.errors import MalformedFrame
from actors.execution.userdata.model import Balance, VenueFill, VenueOrder, VenueTrade, venue_fill_id
from actors.execution.userdata.parse import (
    SIDES,
    TIME_IN_FORCE,
    map_order_type,
    map_status,
    ms_to_ns,
    parse_decimal,
    symbol_spec,
)
from actors.fixedpoint import fixed_to_decimal, to_fixed
from actors.instruments import InstrumentSpec, Venue
from actors.orders import Liquidity, TimeInForce

__all__ = ["parse_balances", "parse_order", "parse_orders", "parse_trades"]

_F = msgspec.field


class _RestOrder(msgspec.Struct, gc=False):
    symbol: str
    orderId: int
    clientOrderId: str
    price: str
    origQty: str
    executedQty: str
    status: str
    timeInForce: str
    type: str
    side: str
    updateTime: int = 0
    stopPrice: str = "0"
    cummulativeQuoteQty: str | None = None  # spot (sic: Binance's spelling)
    avgPrice: str | None = None  # futures
    origType: str | None = None  # futures
    reduceOnly: bool = False


class _RestTrade(msgspec.Struct, gc=False):
    symbol: str
    id: int
    orderId: int
    price: str
    qty: str
    commission: str
    commissionAsset: str
    time: int
    isBuyer: bool | None = None  # spot
    isMaker: bool | None = None  # spot
    buyer: bool | None = None  # futures
    maker: bool | None = None  # futures
    realizedPnl: str | None = None


class _SpotBalance(msgspec.Struct, gc=False):
    asset: str
    free: str
    locked: str


class _SpotAccount(msgspec.Struct, gc=False):
    balances: list[_SpotBalance]


class _FuturesAsset(msgspec.Struct, gc=False):
    asset: str
    walletBalance: str


class _FuturesAccount(msgspec.Struct, gc=False):
    assets: list[_FuturesAsset]


class _FuturesBalance(msgspec.Struct, gc=False):
    asset: str
    balance: str


def _load(payload, typ, venue: str):
    try:
        if isinstance(payload, (bytes, bytearray, memoryview, str)):
            return msgspec.json.decode(payload, type=typ)
        return msgspec.convert(payload, typ)
    except (msgspec.MsgspecError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
        raise MalformedFrame(venue, f"REST payload: {exc}", repr(payload)) from None


def _order(o: _RestOrder, venue: Venue, specs) -> VenueOrder:
    name = venue.value
    futures = venue is Venue.BINANCE_USDM
    spec = symbol_spec(venue, specs, o.symbol)
    pd, sd = spec.price_decimals, spec.size_decimals
    side = SIDES.get(o.side)
    if side is None:
        raise MalformedFrame(name, f"unknown side {o.side!r}", o.side)
    original = (o.origType or o.type) if futures else o.type
    order_type = map_order_type(original, futures, name)
    tif = TimeInForce.GTX if original == "LIMIT_MAKER" else TIME_IN_FORCE.get(o.timeInForce)
    if tif is None and o.timeInForce != "GTD":
        raise MalformedFrame(name, f"unknown time in force {o.timeInForce!r}", o.timeInForce)
    filled = to_fixed(o.executedQty, sd, name)
    size = to_fixed(o.origQty, sd, name)
    if filled < 0 or size < 0:
        raise MalformedFrame(name, "negative quantity", o.origQty)
    avg = None
    if filled:
        if o.avgPrice is not None:
            avg = parse_decimal(o.avgPrice, name, "avgPrice")
        elif o.cummulativeQuoteQty is not None:
            avg = parse_decimal(o.cummulativeQuoteQty, name, "cummulativeQuoteQty") / fixed_to_decimal(filled, sd)
    return VenueOrder(
        name, o.symbol, spec.instrument_id, o.clientOrderId, str(o.orderId), side, order_type, original, tif, size,
        to_fixed(o.price, pd, name) or None, to_fixed(o.stopPrice, pd, name) or None, pd, sd,
        map_status(o.status, filled, name), filled, avg, ms_to_ns(o.updateTime), o.reduceOnly,
    )  # fmt: skip


def parse_orders(payload, venue: Venue | str = Venue.BINANCE,
                 specs: Mapping[str, InstrumentSpec] | None = None) -> tuple[VenueOrder, ...]:  # fmt: skip
    """``GET openOrders`` (a JSON list) -> venue orders. Raises MalformedFrame."""
    venue = Venue(venue)
    return tuple(_order(o, venue, specs) for o in _load(payload, list[_RestOrder], venue.value))


def parse_order(payload, venue: Venue | str = Venue.BINANCE,
                specs: Mapping[str, InstrumentSpec] | None = None) -> VenueOrder:  # fmt: skip
    """``GET order`` (one JSON object) -> a venue order. Raises MalformedFrame."""
    venue = Venue(venue)
    return _order(_load(payload, _RestOrder, venue.value), venue, specs)


def parse_trades(payload, venue: Venue | str = Venue.BINANCE,
                 specs: Mapping[str, InstrumentSpec] | None = None) -> tuple[VenueTrade, ...]:  # fmt: skip
    """``GET myTrades`` / ``GET userTrades`` (a JSON list) -> our trades. Raises MalformedFrame."""
    venue = Venue(venue)
    name = venue.value
    out = []
    for t in _load(payload, list[_RestTrade], name):
        spec = symbol_spec(venue, specs, t.symbol)
        pd, sd = spec.price_decimals, spec.size_decimals
        buyer = t.isBuyer if t.isBuyer is not None else t.buyer
        maker = t.isMaker if t.isMaker is not None else t.maker
        if buyer is None or maker is None:
            raise MalformedFrame(name, "trade without buyer/maker flags", t.symbol)
        size = to_fixed(t.qty, sd, name)
        price = to_fixed(t.price, pd, name)
        if size <= 0 or price < 0 or t.id < 0:
            raise MalformedFrame(name, f"trade {t.id}: bad qty/price/id", t.qty)
        rp = None if t.realizedPnl is None else parse_decimal(t.realizedPnl, name, "realizedPnl")
        fill = VenueFill(venue_fill_id(t.symbol, t.id), t.id, price, size,
                         parse_decimal(t.commission, name, "commission"), t.commissionAsset,
                         Liquidity.MAKER if maker else Liquidity.TAKER, ms_to_ns(t.time), rp)  # fmt: skip
        out.append(VenueTrade(name, t.symbol, spec.instrument_id, str(t.orderId),
                              SIDES["BUY" if buyer else "SELL"], fill, pd, sd))  # fmt: skip
    return tuple(out)


def parse_balances(payload, venue: Venue | str = Venue.BINANCE) -> tuple[Balance, ...]:
    """Spot ``GET /api/v3/account`` -> free / locked per asset; USD-M ``GET /fapi/v2|v3/account`` (``assets``) or
    ``/balance`` (a list) -> wallet balance per asset (``free``; ``locked`` 0). Raises MalformedFrame."""
    venue = Venue(venue)
    name = venue.value
    d = lambda t, w: parse_decimal(t, name, w)  # noqa: E731
    if venue is Venue.BINANCE:
        acct = _load(payload, _SpotAccount, name)
        return tuple(Balance(b.asset, d(b.free, "free"), d(b.locked, "locked")) for b in acct.balances)
    decoded = payload
    if isinstance(payload, (bytes, bytearray, memoryview, str)):
        decoded = _load(payload, msgspec.Raw, name)
        decoded = msgspec.json.decode(decoded)
    if isinstance(decoded, list):
        return tuple(Balance(b.asset, d(b.balance, "balance"), Decimal(0))
                     for b in _load(decoded, list[_FuturesBalance], name))  # fmt: skip
    acct = _load(decoded, _FuturesAccount, name)
    return tuple(Balance(a.asset, d(a.walletBalance, "walletBalance"), Decimal(0)) for a in acct.assets)
