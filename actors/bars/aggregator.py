"""Pure time-bar aggregation: trades in, OHLCV + VWAP + count bars out, exact.

Rules (the issue's, and what Binance klines and Polygon aggregates do):

* **Alignment**: a trade belongs to the interval ``[start, start + interval)`` with
  ``start = ts_event - ts_event % interval`` (UTC, epoch-aligned; :mod:`actors.bars.bar`). ``ts_event`` is the
  venue's trade time (Binance ``T``, "Trade time", Binance Spot API docs, "Trade Streams"), never our receive time.
* **Order**: trades are taken in the order the venue sent them: ``open`` is the first trade of the interval in that
  order, ``close`` the last; ``high``/``low`` the extremes; ``volume`` the sum of sizes; ``notional`` the sum of
  ``price * size`` (exact ints); ``trades`` the count; VWAP = notional / volume rounded half-even to the price's
  decimals + 4 (:meth:`~actors.bars.bar.Bar.vwap`).
* **Closing**: the open bar closes when the first trade of a later interval arrives, or when
  :meth:`BarAggregator.advance` is told that event time reached ``end + grace_ns`` (e.g. from the instrument's
  depth or quote events, whose venue time also moves on when nobody trades). ``grace_ns`` (default 0) leaves room
  for a trade whose venue time lags another stream's.
* **Empty intervals**: no bar (Polygon: "If there are no trades in a window, no aggregate is produced"); a
  consumer that wants a continuous series fills them with the previous close and zero volume.
* **Late trades**: a trade whose ``ts_event`` lies before the open bar's interval (its bar already closed, or the
  venue's clock stepped back) is not folded into any bar; it is counted in :attr:`BarAggregator.late_trades`
  (a trade without a venue time, ``ts_event`` 0, in :attr:`BarAggregator.untimed_trades`).

No I/O, no clock, no Ray: the aggregators are driven by the trades and event times they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from actors.bars.bar import Bar, interval_ns
from actors.messages import Trade

__all__ = ["BarAggregator", "BarBuilder", "bars_from_trades"]


class BarAggregator:
    """Time bars of one instrument at one interval.

    Args:
        instrument_id: the instrument (trades of others are a bug: :class:`ValueError`).
        interval: ``"1s"``, ``"1m"``, ``"5m"``, ``"15m"``, ``"1h"``, ``"4h"`` or ``"1d"``.
        grace_ns: how far event time must pass a boundary before :meth:`advance` closes the bar (ns, default 0).

    Raises (constructor):
        ConfigError: unknown interval.

    Attributes:
        late_trades: trades dropped because their interval had already closed.
        untimed_trades: trades without a venue time (``ts_event`` 0), which no interval can hold (dropped).
        closed_bars: bars closed so far.
    """

    __slots__ = ("instrument_id", "interval", "length", "grace_ns", "late_trades", "untimed_trades", "closed_bars",
                 "_start", "_open", "_high", "_low", "_close", "_volume", "_notional", "_trades", "_pd", "_sd", "_ts_event",
                 "_ts_recv", "_floor")  # fmt: skip

    def __init__(self, instrument_id: str, interval: str, grace_ns: int = 0) -> None:
        self.instrument_id = instrument_id
        self.interval = interval
        self.length = interval_ns(interval)
        self.grace_ns = grace_ns
        self.late_trades = 0
        self.untimed_trades = 0
        self.closed_bars = 0
        self._start = -1  # -1: no open bar
        self._floor = -1  # trades before this start are late (their interval has closed)
        self._open = self._high = self._low = self._close = self._volume = self._notional = self._trades = 0
        self._pd = self._sd = -1  # the scales, from the first trade
        self._ts_event = self._ts_recv = 0

    def on_trade(self, trade: Trade) -> Bar | None:
        """Add one trade; return the bar it closed (the previous interval's), if any.

        Raises:
            ValueError: the trade is of another instrument, or its scales differ from earlier trades' (a bug).
        """
        if trade.instrument_id != self.instrument_id:
            raise ValueError(f"{self.instrument_id} aggregator got a trade of {trade.instrument_id}")
        ts = trade.ts_event
        if ts <= 0:  # no venue time: it cannot be placed in an interval
            self.untimed_trades += 1
            return None
        start = ts - ts % self.length
        if start < self._floor or (self._start >= 0 and start < self._start):
            self.late_trades += 1
            return None
        closed = None
        if self._start >= 0 and start > self._start:
            closed = self._close_bar()
        price, size = trade.price, trade.size
        if self._start < 0:
            if self._pd < 0:
                self._pd, self._sd = trade.price_decimals, trade.size_decimals
            elif (trade.price_decimals, trade.size_decimals) != (self._pd, self._sd):
                raise ValueError(f"{self.instrument_id}: trade scales changed")
            self._start = start
            self._open = self._high = self._low = price
            self._volume = self._notional = self._trades = 0
        elif price > self._high:
            self._high = price
        elif price < self._low:
            self._low = price
        self._close = price
        self._volume += size
        self._notional += price * size
        self._trades += 1
        self._ts_event, self._ts_recv = ts, trade.ts_recv
        return closed

    def advance(self, ts_event: int) -> Bar | None:
        """Event time (ns, the venue's) reached ``ts_event``: close and return the open bar if its interval ended
        at least ``grace_ns`` before it; else None. A ``ts_event`` of 0 (unknown) never closes a bar."""
        if self._start >= 0 and ts_event > 0 and ts_event >= self._start + self.length + self.grace_ns:
            return self._close_bar()
        return None

    def current(self) -> Bar | None:
        """The open bar as it stands (``closed`` False), or None when no trade arrived since the last close."""
        if self._start < 0:
            return None
        return self._bar(closed=False)

    def _close_bar(self) -> Bar:
        bar = self._bar(closed=True)
        self._floor = self._start + self.length
        self._start = -1
        self.closed_bars += 1
        return bar

    def _bar(self, closed: bool) -> Bar:
        return Bar(self.instrument_id, self.interval, self._start, self._open, self._high, self._low, self._close,
                   self._volume, self._notional, self._trades, self._pd, self._sd, closed, self._ts_event,
                   self._ts_recv)  # fmt: skip


class BarBuilder:
    """Bars of many instruments at several intervals, from mixed market events.

    Args:
        intervals: the intervals to build for every instrument (``("1m",)``, ``("1s", "1m", "1h")``, ...).
        grace_ns: see :class:`BarAggregator`.

    Raises (constructor):
        ConfigError: an unknown interval.
    """

    def __init__(self, intervals: Sequence[str], grace_ns: int = 0) -> None:
        for interval in intervals:
            interval_ns(interval)
        self.intervals = tuple(dict.fromkeys(intervals))
        self.grace_ns = grace_ns
        self.aggregators: dict[tuple[str, str], BarAggregator] = {}

    def add_intervals(self, intervals: Sequence[str]) -> None:
        """Also build ``intervals`` from now on (their first bar starts with the next trade).

        Raises:
            ConfigError: an unknown interval.
        """
        for interval in intervals:
            interval_ns(interval)
        self.intervals = tuple(dict.fromkeys((*self.intervals, *intervals)))

    def on_events(self, events: Iterable[object]) -> list[Bar]:
        """Feed one batch of market events in arrival order; return the bars it closed, in closing order.

        Trades are aggregated in order. Any other event with an ``instrument_id`` and a non-zero ``ts_event``
        (depth diffs, quotes) moves its instrument's event time; the latest such time of the batch is applied
        after the batch's trades (:meth:`BarAggregator.advance`), so a trade that comes a little after another
        stream's event of the same instant is not made late. Events without those attributes are ignored.
        """
        closed: list[Bar] = []
        event_time: dict[str, int] = {}
        for event in events:
            if type(event) is Trade:
                for agg in self._aggregators(event.instrument_id):
                    bar = agg.on_trade(event)
                    if bar is not None:
                        closed.append(bar)
                continue
            ts = getattr(event, "ts_event", 0)
            if ts:
                iid = getattr(event, "instrument_id", None)
                if iid is not None and ts > event_time.get(iid, 0):
                    event_time[iid] = ts
        for iid, ts in event_time.items():
            for interval in self.intervals:
                agg = self.aggregators.get((iid, interval))
                bar = agg.advance(ts) if agg is not None else None
                if bar is not None:
                    closed.append(bar)
        return closed

    def current(self) -> list[Bar]:
        """Every open bar (``closed`` False), by instrument then interval as first seen."""
        return [bar for agg in self.aggregators.values() if (bar := agg.current()) is not None]

    @property
    def late_trades(self) -> int:
        """Late trades over every aggregator (see :class:`BarAggregator`)."""
        return sum(agg.late_trades for agg in self.aggregators.values())

    def _aggregators(self, instrument_id: str) -> list[BarAggregator]:
        out = []
        for interval in self.intervals:
            agg = self.aggregators.get((instrument_id, interval))
            if agg is None:
                agg = self.aggregators[(instrument_id, interval)] = BarAggregator(instrument_id, interval,
                                                                                  self.grace_ns)
            out.append(agg)
        return out


def bars_from_trades(trades: Iterable[Trade], interval: str, include_open: bool = True) -> list[Bar]:
    """Every bar of ``trades`` (any instruments, arrival order) at one interval, by closing order; the still-open
    bars last (``closed`` False) when ``include_open``.

    Raises:
        ConfigError: unknown interval.
    """
    builder = BarBuilder((interval,))
    bars = builder.on_events(trades)
    if include_open:
        bars.extend(builder.current())
    return bars
