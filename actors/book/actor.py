"""BookActor: holds the exact books of one or more instruments and publishes views to subscribers. Thin.

``apply(batch)`` hands the feed's sequenced events to :class:`~actors.book.keeper.BookKeeper`, records
frame-to-book latency (``ts_recv`` -> applied) in Ray metrics, and publishes one
:class:`~actors.messages.BookView` per changed instrument to each subscriber of that instrument, as
``subscriber.on_views(views, trades)``. Views are conflated: at most ``max_in_flight`` unacknowledged publishes per
subscriber; while a subscriber is busy only its latest views wait (a slow strategy sees fresh books, never a growing
queue). Trades are not conflated for subscribers that asked for them: every trade since the last publish goes with
the next one (bounded at ``trades_buffer`` per subscriber; the oldest beyond it are dropped and counted). Returns
the instruments found crossed, so the feed resyncs them.

Bars (:mod:`actors.bars.aggregator`): the actor builds time bars of every instrument it holds from the trades in
its batches, at ``bar_intervals`` plus any interval a subscriber asks for; a bar closes on the next interval's
first trade or when the instrument's venue time (depth/quote ``ts_event``) is ``bar_close_grace_ms`` past its end.
The last ``bars_history`` closed bars per instrument and interval are kept for ``bars()`` (``GET /bars``). A
subscriber that asked for bars (``subscribe(..., bars=("1m",))``) gets every closed bar of those intervals with
its next publish, unconflated, as a third argument: ``on_views(views, trades, bars)``.

Subscribers are keyed by name: subscribing again under the same name (a restarted strategy) replaces the old
handle; a subscriber whose calls fail is dropped until it subscribes again (the supervisor re-subscribes it).

Fan-out (``fanout``, config ``[books] fanout``): ``"value"`` sends each subscriber its own copy of its views,
trades and bars (serialized once per subscriber); ``"ref"`` groups the subscribers due in one publish by what
they would get (same instruments pending, depth, trades and bars) and, for a group of two or more, ``ray.put``-s
the payload once and hands each the same ``ObjectRef`` values (serialized once, fetched once per node; Ray resolves
top-level ``ObjectRef`` arguments before the call, so subscribers see plain lists either way). A lone subscriber
is sent by value in both modes. The actor keeps no ref after the call: the object is freed once every receiver's
call is done (``scripts/bench_cluster.py`` samples the object store over a long run).

It is a synchronous actor (one call at a time): batches from one feed apply in the order they were sent.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence

from actors.bars.aggregator import BarBuilder
from actors.bars.bar import Bar, interval_ns
from actors.book.keeper import BookKeeper
from actors.errors import ConfigError
from actors.instruments import InstrumentSpec, specs_by_id
from actors.messages import BookView, EventBatch, Trade
from actors.metrics import latency_histogram, percentiles_ms

__all__ = ["BookActor"]


class _Subscriber:
    __slots__ = ("name", "handle", "instruments", "depth", "in_flight", "pending", "sent", "dropped", "want_trades",
                 "trades", "trades_dropped", "errors", "min_interval_ns", "last_sent_ns", "bar_intervals", "bars")  # fmt: skip

    def __init__(self, name: str, handle, instruments: set[str], depth: int, want_trades: bool,
                 min_interval_ms: float = 0.0, bar_intervals: Sequence[str] = ()) -> None:  # fmt: skip
        self.bar_intervals = frozenset(bar_intervals)
        self.bars: list[Bar] = []
        self.min_interval_ns = int(min_interval_ms * 1e6)
        self.last_sent_ns = 0
        self.name = name
        self.handle = handle
        self.instruments = instruments
        self.depth = depth
        self.in_flight: list = []
        self.pending: dict[str, None] = {}  # instruments with a newer view to send
        self.sent = 0
        self.dropped = 0
        self.want_trades = want_trades
        self.trades: list[Trade] = []
        self.trades_dropped = 0
        self.errors = 0


class BookActor:
    """Books for ``instrument_ids``.

    Args:
        name: the actor's name (for status).
        instrument_ids: ``SYMBOL.VENUE`` ids held here.
        max_in_flight: unacknowledged publishes per subscriber before views are conflated.
        bar_intervals: bar intervals built for every instrument (``"1m"``, ...; see :mod:`actors.bars.bar`).
        bars_history: closed bars kept per instrument and interval for :meth:`bars`.
        bar_close_grace_ms: how far venue time must pass a bar's end before it closes without a trade (ms).
        specs: instrument specs loaded from the venue (:mod:`actors.feed.instrument_specs`); others: ``spec_for``.
        fanout: ``"value"`` or ``"ref"`` (see the module docstring).
        put: stores a shared payload once (default ``ray.put``; unit tests pass their own).

    Raises:
        ConfigError: ``fanout`` is neither ``"value"`` nor ``"ref"``.

    Raises (constructor):
        ConfigError: an unknown bar interval.
    """

    def __init__(self, name: str, instrument_ids: Sequence[str], max_in_flight: int = 1,
                 trades_buffer: int = 10_000, bar_intervals: Sequence[str] = ("1m",), bars_history: int = 1000,
                 bar_close_grace_ms: float = 1000.0, fanout: str = "value", put=None,
                 specs: Sequence[InstrumentSpec] = ()) -> None:  # fmt: skip
        if fanout not in ("value", "ref"):
            raise ConfigError(f"books.fanout: expected 'value' or 'ref', got {fanout!r}")
        self.fanout = fanout
        self._put = put
        self.shared_puts = 0  # payloads put once for a group of subscribers (fanout "ref")
        self.name = name
        self.bar_builder = BarBuilder(bar_intervals, int(bar_close_grace_ms * 1e6))
        self.bars_history = bars_history
        self._bars: dict[tuple[str, str], deque[Bar]] = {}
        self.trades_buffer = trades_buffer
        specs = list(specs_by_id(instrument_ids, specs).values())
        self.keeper = BookKeeper(specs)
        self.max_in_flight = max_in_flight
        self._subscribers: dict[str, _Subscriber] = {}
        self._latency = latency_histogram("raytrade_frame_to_book_ms", "Frame receipt to book applied (ms)",
                                          ("role", "instrument"))
        self.batches = 0

    def apply(self, batch: EventBatch) -> list[str]:
        """Apply one feed batch; publish views; return the instruments found crossed (cleared, resync needed)."""
        now = time.time_ns()
        changed, crossed = self.keeper.apply(batch.events, now)
        self.batches += 1
        closed = self.bar_builder.on_events(batch.events)
        for bar in closed:
            history = self._bars.get((bar.instrument_id, bar.interval))
            if history is None:
                history = self._bars[(bar.instrument_id, bar.interval)] = deque(maxlen=self.bars_history)
            history.append(bar)
        if self._latency is not None and batch.events:
            sampled = [e for e in batch.events[:: max(1, len(batch.events) // 20)] if hasattr(e, "ts_recv")]
            for e in sampled:
                tags = {"role": "book", "instrument": getattr(e, "instrument_id", "")}
                self._latency.observe((now - e.ts_recv) / 1e6, tags=tags)
        if self._subscribers:
            trades = [e for e in batch.events if type(e) is Trade]
            self._publish(changed, trades, closed)
        return crossed

    def subscribe(self, name: str, handle, instrument_ids: Sequence[str], depth: int = 10,
                  trades: bool = False, min_interval_ms: float = 0.0, bars: Sequence[str] = ()) -> list[str]:  # fmt: skip
        """Send views of ``instrument_ids`` (those held here) to ``handle.on_views(list[BookView], list[Trade])``.

        Args:
            name: the subscriber's name; a second subscription under it replaces the first.
            handle: the subscriber's actor handle.
            depth: levels per side in its views.
            trades: also send every public trade of those instruments (unconflated, bounded).
            min_interval_ms: publish to this subscriber at most this often (ms; 0: after every batch). The risk
                gate marks its portfolio from views and needs no more than a few per second per book.
            bars: bar intervals whose closed bars go with each publish (``on_views(views, trades, bars)``); an
                interval not built yet is built from now on.

        Returns:
            The instruments subscribed (those held by this actor).

        Raises:
            ConfigError: an unknown bar interval.
        """
        if bars:
            self.bar_builder.add_intervals(bars)
        held = {i for i in instrument_ids if i in self.keeper.books}
        sub = _Subscriber(name, handle, held, depth, trades, min_interval_ms, bars)
        self._subscribers[name] = sub
        sub.pending.update(dict.fromkeys(held))
        now = time.time_ns()
        if self._due(sub, now):
            self._send(sub, *self._payload(sub, now))
        return sorted(held)

    def unsubscribe(self, name: str) -> bool:
        """Stop publishing to ``name``. Returns whether it was subscribed."""
        return self._subscribers.pop(name, None) is not None

    def ping(self) -> str:
        """Liveness check (the supervisor polls it)."""
        return self.name

    def view(self, instrument_id: str, depth: int = 10) -> BookView:
        """The current view of one instrument. Raises KeyError when it is not held here."""
        return self.keeper.view(instrument_id, depth, time.time_ns())

    def trades(self, instrument_id: str, limit: int = 100) -> list[Trade]:
        """The last ``limit`` trades, newest last. Raises KeyError when the instrument is not held here."""
        trades = self.keeper.books[instrument_id].trades
        return list(trades)[-limit:] if limit > 0 else []

    def bars(self, instrument_id: str, interval: str = "1m", limit: int = 100) -> list[Bar]:
        """The last ``limit`` bars of an instrument at ``interval``, oldest first; the open bar (``closed`` False),
        when there is one, is the last.

        Raises:
            KeyError: the instrument is not held here. ConfigError: unknown interval.
        """
        interval_ns(interval)
        if instrument_id not in self.keeper.books:
            raise KeyError(instrument_id)
        out = list(self._bars.get((instrument_id, interval), ()))
        agg = self.bar_builder.aggregators.get((instrument_id, interval))
        current = agg.current() if agg is not None else None
        if current is not None:
            out.append(current)
        return out[-limit:] if limit > 0 else []

    def latency_samples(self) -> list[int]:
        """Frame-to-book latency samples (ns), the most recent window."""
        return list(self.keeper.latency_ns)

    def instruments(self) -> list[str]:
        """Instrument ids held here."""
        return list(self.keeper.books)

    def stats(self) -> dict:
        """Per-instrument counters, frame-to-book latency percentiles (ms) and publishing counters."""
        now = time.time_ns()
        samples = sorted(self.keeper.latency_ns)
        return {
            "name": self.name, "batches": self.batches, "events": self.keeper.events,
            "instruments": self.keeper.stats(now), "latency_ms": percentiles_ms(samples),
            "subscribers": [{"name": s.name, "instruments": sorted(s.instruments), "sent": s.sent,
                             "conflated": s.dropped, "trades_dropped": s.trades_dropped, "errors": s.errors}
                            for s in self._subscribers.values()],
        }  # fmt: skip

    # -- publishing ------------------------------------------------------------------------------------------
    def _publish(self, changed: set[str], trades: list[Trade], bars: Sequence[Bar] = ()) -> None:
        now = time.time_ns()
        due: list[_Subscriber] = []
        for sub in list(self._subscribers.values()):
            for iid in changed & sub.instruments:
                if iid in sub.pending:
                    sub.dropped += 1
                sub.pending[iid] = None
            if sub.want_trades and trades:
                sub.trades.extend(t for t in trades if t.instrument_id in sub.instruments)
                excess = len(sub.trades) - self.trades_buffer
                if excess > 0:
                    del sub.trades[:excess]
                    sub.trades_dropped += excess
            if sub.bar_intervals and bars:
                sub.bars.extend(b for b in bars if b.interval in sub.bar_intervals and b.instrument_id in sub.instruments)
            if (sub.pending or sub.trades or sub.bars) and self._due(sub, now):
                due.append(sub)
        if self.fanout == "value":
            for sub in due:
                self._send(sub, *self._payload(sub, now))
            return
        groups: dict[tuple, list[_Subscriber]] = {}
        for sub in due:
            key = (tuple(sorted(sub.pending)), sub.depth, tuple(sub.trades),
                   tuple(sub.bars) if sub.bar_intervals else None)  # fmt: skip
            groups.setdefault(key, []).append(sub)
        for subs in groups.values():
            views, trades_out, bars_out = self._payload(subs[0], now)
            for other in subs[1:]:
                self._payload(other, now, build=False)
            if len(subs) > 1:
                put = self._put or _ray_put()
                views, trades_out = put(views), put(trades_out)
                bars_out = put(bars_out) if bars_out is not None else None
                self.shared_puts += 1
            for sub in subs:
                self._send(sub, views, trades_out, bars_out)

    def _due(self, sub: _Subscriber, now: int) -> bool:
        """Whether ``sub`` gets a publish now: its finished calls are collected (a dead one dropped), at most
        ``max_in_flight`` stay unacknowledged, and a throttled one waits for its interval."""
        if sub.in_flight:
            import ray

            done, sub.in_flight = ray.wait(sub.in_flight, num_returns=len(sub.in_flight), timeout=0)
            for ref in done:
                try:
                    ray.get(ref)
                except Exception:  # noqa: BLE001 - a dead subscriber: drop it until it subscribes again
                    sub.errors += 1
                    if sub.errors >= 3 and self._subscribers.get(sub.name) is sub:
                        del self._subscribers[sub.name]
                        return False
        if len(sub.in_flight) >= self.max_in_flight or not (sub.pending or sub.trades or sub.bars):
            return False
        if sub.min_interval_ns and now - sub.last_sent_ns < sub.min_interval_ns and not sub.bars:
            return False  # throttled: the latest views wait for the next batch past the interval (bars do not)
        return True

    def _payload(self, sub: _Subscriber, now: int, build: bool = True):
        """Take what ``sub`` is due (views built when ``build``), clearing its pending state: ``(views, trades,
        bars or None)``."""
        sub.last_sent_ns = now
        sub.sent += len(sub.pending)
        views = [self.keeper.view(iid, sub.depth, now) for iid in sub.pending] if build else None
        trades, sub.trades = sub.trades, []
        sub.pending.clear()
        bars = None
        if sub.bar_intervals:
            bars, sub.bars = sub.bars, []
        return views, trades, bars

    def _send(self, sub: _Subscriber, views, trades, bars) -> None:
        if bars is not None:
            sub.in_flight.append(sub.handle.on_views.remote(views, trades, bars))
        else:
            sub.in_flight.append(sub.handle.on_views.remote(views, trades))



def _ray_put():
    import ray

    return ray.put
