"""``scheduled_event``: a position around a scheduled event read from a calendar, behind configurable filters. Pure.

Rule. For each calendar event of a traded instrument, at ``event_time - entry_before_s`` (the first callback at or
after it, while still before the event) the strategy checks three filters and, if all pass, enters ``direction``
with a market order of ``capital_fraction`` of ``ctx.allocated_capital`` (quote currency / price, rounded down to
the lot):

- event size: ``event_size_pct_supply >= min_event_size_pct``;
- recent volume: the base volume of public trades in the last ``volume_window_s`` ``>= min_recent_volume``;
- recent trend: the mid's change over the last ``trend_window_s`` must not go against ``direction`` by more than
  ``max_adverse_trend_pct``.

It exits (reduce-only market order of the whole position) at ``event_time + exit_after_s``, or earlier when the mid
reaches the stop-loss (``-stop_loss_pct`` from the entry price, default -3 %) or the take-profit
(``+take_profit_pct``, default +5 %), signed by the direction. Every decision (enter, skip with the failed filter,
close with its reason) is a :class:`~actors.orders.Signal`. The clock is ``ctx.now_ns``; no wall clock. Held size
and entry price come from ``ctx.positions`` (the strategy's own record of the entry fill is only a fallback), so a
restarted instance still exits on time.

Calendar (``data/calendar/sample_events.csv``): CSV, ``#`` lines are comments, header
``event_id,instrument_id,event_time_utc,event_size_pct_supply,description``; ``event_time_utc`` is ISO 8601 in UTC
(``2024-08-09T00:00:00Z``); ``event_size_pct_supply`` a decimal percentage of circulating supply. The file is read
once when the strategy is built (:func:`load_calendar`), never inside a callback.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from actors.errors import ConfigError
from actors.fixedpoint import fixed_to_decimal
from actors.messages import BookView, Trade
from actors.orders import Fill, IntentAction, OrderEvent, OrderIntent, OrderType, Side, Signal, TimeInForce
from strategies.base import Action, StrategyContext, size_to_fixed
from strategies.registry import register

__all__ = ["ScheduledEvent", "ScheduledEventParams", "ScheduledEventStrategy", "load_calendar", "parse_calendar"]

ROOT = Path(__file__).resolve().parents[1]
_COLUMNS = ["event_id", "instrument_id", "event_time_utc", "event_size_pct_supply", "description"]


class ScheduledEventParams(BaseModel):
    """Parameters of ``scheduled_event`` (times in seconds, percentages in percent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calendar_path: str = Field("data/calendar/sample_events.csv", description="Calendar CSV (relative: repo root)")
    direction: Literal["long", "short"] = Field("long", description="Side of the position taken before an event")
    entry_before_s: float = Field(120.0, gt=0, description="Enter this long before the event (s)")
    exit_after_s: float = Field(120.0, ge=0, description="Exit this long after the event (s)")
    stop_loss_pct: float = Field(3.0, gt=0, description="Exit when the mid is this far against the entry (%)")
    take_profit_pct: float = Field(5.0, gt=0, description="Exit when the mid is this far in favour (%)")
    capital_fraction: Decimal = Field(Decimal("0.10"), gt=0, le=1, description="Share of allocated capital per trade")
    min_event_size_pct: float = Field(0.5, ge=0, description="Smallest event size to trade (% of supply)")
    volume_window_s: float = Field(300.0, gt=0, description="Window of the recent-volume filter (s)")
    min_recent_volume: Decimal = Field(Decimal("10"), ge=0, description="Least volume in the window (base units)")
    trend_window_s: float = Field(300.0, gt=0, description="Window of the recent-trend filter (s)")
    max_adverse_trend_pct: float = Field(0.5, ge=0, description="Largest move against the direction in the window (%)")


@dataclass(frozen=True)
class ScheduledEvent:
    """One calendar row. ``event_ns``: event time (ns since the epoch, UTC); size in % of supply."""

    event_id: str
    instrument_id: str
    event_ns: int
    event_size_pct_supply: Decimal
    description: str = ""


def parse_calendar(text: str, source: str = "calendar") -> list[ScheduledEvent]:
    """Parse calendar CSV text (see the module docstring). Raises ConfigError naming the line and the field."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if reader.fieldnames is None or list(reader.fieldnames)[:4] != _COLUMNS[:4]:
        raise ConfigError(f"{source}: header must be {','.join(_COLUMNS)}, got {reader.fieldnames}")
    events = []
    for n, row in enumerate(reader, start=2):
        try:
            when = datetime.fromisoformat(row["event_time_utc"].replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            size = Decimal(row["event_size_pct_supply"])
        except (ValueError, InvalidOperation, AttributeError) as exc:
            raise ConfigError(f"{source}: data row {n - 1}: bad event_time_utc or event_size_pct_supply "
                              f"({exc})") from None
        seconds = int(when.timestamp())
        events.append(ScheduledEvent(row["event_id"], row["instrument_id"], seconds * 10**9 + when.microsecond * 1000,
                                     size, row.get("description") or ""))  # fmt: skip
    return events


def load_calendar(path: str | Path) -> list[ScheduledEvent]:
    """Read a calendar file (relative paths from the repository root). Raises ConfigError: missing or invalid."""
    p = Path(path)
    p = p if p.is_absolute() else ROOT / p
    try:
        return parse_calendar(p.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"calendar {path}: cannot be read ({exc})") from None


class ScheduledEventStrategy:
    """See the module docstring. Args: strategy_id, instrument ids traded, events, params."""

    kind = "scheduled_event"

    def __init__(self, strategy_id: str, instruments: Sequence[str], events: Sequence[ScheduledEvent],
                 params: ScheduledEventParams) -> None:  # fmt: skip
        self.strategy_id = strategy_id
        self._instruments = list(instruments)
        self.events = [e for e in events if e.instrument_id in self._instruments]
        self.params = params
        self.status: dict[str, str] = {e.event_id: "pending" for e in self.events}
        self.reasons: dict[str, str] = {}
        self._mids = {i: deque() for i in self._instruments}  # (ts_event, mid Decimal), one per second
        self._trades = {i: deque() for i in self._instruments}  # (ts, size Decimal)
        self._volume = {i: Decimal(0) for i in self._instruments}
        self._entry_price: dict[str, Decimal] = {}
        self._pending: dict[str, int] = {}  # client id -> ts sent

    def instruments(self) -> list[str]:
        return list(self._instruments)

    def update_params(self, params: ScheduledEventParams) -> None:
        """Apply new params (the calendar is not re-read)."""
        self.params = params

    def on_book(self, view: BookView, ctx: StrategyContext) -> list[Action]:
        mids = self._mids.get(view.instrument_id)
        if mids is None or not view.ready or not view.bids or not view.asks:
            return []
        if not mids or view.ts_event - mids[-1][0] >= 1_000_000_000:
            mids.append((view.ts_event, view.mid()))
            while view.ts_event - mids[0][0] > self.params.trend_window_s * 1e9:
                mids.popleft()
        return self._step(ctx)

    def on_trade(self, trade: Trade, ctx: StrategyContext) -> list[Action]:
        trades = self._trades.get(trade.instrument_id)
        if trades is not None:
            size = fixed_to_decimal(trade.size, trade.size_decimals)
            trades.append((trade.ts_recv, size))
            self._volume[trade.instrument_id] += size
            while trade.ts_recv - trades[0][0] > self.params.volume_window_s * 1e9:
                self._volume[trade.instrument_id] -= trades.popleft()[1]
        return []

    def on_order_event(self, event: OrderEvent, ctx: StrategyContext) -> list[Action]:
        order = event.order
        if not order.is_open:
            self._pending.pop(order.client_order_id, None)
            if order.tag == "event-entry" and order.avg_fill_price is not None:
                self._entry_price[order.instrument_id] = order.avg_fill_price
        return []

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> list[Action]:
        return []

    def on_timer(self, ctx: StrategyContext) -> list[Action]:
        return self._step(ctx)

    def summary(self) -> dict:
        return {"strategy_id": self.strategy_id, "kind": self.kind,
                "events": {e.event_id: {"status": self.status[e.event_id], "reason": self.reasons.get(e.event_id, "")}
                           for e in self.events}}  # fmt: skip

    # --- decisions --------------------------------------------------------------------------------------------
    def _step(self, ctx: StrategyContext) -> list[Action]:
        p, now = self.params, ctx.now_ns
        self._pending = {c: ts for c, ts in self._pending.items() if now - ts < 2_000_000_000}
        out: list[Action] = []
        for ev in self.events:
            state = self.status[ev.event_id]
            iid = ev.instrument_id
            view = ctx.books.get(iid)
            if view is None or not view.ready or not view.bids or not view.asks:
                continue
            pos = ctx.positions.get(iid)
            held = pos.size if pos is not None else 0
            if state == "pending" and now >= ev.event_ns - p.entry_before_s * 1e9:
                if now >= ev.event_ns:
                    self._set(ev, "missed", "entry time passed before a usable book")
                else:
                    out.extend(self._enter(ev, view, ctx))
            elif state == "entered" and held and not self._pending:
                out.extend(self._maybe_exit(ev, view, held, pos, ctx))
            elif state == "entered" and not held and not self._pending and now >= ev.event_ns + p.exit_after_s * 1e9:
                self._set(ev, "exited", "flat after the exit time")
        return out

    def _set(self, ev: ScheduledEvent, status: str, reason: str) -> None:
        self.status[ev.event_id], self.reasons[ev.event_id] = status, reason

    def _enter(self, ev: ScheduledEvent, view: BookView, ctx: StrategyContext) -> list[Action]:
        p, iid = self.params, ev.instrument_id
        spec = ctx.specs[iid]
        long = p.direction == "long"
        failed = []
        if ev.event_size_pct_supply < Decimal(str(p.min_event_size_pct)):
            failed.append(f"event size {ev.event_size_pct_supply} % < {p.min_event_size_pct} %")
        if self._volume[iid] < p.min_recent_volume:
            failed.append(f"recent volume {self._volume[iid]} < {p.min_recent_volume} in {p.volume_window_s:g} s")
        mids = self._mids[iid]
        trend_pct = (mids[-1][1] / mids[0][1] - 1) * 100 if mids else Decimal(0)
        adverse = -trend_pct if long else trend_pct
        if adverse > Decimal(str(p.max_adverse_trend_pct)):
            failed.append(f"trend {trend_pct:+.4f} % over {p.trend_window_s:g} s against a {p.direction}")
        side = Side.BUY if long else Side.SELL
        price = fixed_to_decimal(view.asks[0][0] if long else view.bids[0][0], view.price_decimals)
        capital = Decimal(str(ctx.allocated_capital))
        size = size_to_fixed(capital * p.capital_fraction / price, spec)
        if size <= 0:
            failed.append(f"size rounds to 0 (capital {capital})")
        if not ctx.trading_enabled:
            failed.append("trading disabled")
        sign = 1 if long else -1
        sl = price * (1 - sign * Decimal(str(p.stop_loss_pct)) / 100)
        tp = price * (1 + sign * Decimal(str(p.take_profit_pct)) / 100)
        reasoning = (f"event {ev.event_id} ({ev.event_size_pct_supply} % of supply) in "
                     f"{(ev.event_ns - ctx.now_ns) / 1e9:.0f} s; volume {self._volume[iid]}, "
                     f"trend {trend_pct:+.4f} %")  # fmt: skip
        if failed:
            self._set(ev, "skipped", "; ".join(failed))
            return [Signal(self.strategy_id, iid, "skip", 0.0, ctx.now_ns, f"{reasoning}; blocked: {'; '.join(failed)}",
                           entry=price, stop_loss=sl, take_profit=tp)]  # fmt: skip
        self._set(ev, "entered", reasoning)
        cid = ctx.next_client_order_id("event-entry")
        self._pending[cid] = ctx.now_ns
        intent = OrderIntent(IntentAction.SUBMIT, self.strategy_id, cid, iid, spec.price_decimals, spec.size_decimals,
                             side, OrderType.MARKET, size, None, None, TimeInForce.IOC, False, None, ctx.now_ns,
                             "event-entry")  # fmt: skip
        return [intent, Signal(self.strategy_id, iid, "buy" if long else "sell", 1.0, ctx.now_ns, reasoning,
                               entry=price, stop_loss=sl, take_profit=tp,
                               size=fixed_to_decimal(size, spec.size_decimals), executed=True)]  # fmt: skip

    def _maybe_exit(self, ev, view, held, pos, ctx) -> list[Action]:
        p, iid = self.params, ev.instrument_id
        entry = pos.avg_entry_price or self._entry_price.get(iid)
        mid = view.mid()
        reason = ""
        if entry:
            pnl_pct = (mid / entry - 1) * 100 * (1 if held > 0 else -1)
            if pnl_pct <= -Decimal(str(p.stop_loss_pct)):
                reason = f"stop_loss: {pnl_pct:+.4f} % from entry {entry}"
            elif pnl_pct >= Decimal(str(p.take_profit_pct)):
                reason = f"take_profit: {pnl_pct:+.4f} % from entry {entry}"
        if not reason and ctx.now_ns >= ev.event_ns + p.exit_after_s * 1e9:
            reason = f"time: {p.exit_after_s:g} s after the event"
        if not reason:
            return []
        spec = ctx.specs[iid]
        self._set(ev, "exited", reason)
        cid = ctx.next_client_order_id("event-exit")
        self._pending[cid] = ctx.now_ns
        side = Side.SELL if held > 0 else Side.BUY
        return [OrderIntent(IntentAction.SUBMIT, self.strategy_id, cid, iid, spec.price_decimals, spec.size_decimals,
                            side, OrderType.MARKET, abs(held), None, None, TimeInForce.IOC, True, None, ctx.now_ns,
                            "event-exit"),
                Signal(self.strategy_id, iid, "close", 1.0, ctx.now_ns, f"event {ev.event_id}: {reason}", entry=mid,
                       size=fixed_to_decimal(abs(held), spec.size_decimals), executed=True)]  # fmt: skip


def _build(strategy_id: str, instruments: Sequence[str], params: ScheduledEventParams) -> ScheduledEventStrategy:
    events = load_calendar(params.calendar_path)
    ids = list(instruments) or sorted({e.instrument_id for e in events})
    return ScheduledEventStrategy(strategy_id, ids, events, params)


register("scheduled_event", ScheduledEventParams, _build)
