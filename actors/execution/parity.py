"""Testnet = paper, exactly: one strategy, one recording, driven in lock step through either transport.

Issue 14 asks that a strategy run in ``testnet`` mode against the testnet-mode replay venue give the same orders
and fills as the same run in ``paper`` mode. A ``raytrade run`` at a finite speed cannot (see "Testnet = paper?" in
:mod:`actors.execution.live`): its inputs are timed by wall clocks. This harness removes every wall clock from the
strategy's and the fill model's inputs, so that the transport is the only difference left:

* **One event stream.** The recording's records, one at a time, in order, go through the feed core
  (:class:`~actors.feed.pipeline.FeedPipeline`, the same parser and sync as ``raytrade verify``); the strategy's
  book views come from a :class:`~actors.book.keeper.BookKeeper` over those events, at most one per
  ``view_every_ms`` of recorded time, and ``on_timer`` every ``timer_ms`` of recorded time. ``ctx.now_ns`` is
  the recorded time of the step.
* **Paper** (:class:`PaperSide`): :class:`~actors.execution.transport.PaperTransport` gets the same events
  (``on_market``) and its clock (``advance``) at every timer step.
* **Testnet** (:class:`VenueSide`): :class:`~actors.execution.live.LiveTransport` (real ccxt signing, REST and
  the user-data websocket on loopback) against a paused :class:`~actors.replay.venue.ReplayVenue` in testnet mode
  with ``TestnetConfig(event_clock=True)`` and the paper config's latencies and queue model. Each record is
  dispatched by ``venue.step(1)``; the venue's own tap (the same Binance parser and sync) feeds its own
  ``PaperVenue`` at the record's recorded ``ts_recv``; timer steps call ``advance_to``. Requests reach the model at
  the model clock plus the entry (cancel) latency, and their answers and user-data events are released at
  ``ts_event + response_latency``, as paper releases its events.
* **Lock step.** After every step the harness waits until the testnet pipeline is quiet: every request the client
  has in flight is one the venue holds for a later model time (``client.inflight == exchange.held``), every
  user-data frame the venue pushed was received and handed to the transport. Only then does the recording move.
* **Delivery.** The order events a step released go to the strategy in one canonical order shared by both
  paths: by the creation order of their order (the harness's list of client order ids), each order's events in
  the order its transport applied them (its lifecycle). Within one step the two transports may learn of events in
  different orders (two requests answered together, the REST answer and the stream racing); the set is the same.
  ``ctx.open_orders`` and ``ctx.positions`` are kept from the delivered events, as the strategy host does. The
  intents a callback returns are sent at the step's recorded time, and the harness waits (lock step) before the
  clock moves, so the venue stamps them with that time too.
* **End.** After the last record the strategy stops and one second of recorded time is drained (what was
  travelling lands and is recorded), then every order is read back from its transport.

What is compared (:func:`compare`): the intents (action, client order ids, side, price, size, type, time in
force), every order as its transport knows it at the end (status, filled, average price, fee), the fills in
delivery order (client order id, price, size, fee, liquidity) and the order-event trail (client order id, kind,
reason). Equal means equal, element for element. Timestamps are not compared: the venue speaks milliseconds.

Measured (the market maker with default parameters, paper's default 5 ms latencies, conservative queue model):
over the whole bundled spot capture (99,574 records) both runs make the same 2,078 intents and 881 fills, with 39
post-only refusals and 5 cancels that lost the race to a fill; paper takes 10 s, testnet 232 s (loopback round
trips, one record per step), on 2 shared cores at load 3-5.

Not pure: it opens loopback sockets (venue side). The paper side alone is Ray-free and socket-free.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from actors.book.keeper import BookKeeper
from actors.errors import ConfigError
from actors.execution.paper import PaperConfig
from actors.execution.transport import PaperTransport
from actors.feed.pipeline import FeedPipeline
from actors.instruments import InstrumentSpec
from actors.messages import MarketEvent, Trade
from actors.orders import (
    Fill,
    IntentAction,
    OrderEvent,
    OrderEventKind,
    OrderIntent,
    PositionSnapshot,
    Signal,
)
from actors.replay.source import ReplaySource
from strategies.base import StrategyContext

__all__ = ["ParityRun", "PaperSide", "VenueSide", "compare", "market_maker_parity", "run_lockstep"]

_MS = 1_000_000


@dataclass
class ParityRun:
    """What one lock-step run did (sizes and prices fixed-point at the instrument's decimals).

    Attributes:
        mode: ``paper`` or ``testnet``.
        intents: ``(action, client_order_id, new_client_order_id, side, price, size, order_type, tif)`` in the
            order the strategy made them.
        orders: ``(client_order_id, side, order_type, tif, price, size, status, filled, avg_fill_price, fee)`` of
            every order, as the transport knows it at the end: one second of recorded time after the last record,
            the strategy stopped (no new intents), so that every answer still travelling has landed.
        fills: ``(client_order_id, price, size, fee, liquidity)`` in delivery order.
        events: ``(client_order_id, kind, reason)`` of every order event delivered, in delivery order.
        deliveries: ``(recorded time of the step, client_order_id, kind)`` per delivered event (diagnostics: when
            the strategy learnt of it; not compared, see :func:`compare`).
        steps: records stepped; seconds: wall time of the run; stats: the transport's counters.
    """

    mode: str
    intents: list[tuple] = field(default_factory=list)
    orders: list[tuple] = field(default_factory=list)
    fills: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    deliveries: list[tuple] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"mode": self.mode, "intents": len(self.intents), "orders": len(self.orders),
                "fills": len(self.fills), "events": len(self.events), "steps": self.steps,
                "seconds": round(self.seconds, 1)}  # fmt: skip


class PaperSide:
    """The paper transport in lock step (nothing to wait for: it is pure).

    Args:
        specs: ``instrument_id -> spec`` traded. paper: the paper config (latencies, queue model, fees).
    """

    mode = "paper"

    def __init__(self, specs: dict[str, InstrumentSpec], paper: PaperConfig) -> None:
        self.transport = PaperTransport(specs, paper)
        self._released: list[OrderEvent] = []

    async def start(self, source: ReplaySource) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def market(self, record, events: list[MarketEvent]) -> None:
        """One record: its feed events to the model."""
        self._released += self.transport.on_market(events)

    async def clock(self, ts_ns: int) -> None:
        """The model clock to ``ts_ns`` with no market event (timer steps)."""
        self._released += self.transport.advance(ts_ns)

    async def submit(self, intent: OrderIntent, now_ns: int) -> None:
        self._released += await self.transport.submit(intent, now_ns)

    async def collect(self, now_ns: int) -> list[OrderEvent]:
        """Every event released by now."""
        out, self._released = self._released + self.transport.advance(now_ns), []
        return out


class VenueSide:
    """The live transport against the testnet-mode replay venue on loopback, in lock step.

    Args:
        specs: the traded instruments (Binance spot).
        paper: the paper config whose latencies and queue model the venue's model takes.
        settle_timeout_s: longest wait for the pipeline to be quiet after a step (raises TimeoutError).
    """

    mode = "testnet"

    def __init__(self, specs: dict[str, InstrumentSpec], paper: PaperConfig, settle_timeout_s: float = 30.0) -> None:
        if paper.fee_overrides or paper.min_notional:
            raise ConfigError("parity: the testnet venue charges the specs' fees and has no paper min_notional")
        self.specs, self.paper = specs, paper
        self.settle_timeout_s = settle_timeout_s
        self.venue = None
        self.transport = None
        self.quiet_checks = 0
        self.now_ns = 0  # the step's recorded time: the transport's clock (stamps of refusals, balances)

    async def start(self, source: ReplaySource) -> None:
        from pydantic import SecretStr

        from actors.execution.live import LiveTransport
        from actors.execution.live_client import BinanceClient
        from actors.replay.testnet import TestnetConfig
        from actors.replay.venue import ReplayVenue

        key, secret = secrets.token_hex(32), secrets.token_hex(32)
        p = self.paper
        self.venue = ReplayVenue(source, speed="max", paused=True, testnet=TestnetConfig(
            keys={key: secret}, entry_latency_ms=p.entry_latency_ms, response_latency_ms=p.response_latency_ms,
            cancel_latency_ms=p.cancel_latency_ms, queue_model=p.queue_model, event_clock=True))  # fmt: skip
        urls = await self.venue.open()
        venue = {s.venue.value for s in self.specs.values()}.pop()
        client = BinanceClient(venue, SecretStr(key), SecretStr(secret), urls["rest"], backoff_s=0.05)
        # periodic reconciliation and balance refresh are wall-clock timers: off (the stream reports everything)
        self.transport = LiveTransport("testnet", venue, self.specs, client, poll_interval_s=3600,
                                       reconcile_interval_s=3600, balance_interval_s=3600, ws_url=urls["ws"],
                                       clock=lambda: self.now_ns)  # fmt: skip
        await self.transport.start()
        deadline = time.monotonic() + self.settle_timeout_s
        while not (self.transport.stream is not None and self.transport.stream.stats.connected):
            if time.monotonic() > deadline:
                raise TimeoutError("parity: the user-data stream did not connect")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self.transport is not None:
            await self.transport.stop()
        if self.venue is not None:
            await self.venue.stop()

    async def market(self, record, events: list[MarketEvent]) -> None:
        """One record: the venue dispatches it (its model sees it at the record's ``ts_recv``)."""
        await self.venue.step(1)

    async def clock(self, ts_ns: int) -> None:
        self.venue.testnet.advance_to(ts_ns)

    async def submit(self, intent: OrderIntent, now_ns: int) -> None:
        self.now_ns = now_ns
        assert await self.transport.submit(intent, now_ns) == []  # asynchronous: answers come from advance()

    async def collect(self, now_ns: int) -> list[OrderEvent]:
        self.now_ns = now_ns
        await self.settle()
        return self.transport.advance(now_ns)

    def quiet(self) -> bool:
        """Nothing is moving: every request in flight is held by the venue for a later model time, and every
        user-data frame pushed was received and handed to the transport."""
        t, service = self.transport, self.venue.testnet
        stream = t.stream.stats
        return (t.client.inflight == service.exchange.held and stream.frames == service.listen_keys.pushed
                and stream.events == t.counts.get("stream_events", 0))  # fmt: skip

    async def settle(self) -> None:
        """Wait until :meth:`quiet` holds over a few turns of the event loop. Raises TimeoutError."""
        deadline, stable, spins = time.monotonic() + self.settle_timeout_s, 0, 0
        while stable < 3:
            if spins < 50:
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(0.0005)
            spins += 1
            self.quiet_checks += 1
            stable = stable + 1 if self.quiet() else 0
            if time.monotonic() > deadline:
                t = self.transport
                raise TimeoutError(f"parity: the testnet pipeline did not settle: inflight={t.client.inflight} "
                                   f"held={self.venue.testnet.exchange.held} frames={t.stream.stats.frames} "
                                   f"pushed={self.venue.testnet.listen_keys.pushed}")  # fmt: skip


class _Driver:
    """The shared lock-step loop (see the module docstring); ``side`` is the only part that differs."""

    def __init__(self, strategy, side, specs: dict[str, InstrumentSpec], view_every_ms: float, timer_ms: float,
                 depth: int) -> None:  # fmt: skip
        self.strategy, self.side, self.specs = strategy, side, specs
        self.view_ns, self.timer_ns, self.depth = round(view_every_ms * _MS), round(timer_ms * _MS), depth
        self.ctx = StrategyContext(strategy.strategy_id, 0, specs)
        self.keeper = BookKeeper(list(specs.values()))
        self.run = ParityRun(side.mode)
        self.order_index: dict[str, int] = {}
        self.positions: dict[str, int] = {}
        self.wants_trades = getattr(strategy, "wants_trades", True)
        self.flush_ns = 1_000 * _MS
        self.stopped = False

    async def drive(self, source: ReplaySource) -> ParityRun:
        t0 = time.monotonic()
        specs = list(self.specs.values())
        pipeline = FeedPipeline(specs[0].venue, specs)
        await self.side.start(source)
        try:
            next_timer = next_view = None
            dirty = False
            for rec in source.records():
                ts = rec.ts_recv
                if next_timer is None:
                    next_timer, next_view = ts + self.timer_ns, ts
                while next_timer <= ts:
                    await self.side.clock(next_timer)
                    await self._deliver(next_timer)
                    self.ctx.now_ns = next_timer
                    await self._act(self.strategy.on_timer(self.ctx), next_timer)
                    await self._deliver(next_timer)  # the requests reach the venue before the clock moves
                    next_timer += self.timer_ns
                events = self._feed(pipeline, rec, specs[0].symbol)
                await self.side.market(rec, events)
                self.run.steps += 1
                await self._deliver(ts)
                if not events:
                    continue
                changed, _ = self.keeper.apply(events, ts)
                dirty = dirty or bool(changed)
                if self.wants_trades:
                    for ev in events:
                        if type(ev) is Trade and ev.instrument_id in self.specs:
                            self.ctx.now_ns = ts
                            await self._act(self.strategy.on_trade(ev, self.ctx), ts)
                            await self._deliver(ts)
                if dirty and ts >= next_view:
                    for iid in self.strategy.instruments():
                        view = self.keeper.view(iid, self.depth, ts)
                        self.ctx.books[iid] = view
                        self.ctx.now_ns = ts
                        await self._act(self.strategy.on_book(view, self.ctx), ts)
                        await self._deliver(ts)
                    next_view, dirty = ts + self.view_ns, False
            await self._deliver(ts)
            # end of data: the strategy stops; what is still travelling lands (recorded, not acted on)
            end = ts + self.flush_ns
            await self.side.clock(end)
            self.stopped = True
            await self._deliver(end)
            t = self.side.transport
            for coid in self.order_index:
                try:
                    o = t.order(coid)
                except KeyError:
                    continue
                self.run.orders.append((o.client_order_id, o.side.value, o.order_type.value, o.time_in_force.value,
                                        o.price, o.size, o.status.value, o.filled, o.avg_fill_price, o.fee))  # fmt: skip
            self.run.stats = t.stats()
        finally:
            await self.side.stop()
        self.run.seconds = time.monotonic() - t0
        return self.run

    @staticmethod
    def _feed(pipeline: FeedPipeline, rec, symbol: str) -> list[MarketEvent]:
        if rec.kind == "ws":
            pipeline.on_frame(rec.data, rec.ts_recv)
        elif rec.kind == "rest":
            pipeline.on_snapshot(pipeline.parser.parse_snapshot(rec.data, symbol, rec.ts_recv))
        out: list[MarketEvent] = []
        for events in pipeline.drain().values():
            out += events
        return out

    async def _deliver(self, now: int) -> None:
        """Every event released by ``now`` to the strategy (canonical order), and what it answers, until none."""
        for _ in range(1000):
            events = await self.side.collect(now)
            if not events:
                return
            events = sorted(events, key=lambda ev: self.order_index.get(ev.order.client_order_id, -1))
            self.ctx.now_ns = now
            for ev in events:
                await self._on_event(ev, now)
        raise RuntimeError("parity: the strategy and its venue kept answering each other at one instant")

    async def _on_event(self, ev: OrderEvent, now: int) -> None:
        run, ctx, order = self.run, self.ctx, ev.order
        run.events.append((order.client_order_id, ev.kind.value, ev.reason))
        run.deliveries.append((now, order.client_order_id, ev.kind.value))
        fill: Fill | None = ev.fill
        if fill is not None:
            run.fills.append((fill.client_order_id, fill.price, fill.size, fill.fee, fill.liquidity.value))
            iid = order.instrument_id
            self.positions[iid] = self.positions.get(iid, 0) + fill.side.sign * fill.size
            spec = self.specs[iid]
            ctx.positions[iid] = PositionSnapshot(ctx.strategy_id, iid, self.positions[iid], spec.size_decimals,
                                                  None, Decimal(0), Decimal(0), Decimal(0), spec.quote, "open")  # fmt: skip
        if ev.kind is not OrderEventKind.CANCEL_REJECTED:
            if order.is_open:
                ctx.open_orders[order.client_order_id] = order
            else:
                ctx.open_orders.pop(order.client_order_id, None)
        if self.stopped:
            return
        await self._act(self.strategy.on_order_event(ev, ctx), now)
        if fill is not None:
            await self._act(self.strategy.on_fill(fill, ctx), now)

    async def _act(self, actions: Iterable | None, now: int) -> None:
        for a in actions or ():
            if isinstance(a, Signal):
                continue
            for coid in (a.client_order_id, a.new_client_order_id):
                if coid and coid not in self.order_index:
                    self.order_index[coid] = len(self.order_index)
            self.run.intents.append((a.action.value, a.client_order_id, a.new_client_order_id,
                                     a.side.value if a.side else None, a.price, a.size,
                                     a.order_type.value if a.order_type else None,
                                     a.time_in_force.value if a.time_in_force else None))  # fmt: skip
            await self.side.submit(a, now)


async def run_lockstep(strategy, side, paths: Sequence[str], specs: dict[str, InstrumentSpec],
                       max_records: int | None = None, view_every_ms: float = 20.0, timer_ms: float = 1000.0,
                       depth: int = 10) -> ParityRun:  # fmt: skip
    """Drive ``strategy`` over the recording at ``paths`` through ``side`` (:class:`PaperSide` or
    :class:`VenueSide`) in lock step; see the module docstring.

    Args:
        strategy: a fresh strategy instance (pure; it keeps state, so one per run).
        side: where its orders go.
        paths: one recording (Binance spot capture files).
        specs: the traded instruments (``instrument_id -> spec``) of that venue.
        max_records: the first this many records only (None: all).
        view_every_ms, timer_ms: book-view conflation and timer period, in recorded time.
        depth: levels per side of the strategy's book views.

    Returns:
        The :class:`ParityRun`.

    Raises:
        ConfigError: a paper config the venue cannot reproduce (fee overrides, min notional).
        TimeoutError: the testnet pipeline did not settle after a step.
    """
    source = ReplaySource.from_paths(list(paths), max_records, next(iter(specs.values())).venue)
    return await _Driver(strategy, side, specs, view_every_ms, timer_ms, depth).drive(source)


def compare(a: ParityRun, b: ParityRun) -> dict | None:
    """The first difference between two runs, or None when intents, orders, fills and events are all equal.

    Returns:
        ``{"field": ..., "index": i, a.mode: ..., b.mode: ..., "before": [...]}``: the first field (in the order
        intents, events, fills, orders) whose lists differ, the first index where they do, both elements there
        (None past the end of the shorter list) and the up to 5 elements of ``a`` before it.
    """
    for name in ("intents", "events", "fills", "orders"):
        x, y = getattr(a, name), getattr(b, name)
        if x == y:
            continue
        i = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
        return {"field": name, "index": i, a.mode: x[i] if i < len(x) else None, b.mode: y[i] if i < len(y) else None,
                "lengths": [len(x), len(y)], "before": x[max(0, i - 5):i]}  # fmt: skip
    return None


async def market_maker_parity(paths: Sequence[str], max_records: int | None = None,
                              paper: PaperConfig | None = None) -> dict:  # fmt: skip
    """The market maker (default parameters) over a Binance spot BTCUSDT recording, in paper then in testnet mode,
    in lock step; ``raytrade parity`` prints this.

    Returns:
        ``{"equal": bool, "first_difference": compare(...) | None, "paper": summary, "testnet": summary,
        "venue_fills": n}`` (JSON-friendly: Decimals and ints as strings where they are money).
    """
    from actors.instruments import spec_for
    from strategies.market_making import MarketMaker, MarketMakingParams

    spec = spec_for("binance", "BTCUSDT")
    specs = {spec.instrument_id: spec}
    paper = paper or PaperConfig()
    runs = []
    venue_fills = 0
    for side in (PaperSide(specs, paper), VenueSide(specs, paper)):
        mm = MarketMaker("mm", spec.instrument_id, MarketMakingParams())
        runs.append(await run_lockstep(mm, side, paths, specs, max_records))
        if isinstance(side, VenueSide):
            venue_fills = len(side.venue.testnet.exchange.fills)
    diff = compare(*runs)
    return {"equal": diff is None, "first_difference": None if diff is None else _jsonable(diff),
            "paper": runs[0].summary(), "testnet": runs[1].summary(), "venue_fills": venue_fills}  # fmt: skip


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
