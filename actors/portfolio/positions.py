"""One position's accounting: average entry, realized / unrealized PnL, fees, round trips, SL/TP (pure, exact).

A :class:`Position` is one strategy's position in one instrument. It is fed :class:`~actors.orders.Fill`\\ s in
order and marks (mid or mark price); everything it returns is exact :class:`~decimal.Decimal` in the position's
*PnL currency*: the quote currency for linear instruments (spot, USD-M: ``USDT``), the coin for inverse ones
(COIN-M ``BTCUSD_PERP``: ``BTC``).

Formulas (TRADING.md "Positions and PnL"; Binance COIN-M "Contract Specifications" for the inverse ones), with
``q`` a size (units; contracts for inverse), ``p`` a price, ``c`` the contract size (1 for linear, 100 USD for
``BTCUSD_PERP``) and the *value* ``v(q, p)`` of a size at a price in the PnL currency::

    linear   v(q, p) = q·c·p                  avg entry = Σ qᵢ·pᵢ / Σ qᵢ          (over the opening fills)
    inverse  v(q, p) = q·c / p   (coin)       avg entry = Σ qᵢ / Σ (qᵢ / pᵢ)      (contract-weighted harmonic)

    long  realized on closing q at x:  linear q·c·(x − entry)       inverse q·c·(1/entry − 1/x)
    short realized on closing q at x:  linear q·c·(entry − x)       inverse q·c·(1/x − 1/entry)
    unrealized: the same with x = the latest mark.

The position keeps the signed value of its open part (``cost = Σ ±v(qᵢ, pᵢ)``); a reducing fill releases the
share ``cost · q / |size|`` (the whole ``cost`` when it closes the position), so the realized PnL of a closed
round trip is exactly ``±(exit value − entry value)`` however it was scaled out. Arithmetic runs at 50
significant digits (:data:`PNL_CONTEXT`): linear amounts are exact (products of the venue's decimals); inverse
values ``q·c/p`` are exact when ``1/p`` is a finite decimal and otherwise rounded at the 50th digit.

Fees come with each fill (``Fill.fee`` in ``Fill.fee_currency``, computed by execution as ``notional · rate``).
A fee in the PnL currency counts as is; a fee in the instrument's other currency is converted at the fill price
(linear base-coin fee: ``fee · p``; inverse quote fee: ``fee / p``); any other currency (e.g. BNB) is kept apart in
:attr:`Position.other_fees` for the portfolio to convert. A fill that flips the position splits its fee pro rata
between the closing and the opening part.

Status of a round trip: ``open`` (never reduced), ``partial`` (reduced, not closed), ``closed``; a flat position
reads ``closed``. Stop-loss / take-profit belong to the current round trip (set while flat, they arm the next
one) and are cleared when it closes or flips. Trigger rule (the position's side, the last trade price ``x``):
long — stop loss when ``x <= stop_loss``, take profit when ``x >= take_profit``; short — stop loss when
``x >= stop_loss``, take profit when ``x <= take_profit``; a stop loss wins when both hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext

from actors.errors import PrecisionError
from actors.fixedpoint import fixed_to_decimal
from actors.instruments import InstrumentSpec
from actors.orders import Fill, PositionSnapshot, Side

__all__ = ["CLOSE_REASONS", "PNL_CONTEXT", "Position", "ProtectionTrigger", "RoundTrip", "dec_str"]

PNL_CONTEXT = Context(prec=50)
"""The decimal context of every PnL computation (50 significant digits)."""

CLOSE_REASONS = frozenset({"stop_loss", "take_profit", "kill_switch", "liquidation", "manual"})
"""Fill tags that name why a position closed; other closes read ``flip`` (a fill reversed it) or ``strategy``."""

_ZERO = Decimal(0)


def dec_str(value: Decimal | None) -> str | None:
    """A plain decimal string without trailing zeros or exponent (``Decimal("61837.6300") -> "61837.63"``)."""
    if value is None:
        return None
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass(frozen=True, slots=True)
class ProtectionTrigger:
    """A stop loss or take profit that the last trade reached: close ``size`` with a reduce-only market order.

    Attributes:
        reason: ``"stop_loss"`` or ``"take_profit"``.
        close_side: the side of the closing order (sell for a long).
        size: the absolute position, fixed-point at the instrument's ``size_decimals``.
        trigger_price: the protection level that was reached; last_price: the trade price that reached it.
        ts_event: the trade's time (ns).
    """

    strategy_id: str
    instrument_id: str
    reason: str
    close_side: Side
    size: int
    trigger_price: Decimal
    last_price: Decimal
    ts_event: int


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One closed position, from flat to flat (or to a flip).

    Attributes:
        side: ``"long"`` or ``"short"``.
        size: total size opened (units; contracts for inverse), exact Decimal.
        entry_price, exit_price: averages of the opening / closing fills (harmonic for inverse).
        entry_value: ``Σ v(qᵢ, pᵢ)`` of the opening fills in ``pnl_currency`` (the base of ``pnl_pct``).
        realized_pnl, fees: in ``pnl_currency``; net_pnl = realized_pnl − fees.
        net_pnl_usd: ``net_pnl`` in USD: linear via the quote's fixed USD rate, inverse at the exit price (the coin's
            USD price when it closed); None when the quote has no USD rate.
        opened_ns, closed_ns: times of the first opening and the closing fill.
        close_reason: ``stop_loss`` / ``take_profit`` / a tag of :data:`CLOSE_REASONS` / ``flip`` / ``strategy``.
    """

    strategy_id: str
    instrument_id: str
    side: str
    size: Decimal
    entry_price: Decimal
    exit_price: Decimal
    entry_value: Decimal
    realized_pnl: Decimal
    fees: Decimal
    pnl_currency: str
    net_pnl_usd: Decimal | None
    opened_ns: int
    closed_ns: int
    close_reason: str
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None

    @property
    def net_pnl(self) -> Decimal:
        return self.realized_pnl - self.fees

    def record(self) -> dict:
        """The plan's position record (JSON-friendly, decimal strings)."""
        with localcontext(PNL_CONTEXT):
            pct = self.net_pnl / self.entry_value * 100 if self.entry_value else None
        return {
            "instrument_id": self.instrument_id, "strategy_id": self.strategy_id, "side": self.side,
            "entry_price": dec_str(self.entry_price), "exit_price": dec_str(self.exit_price),
            "size": dec_str(self.size), "open_size": "0", "status": "closed",
            "realized_pnl": dec_str(self.realized_pnl), "unrealized_pnl": "0", "fees": dec_str(self.fees),
            "net_pnl": dec_str(self.net_pnl), "net_pnl_usd": dec_str(self.net_pnl_usd),
            "pnl_currency": self.pnl_currency, "pnl_pct": dec_str(pct), "stop_loss": dec_str(self.stop_loss),
            "take_profit": dec_str(self.take_profit), "close_reason": self.close_reason,
            "opened_ns": self.opened_ns, "updated_ns": self.closed_ns, "closed_ns": self.closed_ns,
        }  # fmt: skip

    def to_state(self) -> dict:
        d = {k: getattr(self, k) for k in self.__slots__}
        for k in ("size", "entry_price", "exit_price", "entry_value", "realized_pnl", "fees", "net_pnl_usd",
                  "stop_loss", "take_profit"):  # fmt: skip
            d[k] = None if d[k] is None else str(d[k])
        return d

    @classmethod
    def from_state(cls, d: dict) -> RoundTrip:
        d = dict(d)
        for k in ("size", "entry_price", "exit_price", "entry_value", "realized_pnl", "fees", "net_pnl_usd",
                  "stop_loss", "take_profit"):  # fmt: skip
            d[k] = _dec(d[k])
        return cls(**d)


