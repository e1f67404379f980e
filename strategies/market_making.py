"""``market_making``: inventory-aware two-sided quoting after Avellaneda & Stoikov (2008). Pure.

Model. M. Avellaneda, S. Stoikov, "High-frequency trading in a limit order book", Quantitative Finance 8(3),
217-224 (2008): a market maker with exponential utility (risk aversion ``gamma``) facing fills at rate
``lambda(delta) = A * exp(-k * delta)`` at distance ``delta`` from the mid quotes around a *reservation price*
shifted against its inventory. Crypto trades 24/7, so the finite horizon ``T - t`` is replaced by the stationary
(``T -> inf``) approximation of O. Guéant, C.-A. Lehalle, J. Fernandez-Tapia, "Dealing with the inventory risk: a
solution to the market making problem", Mathematics and Financial Economics 7 (2013), eq. (4.6)-(4.7), as in
hftbacktest's "GLFT market making model" tutorial::

    c1 = (1 / gamma) * ln(1 + gamma / k)                                   half spread at zero inventory (price)
    c2 = sqrt(sigma**2 * gamma / (2 * k * A) * (1 + gamma / k) ** (1 + k / gamma))    skew per unit of q (price)
    bid = mid - c1 - (2q + 1) / 2 * c2        ask = mid + c1 - (2q - 1) / 2 * c2
    reservation price r = (bid + ask) / 2 = mid - q * c2

Units: prices in the quote currency (USDT); ``q = position / order_size`` (dimensionless: inventory in quotes, as
hftbacktest's GLFT example); ``gamma`` per USDT; ``k`` per USDT; ``A`` per second; ``sigma`` USDT per sqrt(s).
``sigma`` is estimated from mid returns: the mid is sampled every ``sigma_sample_ms`` on the event clock and
``sigma**2 = sum(dmid**2) / sum(dt_s)`` over the last ``sigma_window_s`` (``sigma_default`` until
``sigma_min_samples`` returns are seen). ``k`` and ``A`` are parameters (not estimated from trade arrivals).

Orders. Bids are rounded down and asks up to the tick, exactly (:func:`~strategies.base.price_to_fixed`), sizes
down to the lot; quotes are post-only (``GTX``) and clamped to stay passive (bid <= best ask - tick, ask >= best
bid + tick). A side whose fill would take ``|position|`` past ``max_inventory`` is not quoted (its order is
canceled). A quote is moved with a ``replace`` intent (cancel + submit, queue position lost) only when its target
moved by ``requote_threshold_ticks`` or more (a partly filled quote keeps its queue position until then; the
replacement has the full ``order_size``). Quotes are pulled (canceled) when the book is not ready, crossed, or
stale (no update for ``stale_after_ms`` of the host clock), and while trading is disabled. A ``rejected`` quote
backs its side off for ``reject_backoff_ms``, doubling per consecutive rejection up to 60 s; a post-only quote the
market moved through while it travelled (``post_only_would_take``) only pauses ``post_only_backoff_ms``.

Round trips. An intent reaches the venue tens of ms after it is made and its answer comes back as late (the
runtime measured ~70 ms p50, ~350 ms p99 tick-to-order), so what ``ctx.open_orders`` shows is one round trip old.
Each side is therefore worked by one request at a time: an id sent (a submit, or the new half of a replace) is
*in flight* until any event of it comes back; an id asked to close (a cancel, or the old half of a replace) until
an event shows it closed or its cancel is rejected. While a side has anything in flight nothing else is sent for
it, so it requotes at most once per round trip and never replaces an id already being replaced or canceled.
Entries are forgotten after ``pending_timeout_ms`` (an answer that never came). A quote the book has reached (a
bid at or above the best ask, an ask at or below the best bid) is filled (under price-time priority the venue
can only show that price once our queue is gone; the paper venue fills it wholly): it is left alone until its
fill arrives (at most ``pending_timeout_ms``) rather than replaced into an ``order_closed`` cancel rejection.
A ``cancel_rejected`` with reason ``order_closed`` is the venue saying the order is closed: the id is then
ignored even while ``ctx.open_orders`` still lists it (an order event the host lost or applied out of order), as
is any id an event showed closed. A cancel / replace refused before execution (risk gate) frees the side at
once. When a cancel loses the race against a fill, the new half of the replace is still placed, so the position
can pass ``max_inventory`` by one ``order_size``. When a side shows more than one live quote (a restart in the
middle of a replace, a lost event), the one nearest the target is kept and the others are canceled.

State. What is open and held comes from ``ctx.open_orders`` / ``ctx.positions``; the only own memory is the
in-flight ids, the ids seen closed (kept while the context lists them, else for ``pending_timeout_ms``) and the
backoff, all of which only delay or filter what the context shows, so a restarted instance (empty memory, context
reloaded from execution) carries on.
Signals: one ``quote`` signal per ``signal_interval_ms`` summarising the current quotes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from actors.errors import ConfigError
from actors.fixedpoint import fixed_to_decimal
from actors.messages import BookView, Trade
from actors.orders import (
    Fill,
    IntentAction,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderIntent,
    OrderType,
    Side,
    Signal,
    TimeInForce,  # fmt: skip
)
from strategies.base import Action, StrategyContext, price_to_fixed, size_to_fixed
from strategies.registry import register

__all__ = ["MarketMaker", "MarketMakingParams", "glft_quote"]

_TAGS = {Side.BUY: "mm-bid", Side.SELL: "mm-ask"}
_MAX_BACKOFF_MS = 60_000


class MarketMakingParams(BaseModel):
    """Parameters of ``market_making`` (units in each description)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gamma: float = Field(0.01, gt=0, description="Risk aversion gamma (per USDT)")
    k: float = Field(2.0, gt=0, description="Decay k of the fill intensity A*exp(-k*delta) (per USDT of delta)")
    A: float = Field(1.0, gt=0, description="Fill intensity A at the mid (fills per second)")
    order_size: Decimal = Field(Decimal("0.001"), gt=0, description="Size of each quote (base units, BTC)")
    max_inventory: Decimal = Field(Decimal("0.005"), gt=0, description="Largest |position| (base units, BTC)")
    sigma_default: float = Field(5.0, gt=0, description="Mid volatility before enough samples (USDT per sqrt(s))")
    sigma_window_s: float = Field(60.0, gt=0, description="Window of the volatility estimate (s, event clock)")
    sigma_sample_ms: float = Field(1000.0, gt=0, description="Mid sampling interval of the estimate (ms)")
    sigma_min_samples: int = Field(10, ge=2, description="Mid returns needed before the estimate replaces the default")
    requote_threshold_ticks: int = Field(10, ge=1, description="Move a quote when its target moved this far (ticks)")
    stale_after_ms: float = Field(5000.0, gt=0, description="Pull quotes when the book had no update this long (ms)")
    pending_timeout_ms: float = Field(2000.0, gt=0, description="Forget an unanswered intent after this long (ms)")
    reject_backoff_ms: float = Field(1000.0, ge=0, description="Pause of a side after a rejection, doubling (ms)")
    post_only_backoff_ms: float = Field(200.0, ge=0, description="Pause after a post-only quote would have taken (ms)")
    signal_interval_ms: float = Field(5000.0, ge=0, description="At most one quote signal per interval (ms)")


