"""Pydantic response models of the HTTP API. Prices and sizes are exact decimal strings, times ns integers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from actors.fixedpoint import fixed_to_str
from actors.messages import BookView, Trade

__all__ = ["BookResponse", "Health", "IntentResult", "KillRequest", "LevelModel", "LimitsPatch", "OrderCreate",
           "RestartResponse", "StrategyCreate", "StrategyPatch", "TradeModel", "TradesResponse"]


class Health(BaseModel):
    status: str = "ok"


class LevelModel(BaseModel):
    """One book level."""

    model_config = ConfigDict(frozen=True)
    price: str = Field(description="Exact decimal string")
    size: str = Field(description="Exact decimal string (contracts for COIN-M)")


class BookResponse(BaseModel):
    """A book view."""

    instrument_id: str
    ready: bool = Field(description="False while the book waits for a snapshot (then no levels)")
    sequence: int = Field(description="Venue update id of the last applied diff or snapshot")
    bids: list[LevelModel] = Field(description="Best first")
    asks: list[LevelModel] = Field(description="Best first")
    ts_event: int = Field(description="Venue time of the last applied event (ns)")
    ts_recv: int = Field(description="Receive time of the last applied event (ns)")

    @classmethod
    def from_view(cls, view: BookView) -> BookResponse:
        pd, sd = view.price_decimals, view.size_decimals
        level = lambda lv: LevelModel(price=fixed_to_str(lv[0], pd), size=fixed_to_str(lv[1], sd))  # noqa: E731
        return cls(instrument_id=view.instrument_id, ready=view.ready, sequence=view.sequence,
                   bids=[level(b) for b in view.bids], asks=[level(a) for a in view.asks],
                   ts_event=view.ts_event, ts_recv=view.ts_recv)  # fmt: skip


class TradeModel(BaseModel):
    trade_id: str
    price: str
    size: str
    aggressor_side: str = Field(description="buy or sell: the taker's side")
    ts_event: int
    ts_recv: int

    @classmethod
    def from_trade(cls, t: Trade) -> TradeModel:
        return cls(trade_id=t.trade_id, price=fixed_to_str(t.price, t.price_decimals),
                   size=fixed_to_str(t.size, t.size_decimals), aggressor_side=t.aggressor_side,
                   ts_event=t.ts_event, ts_recv=t.ts_recv)  # fmt: skip


class TradesResponse(BaseModel):
    instrument_id: str
    trades: list[TradeModel] = Field(description="Oldest first")


class BarModel(BaseModel):
    """One OHLCV bar (``actors.bars.bar.Bar.to_dict``): prices, sizes and VWAP as exact decimal strings."""

    instrument_id: str
    interval: str
    start: int = Field(description="The interval's start (ns since the epoch, UTC-aligned)")
    open: str
    high: str
    low: str
    close: str
    volume: str
    vwap: str | None = Field(description="sum(price x size) / volume, half-even at the price's decimals + 4")
    trades: int
    closed: bool = Field(description="False for the open bar (still getting trades)")


class BarsResponse(BaseModel):
    instrument_id: str
    interval: str
    bars: list[BarModel] = Field(description="Oldest first; the open bar, if any, last")


class RestartResponse(BaseModel):
    feed_id: str
    state: str
    restarts: int


# -- trading ---------------------------------------------------------------------------------------------------
_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


class StrategyCreate(BaseModel):
    """``POST /strategies``: start a new strategy instance (a new StrategyActor)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Instance id (unique in the run)")
    kind: str = Field(description="A registered kind (see GET /strategies -> kinds)")
    instruments: list[str] = Field(min_length=1, description="Instrument ids of this run")
    mode: Literal["paper", "testnet", "live"] = Field(
        "paper", description="paper, testnet, or live (only when the run allows production: config and --live)")
    allocated_capital: str = Field("10000", pattern=_DECIMAL, description="USD, exact decimal string")
    params: dict[str, Any] = Field(default_factory=dict, description="Validated by the kind's parameter model")
    limits: dict[str, Any] = Field(default_factory=dict, description="Per-strategy risk limits")


class StrategyPatch(BaseModel):
    """``PATCH /strategies/{id}``: new parameter values (validated by the kind's model)."""

    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = Field(description="Parameters to change")


class OrderCreate(BaseModel):
    """``POST /orders``: a manual order; it takes the same path as a strategy's (the risk gate, then execution)."""

    model_config = ConfigDict(extra="forbid")
    instrument_id: str = Field(pattern=r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_]+$")
    side: Literal["buy", "sell"]
    order_type: Literal["market", "limit", "stop_market", "stop_limit", "take_profit"] = "limit"
    size: str = Field(pattern=_DECIMAL, description="Exact decimal string (contracts for COIN-M)")
    price: str | None = Field(None, pattern=_DECIMAL, description="Limit price (limit, stop_limit)")
    trigger_price: str | None = Field(None, pattern=_DECIMAL, description="Stop / take-profit trigger")
    time_in_force: Literal["GTC", "IOC", "FOK", "GTX"] = "GTC"
    reduce_only: bool = False
    client_order_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    strategy_id: str = Field("manual", pattern=r"^[A-Za-z0-9_\-]+$", description="Whose book the order is in")


class KillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("kill_switch", max_length=200)


class LimitsPatch(BaseModel):
    """``PATCH /risk/limits``: any subset of the ``[risk]`` settings."""

    model_config = ConfigDict(extra="forbid")
    daily_loss_limit_pct: Decimal | None = Field(None, gt=0)
    max_drawdown_pct: Decimal | None = Field(None, gt=0)
    reducing_at_pct: Decimal | None = Field(None, gt=0, le=100)
    max_position_pct: Decimal | None = Field(None, gt=0)
    max_open_positions: int | None = Field(None, ge=0)
    max_open_positions_per_strategy: int | None = Field(None, ge=0)
    max_open_orders: int | None = Field(None, ge=0)
    max_open_orders_per_strategy: int | None = Field(None, ge=0)
    max_order_notional: Decimal | None = Field(None, gt=0)
    price_band_pct: Decimal | None = Field(None, gt=0)
    max_orders_per_s: int | None = Field(None, ge=1)
    book_stale_after_ms: int | None = Field(None, ge=1)
    flatten_on_halt: bool | None = None
    strategy_down_orders: Literal["cancel", "keep"] | None = None


class IntentResult(BaseModel):
    client_order_id: str
    approved: bool
    reason: str = Field("", description="The rule that refused it, when not approved")
    detail: str = ""