@dataclass(slots=True)
class _Trip:
    """The open round trip's running sums (private)."""

    opened_ns: int
    long: bool
    entry_size: int = 0  # fixed-point, Σ opening sizes
    entry_value: Decimal = _ZERO  # Σ v of the opening fills (unsigned)
    exit_size: int = 0
    exit_value: Decimal = _ZERO
    realized: Decimal = _ZERO
    fees: Decimal = _ZERO
    reduced: bool = False


_TRIP_DECIMALS = ("entry_value", "exit_value", "realized", "fees")


@dataclass(slots=True)
class Position:
    """The position of ``strategy_id`` in one instrument (see the module docstring for every formula).

    Attributes:
        size: signed fixed-point at ``spec.size_decimals`` (long > 0; contracts for inverse).
        cost: signed value of the open part, in ``pnl_currency`` (``Σ ±v(qᵢ, pᵢ)`` net of releases).
        realized, fees: cumulative over every round trip, in ``pnl_currency``.
        other_fees: fees in currencies other than the instrument's (``{"BNB": Decimal}``), not in ``fees``.
        mark, mark_ns: the latest mark (mid / mark price) and its time; None before the first.
        stop_loss, take_profit: protection of the current (or, when flat, the next) round trip.
    """

    strategy_id: str
    spec: InstrumentSpec
    size: int = 0
    cost: Decimal = _ZERO
    realized: Decimal = _ZERO
    fees: Decimal = _ZERO
    other_fees: dict[str, Decimal] = field(default_factory=dict)
    mark: Decimal | None = None
    mark_ns: int = 0
    updated_ns: int = 0
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trigger_reported: bool = False
    closing_reason: str | None = None
    trip: _Trip | None = None

    # -- derived -------------------------------------------------------------------------------------------------
    @property
    def instrument_id(self) -> str:
        return self.spec.instrument_id

    @property
    def pnl_currency(self) -> str:
        """The coin (``base``) for inverse instruments, else the quote currency."""
        return self.spec.base if self.spec.inverse else self.spec.quote

    @property
    def status(self) -> str:
        if self.trip is None:
            return "closed"
        return "partial" if self.trip.reduced else "open"

    @property
    def size_decimal(self) -> Decimal:
        """The signed size as an exact Decimal (units; contracts for inverse)."""
        return self._qty(self.size)

    def _qty(self, size: int) -> Decimal:
        return fixed_to_decimal(size, self.spec.size_decimals)

    def value(self, size: int, price: Decimal) -> Decimal:
        """``v(q, p)`` of an unsigned fixed-point size at ``price``, in ``pnl_currency``."""
        with localcontext(PNL_CONTEXT):
            q = self._qty(size) * self.spec.contract_size
            return q / price if self.spec.inverse else q * price

    def _avg(self, size: int, value: Decimal) -> Decimal | None:
        if not size or not value:
            return None
        with localcontext(PNL_CONTEXT):
            q = self._qty(size) * self.spec.contract_size
            return q / value if self.spec.inverse else value / q

    @property
    def avg_entry_price(self) -> Decimal | None:
        """Average entry of the open round trip (``|cost|`` over the open size; see the module docstring)."""
        return self._avg(abs(self.size), abs(self.cost)) if self.size else None

    def unrealized(self) -> Decimal:
        """Unrealized PnL at the latest mark in ``pnl_currency``; 0 when flat or before the first mark."""
        if not self.size or self.mark is None:
            return _ZERO
        with localcontext(PNL_CONTEXT):
            marked = self.value(abs(self.size), self.mark)
            sign = 1 if self.size > 0 else -1
            # linear: size·c·mark − cost; inverse: cost − size·c/mark.
            return sign * marked - self.cost if not self.spec.inverse else self.cost - sign * marked

    # -- changes -------------------------------------------------------------------------------------------------
    def on_mark(self, price: Decimal, ts_event: int) -> None:
        """Record the latest mid / mark price (older marks than the current one are ignored)."""
        if ts_event >= self.mark_ns:
            self.mark, self.mark_ns = price, ts_event

    def on_fill(self, fill: Fill, usd_rate: Decimal | None = None) -> RoundTrip | None:
        """Apply one fill; return the round trip it closed (a flip closes one and opens the next), else None.

        Args:
            fill: a fill of this strategy in this instrument.
            usd_rate: USD per unit of the quote currency, for the round trip's ``net_pnl_usd`` (linear: the
                quote's fixed rate; inverse: of ``USD``, normally 1, times the exit price).

        Raises:
            PrecisionError: the fill's size does not fit the instrument's ``size_decimals`` exactly.
        """
        with localcontext(PNL_CONTEXT):
            size = _rescale(fill.size, fill.size_decimals, self.spec.size_decimals)
            price = fill.price_decimal()
            fee = self._fee_in_pnl_currency(fill, price)
            sign = fill.side.sign
            self.updated_ns = fill.ts_event
            self.trigger_reported = False
            closed = None
            if self.size == 0 or (self.size > 0) == (sign > 0):
                self._open(sign, size, price, fee, fill.ts_event)
                return None
            close_size = min(size, abs(self.size))
            close_fee = fee if close_size == size else fee * close_size / size
            self._reduce(close_size, price, close_fee)
            if self.size == 0:
                flip = size > close_size
                reason = fill.tag if fill.tag in CLOSE_REASONS else self.closing_reason
                closed = self._finish(reason or ("flip" if flip else "strategy"), price, fill.ts_event, usd_rate)
                if flip:
                    self._open(sign, size - close_size, price, fee - close_fee, fill.ts_event)
            return closed

    def _fee_in_pnl_currency(self, fill: Fill, price: Decimal) -> Decimal:
        s = self.spec
        if fill.fee_currency == self.pnl_currency or not fill.fee:
            return fill.fee
        other = s.quote if s.inverse else s.base
        if fill.fee_currency == other:
            return fill.fee / price if s.inverse else fill.fee * price
        self.other_fees[fill.fee_currency] = self.other_fees.get(fill.fee_currency, _ZERO) + fill.fee
        return _ZERO

    def _open(self, sign: int, size: int, price: Decimal, fee: Decimal, ts: int) -> None:
        if self.trip is None:
            self.trip = _Trip(opened_ns=ts, long=sign > 0)
        v = self.value(size, price)
        self.size += sign * size
        self.cost += sign * v
        self.trip.entry_size += size
        self.trip.entry_value += v
        self.trip.fees += fee
        self.fees += fee

    def _reduce(self, size: int, price: Decimal, fee: Decimal) -> None:
        trip = self.trip
        assert trip is not None
        held = abs(self.size)
        released = self.cost if size == held else self.cost * size / held
        sign = 1 if self.size > 0 else -1
        exit_value = self.value(size, price)
        pnl = sign * exit_value - released if not self.spec.inverse else released - sign * exit_value
        self.size -= sign * size
        self.cost -= released
        trip.exit_size += size
        trip.exit_value += exit_value
        trip.realized += pnl
        trip.fees += fee
        trip.reduced = True
        self.realized += pnl
        self.fees += fee

    def _finish(self, reason: str, price: Decimal, ts: int, usd_rate: Decimal | None) -> RoundTrip:
        trip = self.trip
        assert trip is not None
        s = self.spec
        net = trip.realized - trip.fees
        if usd_rate is None:
            net_usd = None
        else:
            exit_price = self._avg(trip.exit_size, trip.exit_value) or price
            net_usd = net * exit_price * usd_rate if s.inverse else net * usd_rate
        rt = RoundTrip(
            self.strategy_id, s.instrument_id, "long" if trip.long else "short", self._qty(trip.entry_size),
            self._avg(trip.entry_size, trip.entry_value), self._avg(trip.exit_size, trip.exit_value),
            trip.entry_value, trip.realized, trip.fees, self.pnl_currency, net_usd, trip.opened_ns, ts, reason,
            self.stop_loss, self.take_profit,
        )  # fmt: skip
        self.trip = None
        self.cost = _ZERO
        self.stop_loss = self.take_profit = None
        self.closing_reason = None
        return rt

    # -- protection ----------------------------------------------------------------------------------------------
    def set_protection(self, stop_loss: Decimal | None, take_profit: Decimal | None) -> None:
        """Set (or clear with None) the stop loss and take profit; re-arms a trigger already reported and forgets
        its pending close reason (the host abandoned that close)."""
        self.stop_loss, self.take_profit = stop_loss, take_profit
        self.trigger_reported = False
        self.closing_reason = None

    def check_protection(self, last_price: Decimal, ts_event: int) -> ProtectionTrigger | None:
        """The trigger ``last_price`` reaches, once until the position changes (a fill) or protection is reset."""
        if not self.size or self.trigger_reported:
            return None
        long = self.size > 0
        reason, level = None, None
        sl, tp = self.stop_loss, self.take_profit
        if sl is not None and (last_price <= sl if long else last_price >= sl):
            reason, level = "stop_loss", sl
        elif tp is not None and (last_price >= tp if long else last_price <= tp):
            reason, level = "take_profit", tp
        if reason is None:
            return None
        self.trigger_reported = True
        self.closing_reason = reason
        side = Side.SELL if long else Side.BUY
        return ProtectionTrigger(self.strategy_id, self.instrument_id, reason, side, abs(self.size), level,
                                 last_price, ts_event)  # fmt: skip

    # -- views ---------------------------------------------------------------------------------------------------
    def snapshot(self) -> PositionSnapshot:
        """The :class:`~actors.orders.PositionSnapshot` (realized and fees cumulative over all round trips)."""
        return PositionSnapshot(
            self.strategy_id, self.instrument_id, self.size, self.spec.size_decimals, self.avg_entry_price,
            self.realized, self.unrealized(), self.fees, self.pnl_currency, self.status,
            self.trip.opened_ns if self.trip else 0, self.updated_ns,
        )  # fmt: skip

    def open_record(self) -> dict | None:
        """The plan's record of the open round trip (JSON-friendly), or None when flat."""
        trip = self.trip
        if trip is None:
            return None
        with localcontext(PNL_CONTEXT):
            unrealized = self.unrealized()
            net = trip.realized + unrealized - trip.fees
            pct = net / trip.entry_value * 100 if trip.entry_value else None
        return {
            "instrument_id": self.instrument_id, "strategy_id": self.strategy_id,
            "side": "long" if self.size > 0 else "short",
            "entry_price": dec_str(self._avg(trip.entry_size, trip.entry_value)),
            "exit_price": dec_str(self._avg(trip.exit_size, trip.exit_value)),
            "size": dec_str(self._qty(trip.entry_size)), "open_size": dec_str(self._qty(abs(self.size))),
            "status": self.status, "realized_pnl": dec_str(trip.realized), "unrealized_pnl": dec_str(unrealized),
            "fees": dec_str(trip.fees), "net_pnl": dec_str(net), "net_pnl_usd": None,
            "pnl_currency": self.pnl_currency, "pnl_pct": dec_str(pct), "stop_loss": dec_str(self.stop_loss),
            "take_profit": dec_str(self.take_profit), "close_reason": None, "opened_ns": trip.opened_ns,
            "updated_ns": self.updated_ns, "closed_ns": None,
        }  # fmt: skip

    # -- state ---------------------------------------------------------------------------------------------------
    def to_state(self) -> dict:
        """Exact JSON-friendly state (decimals as strings)."""
        trip = None
        if self.trip is not None:
            trip = {k: getattr(self.trip, k) for k in self.trip.__slots__}
            for k in _TRIP_DECIMALS:
                trip[k] = str(trip[k])
        return {
            "strategy_id": self.strategy_id, "instrument_id": self.instrument_id, "size": self.size,
            "cost": str(self.cost), "realized": str(self.realized), "fees": str(self.fees),
            "other_fees": {k: str(v) for k, v in self.other_fees.items()},
            "mark": None if self.mark is None else str(self.mark), "mark_ns": self.mark_ns,
            "updated_ns": self.updated_ns, "stop_loss": None if self.stop_loss is None else str(self.stop_loss),
            "take_profit": None if self.take_profit is None else str(self.take_profit),
            "trigger_reported": self.trigger_reported, "closing_reason": self.closing_reason,
            "trip": trip,
        }  # fmt: skip

    @classmethod
    def from_state(cls, spec: InstrumentSpec, d: dict) -> Position:
        trip = None
        if d["trip"] is not None:
            t = dict(d["trip"])
            for k in _TRIP_DECIMALS:
                t[k] = Decimal(t[k])
            trip = _Trip(**t)
        return cls(
            d["strategy_id"], spec, d["size"], Decimal(d["cost"]), Decimal(d["realized"]), Decimal(d["fees"]),
            {k: Decimal(v) for k, v in d["other_fees"].items()}, _dec(d["mark"]), d["mark_ns"], d["updated_ns"],
            _dec(d["stop_loss"]), _dec(d["take_profit"]), d["trigger_reported"], d["closing_reason"], trip,
        )  # fmt: skip


def _rescale(value: int, from_decimals: int, to_decimals: int) -> int:
    """Re-express a fixed-point int at another scale, exactly (raises PrecisionError when it cannot)."""
    if from_decimals == to_decimals:
        return value
    if from_decimals < to_decimals:
        return value * 10 ** (to_decimals - from_decimals)
    q, r = divmod(value, 10 ** (from_decimals - to_decimals))
    if r:
        raise PrecisionError("portfolio", f"size {value}e-{from_decimals} has more than {to_decimals} decimals")
    return q
