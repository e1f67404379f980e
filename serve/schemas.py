"""Pydantic response models of the HTTP API. Prices and sizes are exact decimal strings, times ns integers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from actors.fixedpoint import fixed_to_str
from actors.messages import BookView, Trade

__all__ = ["BookResponse", "Health", "LevelModel", "RestartResponse", "TradeModel", "TradesResponse"]


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


class RestartResponse(BaseModel):
    feed_id: str
    state: str
    restarts: int
