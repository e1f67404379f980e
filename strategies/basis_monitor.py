"""Basis monitor: the mid-price basis between a spot book and perpetual books, over time. Pure.

``basis = mid(spot) - mid(perp)`` in quote currency (USD/USDT per BTC; COIN-M quotes BTCUSD_PERP in USD per BTC,
so mids compare directly even though its sizes are contracts).

Alignment: an as-of join on the venues' event clock (``ts_event``; one operator, Binance, so one clock). Every view
of either book is a sample point ``t``; the sample is taken once both books have been seen at or past ``t``, with
each book's mid as of ``t`` (its last view with ``ts_event <= t``). A side whose as-of mid is older than
``max_skew_ms`` at ``t`` makes the point ``skipped``. Our own receive times are not a common clock once a replay
runs venues faster than real time, each at its own pace, which is why event time is used. Prices stay exact
(Decimal); the summary reports mean / min / max / last per pair as strings.

Protocol: a :class:`~strategies.base.Strategy` of kind ``basis_monitor`` that never trades (every callback returns
no actions). :meth:`BasisMonitor.add_view` returns the samples a view resolved, so a trading strategy
(:mod:`strategies.basis_arbitrage`) reuses the same as-of join for its expected basis.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from actors.errors import ConfigError
from actors.messages import BookView, Trade
from actors.orders import Fill, OrderEvent
from strategies.base import Action, StrategyContext
from strategies.registry import register

__all__ = ["BasisMonitor", "BasisMonitorParams", "BasisStats"]


class BasisMonitorParams(BaseModel):
    """Parameters of ``basis_monitor`` (the instruments are the strategy's: spot first, then the perps)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_skew_ms: float = Field(1000.0, gt=0, description="Largest age of an as-of mid (ms, event clock)")


@dataclass
class BasisStats:
    """Running statistics of one pair's basis (exact)."""

    count: int = 0
    total: Decimal = Decimal(0)
    min: Decimal | None = None
    max: Decimal | None = None
    last: Decimal | None = None
    skipped: int = 0

    def add(self, value: Decimal) -> None:
        self.count += 1
        self.total += value
        self.last = value
        self.min = value if self.min is None or value < self.min else self.min
        self.max = value if self.max is None or value > self.max else self.max

    def summary(self) -> dict:
        mean = self.total / self.count if self.count else None
        q = Decimal("0.0001")
        fmt = lambda v: None if v is None else str(v.quantize(q))  # noqa: E731
        return {"samples": self.count, "skipped": self.skipped, "mean": fmt(mean), "min": fmt(self.min),
                "max": fmt(self.max), "last": fmt(self.last)}  # fmt: skip


class _History:
    """One book's mids by event time (ascending), bounded."""

    __slots__ = ("ts", "mids", "latest", "max_entries")

    def __init__(self, max_entries: int = 100_000) -> None:
        self.ts: list[int] = []
        self.mids: list[Decimal | None] = []
        self.latest = -1
        self.max_entries = max_entries

    def add(self, ts_event: int, mid: Decimal | None) -> None:
        if ts_event < self.latest:
            return  # a view older than one already seen (conflation keeps order per book; be safe)
        self.ts.append(ts_event)
        self.mids.append(mid)
        self.latest = ts_event
        if len(self.ts) > self.max_entries:  # bounded: keep the newer half
            del self.ts[: self.max_entries // 2], self.mids[: self.max_entries // 2]

    def as_of(self, t: int) -> tuple[int, Decimal | None] | None:
        i = bisect_right(self.ts, t) - 1
        return None if i < 0 else (self.ts[i], self.mids[i])


class BasisMonitor:
    """Tracks ``mid(spot) - mid(perp)`` for each perp.

    Args:
        spot: the spot instrument id (``BTCUSDT.BINANCE``).
        perps: perpetual instrument ids (``BTCUSDT.BINANCE_USDM``, ``BTCUSD_PERP.BINANCE_COINM``).
        max_skew_ms: largest age of an as-of mid at a sample point, on the event clock (ms).
        strategy_id: the instance's id.
    """

    name = kind = "basis_monitor"
    wants_trades = False  # decides on book views only: its host does not subscribe it to trades

    def __init__(self, spot: str, perps: Sequence[str], max_skew_ms: float = 1000.0,
                 strategy_id: str = "basis") -> None:  # fmt: skip
        self.strategy_id = strategy_id
        self.params = BasisMonitorParams(max_skew_ms=max_skew_ms)
        self.spot = spot
        self.perps = list(perps)
        self.max_skew_ns = int(max_skew_ms * 1_000_000)
        self._history = {i: _History() for i in (spot, *self.perps)}
        self._pending: dict[str, list[int]] = {p: [] for p in self.perps}  # heaps of sample points
        self.stats = {p: BasisStats() for p in self.perps}
        self.views = 0

    def instruments(self) -> list[str]:
        return [self.spot, *self.perps]

    def add_view(self, view: BookView) -> list[tuple[str, int, Decimal]]:
        """Record one view; returns the samples it resolved: ``(perp, t_event_ns, basis)``, basis exact (quote/BTC)."""
        history = self._history.get(view.instrument_id)
        if history is None or not view.ts_event:
            return []
        self.views += 1
        history.add(view.ts_event, view.mid() if view.ready else None)
        pairs = self.perps if view.instrument_id == self.spot else [view.instrument_id]
        out: list[tuple[str, int, Decimal]] = []
        for perp in pairs:
            heapq.heappush(self._pending[perp], view.ts_event)
            self._resolve(perp, out)
        return out

    def on_book(self, view: BookView, ctx: StrategyContext | None = None) -> list[Action]:
        """Sample the basis; never trades."""
        self.add_view(view)
        return []

    def on_trade(self, trade: Trade, ctx: StrategyContext) -> list[Action]:
        return []

    def on_order_event(self, event: OrderEvent, ctx: StrategyContext) -> list[Action]:
        return []

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> list[Action]:
        return []

    def on_timer(self, ctx: StrategyContext) -> list[Action]:
        return []

    def update_params(self, params: BasisMonitorParams) -> None:
        """Apply new validated params (the skew bound applies to points resolved from now on)."""
        self.params = params
        self.max_skew_ns = int(params.max_skew_ms * 1_000_000)

    def summary(self) -> dict:
        return {"strategy": self.name, "strategy_id": self.strategy_id, "kind": self.kind, "views": self.views,
                "basis": {f"{self.spot} - {p}": s.summary() for p, s in self.stats.items()}}  # fmt: skip

    def _resolve(self, perp: str, out: list[tuple[str, int, Decimal]]) -> None:
        spot, other, pending, stats = self._history[self.spot], self._history[perp], self._pending[perp], self.stats[perp]
        horizon = min(spot.latest, other.latest)
        while pending and pending[0] <= horizon:
            t = heapq.heappop(pending)
            a, b = spot.as_of(t), other.as_of(t)
            if a is None or b is None or a[1] is None or b[1] is None or t - min(a[0], b[0]) > self.max_skew_ns:
                stats.skipped += 1
                continue
            stats.add(a[1] - b[1])
            out.append((perp, t, a[1] - b[1]))


def _build(strategy_id: str, instruments: Sequence[str], params: BasisMonitorParams) -> BasisMonitor:
    ids = list(instruments) or ["BTCUSDT.BINANCE", "BTCUSDT.BINANCE_USDM", "BTCUSD_PERP.BINANCE_COINM"]
    if len(ids) < 2:
        raise ConfigError(f"strategy {strategy_id!r} (basis_monitor) needs a spot and at least one perp: {ids}")
    return BasisMonitor(ids[0], ids[1:], params.max_skew_ms, strategy_id)


register("basis_monitor", BasisMonitorParams, _build)
