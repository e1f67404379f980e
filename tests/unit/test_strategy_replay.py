"""A pure strategy host for tests: the bundled capture's books and trades in, a simple fill rule for the orders.

Books are rebuilt the way the runtime does (``FeedPipeline`` -> ``BookKeeper`` -> ``keeper.view(iid, 10, ts)``);
the venues' streams are merged on the recorder's receive clock (one recorder wrote all three captures). The fill
rule is deliberately simple (the paper fill model is not used here): market orders fill at once at the touch;
post-only limits are rejected when they would take, rest otherwise, and fill wholly when a trade prints at or
through their price from the other side, or when the opposite best reaches them. The tests at the bottom pin the
host's own behaviour so the strategy tests can trust it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import Decimal

from actors.book.keeper import BookKeeper
from actors.feed.pipeline import FeedPipeline
from actors.instruments import spec_for
from actors.messages import BookView, Trade
from actors.orders import (IntentAction, Liquidity, OrderIntent, OrderState, OrderType, PositionSnapshot, Side,
                           Signal, TimeInForce)  # fmt: skip
from actors.replay.captures import read_recordings
from strategies.base import StrategyContext
from tests.conftest import COINM, SPOT, USDM

SPOT_ID, USDM_ID, COINM_ID = "BTCUSDT.BINANCE", "BTCUSDT.BINANCE_USDM", "BTCUSD_PERP.BINANCE_COINM"
CAPTURES = {SPOT_ID: (SPOT, "binance", "BTCUSDT"), USDM_ID: (USDM, "binance_usdm", "BTCUSDT"),
            COINM_ID: (COINM, "binance_coinm", "BTCUSD_PERP")}  # fmt: skip
SPECS = {iid: spec_for(v, s) for iid, (_, v, s) in CAPTURES.items()}


@functools.lru_cache(maxsize=None)
def venue_stream(iid: str, conflate_ms: int = 20) -> tuple[tuple[int, object], ...]:
    """``((ts_recv, BookView | Trade), ...)`` of one capture; views conflated to one per ``conflate_ms`` of
    receive time (the latest), as a book actor conflates for a busy subscriber."""
    paths, venue, symbol = CAPTURES[iid]
    specs = [SPECS[iid]]
    pipeline, keeper = FeedPipeline(venue, specs), BookKeeper(specs)
    (recording,) = read_recordings(paths)
    out: list[tuple[int, object]] = []
    last_view_ts = -(10**30)
    for rec in recording.records():
        if rec.kind == "ws":
            pipeline.on_frame(rec.data, rec.ts_recv)
        elif rec.kind == "rest":
            pipeline.on_snapshot(pipeline.parser.parse_snapshot(rec.data, symbol, rec.ts_recv))
        for events in pipeline.drain().values():
            changed, _ = keeper.apply(events, rec.ts_recv)
            out.extend((rec.ts_recv, e) for e in events if type(e) is Trade)
            if changed:
                view = keeper.view(iid, 10, rec.ts_recv)
                if out and isinstance(out[-1][1], BookView) and rec.ts_recv - last_view_ts < conflate_ms * 1_000_000:
                    out[-1] = (rec.ts_recv, view)
                else:
                    out.append((rec.ts_recv, view))
                    last_view_ts = rec.ts_recv
    return tuple(out)


def market_stream(*iids: str) -> list[tuple[int, object]]:
    """The captures of ``iids`` merged on the receive clock (stable: ties keep venue order)."""
    merged = [item for iid in iids for item in venue_stream(iid)]
    merged.sort(key=lambda item: item[0])
    return merged


def shifted(view: BookView, by: int) -> BookView:
    """``view`` with every price moved by ``by`` (fixed-point at the view's price decimals)."""
    return BookView(view.instrument_id, view.ready, view.sequence, tuple((p + by, s) for p, s in view.bids),
                    tuple((p + by, s) for p, s in view.asks), view.price_decimals, view.size_decimals,
                    view.ts_event, view.ts_recv, view.ts_published)  # fmt: skip


class Host:
    """Runs one strategy over a stream: builds its context, routes intents through the simple fill rule.

    Args:
        strategy: the strategy under test.
        allocated_capital: quote currency given to it.
        reject: ``intent -> reason or None``: reject matching submits (tests of unwinding and backoff).
        timer_ms: timer period on the stream's clock.
    """

    def __init__(self, strategy, allocated_capital=Decimal(100_000), reject: Callable | None = None,
                 timer_ms: int = 1000) -> None:  # fmt: skip
        self.strategy = strategy
        self.capital = allocated_capital
        self.reject = reject or (lambda intent: None)
        self.timer_ns = timer_ms * 1_000_000
        self.orders: dict[str, OrderState] = {}
        self.open: dict[str, OrderState] = {}
        self.positions: dict[str, int] = {}
        self.books: dict[str, BookView] = {}
        self.intents: list[OrderIntent] = []
        self.signals: list[Signal] = []
        self.fills: list = []
        self.events: list = []
        self.trading_enabled = True
        self.now = 0
        self._seq = [0]
        self._next_timer = None

    def ctx(self) -> StrategyContext:
        positions = {iid: PositionSnapshot(self.strategy.strategy_id, iid, size, SPECS[iid].size_decimals, None,
                                           Decimal(0), Decimal(0), Decimal(0), "USDT", "open")
                     for iid, size in self.positions.items() if size}  # fmt: skip
        open_orders = {cid: o.snapshot() for cid, o in self.open.items()}
        return StrategyContext(self.strategy.strategy_id, self.now, SPECS, positions, open_orders, dict(self.books),
                               self.capital, self.trading_enabled, self._seq)  # fmt: skip

    def run(self, stream: Iterable[tuple[int, object]], transform: Callable | None = None, until_ns: int | None = None):
        """Deliver the stream (``transform(view) -> view`` may alter views); returns self."""
        for ts, item in stream:
            if until_ns is not None and ts > until_ns:
                break
            self.now = ts
            if self._next_timer is None:
                self._next_timer = ts + self.timer_ns
            while ts >= self._next_timer:
                self.now = self._next_timer
                self.handle(self.strategy.on_timer(self.ctx()))
                self._next_timer += self.timer_ns
            self.now = ts
            if isinstance(item, BookView):
                self.deliver_view(transform(item) if transform else item)
            else:
                self.deliver_trade(item)
        return self

    def deliver_view(self, view: BookView) -> None:
        self.books[view.instrument_id] = view
        self.handle(self.strategy.on_book(view, self.ctx()))
        if view.ready and view.bids and view.asks:
            for o in [o for o in self.open.values() if o.intent.instrument_id == view.instrument_id]:
                i = o.intent
                if o.is_open and ((i.side is Side.BUY and view.asks[0][0] <= i.price)
                                  or (i.side is Side.SELL and view.bids[0][0] >= i.price)):
                    self._fill(o, i.price, o.remaining, Liquidity.MAKER)

    def deliver_trade(self, trade: Trade) -> None:
        self.handle(self.strategy.on_trade(trade, self.ctx()))
        for o in [o for o in self.open.values() if o.intent.instrument_id == trade.instrument_id]:
            i = o.intent
            if o.is_open and ((i.side is Side.BUY and trade.aggressor_side == "sell" and trade.price <= i.price)
                              or (i.side is Side.SELL and trade.aggressor_side == "buy" and trade.price >= i.price)):
                self._fill(o, i.price, o.remaining, Liquidity.MAKER)

    def handle(self, actions) -> None:
        for action in actions:
            if isinstance(action, Signal):
                self.signals.append(action)
                continue
            self.intents.append(action)
            if action.action is IntentAction.SUBMIT:
                self._submit(action)
            elif action.action is IntentAction.CANCEL:
                self._cancel(action.client_order_id)
            else:  # replace: cancel then submit (queue position lost)
                self._cancel(action.client_order_id)
                new = OrderIntent(IntentAction.SUBMIT, action.strategy_id, action.new_client_order_id,
                                  action.instrument_id, action.price_decimals, action.size_decimals, action.side,
                                  action.order_type, action.size, action.price, None, action.time_in_force,
                                  action.reduce_only, None, action.ts_created, action.tag)  # fmt: skip
                self._submit(new)

    def _emit(self, event) -> None:
        self.events.append(event)
        cid = event.order.client_order_id
        if event.order.is_open:
            self.open[cid] = self.orders[cid]
        else:
            self.open.pop(cid, None)
        self.handle(self.strategy.on_order_event(event, self.ctx()))

    def _submit(self, intent: OrderIntent) -> None:
        o = OrderState(intent, "USDT", f"paper-{len(self.orders)}", self.now)
        self.orders[intent.client_order_id] = o
        view = self.books.get(intent.instrument_id)
        reason = self.reject(intent)
        if reason is None and intent.time_in_force is TimeInForce.GTX and view is not None and view.asks:
            takes = intent.price >= view.asks[0][0] if intent.side is Side.BUY else intent.price <= view.bids[0][0]
            reason = "post_only_would_take" if takes else None
        if reason is None and intent.reduce_only:
            pos = self.positions.get(intent.instrument_id, 0)
            if pos * intent.side.sign >= 0 or abs(pos) < intent.size:
                reason = "reduce_only_would_increase"
        if reason is not None:
            self._emit(o.reject(reason, self.now))
            return
        self._emit(o.accept(self.now))
        if intent.order_type is OrderType.MARKET and view is not None and view.bids and view.asks:
            self._fill(o, view.asks[0][0] if intent.side is Side.BUY else view.bids[0][0], intent.size, Liquidity.TAKER)

    def _cancel(self, cid: str) -> None:
        o = self.orders.get(cid)
        if o is not None and o.is_open:
            self._emit(o.cancel("canceled", self.now))

    def _fill(self, o: OrderState, price: int, size: int, liquidity: Liquidity) -> None:
        iid = o.intent.instrument_id
        self.positions[iid] = self.positions.get(iid, 0) + o.intent.side.sign * size
        event = o.fill(price, size, liquidity, Decimal(0), self.now)
        self.fills.append(event.fill)
        self._emit(event)
        self.handle(self.strategy.on_fill(event.fill, self.ctx()))


# --- the host's own behaviour -------------------------------------------------------------------------------------
def test_capture_streams_are_ready_books_on_one_receive_clock():
    stream = market_stream(SPOT_ID, USDM_ID)
    views = [v for _, v in stream if isinstance(v, BookView)]
    assert {v.instrument_id for v in views} == {SPOT_ID, USDM_ID}
    assert all(v.ready and v.bids[0][0] < v.asks[0][0] for v in views)
    assert [ts for ts, _ in stream] == sorted(ts for ts, _ in stream)
    assert sum(isinstance(t, Trade) for _, t in stream) > 20_000


def test_shifted_view_moves_every_level_and_keeps_sizes():
    _, view = next(item for item in venue_stream(USDM_ID) if isinstance(item[1], BookView))
    moved = shifted(view, 150 * 10**view.price_decimals)
    assert moved.mid() - view.mid() == 150 and [s for _, s in moved.bids] == [s for _, s in view.bids]
