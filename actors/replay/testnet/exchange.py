"""The testnet-mode venue's matching and accounting: Binance orders on the paper fill model. Pure (no sockets).

:class:`TestnetExchange` owns one :class:`~actors.execution.paper.PaperVenue` (unchanged, zero latencies by
default), the accounts (one per API key, :mod:`~actors.replay.testnet.accounts`), the orders and the fill log. The
REST routes (:mod:`~actors.replay.testnet.routes`) call its methods with decoded, verified parameters and the wall
clock; the venue's pump calls :meth:`on_frame` with every dispatched frame. Order events from the model move the
balances and are handed to ``listener(api_key, event_dict)`` (the user-data streams) in the order they happen.

Answers. An order or cancel request is answered with what the model *released* for it (Binance answers ``POST
order`` after matching, ``DELETE order`` with the canceled order): ``new_order`` / ``cancel_order`` return the
body, or raise the refusal, when the outcome is known at once (latencies 0, the default), and otherwise a
:class:`Held` answer that the model completes when its clock passes ``arrival + response_latency`` (only with
``TestnetConfig.event_clock``: the model clock is then the recording's, advanced frame by frame or by
:meth:`TestnetExchange.advance_to`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from decimal import Decimal

from actors.execution.paper import PaperConfig, PaperVenue
from actors.fixedpoint import fixed_to_decimal
from actors.instruments import InstrumentSpec, Venue, spec_for
from actors.messages import Trade
from actors.orders import IntentAction, OrderEvent, OrderEventKind, OrderIntent, OrderType, Side
from actors.replay.testnet import errors, wire
from actors.replay.testnet.accounts import ZERO, FuturesAccount, SpotAccount
from actors.replay.testnet.config import TestnetConfig
from actors.replay.testnet.market import MarketTap
from actors.replay.testnet.orders import NewOrder, SymbolFilters, VenueOrder, int_param, parse_new_order, rejection

__all__ = ["Held", "TestnetExchange"]

_MS = 1_000_000
Listener = Callable[[str, dict], None]


class Held:
    """An order / cancel answer waiting for the model's outcome (see the module docstring). Pure: the REST layer
    sets ``on_done`` (called once, with this object) and then reads :meth:`value`.

    Attributes:
        kind: ``new`` or ``cancel``. order: the venue order. resp_type: spot ``newOrderRespType`` (lower case).
        done: the outcome is known.
    """

    __slots__ = ("kind", "order", "resp_type", "done", "body", "error", "on_done")

    def __init__(self, kind: str, order: VenueOrder, resp_type: str = "") -> None:
        self.kind, self.order, self.resp_type = kind, order, resp_type
        self.done = False
        self.body: dict | None = None
        self.error: errors.RestError | None = None
        self.on_done: Callable[[Held], None] | None = None

    def finish(self, body: dict | None = None, error: errors.RestError | None = None) -> None:
        self.done, self.body, self.error = True, body, error
        if self.on_done is not None:
            self.on_done(self)

    def value(self) -> dict:
        """The answer's body. Raises the venue's RestError when the request was refused."""
        if self.error is not None:
            raise self.error
        assert self.body is not None
        return self.body


class TestnetExchange:
    """Accounts, orders and fills of one Binance venue (spot or USD-M).

    Args:
        venue: ``binance`` or ``binance_usdm``.
        symbols: the symbols the recording holds (the ones that can be traded).
        config: keys, balances, latencies.
        exchange_info: the spot ``exchangeInfo`` body (filters), or None (the instrument specs' tick and lot).
        snapshot: ``(symbol, limit) -> depth body | None``: the venue's ``GET depth`` answer now.
        created_ms: the accounts' first ``updateTime`` (ccxt skips USD-M assets whose ``updateTime`` is 0).

    Raises:
        ConfigError: a venue other than Binance spot / USD-M.
    """

    __test__ = False

    def __init__(self, venue: Venue, symbols, config: TestnetConfig, exchange_info: bytes | None,
                 snapshot: Callable[[str, int], bytes | None], created_ms: int = 0) -> None:  # fmt: skip
        from actors.errors import ConfigError

        self.venue = Venue(venue)
        if self.venue not in (Venue.BINANCE, Venue.BINANCE_USDM):
            raise ConfigError(f"testnet mode serves Binance spot and USD-M, not {self.venue.value}")
        self.futures = self.venue is Venue.BINANCE_USDM
        self.config = config
        self.specs: dict[str, InstrumentSpec] = {s: spec_for(self.venue, s) for s in sorted(symbols)}
        infos = {}
        if exchange_info and not self.futures:
            infos = {s["symbol"]: s for s in json.loads(exchange_info).get("symbols", [])}
        self.filters = {s: SymbolFilters.from_exchange_info(spec, infos.get(s)) for s, spec in self.specs.items()}
        if self.futures:
            self.filters = {s: _with_min_notional(f, config.usdm_min_notional) for s, f in self.filters.items()}
        self.paper = PaperVenue({spec.instrument_id: spec for spec in self.specs.values()},
                                PaperConfig(config.entry_latency_ms, config.response_latency_ms,
                                            config.cancel_latency_ms, config.queue_model))  # fmt: skip
        self.tap = MarketTap(self.venue, self.specs, snapshot)
        self.keys = list(config.keys)
        self.spot = {k: SpotAccount.with_balances(dict(config.spot_balances)) for k in self.keys}
        self.usdm = {k: FuturesAccount("USDT", config.usdm_balances.get("USDT", ZERO), config.leverage, update_ms=created_ms)
                     for k in self.keys}  # fmt: skip
        for acct in self.spot.values():
            acct.update_ms = created_ms
        self.orders: dict[int, VenueOrder] = {}  # orderId -> order
        self._live: dict[str, dict[int, VenueOrder]] = {k: {} for k in self.keys}  # open (pruned lazily)
        self._by_coid: dict[tuple[str, str], list[VenueOrder]] = {}  # (account, clientOrderId) -> orders
        self._by_internal: dict[str, VenueOrder] = {}
        self.fills: list[dict] = []  # the venue's fill log (every account)
        self.order_log: list[dict] = []  # every accepted order request, with its outcome
        self._order_ids = itertools.count(1_000_001)
        self._trade_ids = itertools.count(1)
        self._coids = itertools.count(1)
        self.listener: Listener | None = None
        self.clock_ns = 0
        self.event_clock = config.event_clock
        self._held_new: dict[str, Held] = {}  # internal id -> the POST order answer waiting for the model
        self._held_cancel: dict[str, Held] = {}  # internal id -> the DELETE order answer waiting for the model
        self.trade_stats: dict[str, dict] = {}  # symbol -> 24 h ticker figures of the trades replayed so far

    # -- market data ------------------------------------------------------------------------------------------
    def on_frame(self, frame: bytes, ts_ns: int) -> None:
        """A frame the venue dispatched at ``ts_ns`` (wall time; the recorded ``ts_recv`` with ``event_clock``):
        fills resting orders it trades through."""
        self._on_market(self.tap.on_frame(frame, ts_ns), ts_ns)

    def on_snapshot(self, body: bytes, ts_ns: int) -> None:
        """A REST depth snapshot of the recording (``event_clock``: the model's book source, as a feed's)."""
        self._on_market(self.tap.on_snapshot(body, ts_ns), ts_ns)

    def advance_to(self, ts_ns: int) -> None:
        """Move the model clock to ``ts_ns`` with no market event (``event_clock``; as ``PaperVenue.advance``):
        arrivals due by then are handled against the current book, outcomes due are released."""
        self.clock_ns = max(self.clock_ns, ts_ns)
        self._apply(self.paper.advance(ts_ns))

    @property
    def held(self) -> int:
        """Answers waiting for the model (order and cancel requests)."""
        return len(self._held_new) + len(self._held_cancel)

    def _on_market(self, events: list, ts_ns: int) -> None:
        for ev in events:
            if type(ev) is Trade:
                self._count_trade(ev)
        if events:
            self.clock_ns = max(self.clock_ns, ts_ns)
            self._apply(self.paper.on_market(events))

    def _now(self, now_ns: int) -> int:
        """The time a request reaches the model: the model clock with ``event_clock``, else the wall clock."""
        return self.clock_ns if self.event_clock else max(now_ns, self.clock_ns)

    def _count_trade(self, t: Trade) -> None:
        symbol = t.instrument_id.split(".", 1)[0]
        spec = self.specs[symbol]
        price, size = fixed_to_decimal(t.price, spec.price_decimals), fixed_to_decimal(t.size, spec.size_decimals)
        ms = t.ts_event // _MS
        st = self.trade_stats.get(symbol)
        if st is None:
            st = self.trade_stats[symbol] = {"open": price, "high": price, "low": price, "last": price,
                                             "last_qty": size, "volume": ZERO, "quote": ZERO, "count": 0,
                                             "open_ms": ms, "close_ms": ms}  # fmt: skip
        st["high"], st["low"] = max(st["high"], price), min(st["low"], price)
        st["last"], st["last_qty"], st["close_ms"] = price, size, ms
        st["volume"] += size
        st["quote"] += price * size
        st["count"] += 1

    # -- orders -----------------------------------------------------------------------------------------------
    def new_order(self, key: str, params: dict[str, str], now_ns: int) -> dict | Held:
        """``POST /api/v3/order`` / ``/fapi/v1/order``: returns the response body (dict), or a :class:`Held`
        answer when the model has not handled the order yet (latencies with ``event_clock``).

        Raises:
            RestError: parameter and filter errors (:func:`~actors.replay.testnet.orders.parse_new_order`),
                ``-2010`` insufficient balance (spot), ``-2019`` insufficient margin (USD-M), ``-2010`` duplicate
                open ``newClientOrderId``, and the model's refusals on arrival (:func:`.orders.rejection`).
        """
        n = parse_new_order(params, self.futures, self.filters, f"testnet{next(self._coids)}")
        if any(o.is_open for o in self._by_coid.get((key, n.client_order_id), ())):
            raise errors.bad_param(-2010, "Duplicate order sent.") if not self.futures else \
                errors.bad_param(-4015, "Client order id is not valid.")
        now_ns = self._now(now_ns)
        now_ms = now_ns // _MS
        order_id = next(self._order_ids)
        o = VenueOrder(key, n, order_id, f"{self.keys.index(key)}-{order_id}", now_ms, update_ms=now_ms)
        self._reserve(o)
        self.orders[order_id] = o
        self._by_internal[o.internal_id] = o
        self._live[key][order_id] = o
        self._by_coid.setdefault((key, n.client_order_id), []).append(o)
        spec = self.specs[n.symbol]
        intent = OrderIntent(IntentAction.SUBMIT, f"acct{self.keys.index(key)}", o.internal_id, spec.instrument_id,
                             spec.price_decimals, spec.size_decimals, n.model_side, n.model_type, n.size,
                             n.price_fixed, n.stop_fixed, n.model_tif, n.reduce_only, ts_created=now_ns)  # fmt: skip
        self.clock_ns = now_ns
        held = self._held_new[o.internal_id] = Held("new", o, n.resp_type.lower())
        self._apply(self.paper.submit(intent, now_ns))
        return held.value() if held.done else held

    def find(self, key: str, params: dict[str, str], missing: Callable) -> VenueOrder:
        """The account's order named by ``orderId`` or ``origClientOrderId``.

        Raises:
            RestError: ``-1102`` symbol / id missing, ``-1121`` unknown symbol, ``missing()`` when not found.
        """
        symbol = self._symbol(params)
        order_id = int_param(params, "orderId")
        coid = params.get("origClientOrderId") or None
        if order_id is None and coid is None:
            raise errors.bad_param(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        found = None
        if order_id is not None:
            found = self.orders.get(order_id)
        else:
            matching = self._by_coid.get((key, coid), [])
            found = next((o for o in matching if o.is_open), matching[-1] if matching else None)
        if found is None or found.account != key or found.order.symbol != symbol:
            raise missing()
        if coid is not None and found.order.client_order_id != coid:
            raise missing()
        return found

    def query_order(self, key: str, params: dict[str, str]) -> dict:
        """``GET order``. Raises RestError ``-2013`` when the account has no such order."""
        o = self.find(key, params, errors.unknown_order)
        return wire.futures_order(o) if self.futures else wire.spot_order(o, "query")

    def cancel_order(self, key: str, params: dict[str, str], now_ns: int) -> dict | Held:
        """``DELETE order``: the canceled order, or a :class:`Held` answer while the cancel travels to the model
        (``cancel_latency``) and back (``response_latency``). Raises RestError ``-2011`` for an unknown or closed
        order (closed in the model when the cancel reaches it: a fill can win the race)."""
        o = self.find(key, params, errors.cancel_rejected)
        if not o.is_open and not self.event_clock:
            raise errors.cancel_rejected()
        if o.internal_id in self._held_cancel or o.internal_id in self._held_new:
            raise errors.cancel_rejected()  # one request at a time per order (a client waits for its answer)
        held = self._held_cancel[o.internal_id] = Held("cancel", o)
        self._cancel(o, now_ns)
        return held.value() if held.done else held

    def cancel_open_orders(self, key: str, params: dict[str, str], now_ns: int) -> list[dict] | dict:
        """``DELETE openOrders`` / ``allOpenOrders``: cancels the account's open orders of ``symbol``."""
        symbol = self._symbol(params)
        victims = [o for o in self._open(key) if o.order.symbol == symbol]
        if not victims and not self.futures:
            raise errors.cancel_rejected()
        for o in victims:
            self._cancel(o, now_ns)
        if self.futures:
            return {"code": 200, "msg": "The operation of cancel all open order is done."}
        return [wire.spot_order(o, "cancel") for o in victims]

    def open_orders(self, key: str, params: dict[str, str]) -> list[dict]:
        """``GET openOrders`` (``symbol`` optional)."""
        symbol = params.get("symbol")
        if symbol is not None:
            symbol = self._symbol(params)
        out = [o for o in self._open(key) if symbol is None or o.order.symbol == symbol]
        return [wire.futures_order(o) if self.futures else wire.spot_order(o, "query") for o in out]

    def my_trades(self, key: str, params: dict[str, str]) -> list[dict]:
        """``GET /api/v3/myTrades`` / ``/fapi/v1/userTrades``: ``symbol``; ``orderId``, ``startTime``,
        ``endTime``, ``fromId``, ``limit`` (default 500, at most 1000) optional."""
        symbol = self._symbol(params)
        order_id, start, end = int_param(params, "orderId"), int_param(params, "startTime"), int_param(params, "endTime")
        from_id, limit = int_param(params, "fromId"), int_param(params, "limit") or 500
        if limit > 1000:
            limit = 1000
        rows = [f for f in self.fills if f["account"] == key and f["symbol"] == symbol
                and (order_id is None or f["orderId"] == order_id) and (start is None or f["time"] >= start)
                and (end is None or f["time"] <= end) and (from_id is None or f["tradeId"] >= from_id)]  # fmt: skip
        rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
        return [wire.futures_trade(f) if self.futures else wire.spot_trade(f) for f in rows]

    def account(self, key: str) -> dict:
        """Spot ``GET /api/v3/account`` or USD-M ``GET /fapi/v3/account``."""
        if self.futures:
            return wire.futures_account(self.usdm[key], self._open(key))
        spec = next(iter(self.specs.values()))
        return wire.spot_account(self.spot[key], spec.maker_fee, spec.taker_fee, 1_000 + self.keys.index(key))

    def futures_balance(self, key: str) -> list[dict]:
        return wire.futures_balance(self.usdm[key], self._open(key))

    def futures_positions(self, key: str, params: dict[str, str]) -> list[dict]:
        symbol = params.get("symbol")
        symbols = [self._symbol(params)] if symbol else None
        return wire.futures_positions(self.usdm[key], symbols)

    # -- internals --------------------------------------------------------------------------------------------
    def _symbol(self, params: dict[str, str]) -> str:
        raw = params.get("symbol")
        if not raw:
            raise errors.mandatory("symbol")
        symbol = raw.upper()
        if symbol not in self.specs:
            raise errors.bad_param(-1121, "Invalid symbol.")
        return symbol

    def _open(self, key: str) -> list[VenueOrder]:
        """The account's open orders in creation order (closed ones are dropped from the index here)."""
        live = self._live[key]
        closed = [i for i, o in live.items() if not o.is_open]
        for i in closed:
            del live[i]
        return list(live.values())

    def _cancel(self, o: VenueOrder, now_ns: int) -> None:
        now_ns = self._now(now_ns)
        self.clock_ns = now_ns
        spec = self.specs[o.order.symbol]
        intent = OrderIntent(IntentAction.CANCEL, f"acct{self.keys.index(o.account)}", o.internal_id,
                             spec.instrument_id, spec.price_decimals, spec.size_decimals, ts_created=now_ns)  # fmt: skip
        self._apply(self.paper.submit(intent, now_ns))

    def _rate(self, n: NewOrder) -> Decimal:
        spec = self.specs[n.symbol]
        return max(spec.maker_fee, spec.taker_fee)

    def _reserve(self, o: VenueOrder) -> None:
        """Check and lock what the order may spend. Raises RestError -2010 / -2019."""
        n = o.order
        spec = self.specs[n.symbol]
        if self.futures:
            if n.reduce_only:
                return
            price = n.price or n.stop_price or self._estimate_price(n)
            margin = price / self.config.leverage
            acct = self.usdm[o.account]
            available = acct.wallet - acct.position_margin() - sum(
                (x.margin_per_unit * x.remaining for x in self._open(o.account)), ZERO)
            if margin * n.quantity + (price * n.quantity * self._rate(n)) > available:
                raise errors.insufficient_margin()
            o.margin_per_unit = margin
            return
        acct = self.spot[o.account]
        if n.side == "SELL":
            asset, per_unit = spec.base, Decimal(1)
            amount = n.quantity
        else:
            asset = spec.quote
            rate = self._rate(n)
            if n.price:
                per_unit = n.price * (1 + rate)
                amount = per_unit * n.quantity
            else:  # market buy: what the book shows for the quantity now, plus the fee
                price = n.stop_price or self._estimate_price(n)
                per_unit = None
                amount = self._estimate_cost(n) if not n.stop_price else price * n.quantity
                amount *= 1 + rate
        if amount > acct.available(asset):
            raise errors.insufficient_balance()
        acct.lock(asset, amount)
        o.lock_asset, o.lock_left, o.lock_per_unit = asset, amount, per_unit

    def _estimate_cost(self, n: NewOrder) -> Decimal:
        book = self.tap.book(n.symbol)
        spec = self.specs[n.symbol]
        want, cost = n.size, ZERO
        if book is not None:
            _, asks = book.depth(10_000)
            for price, size in asks:
                take = min(size, want)
                cost += fixed_to_decimal(price, spec.price_decimals) * fixed_to_decimal(take, spec.size_decimals)
                want -= take
                if want <= 0:
                    break
        return cost

    def _estimate_price(self, n: NewOrder) -> Decimal:
        book = self.tap.book(n.symbol)
        spec = self.specs[n.symbol]
        if book is None:
            return ZERO
        best = book.best_ask_price() if n.side == "BUY" else book.best_bid_price()
        return ZERO if best is None else fixed_to_decimal(best, spec.price_decimals)

    def _release(self, o: VenueOrder) -> None:
        if not self.futures and o.lock_left:
            self.spot[o.account].unlock(o.lock_asset, o.lock_left)
            o.lock_left = ZERO

    def _drop(self, o: VenueOrder) -> None:
        """Forget an order the model refused on arrival: Binance answers an error and records nothing."""
        self._release(o)
        del self.orders[o.order_id], self._by_internal[o.internal_id], self._live[o.account][o.order_id]
        self._by_coid[(o.account, o.order.client_order_id)].remove(o)

    def _apply(self, events: list[OrderEvent]) -> None:
        answered: dict[str, tuple[Held, int]] = {}  # internal id -> (answer, model time of its outcome)
        for ev in events:
            o = self._by_internal.get(ev.order.client_order_id)
            if o is None:
                continue
            ms = ev.ts_event // _MS
            kind = ev.kind
            done = answered.get(o.internal_id)
            if done is not None and ev.ts_event != done[1]:  # the answer is the order as placed (with the fills
                self._answer(answered.pop(o.internal_id)[0])  # it took then); later maker fills: the stream's
            held = self._held_new.pop(o.internal_id, None)
            if held is not None:
                if kind is OrderEventKind.REJECTED:
                    self._drop(o)
                    held.finish(error=rejection(ev.reason, self.futures))
                    continue
                n = o.order
                self.order_log.append({"account": o.account, "orderId": o.order_id, "symbol": n.symbol,
                                       "clientOrderId": n.client_order_id, "side": n.side, "type": n.type,
                                       "quantity": str(n.quantity), "price": str(n.price), "time": o.time_ms})  # fmt: skip
                answered[o.internal_id] = (held, ev.ts_event)  # with the fills it takes on arrival (same instant)
            if kind is OrderEventKind.CANCEL_REJECTED:
                cancel = self._held_cancel.pop(o.internal_id, None)
                if cancel is not None:
                    cancel.finish(error=errors.cancel_rejected())
                continue
            if kind is OrderEventKind.CANCELED and o.internal_id in self._held_cancel:
                answered[o.internal_id] = (self._held_cancel.pop(o.internal_id), ev.ts_event)
            if kind is OrderEventKind.ACCEPTED:
                self._emit_order(o, "NEW", ms)
                if not self.futures:  # the order's lock moved free to locked (Binance "Account Update")
                    self._emit_account(o, ms)
            elif kind is OrderEventKind.TRIGGERED:
                o.triggered, o.update_ms = True, ms
            elif kind in (OrderEventKind.PARTIALLY_FILLED, OrderEventKind.FILLED) and ev.fill is not None:
                self._on_fill(o, ev, ms)
            elif kind in (OrderEventKind.CANCELED, OrderEventKind.EXPIRED, OrderEventKind.REJECTED):
                if kind is OrderEventKind.CANCELED and ev.reason in ("canceled", "kill_switch", "replaced"):
                    o.status, exec_type = "CANCELED", "CANCELED"
                elif kind is OrderEventKind.REJECTED:
                    o.status, exec_type = "REJECTED", "REJECTED"
                else:  # IOC / market remainder, FOK unfilled, reduce-only excess: Binance says EXPIRED
                    o.status, exec_type = "EXPIRED", "EXPIRED"
                o.reason, o.update_ms = ev.reason, ms
                self._release(o)
                self._emit_order(o, exec_type, ms)
                self._emit_account(o, ms)
        for held, _ in answered.values():
            self._answer(held)

    def _answer(self, held: Held) -> None:
        o = held.order
        if self.futures:
            held.finish(wire.futures_order(o))
        else:
            held.finish(wire.spot_order(o, held.resp_type if held.kind == "new" else "cancel"))

    def _on_fill(self, o: VenueOrder, ev: OrderEvent, ms: int) -> None:
        f, n = ev.fill, o.order
        assert f is not None
        price, qty, fee = f.price_decimal(), f.size_decimal(), f.fee
        spec = self.specs[n.symbol]
        o.executed += qty
        o.cum_quote += price * qty
        o.update_ms = ms
        o.status = "FILLED" if o.executed >= n.quantity else "PARTIALLY_FILLED"
        realized = ZERO
        if self.futures:
            acct = self.usdm[o.account]
            realized = acct.fill(n.symbol, qty if n.side == "BUY" else -qty, price, fee, ms)
        else:
            acct_s = self.spot[o.account]
            if n.side == "BUY":
                out = price * qty + fee
                share = min(o.lock_left, o.lock_per_unit * qty if o.lock_per_unit is not None else out)
                acct_s.spend_locked(spec.quote, share, out)
                acct_s.credit(spec.base, qty)
            else:
                share = min(o.lock_left, qty)
                acct_s.spend_locked(spec.base, share, qty)
                acct_s.credit(spec.quote, price * qty - fee)
            o.lock_left -= share
            acct_s.update_ms = ms
        row = {"account": o.account, "symbol": n.symbol, "orderId": o.order_id, "clientOrderId": n.client_order_id,
               "tradeId": next(self._trade_ids), "side": n.side, "price": price, "qty": qty, "commission": fee,
               "commissionAsset": f.fee_currency, "isMaker": f.liquidity.value == "maker", "time": ms,
               "ts_event": ev.ts_event, "realizedPnl": realized}  # fmt: skip
        o.fills.append(row)
        self.fills.append(row)
        if not o.is_open:
            self._release(o)
        self._emit_order(o, "TRADE", ms, row)
        self._emit_account(o, ms)

    def _emit_order(self, o: VenueOrder, exec_type: str, ms: int, fill: dict | None = None) -> None:
        if self.listener is None:
            return
        if self.futures:
            self.listener(o.account, wire.order_trade_update(o, exec_type, ms, fill))
        else:
            self.listener(o.account, wire.execution_report(o, exec_type, ms, fill))

    def _emit_account(self, o: VenueOrder, ms: int) -> None:
        if self.listener is None:
            return
        if self.futures:
            self.listener(o.account, wire.account_update(self.usdm[o.account], o.order.symbol, ms))
        else:
            spec = self.specs[o.order.symbol]
            self.listener(o.account, wire.outbound_account_position(self.spot[o.account], [spec.base, spec.quote], ms))

    def fill_log(self) -> list[dict]:
        """The venue's fills as JSON (amounts as exact decimal strings; the API key names the account)."""
        return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in f.items()} for f in self.fills]

    def order_list(self) -> list[dict]:
        """Every order the venue created, with its current state (JSON)."""
        out = []
        for o in self.orders.values():
            n = o.order
            out.append({"account": o.account, "symbol": n.symbol, "orderId": o.order_id,
                        "clientOrderId": n.client_order_id, "side": n.side, "type": n.type,
                        "timeInForce": n.time_in_force, "quantity": str(n.quantity), "price": str(n.price),
                        "stopPrice": str(n.stop_price), "status": o.status, "executedQty": str(o.executed),
                        "cummulativeQuoteQty": str(o.cum_quote), "reason": o.reason, "time": o.time_ms,
                        "updateTime": o.update_ms})  # fmt: skip
        return out


def _with_min_notional(f: SymbolFilters, value: Decimal) -> SymbolFilters:
    from dataclasses import replace

    return replace(f, min_notional=value)


_ = (OrderType, Side)
