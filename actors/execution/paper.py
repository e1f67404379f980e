"""The paper venue: a pure fill model over the same market data the strategies see (DESIGN.md §6).

Model (sources: hftbacktest ``backtest/proc/partialfillexchange.rs``, ``models/queue.rs``, ``models/latency.rs``
and its "Order Fill" / "Queue Models" / "Latency Models" docs; Binance Spot / USD-M "New Order" for the order
types; TRADING.md):

* **Clock.** The model clock is the market events' ``ts_recv`` (our receive clock, hftbacktest's local
  timestamp); the venue is modelled as seeing each event at that same instant (hftbacktest with
  ``exch_ts == local_ts``). Every event of every instrument with orders must be given, in the feed's order, not
  conflated: the queue model needs each level change and each trade.
* **Latency** (hftbacktest ``ConstantLatency``, plus a cancel latency): an order sent at ``now`` reaches the venue
  at ``now + entry_latency`` and is then validated, matched or queued against the book as it is after every event
  with ``ts_recv < arrival``; events with ``ts_recv >= arrival`` come after it (hftbacktest processes a market
  event before an order arriving at the same nanosecond; we put the order first: ``<=``). A cancel reaches the venue
  ``cancel_latency`` after it is sent, so a fill can win the race (the cancel is then ``cancel_rejected``). Every
  venue event (accept, fill, cancel, ...) has ``ts_event`` = when it happened at the venue and is released to us at
  ``ts_event + response_latency``. Orders cannot arrive in the model's past: arrival is at least the model clock.
* **Resting limit orders** get a queue position when they arrive (the size displayed at their price, see
  :mod:`actors.execution.queue`). A trade at their price by an aggressor hitting their side advances the queue;
  level updates advance it per the queue model; they fill (partially) only by what trades beyond the queue ahead
  (``front < 0``), at their own price, as maker. A trade *through* their price (a sell at a price below our bid)
  or the opposite best moving to or beyond their price fills the whole remaining size: under price-time priority
  the venue could only trade or quote there after the whole queue at our price, us included, was gone
  (hftbacktest does the same). Trades by the other aggressor side never touch our side.
* **Taking.** Market orders and marketable limits walk the book level by level (partial fills across levels,
  slippage) and consume displayed liquidity until those levels change (:class:`~actors.execution.matching.Liquidity`).
  Market orders are IOC: what the book cannot fill is canceled (``ioc_remainder``). A GTC limit's unfilled
  remainder rests at its price. Paper takers never trade with paper resting orders (no self-matching).
* **Time in force.** ``GTX`` (post-only) that would take: ``rejected`` (``post_only_would_take``); ``IOC``
  leftovers ``canceled`` (``ioc_remainder``); ``FOK`` that cannot fill wholly at once: ``expired``
  (``fok_unfilled``).
* **Stops / take-profit** trigger on the last trade price (see :func:`~actors.execution.matching.triggered`) after
  they are accepted, then work as market (``stop_market``, ``take_profit``) or as a limit at ``price``
  (``stop_limit``). One whose trigger the last trade already satisfies on arrival is rejected
  (``would_trigger_immediately``, as Binance's -2021).
* **Reduce-only** is per (strategy, instrument) net position from paper fills: rejected
  (``reduce_only_would_increase``) when it could only increase it; each fill is clipped to the position and the
  excess is canceled (``reduce_only_excess``).
* **Fees**: maker / taker per instrument (``PaperConfig.fee_overrides``, else the spec's: Binance base tiers), see
  :func:`~actors.execution.matching.fee_amount`.
* **Book resets.** A ``BookReset`` clears the model book (no taking, no crossing until the next snapshot); resting
  orders stay and keep their queue estimate, clamped to the size the next snapshot shows at their price. An order
  that arrives while the book is empty takes its queue position from the next snapshot; one that needs liquidity
  (market, IOC, FOK) is rejected (``book_not_ready``). ``Quote`` and ``MarkPrice`` are ignored.

Validation that needs no venue is done at :meth:`PaperVenue.submit` and rejects at once (released immediately):
``unknown_instrument``, ``decimals_mismatch``, ``invalid_size``, ``lot_size``, ``price_required``, ``tick_size``,
``trigger_price_required``, ``min_notional`` (limits; market orders are checked at the best price on arrival),
``duplicate_client_order_id``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec

from actors.book.orderbook import OrderBook
from actors.errors import ConfigError
from actors.execution.matching import Liquidity, fee_amount, fee_currency, triggered
from actors.execution.queue import QueueModel, QueuePosition, queue_model
from actors.fixedpoint import fixed_to_decimal
from actors.instruments import InstrumentSpec
from actors.messages import BookDeltas, BookReset, BookSnapshot, MarketEvent, Trade
from actors.orders import (
    IntentAction,
    Liquidity as Liq,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderIntent,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

__all__ = ["PaperConfig", "PaperVenue"]

_MS = 1_000_000


@dataclass(frozen=True)
class PaperConfig:
    """Paper venue settings (durations in milliseconds, converted to whole nanoseconds).

    Attributes:
        entry_latency_ms: order sent -> venue accepts it (its queue position is taken then). Default 5.
        response_latency_ms: venue -> us: an event is released once the model clock >= its ts_event + this.
        cancel_latency_ms: cancel sent -> venue removes the order (a fill can win the race). Default 5.
        queue_model: ``conservative`` | ``prob_linear`` | ``prob_square`` | ``prob_log`` | ``prob_powN``.
        fee_overrides: ``instrument_id -> (maker, taker)`` rates; default the spec's.
        min_notional: ``instrument_id -> minimum notional`` (quote currency); default the spec's
            (:attr:`~actors.instruments.InstrumentSpec.min_notional`, loaded from Bybit; none elsewhere).

    Raises:
        ConfigError: a negative latency or an unknown queue model.
    """

    entry_latency_ms: float = 5.0
    response_latency_ms: float = 5.0
    cancel_latency_ms: float = 5.0
    queue_model: str = "conservative"
    fee_overrides: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    min_notional: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("entry_latency_ms", "response_latency_ms", "cancel_latency_ms"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"PaperConfig.{name} must be >= 0, got {getattr(self, name)!r}")
        queue_model(self.queue_model, 8)  # raises on an unknown name


class _Working:
    """One order inside the paper venue."""

    __slots__ = ("state", "spec", "lot", "live", "price_key", "queue", "inst")

    def __init__(self, state: OrderState, spec: InstrumentSpec, lot: int) -> None:
        self.state = state
        self.spec = spec
        self.lot = lot
        self.live = False  # reached the venue
        self.price_key: int | None = None  # the price it rests at, when resting
        self.queue: QueuePosition | None = None
        self.inst: _Instrument | None = None


class _Instrument:
    """Per-instrument venue state: book, liquidity, resting orders by side and price, waiting stops."""

    __slots__ = ("spec", "book", "liq", "ready", "queue", "lot", "tick", "bids", "asks", "stops", "last_trade",
                 "maker", "taker", "min_notional")  # fmt: skip

    def __init__(self, spec: InstrumentSpec, config: PaperConfig) -> None:
        self.spec = spec
        self.book = OrderBook(spec.instrument_id, spec.price_decimals, spec.size_decimals)
        self.liq = Liquidity(self.book)
        self.ready = False
        self.queue: QueueModel = queue_model(config.queue_model, spec.size_decimals)
        self.lot = int(spec.lot_size.scaleb(spec.size_decimals))
        self.tick = int(spec.tick_size.scaleb(spec.price_decimals))
        self.bids: dict[int, list[_Working]] = {}  # resting buy orders by price
        self.asks: dict[int, list[_Working]] = {}
        self.stops: list[_Working] = []
        self.last_trade: int | None = None
        self.maker, self.taker = config.fee_overrides.get(spec.instrument_id, (spec.maker_fee, spec.taker_fee))
        self.min_notional = config.min_notional.get(spec.instrument_id, spec.min_notional)


class PaperVenue:
    """A simulated venue for every instrument in ``specs``; see the module docstring for the model.

    Args:
        specs: ``instrument_id -> InstrumentSpec`` of the instruments it trades.
        config: latencies, queue model, fees.
    """

    def __init__(self, specs: Mapping[str, InstrumentSpec], config: PaperConfig = PaperConfig()) -> None:
        self.config = config
        self.entry_ns = round(config.entry_latency_ms * _MS)
        self.response_ns = round(config.response_latency_ms * _MS)
        self.cancel_ns = round(config.cancel_latency_ms * _MS)
        self._inst = {iid: _Instrument(spec, config) for iid, spec in specs.items()}
        self._orders: dict[str, _Working] = {}
        self._positions: dict[tuple[str, str], int] = {}
        self._arrivals: list[tuple[int, int, str, object]] = []  # (ts, seq, "order"|"cancel", payload)
        self._outbox: list[tuple[int, int, OrderEvent]] = []  # (release ts, seq, event)
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self.clock = 0
        self._stats: dict = {"market_events": 0, "submitted": 0, "accepted": 0, "rejected": {}, "canceled": {},
                             "expired": {}, "cancel_rejected": {}, "triggered": 0, "fills": 0, "maker_fills": 0,
                             "taker_fills": 0}  # fmt: skip

    # -- public interface ------------------------------------------------------------------------------------
    def on_market(self, events: Iterable[MarketEvent]) -> list[OrderEvent]:
        """Apply market events in the feed's order; returns the order events released by the last one's clock.

        Every ``BookSnapshot`` / ``BookDeltas`` / ``BookReset`` / ``Trade`` of the traded instruments (others and
        ``Quote`` / ``MarkPrice`` are ignored). Arrivals due at or before an event's ``ts_recv`` are handled first.
        """
        for ev in events:
            inst = self._inst.get(ev.instrument_id)
            if inst is None:
                continue
            ts = ev.ts_recv
            self._arrive_until(ts)
            if ts > self.clock:
                self.clock = ts
            kind = type(ev)
            if kind is BookDeltas:
                self._on_deltas(inst, ev, ts)
            elif kind is Trade:
                self._on_trade(inst, ev, ts)
            elif kind is BookSnapshot:
                self._on_snapshot(inst, ev, ts)
            elif kind is BookReset:
                inst.book.clear()
                inst.liq.clear()
                inst.ready = False
            else:
                continue
            self._stats["market_events"] += 1
        return self._release()

    def submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        """Send an intent (submit / cancel / replace) at ``now_ns``; returns events released by then.

        Rejections that need no venue come back at once; otherwise the order reaches the venue after the entry
        latency (a cancel after the cancel latency; a replace is a cancel plus a new order). A cancel of an unknown
        ``client_order_id`` is ignored and counted (``cancel_rejected["unknown_order"]``).
        """
        if intent.action is IntentAction.SUBMIT:
            return self._submit(intent, now_ns) + self.advance(now_ns)
        old = self._orders.get(intent.client_order_id)
        if old is None:
            _bump(self._stats["cancel_rejected"], "unknown_order")
            return self.advance(now_ns)
        reason = "replaced" if intent.action is IntentAction.REPLACE else "canceled"
        self._push(max(now_ns + self.cancel_ns, self.clock), "cancel", (intent.client_order_id, reason))
        out: list[OrderEvent] = []
        if intent.action is IntentAction.REPLACE:
            i = old.state.intent
            new = msgspec.structs.replace(
                i, client_order_id=intent.new_client_order_id or "", price=intent.price, size=intent.size,
                trigger_price=intent.trigger_price if intent.trigger_price is not None else i.trigger_price,
                ts_created=intent.ts_created, new_client_order_id=None,
            )  # fmt: skip
            out = self._submit(new, now_ns)
        return out + self.advance(now_ns)

    def advance(self, now_ns: int) -> list[OrderEvent]:
        """Timer: handle arrivals due by ``now_ns`` (against the current book) and release events due."""
        self._arrive_until(now_ns)
        if now_ns > self.clock:
            self.clock = now_ns
        return self._release()

    def cancel_all(self, now_ns: int, strategy_id: str | None = None, reason: str = "kill_switch") -> list[OrderEvent]:
        """Send a cancel (with ``reason``) for every open order (of ``strategy_id``, or all) at ``now_ns``."""
        at = max(now_ns + self.cancel_ns, self.clock)
        for coid, w in self._orders.items():
            if w.state.is_open and (strategy_id is None or w.state.intent.strategy_id == strategy_id):
                self._push(at, "cancel", (coid, reason))
        return self.advance(now_ns)

    def open_orders(self, strategy_id: str | None = None) -> list[Order]:
        """Snapshots of the open orders (including those still on their way to the venue)."""
        return [w.state.snapshot() for w in self._orders.values()
                if w.state.is_open and (strategy_id is None or w.state.intent.strategy_id == strategy_id)]  # fmt: skip

    def order(self, client_order_id: str) -> Order:
        """The order's current snapshot. Raises KeyError when unknown."""
        return self._orders[client_order_id].state.snapshot()

    def position(self, strategy_id: str, instrument_id: str) -> int:
        """Signed net size (fixed-point) from paper fills of ``strategy_id`` on ``instrument_id``."""
        return self._positions.get((strategy_id, instrument_id), 0)

    def queue_ahead(self, client_order_id: str) -> int | None:
        """Estimated size ahead of a resting order (fixed-point), or None when it is not resting."""
        w = self._orders[client_order_id]
        return None if w.queue is None or w.price_key is None else max(w.queue.front, 0)

    def stats(self) -> dict:
        """Counters: market_events, submitted, accepted, rejected / canceled / expired / cancel_rejected by reason,
        triggered, fills (maker_fills, taker_fills), open orders."""
        out = {k: dict(v) if isinstance(v, dict) else v for k, v in self._stats.items()}
        out["open"] = sum(1 for w in self._orders.values() if w.state.is_open)
        return out

    # -- intents ---------------------------------------------------------------------------------------------
    def _submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        self._stats["submitted"] += 1
        inst = self._inst.get(intent.instrument_id)
        currency = fee_currency(inst.spec) if inst else ""
        state = OrderState(intent, currency, f"paper-{next(self._ids)}", now_ns)
        reason = self._invalid(intent, inst)
        if reason:
            _bump(self._stats["rejected"], reason)
            return [state.reject(reason, now_ns)]
        w = _Working(state, inst.spec, inst.lot)
        w.inst = inst
        self._orders[intent.client_order_id] = w
        self._push(max(now_ns + self.entry_ns, self.clock), "order", w)
        return []

    def _invalid(self, i: OrderIntent, inst: _Instrument | None) -> str:
        if inst is None:
            return "unknown_instrument"
        if i.client_order_id in self._orders or not i.client_order_id:
            return "duplicate_client_order_id"
        spec = inst.spec
        if (i.price_decimals, i.size_decimals) != (spec.price_decimals, spec.size_decimals):
            return "decimals_mismatch"
        if i.size <= 0:
            return "invalid_size"
        if i.size % inst.lot:
            return "lot_size"
        needs_price = i.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        if needs_price and i.price is None:
            return "price_required"
        if i.price is not None and (i.price <= 0 or i.price % inst.tick):
            return "tick_size"
        if i.order_type.is_triggered:
            if i.trigger_price is None:
                return "trigger_price_required"
            if i.trigger_price <= 0 or i.trigger_price % inst.tick:
                return "tick_size"
        if needs_price and inst.min_notional is not None and self._notional(inst, i.price, i.size) < inst.min_notional:
            return "min_notional"
        return ""

    @staticmethod
    def _notional(inst: _Instrument, price: int, size: int) -> Decimal:
        """Notional in the quote currency: ``price * size`` (linear), ``size * contract_size`` (inverse)."""
        spec = inst.spec
        size_d = fixed_to_decimal(size, spec.size_decimals) * spec.contract_size
        return size_d if spec.inverse else fixed_to_decimal(price, spec.price_decimals) * size_d

    def _push(self, ts: int, kind: str, payload: object) -> None:
        heapq.heappush(self._arrivals, (ts, next(self._seq), kind, payload))

    def _arrive_until(self, ts: int) -> None:
        arrivals = self._arrivals
        while arrivals and arrivals[0][0] <= ts:
            at, _, kind, payload = heapq.heappop(arrivals)
            if at > self.clock:
                self.clock = at
            if kind == "order":
                self._arrive(payload, at)  # type: ignore[arg-type]
            else:
                coid, reason = payload  # type: ignore[misc]
                self._cancel_arrives(coid, reason, at)

    # -- the venue: arrivals ---------------------------------------------------------------------------------
    def _arrive(self, w: _Working, ts: int) -> None:
        inst, i = w.inst, w.state.intent
        assert inst is not None
        w.live = True
        if i.reduce_only and self._reducible(w) == 0:
            return self._reject(w, "reduce_only_would_increase", ts)
        if i.order_type.is_triggered:
            if inst.last_trade is not None and triggered(i.order_type, i.side, i.trigger_price, inst.last_trade):
                return self._reject(w, "would_trigger_immediately", ts)
            self._accept(w, ts)
            inst.stops.append(w)
            return
        self._work(w, ts)

    def _work(self, w: _Working, ts: int) -> None:
        """Match a new (or just triggered) market / limit order against the book; rest what a GTC limit leaves."""
        inst, i, st = w.inst, w.state.intent, w.state
        assert inst is not None
        market = i.order_type in (OrderType.MARKET, OrderType.STOP_MARKET, OrderType.TAKE_PROFIT)
        tif = TimeInForce.IOC if market and i.time_in_force is TimeInForce.GTC else i.time_in_force
        fresh = st.status is OrderStatus.NEW
        if not inst.ready and (market or tif in (TimeInForce.IOC, TimeInForce.FOK)):
            return self._reject(w, "book_not_ready", ts) if fresh else self._cancel(w, "book_not_ready", ts)
        limit = None if market else i.price
        opposite = inst.liq.best("ask" if i.side is Side.BUY else "bid") if inst.ready else None
        crosses = opposite is not None and (limit is None or (opposite <= limit if i.side is Side.BUY
                                                              else opposite >= limit))  # fmt: skip
        if tif is TimeInForce.GTX and crosses:
            return self._reject(w, "post_only_would_take", ts) if fresh else self._cancel(w, "post_only_would_take", ts)
        if market and inst.min_notional is not None and fresh and opposite is not None:
            if self._notional(inst, opposite, i.size) < inst.min_notional:
                return self._reject(w, "min_notional", ts)
        if fresh:
            self._accept(w, ts)
        want = self._fillable(w)
        if tif is TimeInForce.FOK and not (crosses and inst.liq.can_fill(i.side, limit, want)
                                           and want == st.remaining):  # fmt: skip
            return self._expire(w, "fok_unfilled", ts)
        if crosses:
            for price, size in inst.liq.take(i.side, limit, want, w.lot):
                self._fill(w, price, size, Liq.TAKER, ts)
                if not st.is_open:
                    return
        if not st.is_open:
            return
        if tif in (TimeInForce.IOC, TimeInForce.FOK) or market:
            return self._cancel(w, "ioc_remainder", ts)
        self._rest(w)

    def _rest(self, w: _Working) -> None:
        inst, i = w.inst, w.state.intent
        assert inst is not None and i.price is not None
        side = "bid" if i.side is Side.BUY else "ask"
        w.price_key = i.price
        w.queue = inst.queue.new_order(inst.book.size_at(side, i.price)) if inst.ready else None
        (inst.bids if i.side is Side.BUY else inst.asks).setdefault(i.price, []).append(w)

    def _cancel_arrives(self, coid: str, reason: str, ts: int) -> None:
        w = self._orders[coid]
        if not w.state.is_open:
            return self._cancel_reject(w, "order_closed", ts)
        if not w.live:
            return self._cancel_reject(w, "unknown_order", ts)
        self._cancel(w, reason, ts)

    # -- the venue: market data ------------------------------------------------------------------------------
    def _on_deltas(self, inst: _Instrument, d: BookDeltas, ts: int) -> None:
        if not inst.ready:
            return
        book, liq = inst.book, inst.liq
        changes = []
        if inst.bids:
            changes += [(inst.bids[p], book.size_at("bid", p), s) for p, s in d.bids if p in inst.bids]
        if inst.asks:
            changes += [(inst.asks[p], book.size_at("ask", p), s) for p, s in d.asks if p in inst.asks]
        book.apply_deltas(d.bids, d.asks)
        if liq._consumed:
            for p, _ in d.bids:
                liq.level_changed("bid", p)
            for p, _ in d.asks:
                liq.level_changed("ask", p)
        model = inst.queue
        for ws, prev, new in changes:
            for w in ws:
                if w.queue is not None:
                    model.depth(w.queue, prev, new)
        self._cross(inst, ts)

    def _on_snapshot(self, inst: _Instrument, s: BookSnapshot, ts: int) -> None:
        inst.book.apply_snapshot(s.bids, s.asks)
        inst.liq.clear()
        inst.ready = True
        model = inst.queue
        for side, resting in (("bid", inst.bids), ("ask", inst.asks)):
            for price, ws in resting.items():
                size = inst.book.size_at(side, price)
                for w in ws:
                    if w.queue is None:
                        w.queue = model.new_order(size)
                    else:
                        model.reload(w.queue, size)
        self._cross(inst, ts)

    def _cross(self, inst: _Instrument, ts: int) -> None:
        """Fill resting orders the opposite best has reached (their whole remaining size, at their price)."""
        if inst.bids:
            ask = inst.liq.best("ask")
            if ask is not None:
                for price in [p for p in inst.bids if p >= ask]:
                    self._fill_level(inst.bids, price, None, ts)
        if inst.asks:
            bid = inst.liq.best("bid")
            if bid is not None:
                for price in [p for p in inst.asks if p <= bid]:
                    self._fill_level(inst.asks, price, None, ts)

    def _on_trade(self, inst: _Instrument, t: Trade, ts: int) -> None:
        inst.last_trade = t.price
        if t.aggressor_side == "sell" and inst.bids:
            for price in [p for p in inst.bids if p >= t.price]:
                self._fill_level(inst.bids, price, None if price > t.price else t.size, ts)
        elif t.aggressor_side == "buy" and inst.asks:
            for price in [p for p in inst.asks if p <= t.price]:
                self._fill_level(inst.asks, price, None if price < t.price else t.size, ts)
        if inst.stops:
            hit = [w for w in inst.stops if triggered(w.state.intent.order_type, w.state.intent.side,
                                                      w.state.intent.trigger_price, t.price)]  # fmt: skip
            for w in hit:
                inst.stops.remove(w)
                self._emit(w.state.trigger(ts))
                self._stats["triggered"] += 1
                self._work(w, ts)

    def _fill_level(self, resting: dict[int, list[_Working]], price: int, traded: int | None, ts: int) -> None:
        """Fill the orders resting at ``price``: wholly (``traded`` None) or by a trade of ``traded`` at the price."""
        for w in list(resting.get(price, ())):
            if traded is None:
                size = w.state.remaining
            else:
                if w.queue is None:
                    continue
                model = w.inst.queue  # type: ignore[union-attr]
                model.trade(w.queue, traded)
                size = min(model.take_filled(w.queue, w.lot), w.state.remaining)
            if size > 0:
                self._fill(w, price, size, Liq.MAKER, ts)

    # -- transitions -----------------------------------------------------------------------------------------
    def _reducible(self, w: _Working) -> int:
        """How much a reduce-only order may still fill: the opposite-signed position, else 0."""
        i = w.state.intent
        pos = self._positions.get((i.strategy_id, i.instrument_id), 0)
        return max(0, -pos * i.side.sign)

    def _fillable(self, w: _Working) -> int:
        remaining = w.state.remaining
        return min(remaining, self._reducible(w)) if w.state.intent.reduce_only else remaining

    def _fill(self, w: _Working, price: int, size: int, liquidity: Liq, ts: int) -> None:
        i, inst = w.state.intent, w.inst
        assert inst is not None
        size = min(size, self._fillable(w))
        if size > 0:
            rate = inst.maker if liquidity is Liq.MAKER else inst.taker
            ev = w.state.fill(price, size, liquidity, fee_amount(inst.spec, price, size, rate), ts)
            key = (i.strategy_id, i.instrument_id)
            self._positions[key] = self._positions.get(key, 0) + i.side.sign * size
            self._stats["fills"] += 1
            self._stats["maker_fills" if liquidity is Liq.MAKER else "taker_fills"] += 1
            self._emit(ev)
        if not w.state.is_open:
            self._unrest(w)
        elif i.reduce_only and self._reducible(w) == 0:
            self._cancel(w, "reduce_only_excess", ts)

    def _unrest(self, w: _Working) -> None:
        inst = w.inst
        if w.price_key is not None and inst is not None:
            resting = inst.bids if w.state.intent.side is Side.BUY else inst.asks
            ws = resting.get(w.price_key)
            if ws is not None:
                ws.remove(w)
                if not ws:
                    del resting[w.price_key]
            w.price_key = None
        if inst is not None and w in inst.stops:
            inst.stops.remove(w)

    def _accept(self, w: _Working, ts: int) -> None:
        self._stats["accepted"] += 1
        self._emit(w.state.accept(ts))

    def _reject(self, w: _Working, reason: str, ts: int) -> None:
        _bump(self._stats["rejected"], reason)
        self._emit(w.state.reject(reason, ts))

    def _cancel(self, w: _Working, reason: str, ts: int) -> None:
        self._unrest(w)
        _bump(self._stats["canceled"], reason)
        self._emit(w.state.cancel(reason, ts))

    def _expire(self, w: _Working, reason: str, ts: int) -> None:
        self._unrest(w)
        _bump(self._stats["expired"], reason)
        self._emit(w.state.expire(reason, ts))

    def _cancel_reject(self, w: _Working, reason: str, ts: int) -> None:
        _bump(self._stats["cancel_rejected"], reason)
        self._emit(OrderEvent(OrderEventKind.CANCEL_REJECTED, w.state.snapshot(), ts, reason=reason))

    def _emit(self, ev: OrderEvent) -> None:
        heapq.heappush(self._outbox, (ev.ts_event + self.response_ns, next(self._seq), ev))

    def _release(self) -> list[OrderEvent]:
        out, box, now = [], self._outbox, self.clock
        while box and box[0][0] <= now:
            out.append(heapq.heappop(box)[2])
        return out


def _bump(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1
