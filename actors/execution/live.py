"""Live (and testnet) execution: the :class:`~actors.execution.transport.Transport` over signed Binance REST.

One :class:`LiveTransport` per (mode, venue): ``testnet`` points the :class:`~actors.execution.live_client.
BinanceClient` at the testnet endpoint from the config (the testnet-mode replay venue, or Binance's own testnet),
``live`` at production. Every order goes through :class:`~actors.orders.OrderState`, the same lifecycle paper
uses; what changes is only where the transitions come from:

* ``submit``: ``POST order`` with our ``newClientOrderId``; the answer accepts the order (status ``NEW``) and, on
  spot (``newOrderRespType=FULL``), carries the fills of what it took at once; a refusal rejects it with the venue's
  reason (``insufficient_funds: ...``, ``binance:-1013:Filter failure: ...``). ``cancel``: ``DELETE order`` by
  client order id; an order the venue no longer has open (``-2011``) is reconciled, then ``cancel_rejected`` if it
  is still open here (or ``order_closed`` when the reconciliation closed it: a fill won the race, paper's reason);
  a cancel is sent even for an order closed here, since paper's cancel also travels to the model and is refused
  there. ``replace``: the cancel and the new order are sent together, as paper sends both at once (the new order
  does not wait for the cancel's answer; Binance's ``cancelReplace`` with ``ALLOW_FAILURE`` has the same outcome).
* **Reconciliation** (every ``poll_interval_s`` while orders are open, every ``reconcile_interval_s`` anyway, and
  at once after a user-data reconnect or a kill): ``GET openOrders`` per symbol; when an order's ``executedQty``
  differs from ours or it left the open list, ``GET myTrades`` from the last seen trade id gives the missing fills
  (each venue trade id applied once: a fill is never counted twice), then ``GET order`` the final status. Venue
  orders unknown here are counted and alerted (``unknown_venue_orders``); balances are refreshed every
  ``balance_interval_s`` (``balances()``, snapshots for ``account_balances`` and ``GET /accounts``). The venue wins
  every conflict.
* **User-data stream** (when ``ws_url`` is given: :class:`~actors.execution.userdata.UserDataStream`, listen key
  through the same ccxt client): each ``executionReport`` / ``ORDER_TRADE_UPDATE`` is applied at once (its fill by
  venue trade id, the same de-duplication as reconciliation, so a fill the stream and REST both report counts
  once); ``outboundAccountPosition`` / ``ACCOUNT_UPDATE`` set the balances; every (re)connect reconciles
  (``user_data_connect`` / ``user_data_reconnect`` / ...), which is how fills made while the socket was down are
  found. While the stream is up, polling is only the periodic full reconciliation.
* Fill ids are ours (``<client_order_id>-<n>``, as paper), the venue trade id is kept in ``trade_ids``; fees are
  the venue's ``commission`` (in ``commissionAsset``); times are the venue's (``transactTime`` / trade ``time``,
  ms -> ns).

Keys are read here from the environment variables the config names (``SecretStr``), never passed in.

Testnet = paper?
----------------
**Exactly, in lock step** (:mod:`actors.execution.parity`, ``raytrade parity``, asserted by
``tests/integration/test_testnet_parity.py``): the market maker over the bundled spot recording, driven one record
at a time in recorded time, once through ``PaperTransport`` and once through this transport (real ccxt, the
testnet-mode venue's HTTP and user-data servers on loopback, ``TestnetConfig(event_clock=True)`` with the paper
config's 5 ms entry / response / cancel latencies), gives the same intents, order events, fills (price, size, fee,
maker/taker) and final orders, element for element: over the whole capture (99,574 records) 2,078 intents and
881 fills, 39 post-only refusals and 5 cancels that lost the race to a fill, in both modes.

Getting there folded the differences below; what remains different in a full ``raytrade run`` is only timing:

1. **Strategy inputs timed by wall clocks** (remains in ``raytrade run``). Book views are conflated and batched on
   wall-clock schedules, so a run at a finite speed is not deterministic even paper against paper (181, 112 and
   107 orders in three paper runs of ``tests/e2e/test_live_execution.py``). The harness conflates on recorded time.
2. **Acknowledgement latency** (remains in ``raytrade run``). Paper accepts an order ``entry_latency_ms`` after it
   is sent and releases it ``response_latency_ms`` later; a testnet order is acknowledged when the REST round trip
   and the execution timer allow. In the harness the venue's model applies the same latencies on the recorded
   clock and holds each answer until the model releases it.
3. **Different clocks for the same model** (folded). The venue ran the model on its wall-clock send time of each
   frame and its own ``GET depth`` book; with ``event_clock`` it runs on each record's recorded ``ts_recv`` and
   loads the recording's snapshot record, as the feed pipeline does for paper.
4. **Replace and cancel** (folded, here). A replace was a cancel, then the new order after the cancel's answer
   (paper sends both at once): both are now sent together. A cancel of an order already closed here was refused
   at once without asking the venue (paper's cancel travels to the model): it is now sent, and the venue's
   ``-2011`` becomes ``cancel_rejected`` ``order_closed``, paper's reason for a cancel that lost the race.
5. **Event order** (folded, here). The events of a REST answer were queued only when the whole request chain
   ended, so a replace's new order could show ``filled`` (stream) before ``accepted`` (its REST answer); every
   answer's events are now queued when it is applied.
6. **The strategy's clock** (folded, ``strategies/market_making.py``). The market maker timed a rejection's backoff
   from the event's ``ts_event``, the venue's clock (here: the wall-clock stamp of a REST refusal); it now uses the
   host clock ``ctx.now_ns``.
7. **Fill notification** (remains in ``raytrade run``). Testnet fills come over the user-data stream (or the next
   reconciliation while it is down); the harness waits for the stream before the recording moves on.

Fees are exact on every path: the venue writes a spot amount with more than 8 decimals exactly (``wire.s8``), so
the REST answer, the stream's ``n`` and the fill log agree with the paper model's ``price * size * rate``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec
from pydantic import SecretStr

from actors.errors import (
    AuthenticationError,
    ConfigError,
    OrderNotFound,
    OrderRejected,
    RaytradeError,
    VenueError,
)
from actors.execution.live_client import BinanceClient
from actors.execution.matching import fee_currency
from actors.fixedpoint import to_fixed
from actors.instruments import InstrumentSpec, Venue
from actors.messages import MarketEvent
from actors.orders import (
    IntentAction,
    Liquidity,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderIntent,
    OrderState,
    OrderStatus,
)

__all__ = ["LiveTransport", "read_keys"]

log = logging.getLogger(__name__)
_MS = 1_000_000


def read_keys(key_env: str, secret_env: str) -> tuple[SecretStr, SecretStr]:
    """The API key and secret from the environment (names from the config, values never passed around).

    Raises:
        ConfigError: a variable is unset or empty (its name is in the message, never a value).
    """
    key, secret = os.environ.get(key_env, ""), os.environ.get(secret_env, "")
    missing = [n for n, v in ((key_env, key), (secret_env, secret)) if not v]
    if missing:
        raise ConfigError(f"live execution needs the environment variable(s) {', '.join(missing)}")
    return SecretStr(key), SecretStr(secret)


class LiveTransport:
    """Signed REST execution on one Binance venue (spot or USD-M).

    Args:
        mode: ``testnet`` or ``live``.
        venue: ``binance`` or ``binance_usdm``.
        specs: ``instrument_id -> spec`` of the instruments routed here (of ``venue``).
        client: the signed client (tests build one; the actor builds it from the config and the environment).
        poll_interval_s, reconcile_interval_s, balance_interval_s: reconciliation periods (see module docstring).
        clock: wall clock (ns).
        ws_url: the user-data websocket base (None: REST reconciliation only).
        asynchronous: ``submit`` returns at once and sends in the background (see :meth:`submit`).
    """

    def __init__(self, mode: str, venue: Venue | str, specs: Mapping[str, InstrumentSpec], client: BinanceClient,
                 poll_interval_s: float = 0.5, reconcile_interval_s: float = 10.0, balance_interval_s: float = 10.0,
                 clock=time.time_ns, ws_url: str | None = None, asynchronous: bool = True) -> None:  # fmt: skip
        if mode not in ("testnet", "live"):
            raise ConfigError(f"LiveTransport mode must be testnet or live, got {mode!r}")
        self.mode = mode
        self.venue = Venue(venue)
        self.specs = {i: s for i, s in specs.items() if s.venue is self.venue}
        self.by_symbol = {s.symbol: s for s in self.specs.values()}
        self.client = client
        self.poll_interval_s = poll_interval_s
        self.reconcile_interval_s = reconcile_interval_s
        self.balance_interval_s = balance_interval_s
        self.clock = clock
        self.states: dict[str, OrderState] = {}
        self.venue_ids: dict[str, str] = {}  # venue orderId -> client order id
        self.trade_ids: dict[str, set[str]] = {}  # client order id -> venue trade ids applied
        self.last_trade_id: dict[str, int] = {}  # symbol -> highest venue trade id seen
        self._pending: deque[OrderEvent] = deque()
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.connection: dict = {}
        self.balances_: dict[str, tuple[Decimal, Decimal]] = {}
        self.balances_ts = 0
        self.last_reconciliation: dict = {}
        self.unknown_venue_orders: dict[str, dict] = {}
        self.ws_url = ws_url
        self.asynchronous = asynchronous
        self.notify = None  # set by the execution actor: called when events are queued
        self._inflight: dict[str, asyncio.Task] = {}
        self.stream = None
        self._stream_task: asyncio.Task | None = None
        self.alerts: deque[dict] = deque(maxlen=1000)
        self.counts = {"submitted": 0, "accepted": 0, "rejected": 0, "canceled": 0, "fills": 0, "reconciliations": 0,
                       "reconciled_fills": 0, "reconciled_status": 0, "cancel_rejected": 0, "errors": 0}  # fmt: skip

    # -- life ------------------------------------------------------------------------------------------------
    async def start(self) -> dict:
        """Connection test (latency, permissions), balances, the trade-id high-water mark per symbol; then the
        reconciliation loop. Raises :class:`AuthenticationError` (bad key / signature) before any order."""
        self.connection = await self.client.connection_test()
        await self._refresh_balances()
        for symbol in self.by_symbol:
            trades = await self.client.my_trades(symbol, limit=1)
            self.last_trade_id[symbol] = max([int(t["id"]) for t in trades], default=-1)
        if self._task is None:
            self._task = asyncio.ensure_future(self._loop())
        if self.ws_url and self.stream is None:
            from actors.execution.userdata import UserDataStream, ccxt_listen_key_api

            self.stream = UserDataStream(self.ws_url, ccxt_listen_key_api(self.client.exchange, self.venue),
                                         self._on_user_events, self._on_user_reconnect, venue=self.venue,
                                         specs=self.by_symbol)  # fmt: skip
            self._stream_task = asyncio.ensure_future(self.stream.run())
        return {"mode": self.mode, "venue": self.venue.value, "user_data": bool(self.ws_url), **self.connection}

    async def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            if self._stream_task is not None:
                try:
                    await asyncio.wait_for(self._stream_task, 5)
                except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - stopping anyway
                    self._stream_task.cancel()
            self.stream = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self.client.close()

    # -- user-data stream ------------------------------------------------------------------------------------
    def _on_user_events(self, batch: list) -> None:
        from actors.execution.userdata import AccountUpdate, BalanceSnapshot, OrderUpdate

        for ev in batch:
            if isinstance(ev, OrderUpdate):
                self._queue(self._apply_update(ev))
            elif isinstance(ev, (BalanceSnapshot, AccountUpdate)):
                for b in ev.balances:
                    self.balances_[b.asset] = (b.free, b.locked)
                self.balances_ts = self.clock()
        self.counts["stream_events"] = self.counts.get("stream_events", 0) + len(batch)

    async def _on_user_reconnect(self, reason: str) -> None:
        self.counts["stream_reconnects"] = self.counts.get("stream_reconnects", 0) + 1
        await self.reconcile(force=True, reason=f"user_data_{reason}")

    def _apply_update(self, u) -> list[OrderEvent]:
        """One stream order update (:class:`~actors.execution.userdata.OrderUpdate`) -> our transitions."""
        st = self.states.get(u.client_order_id)
        if st is None:
            return []
        spec = self.specs[st.intent.instrument_id]
        if u.venue_order_id:
            st.venue_order_id = u.venue_order_id
            self.venue_ids[u.venue_order_id] = st.client_order_id
        out: list[OrderEvent] = []
        if st.status is OrderStatus.NEW and u.status is not OrderStatus.REJECTED:
            out.append(self._count(st.accept(u.ts_event)))
        f = u.fill
        if f is not None:
            out += self._apply_fill(st, str(f.trade_id), f.price, f.size, f.fee, f.liquidity, f.ts_event)
            self.last_trade_id[spec.symbol] = max(self.last_trade_id.get(spec.symbol, -1), int(f.trade_id))
        if st.is_open and u.filled == st.filled:  # a terminal status only once every fill is in
            if u.status is OrderStatus.CANCELED:
                out.append(self._count(st.cancel(u.reason or "canceled", u.ts_event)))
            elif u.status is OrderStatus.EXPIRED:
                out.append(self._count(st.expire(u.reason or "expired_at_venue", u.ts_event)))
            elif u.status is OrderStatus.REJECTED:
                out.append(self._count(st.reject(u.reason or "rejected_at_venue", u.ts_event)))
        return out

    # -- the seam --------------------------------------------------------------------------------------------
    def on_market(self, events: Iterable[MarketEvent]) -> list[OrderEvent]:
        return []  # the venue fills; market data is not needed here

    def _queue(self, events) -> None:
        """Events for :meth:`advance`; tells the owner (``notify``) so it need not wait for its timer."""
        events = list(events)
        if events:
            self._pending.extend(events)
            if self.notify is not None:
                self.notify()

    def advance(self, now_ns: int) -> list[OrderEvent]:
        out = list(self._pending)
        self._pending.clear()
        return out

    async def submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        """Send an intent. Asynchronous (the default): returns ``[]`` at once and sends in the background, one
        request chain per client order id (a cancel waits for its order's create; a replace for both ids), so the
        risk gate never waits for the venue (a 429 with ``Retry-After`` would outlast its execution timeout and
        refuse an order that is then created); the events come from :meth:`advance`. Synchronous: waits for the
        venue's answer and returns what :meth:`advance` has then (its events, and any the stream queued)."""
        if not self.asynchronous:
            self._queue(await self._handle(intent, now_ns))
            return self.advance(now_ns)
        ids = [c for c in (intent.client_order_id, intent.new_client_order_id) if c]
        before = [t for c in ids if (t := self._inflight.get(c)) is not None and not t.done()]
        task = asyncio.ensure_future(self._handle_after(before, intent, now_ns))
        for c in ids:
            self._inflight[c] = task
        task.add_done_callback(lambda t, ids=ids: [self._inflight.pop(c, None) for c in ids
                                                   if self._inflight.get(c) is t])  # fmt: skip
        return []

    async def settle(self, timeout_s: float = 30.0) -> list[OrderEvent]:
        """Wait for every request in flight; returns the events released (``advance``)."""
        pending = [t for t in set(self._inflight.values()) if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)
        return self.advance(self.clock())

    async def _handle_after(self, before: list, intent: OrderIntent, now_ns: int) -> None:
        if before:
            await asyncio.wait(before)
        try:
            self._queue(await self._handle(intent, now_ns))
        except Exception:  # noqa: BLE001 - never lose the chain; the order is found by reconciliation
            self.counts["errors"] += 1
            log.exception("live %s %s", intent.action.value, intent.client_order_id)

    async def _handle(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        if intent.action is IntentAction.SUBMIT:
            return await self._submit(intent, now_ns)
        st = self.states.get(intent.client_order_id)
        if st is None:
            self.counts["cancel_rejected"] += 1
            return []  # as paper: a cancel of an unknown order is ignored and counted
        if intent.action is IntentAction.REPLACE:  # both at once, as paper sends them: the new order never waits
            i = st.intent                          # for the cancel's answer (nor depends on it)
            new = msgspec.structs.replace(
                i, client_order_id=intent.new_client_order_id or "", price=intent.price, size=intent.size,
                trigger_price=intent.trigger_price if intent.trigger_price is not None else i.trigger_price,
                ts_created=intent.ts_created, new_client_order_id=None)  # fmt: skip
            canceled, created = await asyncio.gather(self._cancel(st, "replaced", now_ns), self._submit(new, now_ns))
            return canceled + created
        return await self._cancel(st, "canceled", now_ns)

    async def cancel_all(self, now_ns: int, strategy_id: str | None = None, reason: str = "kill_switch") -> list[OrderEvent]:
        """Of one strategy: each of its open orders. Of all (the kill switch): every open order of every symbol
        **at the venue** (``DELETE openOrders``), known here or not; then reconciled."""
        out = await self.settle()  # creates in flight first: none may land after the cancel
        if strategy_id is not None:
            for st in [s for s in self.states.values() if s.is_open and s.intent.strategy_id == strategy_id]:
                await self._cancel(st, reason, now_ns)
            return out + self.advance(now_ns)
        for symbol in self.by_symbol:
            try:
                await self.client.cancel_all(symbol)
            except RaytradeError as exc:
                self._alert("error", f"cancel_all {symbol} failed: {exc}")
        await self.reconcile(force=True, reason=reason)
        out += self.advance(now_ns)
        return out

    def open_orders(self, strategy_id: str | None = None) -> list[Order]:
        return [s.snapshot() for s in self.states.values()
                if s.is_open and (strategy_id is None or s.intent.strategy_id == strategy_id)]  # fmt: skip

    def order(self, client_order_id: str) -> Order:
        return self.states[client_order_id].snapshot()

    def stats(self) -> dict:
        return {**self.counts, "open": sum(1 for s in self.states.values() if s.is_open),
                "unknown_venue_orders": len(self.unknown_venue_orders), "client": self.client.stats()}  # fmt: skip

    def balance_rows(self) -> list[dict]:
        """``account_balances`` rows of the last balance refresh (exact decimal strings; ``account`` = key id)."""
        return [{"venue": self.venue.value, "mode": self.mode, "account": self.client.key_id, "asset": a,
                 "free": str(f), "locked": str(lk), "total": str(f + lk), "value_usd": None, "ts": self.balances_ts}
                for a, (f, lk) in sorted(self.balances_.items())]  # fmt: skip

    def account(self) -> dict:
        """For ``GET /accounts``: venue, mode, balances (exact strings), permissions, last reconciliation."""
        return {"venue": self.venue.value, "mode": self.mode, "account": self.client.key_id,
                "connection": self.connection,
                "permissions": self.connection.get("permissions", []),
                "balances": {a: {"free": str(f), "locked": str(lk), "total": str(f + lk)}
                             for a, (f, lk) in sorted(self.balances_.items())},
                "balances_ts": self.balances_ts, "last_reconciliation": self.last_reconciliation,
                "unknown_venue_orders": sorted(self.unknown_venue_orders)}  # fmt: skip

    # -- orders ----------------------------------------------------------------------------------------------
    # _submit and _cancel queue their events as soon as the venue's answer is applied (and return []): the
    # user-data stream queues its own at once, so an order's events reach advance() in the order of its
    # transitions (an "accepted" from a REST answer can no longer come after a "filled" the stream reported).
    async def _submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        self._queue(await self._submit_events(intent, now_ns))
        return []

    async def _cancel(self, st: OrderState, reason: str, now_ns: int) -> list[OrderEvent]:
        self._queue(await self._cancel_events(st, reason, now_ns))
        return []

    async def _submit_events(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        self.counts["submitted"] += 1
        spec = self.specs.get(intent.instrument_id)
        st = OrderState(intent, fee_currency(spec) if spec else "", "", now_ns)
        if spec is None:
            return [self._count(st.reject("unknown_instrument", now_ns))]
        if intent.client_order_id in self.states or not intent.client_order_id:
            return [self._count(st.reject("duplicate_client_order_id", now_ns))]
        if (intent.price_decimals, intent.size_decimals) != (spec.price_decimals, spec.size_decimals):
            return [self._count(st.reject("decimals_mismatch", now_ns))]
        self.states[intent.client_order_id] = st
        try:
            resp = await self.client.create_order(spec, intent)
        except OrderRejected as exc:  # incl. InsufficientFunds
            return [self._count(st.reject(exc.reason, self.clock()))]
        except RaytradeError as exc:  # still rate limited / unreachable after the retries: it was not created
            return [self._count(st.reject(f"venue_error:{type(exc).__name__}", self.clock()))]
        self._wake.set()
        return self._apply_order(st, resp)

    async def _cancel_events(self, st: OrderState, reason: str, now_ns: int) -> list[OrderEvent]:
        """``DELETE order``, also for an order already closed here: the venue answers (``-2011``) when the cancel
        reaches it, as the paper model does (a ``cancel_rejected`` after the cancel and response latencies, not at
        once). A ``-2011`` is reconciled, then ``cancel_rejected`` with reason ``order_closed`` (closed: a fill won
        the race; the paper model's reason) or ``unknown_order`` (still open here, unknown at the venue)."""
        spec = self.specs[st.intent.instrument_id]
        try:
            resp = await self.client.cancel_order(spec.symbol, st.client_order_id)
        except OrderNotFound:
            await self.reconcile(force=True, reason="cancel_unknown")  # its events are queued for advance()
            self.counts["cancel_rejected"] += 1
            why = "unknown_order" if st.is_open else "order_closed"  # after the reconciliation's events (queued)
            return [OrderEvent(OrderEventKind.CANCEL_REJECTED, st.snapshot(), now_ns, reason=why)]
        except RaytradeError as exc:
            self.counts["cancel_rejected"] += 1
            return [OrderEvent(OrderEventKind.CANCEL_REJECTED, st.snapshot(), now_ns, reason=f"venue_error:{type(exc).__name__}")]
        if Decimal(str(resp.get("executedQty", "0"))) and to_fixed(str(resp["executedQty"]), spec.size_decimals) > st.filled:
            self._queue(await self._fetch_trades(spec.symbol))  # fills that raced the cancel come first
        return self._apply_order(st, resp, reason)

    def _apply_order(self, st: OrderState, resp: dict, reason: str = "") -> list[OrderEvent]:
        """A Binance order object (create / cancel / query answer) -> the transitions it implies (fills come from
        its ``fills`` (spot FULL) or from trades)."""
        spec = self.specs[st.intent.instrument_id]
        ts = int(resp.get("transactTime") or resp.get("updateTime") or resp.get("time") or 0) * _MS or self.clock()
        vid = str(resp.get("orderId", ""))
        if vid:
            st.venue_order_id = vid
            self.venue_ids[vid] = st.client_order_id
        out: list[OrderEvent] = []
        status = str(resp.get("status", "NEW"))
        if st.status is OrderStatus.NEW and status != "REJECTED":
            out.append(self._count(st.accept(ts)))
        for f in resp.get("fills", []) or []:
            out += self._apply_trade(st, spec, str(f.get("tradeId", "")), str(f["price"]), str(f["qty"]),
                                     str(f.get("commission", "0")), False, ts)  # fmt: skip
        if st.is_open:
            if status == "CANCELED":
                out.append(self._count(st.cancel(reason or "canceled_at_venue", ts)))
            elif status in ("EXPIRED", "EXPIRED_IN_MATCH"):
                out.append(self._count(st.expire(reason or "expired_at_venue", ts)))
            elif status == "REJECTED":
                out.append(self._count(st.reject(reason or "rejected_at_venue", ts)))
        return out

    def _apply_trade(self, st: OrderState, spec: InstrumentSpec, trade_id: str, price: str, qty: str, fee: str,
                     maker: bool, ts: int) -> list[OrderEvent]:  # fmt: skip
        return self._apply_fill(st, trade_id, to_fixed(price, spec.price_decimals, "binance"),
                                to_fixed(qty, spec.size_decimals, "binance"), Decimal(fee),
                                Liquidity.MAKER if maker else Liquidity.TAKER, ts)  # fmt: skip

    def _apply_fill(self, st: OrderState, trade_id: str, price: int, size: int, fee: Decimal, liq: Liquidity,
                    ts: int) -> list[OrderEvent]:  # fmt: skip
        """One venue trade of ``st`` (fixed-point), applied once per venue trade id whoever reports it."""
        seen = self.trade_ids.setdefault(st.client_order_id, set())
        if trade_id and trade_id in seen:
            return []
        size = min(size, st.remaining)
        if size <= 0 or not st.is_open:
            return []
        if trade_id:
            seen.add(trade_id)
        out = []
        if st.status is OrderStatus.NEW:
            out.append(self._count(st.accept(ts)))
        out.append(self._count(st.fill(price, size, liq, fee, ts)))
        return out

    def _count(self, ev: OrderEvent) -> OrderEvent:
        k = {OrderEventKind.ACCEPTED: "accepted", OrderEventKind.REJECTED: "rejected",
             OrderEventKind.CANCELED: "canceled", OrderEventKind.FILLED: "fills",
             OrderEventKind.PARTIALLY_FILLED: "fills"}.get(ev.kind)  # fmt: skip
        if k:
            self.counts[k] += 1
        return ev

    # -- reconciliation --------------------------------------------------------------------------------------
    async def _fetch_trades(self, symbol: str) -> list[OrderEvent]:
        """Trades of ``symbol`` since the last seen id, applied to their orders (each venue trade id once)."""
        spec = self.by_symbol[symbol]
        out: list[OrderEvent] = []
        while True:
            last = self.last_trade_id.get(symbol, -1)
            trades = await self.client.my_trades(symbol, from_id=last + 1 if last >= 0 else None)
            trades = [t for t in trades if int(t["id"]) > last]
            if not trades:
                return out
            for t in sorted(trades, key=lambda t: int(t["id"])):
                self.last_trade_id[symbol] = max(self.last_trade_id.get(symbol, -1), int(t["id"]))
                coid = self.venue_ids.get(str(t.get("orderId", "")))
                st = self.states.get(coid or "")
                if st is None:
                    continue
                maker = bool(t.get("isMaker", t.get("maker", False)))
                evs = self._apply_trade(st, spec, str(t["id"]), str(t["price"]), str(t["qty"]),
                                        str(t.get("commission", "0")), maker, int(t.get("time", 0)) * _MS or self.clock())  # fmt: skip
                self.counts["reconciled_fills"] += sum(1 for e in evs if e.fill is not None)
                out += evs
            if len(trades) < 1000:
                return out

    async def reconcile(self, force: bool = False, reason: str = "periodic") -> dict:
        """Compare local open orders with the venue's (see the module docstring); queue the resolving events.
        Returns the report (also ``last_reconciliation``)."""
        async with self._lock:
            report = {"ts": self.clock(), "reason": reason, "fills": 0, "closed": 0, "unknown_venue_orders": 0}
            events: list[OrderEvent] = []
            symbols = {self.specs[s.intent.instrument_id].symbol for s in self.states.values() if s.is_open}
            if force:
                symbols |= set(self.by_symbol)
            for symbol in sorted(symbols):
                try:
                    venue_open = {str(o.get("clientOrderId")): o for o in await self.client.open_orders(symbol)}
                    local = [s for s in self.states.values() if s.is_open and self.specs[s.intent.instrument_id].symbol == symbol]
                    stale = [s for s in local if s.client_order_id not in venue_open]
                    moved = [s for s in local if s.client_order_id in venue_open and to_fixed(
                        str(venue_open[s.client_order_id].get("executedQty", "0")), s.intent.size_decimals) != s.filled]
                    if stale or moved or force:
                        evs = await self._fetch_trades(symbol)
                        report["fills"] += sum(1 for e in evs if e.fill is not None)
                        events += evs
                    for st in stale:
                        try:
                            q = await self.client.query_order(symbol, st.client_order_id)
                        except OrderNotFound:
                            continue  # not at the venue (yet): the next pass looks again
                        evs = self._apply_order(st, q, "" if reason == "periodic" else reason)
                        self.counts["reconciled_status"] += len(evs)
                        report["closed"] += sum(1 for e in evs if not e.order.is_open)
                        events += evs
                    for coid, o in venue_open.items():
                        if coid not in self.states and coid not in self.unknown_venue_orders:
                            self.unknown_venue_orders[coid] = {"symbol": symbol, "orderId": o.get("orderId")}
                            report["unknown_venue_orders"] += 1
                            self._alert("warning", f"{self.mode} {symbol}: open order {coid} is unknown here")
                except RaytradeError as exc:
                    self.counts["errors"] += 1
                    report.setdefault("errors", []).append(f"{symbol}: {type(exc).__name__}: {exc}"[:300])
            self._queue(events)
            self.counts["reconciliations"] += 1
            self.last_reconciliation = report
            return report

    async def _refresh_balances(self) -> None:
        self.balances_ = await self.client.balances()
        self.balances_ts = self.clock()

    async def balances(self, refresh: bool = False) -> dict[str, tuple[Decimal, Decimal]]:
        if refresh or not self.balances_ts:
            await self._refresh_balances()
        return dict(self.balances_)

    async def _loop(self) -> None:
        last_full = last_bal = time.monotonic()
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                now = time.monotonic()
                full = now - last_full >= self.reconcile_interval_s
                streaming = self.stream is not None and self.stream.stats.connected
                if full or (not streaming and any(s.is_open for s in self.states.values())):
                    await self.reconcile(force=full, reason="periodic")
                    if full:
                        last_full = now
                if now - last_bal >= self.balance_interval_s:
                    last_bal = now
                    await self._refresh_balances()
            except AuthenticationError as exc:
                self._alert("critical", f"{self.mode}: the venue refused the key: {exc}")
            except (VenueError, RaytradeError) as exc:
                self.counts["errors"] += 1
                log.warning("reconciliation: %s", exc)
            except Exception:  # noqa: BLE001 - the loop must survive; logged
                log.exception("reconciliation loop")

    def _alert(self, severity: str, message: str) -> None:
        self.alerts.append({"severity": severity, "source": f"execution-{self.mode}", "message": message,
                            "ts": self.clock()})  # fmt: skip
        log.warning("%s", message)


def transports_from_settings(settings: Mapping[str, Mapping], modes: set[str], specs: Mapping[str, InstrumentSpec],
                             namespace: str = "raytrade") -> dict[tuple[str, str], LiveTransport]:  # fmt: skip
    """Build the testnet / live transports ``modes`` need: one per (mode, venue of a traded instrument with a REST
    URL in the mode's settings). Keys come from the environment variables the settings name; the key's budget is
    the cluster's named :class:`~actors.execution.budget.BudgetActor` when Ray runs (a local one otherwise).

    Raises:
        ConfigError: a mode without settings, or an unset key variable.
    """
    out: dict[tuple[str, str], LiveTransport] = {}
    for mode in sorted(m for m in modes if m != "paper"):
        cfg = settings.get(mode)
        if not cfg:
            raise ConfigError(f"mode {mode!r} needs [execution.{mode}] settings (endpoints and key variables)")
        key, secret = read_keys(cfg["api_key_env"], cfg["api_secret_env"])
        budget = _budget(key, cfg.get("prefix", ""), namespace)
        venues = {s.venue.value for s in specs.values()}
        for venue, url in sorted(dict(cfg.get("rest_urls", {})).items()):
            if venue not in venues:
                continue
            client = BinanceClient(venue, key, secret, url or None, budget=budget,
                                   recv_window_ms=int(cfg.get("recv_window_ms", 5000)))  # fmt: skip
            out[(mode, venue)] = LiveTransport(mode, venue, specs, client,
                                               poll_interval_s=float(cfg.get("poll_interval_s", 0.5)),
                                               reconcile_interval_s=float(cfg.get("reconcile_interval_s", 10.0)),
                                               balance_interval_s=float(cfg.get("balance_interval_s", 10.0)),
                                               ws_url=dict(cfg.get("ws_urls", {})).get(venue) or None)  # fmt: skip
    return out


def _budget(key: SecretStr, prefix: str, namespace: str):
    from actors.execution.budget import BudgetActor, budget_actor_name
    from actors.execution.live_client import LocalBudget, RayBudget

    try:
        import ray

        if not ray.is_initialized():
            return LocalBudget()
        from actors.remote import remote_class

        name = budget_actor_name(key.get_secret_value(), prefix)
        handle = remote_class(BudgetActor).options(num_cpus=0, max_restarts=-1, name=name, namespace=namespace,
                                                   get_if_exists=True, lifetime="detached").remote()  # fmt: skip
        return RayBudget(handle)
    except ImportError:
        return LocalBudget()
