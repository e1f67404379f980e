"""Pure parsers of Binance user-data frames: bytes -> wire struct (:mod:`.wire`) -> domain event (:mod:`.model`).

``UserDataParser(venue).parse(frame, ts_recv)`` returns one :data:`~.model.UserDataEvent`. No I/O, no clock, no
state. Frames may be the bare event (``/ws/<listenKey>``, as the testnet venue and Binance's listen-key streams send
it), the WebSocket API envelope ``{"subscriptionId":0,"event":{...}}`` or the combined-stream envelope
``{"stream":"<listenKey>","data":{...}}``.

A real spot example (Binance Spot API docs, "User Data Streams", "Order Update")::

    {"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT",
     "f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW",
     "X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,
     "T":1499405658657,"t":-1,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000",
     "Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}

Mapping to our vocabulary (:mod:`actors.orders`):

* status ``X``: ``NEW`` / ``PENDING_NEW`` / ``PENDING_CANCEL`` -> ``accepted`` (``partially_filled`` when ``z`` > 0),
  ``PARTIALLY_FILLED``, ``FILLED``, ``CANCELED``, ``REJECTED``, ``EXPIRED`` and ``EXPIRED_IN_MATCH`` (self-trade
  prevention) -> ours. A stop / take-profit order reported ``accepted`` becomes ``triggered`` when the venue says it
  started working: spot ``w`` true for a ``STOP_LOSS*`` / ``TAKE_PROFIT*`` type; USD-M ``o`` (current type) no
  longer equal to ``ot`` (original type), as Binance rewrites a triggered ``STOP_MARKET`` to ``MARKET``.
* a fill is reported for execution type ``x`` = ``TRADE`` (USD-M also ``CALCULATED``, a liquidation) with
  ``l`` > 0: price ``L``, size ``l``, fee ``n`` in ``N``, maker ``m``, trade id ``t``, time ``T``.
* order types: spot ``MARKET``, ``LIMIT``, ``LIMIT_MAKER`` (limit + ``GTX``), ``STOP_LOSS`` -> ``stop_market``,
  ``STOP_LOSS_LIMIT`` -> ``stop_limit``, ``TAKE_PROFIT`` -> ``take_profit``; USD-M ``MARKET``, ``LIMIT``, ``STOP``
  -> ``stop_limit``, ``STOP_MARKET`` -> ``stop_market``, ``TAKE_PROFIT_MARKET`` -> ``take_profit``,
  ``LIQUIDATION`` -> ``market``. Others (``TAKE_PROFIT_LIMIT``, ``TAKE_PROFIT``, ``TRAILING_STOP_MARKET``) -> None
  (we never send them; an order of that type can only be unknown to us, and reconciliation alerts it).
* times: ``ts_event`` = ``T`` (transaction time) and ``event_time`` = ``E``, both ms -> ns.

Errors: any frame not valid for its kind raises :class:`~actors.errors.MalformedFrame` (bad JSON, missing or
mistyped field, bad enum value, a price with more decimals than the instrument's scale: :class:`PrecisionError`, a
subclass). A well-formed event of a type not handled here (``listStatus``, ``ACCOUNT_CONFIG_UPDATE``,
``TRADE_LITE``, a spot event on the USD-M stream, ...) raises :class:`~actors.errors.UnsupportedFrame`: the stream
counts it and skips it. Nothing else escapes (fuzzed in ``tests/unit/test_userdata_parse.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from actors.errors import MalformedFrame, UnsupportedFrame
from actors.execution.userdata import wire
from actors.execution.userdata.model import (
    AccountUpdate,
    Balance,
    BalanceDelta,
    BalanceSnapshot,
    ListenKeyExpired,
    MarginCall,
    MarginCallPosition,
    OrderUpdate,
    PositionUpdate,
    StreamTerminated,
    UserDataEvent,
    VenueFill,
    venue_fill_id,
)
from actors.fixedpoint import fixed_to_decimal, to_fixed
from actors.instruments import InstrumentSpec, Venue, unloaded_trading_spec
from actors.orders import Liquidity, OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "FUTURES_EVENTS",
    "SPOT_EVENTS",
    "UserDataParser",
    "map_order_type",
    "map_status",
    "ms_to_ns",
    "parse_decimal",
    "symbol_spec",
]

MS = 1_000_000

SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
TIME_IN_FORCE = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "GTX": TimeInForce.GTX}
_STATUS = {
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED, "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED, "REJECTED": OrderStatus.REJECTED, "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}  # fmt: skip
_WORKING = frozenset({"NEW", "PENDING_NEW", "PENDING_CANCEL"})
SPOT_ORDER_TYPES: dict[str, OrderType | None] = {
    "MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT, "LIMIT_MAKER": OrderType.LIMIT,
    "STOP_LOSS": OrderType.STOP_MARKET, "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT": OrderType.TAKE_PROFIT, "TAKE_PROFIT_LIMIT": None,
}  # fmt: skip
FUTURES_ORDER_TYPES: dict[str, OrderType | None] = {
    "MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT, "STOP": OrderType.STOP_LIMIT,
    "STOP_MARKET": OrderType.STOP_MARKET, "TAKE_PROFIT": None, "TAKE_PROFIT_MARKET": OrderType.TAKE_PROFIT,
    "TRAILING_STOP_MARKET": None, "LIQUIDATION": OrderType.MARKET,
}  # fmt: skip
_FILL_EXECUTIONS = frozenset({"TRADE", "CALCULATED"})

SPOT_EVENTS = frozenset({"executionReport", "outboundAccountPosition", "balanceUpdate", "externalLockUpdate",
                         "listenKeyExpired", "eventStreamTerminated"})  # fmt: skip
FUTURES_EVENTS = frozenset({"ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "MARGIN_CALL", "listenKeyExpired"})

_PEEK = msgspec.json.Decoder(wire.Peek)
_DECODERS = {
    "executionReport": msgspec.json.Decoder(wire.ExecutionReport),
    "outboundAccountPosition": msgspec.json.Decoder(wire.SpotOutboundAccountPosition),
    "balanceUpdate": msgspec.json.Decoder(wire.SpotBalanceUpdate),
    "externalLockUpdate": msgspec.json.Decoder(wire.SpotBalanceUpdate),
    "listenKeyExpired": msgspec.json.Decoder(wire.SpotListenKeyExpired),
    "eventStreamTerminated": msgspec.json.Decoder(wire.SpotEventStreamTerminated),
    "ORDER_TRADE_UPDATE": msgspec.json.Decoder(wire.FuturesOrderTradeUpdate),
    "ACCOUNT_UPDATE": msgspec.json.Decoder(wire.FuturesAccountUpdate),
    "MARGIN_CALL": msgspec.json.Decoder(wire.MarginCall),
}


def ms_to_ns(ms: int) -> int:
    """Binance milliseconds -> our nanoseconds."""
    return ms * MS


_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def parse_decimal(text: object, venue: str, what: str = "number") -> Decimal:
    """An exact Decimal from a venue's plain decimal string (``"-49.12345678"``; no exponent, no NaN, as Binance
    writes them). Raises :class:`MalformedFrame` otherwise."""
    if not isinstance(text, str) or _PLAIN.fullmatch(text) is None:
        raise MalformedFrame(venue, f"{what} {text!r} is not a plain decimal string", repr(text))
    return Decimal(text)


def map_status(venue_status: str, filled: int, venue: str) -> OrderStatus:
    """Binance order status (``X`` / REST ``status``) -> ours; see the module docstring. Raises MalformedFrame."""
    if venue_status in _WORKING:
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED
    status = _STATUS.get(venue_status)
    if status is None:
        raise MalformedFrame(venue, f"unknown order status {venue_status!r}", venue_status)
    return status


def map_order_type(venue_type: str, futures: bool, venue: str) -> OrderType | None:
    """Binance order type -> ours (None for types we never send). Raises MalformedFrame on an unknown type."""
    table = FUTURES_ORDER_TYPES if futures else SPOT_ORDER_TYPES
    if venue_type not in table:
        raise MalformedFrame(venue, f"unknown order type {venue_type!r}", venue_type)
    return table[venue_type]


def symbol_spec(venue: Venue, specs: Mapping[str, InstrumentSpec] | None, symbol: str) -> InstrumentSpec:
    """The spec of a user-data ``symbol``: ``specs[symbol]`` (the execution actor's loaded specs), else
    :func:`actors.instruments.unloaded_trading_spec` (Binance: its table or the exact 8-decimal default; a venue
    with an instrument endpoint would raise :class:`~actors.errors.MissingInstrumentSpec`, never get a wide default)."""
    spec = (specs or {}).get(symbol)
    return spec if spec is not None else unloaded_trading_spec(venue, symbol)


class UserDataParser:
    """Parser of one account's user-data stream.

    Args:
        venue: ``binance`` (spot) or ``binance_usdm``.
        specs: instrument specs by venue symbol (``"BTCUSDT"``); a symbol not in it: :func:`symbol_spec`
            (8/8 decimals for an unknown Binance symbol).

    Raises:
        ConfigError: ``venue`` is not Binance spot or USD-M.
    """

    def __init__(self, venue: Venue | str = Venue.BINANCE, specs: Mapping[str, InstrumentSpec] | None = None) -> None:
        from actors.errors import ConfigError

        self.venue = Venue(venue)
        if self.venue not in (Venue.BINANCE, Venue.BINANCE_USDM):
            raise ConfigError(f"user-data streams are implemented for binance and binance_usdm, not {venue}")
        self.futures = self.venue is Venue.BINANCE_USDM
        self.events = FUTURES_EVENTS if self.futures else SPOT_EVENTS
        self.specs = dict(specs or {})
        self._name = self.venue.value

    def spec(self, symbol: str) -> InstrumentSpec:
        spec = self.specs.get(symbol)
        if spec is None:
            spec = self.specs[symbol] = symbol_spec(self.venue, None, symbol)
        return spec

    def parse(self, frame: bytes | str, ts_recv: int) -> UserDataEvent:
        """One frame -> one event. ``ts_recv``: our receive time (ns).

        Raises:
            MalformedFrame: not valid JSON / not valid for its event type.
            UnsupportedFrame: a valid event of a type this parser does not translate.
        """
        name = self._name
        try:
            peek = _PEEK.decode(frame)
            if peek.e is None:
                inner = peek.event if len(peek.event) else peek.data
                if not len(inner):
                    raise MalformedFrame(name, "no event type 'e'", frame)
                frame = bytes(inner)
                peek = _PEEK.decode(frame)
                if peek.e is None:
                    raise MalformedFrame(name, "no event type 'e'", frame)
            kind = peek.e
            if kind not in self.events:
                raise UnsupportedFrame(name, kind)
            msg = _DECODERS[kind].decode(frame)
        except (msgspec.MsgspecError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(name, str(exc), frame) from None
        try:
            return self._translate(kind, msg, ts_recv)
        except MalformedFrame:
            raise
        except (ValueError, TypeError, ArithmeticError, OverflowError) as exc:  # e.g. a time that overflows
            raise MalformedFrame(name, f"{kind}: {exc}", frame) from None

    def _translate(self, kind: str, msg, ts_recv: int) -> UserDataEvent:
        name = self._name
        if kind == "executionReport":
            return self._spot_order(msg, ts_recv)
        if kind == "ORDER_TRADE_UPDATE":
            return self._futures_order(msg, ts_recv)
        if kind == "outboundAccountPosition":
            balances = tuple(
                Balance(b.asset, parse_decimal(b.free, name, "free"), parse_decimal(b.locked, name, "locked"))
                for b in msg.balances
            )
            return BalanceSnapshot(name, balances, ms_to_ns(msg.last_update), ms_to_ns(msg.event_time), ts_recv)
        if kind in ("balanceUpdate", "externalLockUpdate"):
            return BalanceDelta(name, msg.asset, parse_decimal(msg.delta, name, "delta"), ms_to_ns(msg.clear_time),
                                ms_to_ns(msg.event_time), ts_recv,
                                "balance" if kind == "balanceUpdate" else "lock")  # fmt: skip
        if kind == "listenKeyExpired":
            e = msg.event_time
            if isinstance(e, str):
                if not (e.isascii() and e.isdigit()):
                    raise MalformedFrame(name, f"listenKeyExpired E {e!r} is not a time", e)
                e = int(e)
            return ListenKeyExpired(name, msg.listen_key, ms_to_ns(e), ts_recv)
        if kind == "eventStreamTerminated":
            return StreamTerminated(name, ms_to_ns(msg.event_time), ts_recv)
        if kind == "ACCOUNT_UPDATE":
            return self._account_update(msg, ts_recv)
        if kind == "MARGIN_CALL":
            d = lambda t, w: parse_decimal(t, name, w)  # noqa: E731
            positions = tuple(
                MarginCallPosition(p.symbol, p.position_side, d(p.amount, "pa"), p.margin_type,
                                   d(p.isolated_wallet, "iw"), d(p.mark_price, "mp"), d(p.unrealized_pnl, "up"),
                                   d(p.maintenance_margin, "mm"))
                for p in msg.positions
            )  # fmt: skip
            cw = None if msg.cross_wallet is None else d(msg.cross_wallet, "cw")
            return MarginCall(name, cw, positions, ms_to_ns(msg.event_time), ts_recv)
        raise UnsupportedFrame(name, kind)  # pragma: no cover (the event sets and decoders agree)

    def _fixed(self, text: str, decimals: int, what: str, allow_negative: bool = False) -> int:
        value = to_fixed(text, decimals, self._name)
        if value < 0 and not allow_negative:
            raise MalformedFrame(self._name, f"negative {what} {text!r}", text)
        return value

    def _common(self, symbol: str, side: str, tif: str, venue_type: str, futures: bool):
        name = self._name
        s = SIDES.get(side)
        if s is None:
            raise MalformedFrame(name, f"unknown side {side!r}", side)
        order_type = map_order_type(venue_type, futures, name)
        if venue_type == "LIMIT_MAKER":
            time_in_force = TimeInForce.GTX
        else:
            time_in_force = TIME_IN_FORCE.get(tif)
            if time_in_force is None and tif != "GTD":
                raise MalformedFrame(name, f"unknown time in force {tif!r}", tif)
        return self.spec(symbol), s, order_type, time_in_force

    def _spot_order(self, m: wire.ExecutionReport, ts_recv: int) -> OrderUpdate:
        name = self._name
        spec, side, order_type, tif = self._common(m.symbol, m.side, m.time_in_force, m.order_type, False)
        pd, sd = spec.price_decimals, spec.size_decimals
        size = self._fixed(m.quantity, sd, "quantity")
        price = self._fixed(m.price, pd, "price") or None
        trigger = self._fixed(m.stop_price, pd, "stop price") or None
        filled = self._fixed(m.cum_quantity, sd, "cumulative quantity")
        cum_quote = parse_decimal(m.cum_quote, name, "Z")
        status = map_status(m.status, filled, name)
        if status is OrderStatus.ACCEPTED and order_type is not None and order_type.is_triggered and m.is_working:
            status = OrderStatus.TRIGGERED
        fill = None
        if m.execution_type in _FILL_EXECUTIONS:
            fill = self._fill(m.symbol, m.trade_id, m.last_price, m.last_quantity, m.commission, m.commission_asset,
                              m.is_maker, m.transaction_time, pd, sd, None)  # fmt: skip
        reason = m.reject_reason if m.reject_reason not in ("NONE", "") else (m.expiry_reason or "")
        avg = (cum_quote / fixed_to_decimal(filled, sd)) if filled else None
        coid = m.client_order_id
        if m.execution_type == "CANCELED" and m.orig_client_order_id:
            coid = m.orig_client_order_id
        return OrderUpdate(
            name, m.symbol, spec.instrument_id, coid, str(m.order_id), side, order_type, m.order_type, tif, size,
            price, trigger, pd, sd, status, m.execution_type, filled, avg, ms_to_ns(m.transaction_time),
            ms_to_ns(m.event_time), ts_recv, fill, False, m.is_working, reason,
        )  # fmt: skip

    def _futures_order(self, msg: wire.FuturesOrderTradeUpdate, ts_recv: int) -> OrderUpdate:
        name = self._name
        o = msg.order
        original = o.orig_order_type or o.order_type
        spec, side, order_type, tif = self._common(o.symbol, o.side, o.time_in_force, original, True)
        map_order_type(o.order_type, True, name)  # the current type must be a known one too
        pd, sd = spec.price_decimals, spec.size_decimals
        size = self._fixed(o.quantity, sd, "quantity")
        price = self._fixed(o.price, pd, "price") or None
        trigger = self._fixed(o.stop_price, pd, "stop price") or None
        filled = self._fixed(o.cum_quantity, sd, "cumulative quantity")
        avg_price = parse_decimal(o.avg_price, name, "ap")
        status = map_status(o.status, filled, name)
        if (status is OrderStatus.ACCEPTED and order_type is not None and order_type.is_triggered
                and o.order_type != original):
            status = OrderStatus.TRIGGERED  # fmt: skip
        fill = None
        if o.execution_type in _FILL_EXECUTIONS:
            rp = None if o.realized_profit is None else parse_decimal(o.realized_profit, name, "rp")
            fill = self._fill(o.symbol, o.trade_id, o.last_price, o.last_quantity, o.commission or "0",
                              o.commission_asset, o.is_maker, o.trade_time, pd, sd, rp)  # fmt: skip
        er = o.expiry_reason
        reason = "" if er in (None, "0", 0, "") else f"expiry_reason:{er}"
        return OrderUpdate(
            name, o.symbol, spec.instrument_id, o.client_order_id, str(o.order_id), side, order_type, original, tif,
            size, price, trigger, pd, sd, status, o.execution_type, filled, avg_price if filled else None,
            ms_to_ns(o.trade_time), ms_to_ns(msg.event_time), ts_recv, fill, o.reduce_only, None, reason,
        )  # fmt: skip

    def _fill(self, symbol: str, trade_id: int, price: str, size: str, fee: str, fee_asset: str | None,
              maker: bool, ts_ms: int, pd: int, sd: int, realized: Decimal | None) -> VenueFill | None:  # fmt: skip
        fill_size = self._fixed(size, sd, "last quantity")
        if fill_size == 0:
            return None
        if trade_id < 0:
            raise MalformedFrame(self._name, f"a trade without a trade id ({trade_id})", symbol)
        return VenueFill(
            venue_fill_id(symbol, trade_id), trade_id, self._fixed(price, pd, "last price"), fill_size,
            parse_decimal(fee, self._name, "commission"), fee_asset or "",
            Liquidity.MAKER if maker else Liquidity.TAKER, ms_to_ns(ts_ms), realized,
        )  # fmt: skip

    def _account_update(self, msg: wire.FuturesAccountUpdate, ts_recv: int) -> AccountUpdate:
        name = self._name
        d = lambda t, w: parse_decimal(t, name, w)  # noqa: E731
        a = msg.data
        balances = tuple(Balance(b.asset, d(b.wallet_balance, "wb")) for b in a.balances)
        positions = tuple(
            PositionUpdate(p.symbol, self.spec(p.symbol).instrument_id, d(p.amount, "pa"), d(p.entry_price, "ep"),
                           None if p.breakeven_price is None else d(p.breakeven_price, "bep"),
                           d(p.accumulated_realized, "cr"), d(p.unrealized_pnl, "up"), p.margin_type,
                           d(p.isolated_wallet, "iw"), p.position_side)
            for p in a.positions
        )  # fmt: skip
        return AccountUpdate(
            name, a.reason, balances, tuple(d(b.cross_wallet, "cw") for b in a.balances),
            tuple(d(b.balance_change, "bc") for b in a.balances), positions, ms_to_ns(msg.transaction_time),
            ms_to_ns(msg.event_time), ts_recv,
        )  # fmt: skip

