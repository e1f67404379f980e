"""The risk limits: one frozen, validated object read by the pre-trade rules and the breakers (issue 9 item 6).

Config contract (``[risk]`` in the TOML config; unknown keys are errors)::

    [risk]
    daily_loss_limit_pct = 5        # of the portfolio equity at 00:00 UTC -> halted
    max_drawdown_pct = 20           # from the equity peak -> halted
    max_position_pct = 20           # per instrument per strategy, of that strategy's equity
    max_open_positions = 5          # total (per strategy: max_open_positions_per_strategy = 3)
    max_order_notional = 100000     # USD
    price_band_pct = 5              # limit price within +-5 % of the mid
    max_orders_per_s = 20           # per strategy

    [risk.strategies.mm-btc]        # per-strategy overrides (StrategyLimits); missing fields inherit
    max_order_notional = 20000

Money and percentages are :class:`~decimal.Decimal`. A TOML float (``2.5``) is converted through its shortest
repr (``Decimal("2.5")``), never through its binary value. Counts are ``int`` (``bool`` is refused); the open
position / order counts may be 0 (no new ones), the rate and the staleness must be >= 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from actors.errors import ConfigError

__all__ = ["RiskLimits", "StrategyLimits", "to_decimal"]

_HUNDRED = Decimal(100)


def to_decimal(value: object, name: str) -> Decimal:
    """Convert a config value (Decimal, int, str, float) to a finite Decimal.

    Raises:
        ConfigError: not a number (``bool`` included), or NaN / infinite.
    """
    if isinstance(value, bool):
        raise ConfigError(f"risk.{name}: expected a number, got {value!r}")
    try:
        if isinstance(value, float):
            result = Decimal(repr(value))
        elif isinstance(value, (Decimal, int, str)):
            result = Decimal(value)
        else:
            raise ConfigError(f"risk.{name}: expected a number, got {type(value).__name__}")
    except InvalidOperation:
        raise ConfigError(f"risk.{name}: {value!r} is not a number") from None
    if not result.is_finite():
        raise ConfigError(f"risk.{name}: {value!r} is not finite")
    return result


def _count(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"risk.{name}: expected an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"risk.{name}: must be >= {minimum}, got {value}")
    return value


def _pct(value: object, name: str, upper: Decimal | None = _HUNDRED) -> Decimal:
    pct = to_decimal(value, name)
    if pct <= 0 or (upper is not None and pct > upper):
        bound = f"in (0, {upper}]" if upper is not None else "> 0"
        raise ConfigError(f"risk.{name}: must be {bound} percent, got {pct}")
    return pct


@dataclass(frozen=True)
class StrategyLimits:
    """Per-strategy overrides of the per-strategy limits; ``None`` inherits the portfolio's value.

    Attributes:
        max_position_pct: abs position notional per instrument, % of the strategy's equity.
        max_open_positions: replaces ``max_open_positions_per_strategy`` (must be <= the total).
        max_open_orders: replaces ``max_open_orders_per_strategy`` (must be <= the total).
        max_order_notional: USD per order.
        price_band_pct: % around the mid.
        max_orders_per_s: approvals per sliding second.
    """

    max_position_pct: Decimal | None = None
    max_open_positions: int | None = None
    max_open_orders: int | None = None
    max_order_notional: Decimal | None = None
    price_band_pct: Decimal | None = None
    max_orders_per_s: int | None = None

    @classmethod
    def from_config(cls, values: Mapping[str, object] | StrategyLimits, strategy_id: str = "?") -> StrategyLimits:
        """Build from a ``[risk.strategies.<id>]`` table. Raises ConfigError on an unknown key."""
        if isinstance(values, StrategyLimits):
            return values
        if not isinstance(values, Mapping):
            raise ConfigError(f"risk.strategies.{strategy_id}: expected a table, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"risk.strategies.{strategy_id}: unknown keys {unknown} (known: {sorted(known)})")
        return cls(**dict(values))


@dataclass(frozen=True)
class RiskLimits:
    """Every limit of the risk gate, validated on construction.

    Attributes:
        daily_loss_limit_pct: loss from the start-of-day (00:00 UTC) portfolio equity, %, that trips ``halted``.
        max_drawdown_pct: fall from the portfolio equity peak, %, that trips ``halted``.
        reducing_at_pct: share of the daily-loss or drawdown limit used, %, at which the state becomes
            ``reducing`` (only position-reducing orders pass); None disables the level.
        max_position_pct: abs position notional per instrument per strategy after the order, % of the strategy's
            equity (API orders, strategy ``manual``, are given the portfolio equity).
        max_open_positions: open positions over the whole portfolio (instruments x strategies).
        max_open_positions_per_strategy: open positions of one strategy.
        max_open_orders: open orders over the whole portfolio.
        max_open_orders_per_strategy: open orders of one strategy.
        max_order_notional: USD per order (inverse: ``size * contract_size`` USD).
        price_band_pct: a limit price must lie within ``mid * (1 +- band/100)`` (fat finger); an order without a
            price needs a book with a mid.
        max_orders_per_s: approved submits / replaces per strategy in a sliding 1 s window of the gate's clock.
        book_stale_after_ms: a book older than this (ms since its last event was received) rejects orders.
        flatten_on_halt: a breaker trip also asks to flatten every position (the kill switch always does).
        strategy_down_orders: what happens to a strategy's resting orders while it is ``strategy_down`` (its actor
            dead or restarting): ``"cancel"`` (default) cancels them when it goes down, so nothing quotes for a
            strategy that cannot see its fills or move its quotes (a market maker's quotes go stale within
            seconds, and a node loss costs 20-30 s here); ``"keep"`` leaves them resting (for strategies whose
            orders are meant to rest and would lose queue priority); their fills are applied to the portfolio
            and the new incarnation recovers them either way.
        strategies: per-strategy overrides, ``strategy_id -> StrategyLimits`` (a plain table is accepted).

    Raises:
        ConfigError: a value of the wrong type or out of range.
    """

    daily_loss_limit_pct: Decimal = Decimal(5)
    max_drawdown_pct: Decimal = Decimal(20)
    reducing_at_pct: Decimal | None = Decimal(80)
    max_position_pct: Decimal = Decimal(20)
    max_open_positions: int = 5
    max_open_positions_per_strategy: int = 3
    max_open_orders: int = 50
    max_open_orders_per_strategy: int = 20
    max_order_notional: Decimal = Decimal(100_000)
    price_band_pct: Decimal = Decimal(5)
    max_orders_per_s: int = 20
    book_stale_after_ms: int = 5_000
    flatten_on_halt: bool = False
    strategy_down_orders: str = "cancel"
    strategies: Mapping[str, StrategyLimits] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen: normalise once)
        put("daily_loss_limit_pct", _pct(self.daily_loss_limit_pct, "daily_loss_limit_pct"))
        put("max_drawdown_pct", _pct(self.max_drawdown_pct, "max_drawdown_pct"))
        if self.reducing_at_pct is not None:
            put("reducing_at_pct", _pct(self.reducing_at_pct, "reducing_at_pct"))
        put("max_position_pct", _pct(self.max_position_pct, "max_position_pct", upper=None))
        put("price_band_pct", _pct(self.price_band_pct, "price_band_pct"))
        notional = to_decimal(self.max_order_notional, "max_order_notional")
        if notional <= 0:
            raise ConfigError(f"risk.max_order_notional: must be > 0 USD, got {notional}")
        put("max_order_notional", notional)
        for name in ("max_open_positions", "max_open_positions_per_strategy", "max_open_orders",
                     "max_open_orders_per_strategy"):  # fmt: skip
            _count(getattr(self, name), name, minimum=0)  # 0: no new positions / orders (cluster/config.py: ge=0)
        for name in ("max_orders_per_s", "book_stale_after_ms"):
            _count(getattr(self, name), name)
        if not isinstance(self.flatten_on_halt, bool):
            raise ConfigError(f"risk.flatten_on_halt: expected true/false, got {self.flatten_on_halt!r}")
        if self.strategy_down_orders not in ("cancel", "keep"):
            raise ConfigError(f"risk.strategy_down_orders: expected 'cancel' or 'keep', got {self.strategy_down_orders!r}")
        _at_most(self.max_open_positions_per_strategy, self.max_open_positions, "max_open_positions_per_strategy")
        _at_most(self.max_open_orders_per_strategy, self.max_open_orders, "max_open_orders_per_strategy")
        if not isinstance(self.strategies, Mapping):
            raise ConfigError(f"risk.strategies: expected a table, got {type(self.strategies).__name__}")
        overrides = {str(sid): StrategyLimits.from_config(v, str(sid)) for sid, v in self.strategies.items()}
        for sid, override in overrides.items():
            self._effective(override, sid)  # validates the override's values against the totals
        put("strategies", MappingProxyType(overrides))

    @classmethod
    def from_config(cls, values: Mapping[str, object]) -> RiskLimits:
        """Build from the ``[risk]`` table.

        Raises:
            ConfigError: an unknown key, or a bad value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"risk: unknown keys {unknown} (known: {sorted(known)})")
        return cls(**dict(values))

    from_dict = from_config  # the name the risk actor uses

    def with_changes(self, **changes: object) -> RiskLimits:
        """A copy with ``changes`` applied and validated. Raises ConfigError on an unknown name or a bad value."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"risk: unknown limits {unknown} (known: {sorted(known)})")
        return replace(self, **changes)

    def for_strategy(self, strategy_id: str) -> RiskLimits:
        """The limits one strategy is checked against: its overrides applied, no overrides left inside."""
        override = self.strategies.get(strategy_id)
        if override is None:
            return self if not self.strategies else replace(self, strategies={})
        return self._effective(override, strategy_id)

    def _effective(self, o: StrategyLimits, strategy_id: str) -> RiskLimits:
        pick = lambda value, default: default if value is None else value  # noqa: E731
        try:
            return replace(
                self,
                strategies={},
                max_position_pct=pick(o.max_position_pct, self.max_position_pct),
                max_open_positions_per_strategy=pick(o.max_open_positions, self.max_open_positions_per_strategy),
                max_open_orders_per_strategy=pick(o.max_open_orders, self.max_open_orders_per_strategy),
                max_order_notional=pick(o.max_order_notional, self.max_order_notional),
                price_band_pct=pick(o.price_band_pct, self.price_band_pct),
                max_orders_per_s=pick(o.max_orders_per_s, self.max_orders_per_s),
            )
        except ConfigError as exc:
            raise ConfigError(f"risk.strategies.{strategy_id}: {exc}") from None

    def to_json(self) -> dict:
        """JSON-friendly dict: Decimals as exact strings, overrides without their unset fields."""
        out: dict = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "strategies":
                value = {sid: {k.name: _plain(getattr(o, k.name)) for k in fields(o) if getattr(o, k.name) is not None}
                         for sid, o in value.items()}  # fmt: skip
            out[f.name] = _plain(value)
        return out


def _at_most(value: int, total: int, name: str) -> None:
    if value > total:
        raise ConfigError(f"risk.{name}: {value} exceeds the portfolio total {total}")


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value
