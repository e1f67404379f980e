"""New-order parameters as Binance validates them, and the venue's record of one order. Pure.

Sources: Binance Spot API docs "New order (TRADE)" (mandatory parameters per ``type``, ``newOrderRespType``),
"Filters" (``PRICE_FILTER``, ``LOT_SIZE``, ``NOTIONAL`` / ``MIN_NOTIONAL``); USD-M Futures "New Order (TRADE)"
(types ``LIMIT``, ``MARKET``, ``STOP``, ``STOP_MARKET``, ``TAKE_PROFIT_MARKET``; ``timeInForce`` ``GTX`` =
post-only; ``reduceOnly``; the ``-4164`` minimum notional). Types the paper model cannot work (spot
``TAKE_PROFIT_LIMIT``, futures ``TAKE_PROFIT``, ``TRAILING_STOP_MARKET``) are refused with ``-1116``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from actors.errors import PrecisionError
from actors.fixedpoint import to_fixed
from actors.instruments import InstrumentSpec
from actors.orders import OrderType, Side, TimeInForce
from actors.replay.testnet import errors
from actors.replay.testnet.errors import RestError

__all__ = ["NewOrder", "SymbolFilters", "VenueOrder", "parse_new_order", "decimal_param", "int_param"]

# Binance type -> (model type, needs price, needs stopPrice)
_SPOT_TYPES = {
    "LIMIT": (OrderType.LIMIT, True, False), "LIMIT_MAKER": (OrderType.LIMIT, True, False),
    "MARKET": (OrderType.MARKET, False, False), "STOP_LOSS": (OrderType.STOP_MARKET, False, True),
    "STOP_LOSS_LIMIT": (OrderType.STOP_LIMIT, True, True), "TAKE_PROFIT": (OrderType.TAKE_PROFIT, False, True),
}  # fmt: skip
_FUTURES_TYPES = {
    "LIMIT": (OrderType.LIMIT, True, False), "MARKET": (OrderType.MARKET, False, False),
    "STOP": (OrderType.STOP_LIMIT, True, True), "STOP_MARKET": (OrderType.STOP_MARKET, False, True),
    "TAKE_PROFIT_MARKET": (OrderType.TAKE_PROFIT, False, True),
}  # fmt: skip
_TIFS = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
_FUTURES_TIFS = {**_TIFS, "GTX": TimeInForce.GTX}


@dataclass(frozen=True)
class SymbolFilters:
    """The order filters of one symbol (exact decimals; 0 = no bound)."""

    spec: InstrumentSpec
    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    apply_min_to_market: bool = True

    @classmethod
    def from_exchange_info(cls, spec: InstrumentSpec, symbol_info: dict | None) -> SymbolFilters:
        """From a spot ``exchangeInfo`` symbol entry's ``filters`` (None: the spec's tick and lot, no bounds)."""
        f = {x.get("filterType"): x for x in (symbol_info or {}).get("filters", [])}
        price, lot = f.get("PRICE_FILTER", {}), f.get("LOT_SIZE", {})
        notional = f.get("NOTIONAL") or f.get("MIN_NOTIONAL") or {}
        d = lambda m, k, default: Decimal(m.get(k, default))  # noqa: E731
        return cls(spec, d(price, "tickSize", spec.tick_size), d(price, "minPrice", 0), d(price, "maxPrice", 0),
                   d(lot, "stepSize", spec.lot_size), d(lot, "minQty", spec.lot_size), d(lot, "maxQty", 0),
                   d(notional, "minNotional", 0),
                   bool(notional.get("applyMinToMarket", notional.get("applyToMarket", True))))  # fmt: skip


@dataclass(frozen=True)
class NewOrder:
    """A validated new order: Binance's words and the model's."""

    symbol: str
    side: str  # BUY / SELL
    type: str  # Binance's
    time_in_force: str  # Binance's ("" for market / stop-market)
    quantity: Decimal
    price: Decimal  # 0 when none
    stop_price: Decimal
    client_order_id: str
    resp_type: str  # ACK / RESULT / FULL
    reduce_only: bool
    model_type: OrderType
    model_tif: TimeInForce
    size: int  # fixed point
    price_fixed: int | None
    stop_fixed: int | None

    @property
    def model_side(self) -> Side:
        return Side.BUY if self.side == "BUY" else Side.SELL


def decimal_param(params: dict[str, str], name: str, required: bool = True) -> Decimal | None:
    """A positive-or-zero decimal parameter. Raises RestError ``-1102`` (missing) / ``-1100`` (not a number)."""
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise errors.mandatory(name)
        return None
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise errors.bad_param(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                                      "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.") from None  # fmt: skip
    if not value.is_finite() or value < 0 or "e" in raw.lower() or len(raw) > 42:
        raise errors.bad_param(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                                      "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")  # fmt: skip
    return value


def int_param(params: dict[str, str], name: str) -> int | None:
    """An optional integer parameter (``orderId``, ``limit``, ``startTime`` ...). Raises RestError ``-1100``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 20:
        raise errors.illegal_chars(name)
    return int(raw)