def glft_quote(mid: float, q: float, sigma: float, gamma: float, k: float, A: float) -> tuple[float, float, float]:
    """The GLFT stationary quotes (see the module docstring).

    Args:
        mid: mid price (USDT). q: inventory in quote sizes. sigma: USDT per sqrt(s). gamma, k: per USDT. A: per s.

    Returns:
        ``(bid, ask, skew_per_q)`` as model floats (not yet rounded to the tick).
    """
    c1 = math.log1p(gamma / k) / gamma
    c2 = math.sqrt(sigma * sigma * gamma / (2.0 * k * A) * math.exp((1.0 + k / gamma) * math.log1p(gamma / k)))
    return mid - c1 - (2.0 * q + 1.0) / 2.0 * c2, mid + c1 - (2.0 * q - 1.0) / 2.0 * c2, c2


class MarketMaker:
    """Quotes both sides of one instrument (see the module docstring).

    Args:
        strategy_id: the instance's id. instrument_id: the quoted instrument. params: validated parameters.
    """

    kind = "market_making"
    wants_trades = False  # decides on book views only: its host does not subscribe it to trades

    def __init__(self, strategy_id: str, instrument_id: str, params: MarketMakingParams) -> None:
        self.strategy_id = strategy_id
        self.instrument_id = instrument_id
        self.params = params
        self._mids: deque[tuple[int, float]] = deque()  # (ts_event, mid) samples
        self._flights: dict[str, _Flight] = {}  # client id -> what is awaited of it (see the module docstring)
        self._closed: dict[str, int] = {}  # ids an event showed closed -> when (ns); pruned in _expire_flights
        self._pruned_ns = 0
        self._touched: dict[Side, tuple[str, int]] = {}  # side -> (quote the book reached, since when (ns))
        self._backoff_until = {Side.BUY: 0, Side.SELL: 0}
        self._rejects = {Side.BUY: 0, Side.SELL: 0}
        self._last_signal_ns = -(10**30)
        self._pulled_reason = ""
        self.last_quote: dict | None = None
        self.counts = {"views": 0, "submits": 0, "replaces": 0, "cancels": 0, "pulls": 0, "rejects": 0, "fills": 0,
                       "cancel_rejects": 0, "skipped_inventory": 0, "skipped_touched": 0, "extra_quotes": 0,
                       "timeouts": 0, "signals": 0}  # fmt: skip
        self.filled = {Side.BUY: 0, Side.SELL: 0}

    def instruments(self) -> list[str]:
        return [self.instrument_id]

    def update_params(self, params: MarketMakingParams) -> None:
        """Apply new validated params; quotes follow at the next callback."""
        self.params = params

    # --- callbacks -------------------------------------------------------------------------------------------
    def on_book(self, view: BookView, ctx: StrategyContext) -> list[Action]:
        if view.instrument_id != self.instrument_id:
            return []
        self.counts["views"] += 1
        if view.ready and view.bids and view.asks and view.bids[0][0] < view.asks[0][0]:
            self._sample_mid(view)
        return self._decide(view, ctx)

    def on_trade(self, trade: Trade, ctx: StrategyContext) -> list[Action]:
        return []

    def on_order_event(self, event: OrderEvent, ctx: StrategyContext) -> list[Action]:
        order = event.order
        cid, side = order.client_order_id, order.side
        flight = self._flights.get(cid)
        if event.kind is OrderEventKind.CANCEL_REJECTED:
            self.counts["cancel_rejects"] += 1
            if event.reason == "order_closed":  # the venue's answer: closed, whatever ctx.open_orders still shows
                self._remember_closed(cid, ctx.now_ns)
            if flight is not None and flight.closing:
                del self._flights[cid]
                if event.reason not in ("order_closed", "unknown_order") and flight.link is not None:
                    # Refused before execution (risk gate, fail closed): the replace's new half was never sent.
                    self._flights.pop(flight.link, None)
            return []
        if flight is not None and (not flight.closing or not order.is_open):
            del self._flights[cid]
        if not order.is_open:
            self._remember_closed(cid, ctx.now_ns)
        if event.kind is OrderEventKind.REJECTED and order.tag == _TAGS[side]:
            self.counts["rejects"] += 1
            if event.reason == "post_only_would_take":
                # The market moved through the quote while it travelled: normal, not a fault; requote after the
                # short pause without escalating.
                backoff = self.params.post_only_backoff_ms
            else:
                self._rejects[side] += 1
                backoff = min(self.params.reject_backoff_ms * 2 ** (self._rejects[side] - 1), _MAX_BACKOFF_MS)
            # From when the host tells us (ctx.now_ns), the clock the backoff is checked against: the event's
            # ts_event is the venue's clock (live: the transport's stamp of a refusal), not ours.
            self._backoff_until[side] = ctx.now_ns + int(backoff * 1e6)
        elif event.kind is OrderEventKind.ACCEPTED:
            self._rejects[side] = 0
        return []

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> list[Action]:
        self.counts["fills"] += 1
        self.filled[fill.side] += fill.size
        view = ctx.books.get(self.instrument_id)
        return self._decide(view, ctx) if view is not None else []

    def on_timer(self, ctx: StrategyContext) -> list[Action]:
        view = ctx.books.get(self.instrument_id)
        return self._decide(view, ctx) if view is not None else self._pull(ctx, "no_book")

    def summary(self) -> dict:
        sd = self._spec_decimals
        return {"strategy_id": self.strategy_id, "kind": self.kind, "instrument_id": self.instrument_id,
                **self.counts, "filled_buy": str(fixed_to_decimal(self.filled[Side.BUY], sd)),
                "filled_sell": str(fixed_to_decimal(self.filled[Side.SELL], sd)), "sigma": self.sigma(),
                "pulled": self._pulled_reason, "in_flight": len(self._flights),
                "last_quote": self.last_quote}  # fmt: skip

    _spec_decimals = 8

    # --- model -----------------------------------------------------------------------------------------------
    def sigma(self) -> float:
        """The mid volatility estimate (USDT per sqrt(s)), or ``sigma_default`` before enough samples."""
        mids = self._mids
        if len(mids) <= self.params.sigma_min_samples:
            return self.params.sigma_default
        var = sum((b[1] - a[1]) ** 2 for a, b in zip(mids, list(mids)[1:]))
        return math.sqrt(var / ((mids[-1][0] - mids[0][0]) / 1e9))

    def _sample_mid(self, view: BookView) -> None:
        mids, p = self._mids, self.params
        if mids and view.ts_event - mids[-1][0] < p.sigma_sample_ms * 1e6:
            return
        mids.append((view.ts_event, float(view.mid())))
        while mids and view.ts_event - mids[0][0] > p.sigma_window_s * 1e9:
            mids.popleft()

    # --- decisions -------------------------------------------------------------------------------------------
    def _decide(self, view: BookView, ctx: StrategyContext) -> list[Action]:
        p = self.params
        if not ctx.trading_enabled:
            return self._pull(ctx, "trading_disabled")
        if not view.ready or not view.bids or not view.asks:
            return self._pull(ctx, "not_ready")
        if view.bids[0][0] >= view.asks[0][0]:
            return self._pull(ctx, "crossed")
        if view.ts_recv and ctx.now_ns - view.ts_recv > p.stale_after_ms * 1e6:
            return self._pull(ctx, "stale")
        self._pulled_reason = ""
        spec = ctx.specs[self.instrument_id]
        self._spec_decimals = spec.size_decimals
        self._expire_flights(ctx.now_ns, ctx.open_orders)
        pos = ctx.positions.get(self.instrument_id)
        position = pos.size if pos is not None else 0
        size = size_to_fixed(p.order_size, spec)
        q = position / size if size else 0.0
        sigma = self.sigma()
        bid_f, ask_f, skew = glft_quote(float(view.mid()), q, sigma, p.gamma, p.k, p.A)
        tick = int(spec.tick_size.scaleb(spec.price_decimals))
        bid = min(price_to_fixed(Decimal(bid_f), spec), view.asks[0][0] - tick)
        ask = max(price_to_fixed(Decimal(ask_f), spec, up=True), view.bids[0][0] + tick)
        max_inv = size_to_fixed(p.max_inventory, spec)
        targets = {Side.BUY: bid if position + size <= max_inv else None,
                   Side.SELL: ask if position - size >= -max_inv else None}  # fmt: skip
        out: list[Action] = []
        for side, price in targets.items():
            out.extend(self._work_side(side, price, size, tick, spec, view, ctx))
        pd = spec.price_decimals
        self.last_quote = {"bid": str(fixed_to_decimal(bid, pd)), "ask": str(fixed_to_decimal(ask, pd)),
                           "reservation": str(round(float(view.mid()) - q * skew, 4)), "q": round(q, 4),
                           "sigma": round(sigma, 4), "position": str(fixed_to_decimal(position, spec.size_decimals)),
                           "bid_active": targets[Side.BUY] is not None,
                           "ask_active": targets[Side.SELL] is not None}  # fmt: skip
        if ctx.now_ns - self._last_signal_ns >= p.signal_interval_ms * 1e6:
            self._last_signal_ns = ctx.now_ns
            self.counts["signals"] += 1
            out.append(Signal(self.strategy_id, self.instrument_id, "quote", min(1.0, abs(q) * size / max_inv),
                              ctx.now_ns, f"GLFT quotes bid {self.last_quote['bid']} / ask {self.last_quote['ask']} "
                              f"around reservation {self.last_quote['reservation']} (q={q:.2f}, sigma={sigma:.3f} "
                              f"USDT/sqrt(s))", entry=fixed_to_decimal((bid + ask) // 2, pd),
                              size=fixed_to_decimal(size, spec.size_decimals),
                              executed=bool(out)))  # fmt: skip
        return out

    def _quotes(self, ctx: StrategyContext, side: Side) -> list[Order]:
        """This side's quotes as ``ctx.open_orders`` shows them, minus those asked to close or known closed."""
        flights, closed = self._flights, self._closed
        return [o for o in ctx.open_orders.values()
                if o.instrument_id == self.instrument_id and o.side is side and o.tag == _TAGS[side]
                and o.client_order_id not in closed
                and not ((f := flights.get(o.client_order_id)) is not None and f.closing)]  # fmt: skip

    def _busy(self, side: Side) -> bool:
        return any(f.side is side for f in self._flights.values())

    def _expire_flights(self, now_ns: int, open_orders) -> None:
        """Forget unanswered flights after ``pending_timeout_ms``, and closed ids ``ctx.open_orders`` no longer
        lists once they are that old (a late event could still re-list an id until then)."""
        limit = self.params.pending_timeout_ms * 1e6
        for cid in [c for c, f in self._flights.items() if now_ns - f.ts > limit]:
            del self._flights[cid]
            self.counts["timeouts"] += 1
        if now_ns - self._pruned_ns > limit:
            self._pruned_ns = now_ns
            self._closed = {c: ts for c, ts in self._closed.items() if now_ns - ts <= limit or c in open_orders}

    def _remember_closed(self, cid: str, now_ns: int) -> None:
        self._closed.setdefault(cid, now_ns)

    def _work_side(self, side: Side, price: int | None, size: int, tick: int, spec, view: BookView,
                   ctx: StrategyContext) -> list[Action]:  # fmt: skip
        """At most one request per side per round trip: cancel, clean up extras, submit or replace."""
        if self._busy(side):
            return []
        resting = self._quotes(ctx, side)
        if price is None or size <= 0:
            if resting:
                self.counts["skipped_inventory"] += 1
            return [self._cancel(o, ctx) for o in resting]
        if len(resting) > 1:  # e.g. a cancel that reached the venue before its order: keep the nearest
            keep = min(resting, key=lambda o: (abs(o.price - price), -o.ts_created))
            self.counts["extra_quotes"] += len(resting) - 1
            return [self._cancel(o, ctx) for o in resting if o is not keep]
        if ctx.now_ns < self._backoff_until[side]:
            return []
        if not resting:
            cid = ctx.next_client_order_id(_TAGS[side])
            self._flights[cid] = _Flight(side, ctx.now_ns, False, None)
            self.counts["submits"] += 1
            return [self._intent(IntentAction.SUBMIT, cid, side, price, size, spec, ctx)]
        current = resting[0]
        if abs(current.price - price) < self.params.requote_threshold_ticks * tick:
            return []
        if _touched(current, view):  # filled at the venue by now: its fill is on the way
            cid, since = self._touched.get(side) or (current.client_order_id, ctx.now_ns)
            if cid != current.client_order_id:
                since = ctx.now_ns
            self._touched[side] = (current.client_order_id, since)
            if ctx.now_ns - since <= self.params.pending_timeout_ms * 1e6:
                self.counts["skipped_touched"] += 1
                return []
            # No fill came within the timeout (an event the host lost?): the replace's cancel will tell.
        cid, old = ctx.next_client_order_id(_TAGS[side]), current.client_order_id
        self._flights[cid] = _Flight(side, ctx.now_ns, False, old)
        self._flights[old] = _Flight(side, ctx.now_ns, True, cid)
        self.counts["replaces"] += 1
        return [self._intent(IntentAction.REPLACE, old, side, price, size, spec, ctx, new_id=cid)]

    def _intent(self, action, cid, side, price, size, spec, ctx, new_id=None) -> OrderIntent:
        return OrderIntent(action, self.strategy_id, cid, self.instrument_id, spec.price_decimals, spec.size_decimals,
                           side, OrderType.LIMIT, size, price, None, TimeInForce.GTX, False, new_id, ctx.now_ns,
                           _TAGS[side])  # fmt: skip

    def _cancel(self, order: Order, ctx: StrategyContext) -> OrderIntent:
        self._flights[order.client_order_id] = _Flight(order.side, ctx.now_ns, True, None)
        self.counts["cancels"] += 1
        return OrderIntent(IntentAction.CANCEL, self.strategy_id, order.client_order_id, self.instrument_id,
                           order.price_decimals, order.size_decimals, order.side, ts_created=ctx.now_ns,
                           tag=order.tag)  # fmt: skip

    def _pull(self, ctx: StrategyContext, reason: str) -> list[Action]:
        self._expire_flights(ctx.now_ns, ctx.open_orders)
        out = [self._cancel(o, ctx) for side in (Side.BUY, Side.SELL) for o in self._quotes(ctx, side)]
        self.counts["pulls"] += 1 if out else 0
        self._pulled_reason = reason
        return out


class _Flight(NamedTuple):
    """What is awaited of one client order id: ``closing`` (a cancel / the old half of a replace: an event showing
    it closed, or a cancel rejection) or not (a submit / the new half: any event of it). ``link``: the other half
    of a replace. ``ts``: when it was sent (ns, ``ctx.now_ns``)."""

    side: Side
    ts: int
    closing: bool
    link: str | None


def _touched(order: Order, view: BookView) -> bool:
    """Whether the opposite best has reached the order's price (the venue fills the whole quote then)."""
    if order.side is Side.BUY:
        return bool(view.asks) and view.asks[0][0] <= order.price
    return bool(view.bids) and view.bids[0][0] >= order.price


def _build(strategy_id: str, instruments: Sequence[str], params: MarketMakingParams) -> MarketMaker:
    ids = list(instruments) or ["BTCUSDT.BINANCE"]
    if len(ids) != 1:
        raise ConfigError(f"strategy {strategy_id!r} (market_making) quotes exactly one instrument, got {ids}")
    return MarketMaker(strategy_id, ids[0], params)


register("market_making", MarketMakingParams, _build)