def _fixed(value: Decimal, decimals: int, name: str) -> int:
    try:
        return to_fixed(format(value, "f"), decimals, "binance")
    except PrecisionError:
        raise errors.bad_param(-1111, f"Parameter '{name}' has too much precision.") from None


def _multiple(value: Decimal, step: Decimal) -> bool:
    return step == 0 or value % step == 0


def parse_new_order(params: dict[str, str], futures: bool, filters: dict[str, SymbolFilters],
                    default_coid: str) -> NewOrder:  # fmt: skip
    """Validate a ``POST order`` request's parameters (after the signature check).

    Args:
        params: the decoded parameters.
        futures: USD-M rules (else spot).
        filters: ``symbol -> SymbolFilters`` of the symbols the venue trades.
        default_coid: the ``clientOrderId`` Binance generates when ``newClientOrderId`` is absent.

    Raises:
        RestError: ``-1102`` missing ``symbol`` / ``side`` / ``type`` / ``quantity`` / ``price`` / ``timeInForce``
            / ``stopPrice``; ``-1121`` invalid symbol; ``-1117`` invalid side; ``-1116`` invalid orderType;
            ``-1115`` invalid timeInForce; ``-1100`` / ``-1111`` bad numbers; ``-1013`` filter failures
            (``PRICE_FILTER``, ``LOT_SIZE``, ``NOTIONAL`` / ``MIN_NOTIONAL``); ``-4164`` (USD-M notional).
    """
    for name in ("symbol", "side", "type"):
        if not params.get(name):
            raise errors.mandatory(name)
    symbol = params["symbol"].upper()
    f = filters.get(symbol)
    if f is None:
        raise errors.bad_param(-1121, "Invalid symbol.")
    side = params["side"].upper()
    if side not in ("BUY", "SELL"):
        raise errors.bad_param(-1117, "Invalid side.")
    kind = params["type"].upper()
    known = (_FUTURES_TYPES if futures else _SPOT_TYPES).get(kind)
    if known is None:
        raise errors.bad_param(-1116, "Invalid orderType.")
    model_type, needs_price, needs_stop = known
    quantity = decimal_param(params, "quantity")
    assert quantity is not None
    price = decimal_param(params, "price", needs_price) or Decimal(0)
    stop = decimal_param(params, "stopPrice", needs_stop) or Decimal(0)
    tifs = _FUTURES_TIFS if futures else _TIFS
    tif_raw = params.get("timeInForce", "")
    if model_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and kind != "LIMIT_MAKER":
        if not tif_raw:
            if not futures:
                raise errors.mandatory("timeInForce")
            tif_raw = "GTC"
        if tif_raw not in tifs:
            raise errors.bad_param(-1115, "Invalid timeInForce.")
        model_tif = tifs[tif_raw]
    elif kind == "LIMIT_MAKER":
        model_tif, tif_raw = TimeInForce.GTX, ""
    else:
        model_tif, tif_raw = TimeInForce.GTC, ""
    reduce_only = params.get("reduceOnly", "false").lower() == "true"
    if reduce_only and not futures:
        raise errors.bad_param(-1106, "Parameter 'reduceOnly' sent when not required.")
    spec = f.spec
    if quantity <= 0 or not _multiple(quantity, f.step_size) or quantity < f.min_qty or (f.max_qty and quantity > f.max_qty):
        raise errors.filter_failure("LOT_SIZE")
    for value in ([price] if needs_price else []) + ([stop] if needs_stop else []):
        if value <= 0 or not _multiple(value, f.tick_size) or value < f.min_price or (f.max_price and value > f.max_price):
            raise errors.filter_failure("PRICE_FILTER")
    size = _fixed(quantity, spec.size_decimals, "quantity")
    price_fixed = _fixed(price, spec.price_decimals, "price") if needs_price else None
    stop_fixed = _fixed(stop, spec.price_decimals, "stopPrice") if needs_stop else None
    if needs_price and f.min_notional and price * quantity < f.min_notional and not reduce_only:
        if futures:
            raise errors.bad_param(-4164, f"Order's notional must be no smaller than {f.min_notional:f} "
                                          "(unless you choose reduce only).")  # fmt: skip
        raise errors.filter_failure("NOTIONAL")
    coid = params.get("newClientOrderId") or default_coid
    if len(coid) > 36 or not all(c.isalnum() or c in "._-:/" for c in coid):
        raise errors.bad_param(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                                      "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.")  # fmt: skip
    resp = params.get("newOrderRespType", "ACK" if futures else ("FULL" if kind in ("MARKET", "LIMIT") else "ACK"))
    if resp not in ("ACK", "RESULT", "FULL"):
        raise errors.bad_param(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
    return NewOrder(symbol, side, kind, tif_raw, quantity, price, stop, coid, resp, reduce_only, model_type,
                    model_tif, size, price_fixed, stop_fixed)  # fmt: skip


@dataclass
class VenueOrder:
    """One order as the venue keeps it (Binance's fields; amounts exact).

    Attributes:
        internal_id: the paper model's ``client_order_id`` (unique per venue).
        lock_asset / lock_left / lock_per_unit: spot: what the order still holds locked; ``lock_per_unit`` is
            released per unit filled (limit orders; None for market orders, which spend the lock first).
        margin_per_unit: USD-M initial margin per unit of the open quantity.
    """

    account: str
    order: NewOrder
    order_id: int
    internal_id: str
    time_ms: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    update_ms: int = 0
    lock_asset: str = ""
    lock_left: Decimal = Decimal(0)
    lock_per_unit: Decimal | None = None
    margin_per_unit: Decimal = Decimal(0)
    fills: list[dict] = field(default_factory=list)
    reason: str = ""
    triggered: bool = False

    @property
    def is_working(self) -> bool:
        """Placed on the book (Binance's query ``isWorking``): always for a plain order, and for a stop or
        take-profit only once its trigger fired (Binance spot "Order types": a STOP_LOSS(_LIMIT) /
        TAKE_PROFIT(_LIMIT) order waits off the book until the last price reaches ``stopPrice``)."""
        return self.triggered or not self.order.stop_price

    @property
    def on_book(self) -> bool:
        """Open and working: executionReport ``w`` ("Is the order on the book?")."""
        return self.is_open and self.is_working

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW")

    @property
    def remaining(self) -> Decimal:
        return self.order.quantity - self.executed


def rejection(reason: str, futures: bool) -> RestError:
    """The error Binance answers for an order the model refuses on arrival (paper ``reason``)."""
    if reason == "post_only_would_take":
        if futures:
            return errors.bad_param(-5022, "Due to the order could not be executed as maker, the Post Only order "
                                           "will be rejected. The order will not be recorded in the order history")
        return errors.bad_param(-2010, "Order would immediately match and take.")
    if reason == "would_trigger_immediately":  # spot "Error messages for -1010, -2010, -2011", USD-M -2021
        if futures:
            return errors.bad_param(-2021, "Order would immediately trigger.")
        return errors.bad_param(-2010, "Stop price would trigger immediately.")
    if reason == "reduce_only_would_increase":
        return errors.bad_param(-2022, "ReduceOnly Order is rejected.")
    if reason == "min_notional":
        return errors.filter_failure("NOTIONAL")
    if reason == "book_not_ready":
        return errors.bad_param(-1013, "Market is closed.")
    return errors.bad_param(-2010, f"Order was rejected: {reason}.")
