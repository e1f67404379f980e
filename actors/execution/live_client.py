"""The ccxt boundary of live execution: Binance spot / USD-M signed REST through ``ccxt.async_support``.

Every call goes through ccxt's *implicit* endpoint methods (``privatePostOrder`` = ``POST /api/v3/order``,
``fapiPrivatePostOrder`` = ``POST /fapi/v1/order``, ...): ccxt signs them (HMAC-SHA256 of the query string with the
secret, ``timestamp``, ``recvWindow``, the ``X-MBX-APIKEY`` header: Binance Spot "SIGNED (TRADE and USER_DATA)
Endpoint security") and the responses keep Binance's own decimal strings, so prices, sizes and fees stay exact
(ccxt's unified ``create_order`` would turn them into floats). Pointing the client at the testnet-mode replay venue
(or Binance's own testnet) only rewrites ``urls['api']`` (:func:`actors.feed.ccxt_markets.ccxt_api_urls`).

Errors are translated here, once, into :mod:`actors.errors` (Binance "Error codes"; HTTP statuses from "General
info" -> "HTTP Return Codes"):

=====================================================  ===========================================================
venue answer                                           raised
=====================================================  ===========================================================
HTTP 429 / 418, ``-1003``                              :class:`RateLimited` (``Retry-After`` s; default 1 s)
``-1022`` bad signature, ``-2014`` / ``-2015`` key,    :class:`AuthenticationError`
HTTP 401
``-2010`` "insufficient balance", ``-2019`` margin      :class:`InsufficientFunds`
``-2013`` / ``-2011`` unknown order                    :class:`OrderNotFound`
``-2010`` / ``-5022`` "would immediately match"         :class:`OrderRejected` ``post_only_would_take`` (as paper)
``-1013`` filter failure, other ``-2010`` / ``-20xx``   :class:`OrderRejected` (``reason`` = ``binance:<code>:<msg>``)
``-1021`` timestamp outside recvWindow, 5xx, timeouts,  :class:`VenueUnavailable` (transient)
connection refused
anything else 4xx                                      :class:`PermanentVenueError`
=====================================================  ===========================================================

Retries (only what is idempotent and transient): reads and cancels are retried on :class:`RateLimited` /
:class:`VenueUnavailable` up to ``retries`` times (after the ``Retry-After`` the budget enforces, or a doubling
backoff). A create is never blindly re-sent: after a transient failure the order is first **queried by its client
order id** (``origClientOrderId``); only when the venue says it does not know it (``-2013``) is it sent again with
the same ``newClientOrderId`` (which Binance refuses to duplicate while the first is open), so an order is never
created twice.

Request weights (Binance Spot "Market data" / "Trading" / "Account" endpoint pages, USD-M "Market Data" / "Trade"
pages, 2024) are charged to the key's budget (:mod:`actors.execution.budget`) before each request.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
from pydantic import SecretStr

from actors.errors import (
    AuthenticationError,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    PermanentVenueError,
    PermissionDenied,
    RateLimited,
    VenueError,
    VenueUnavailable,
)
from actors.execution.budget import WeightBudget, key_id
from actors.feed.ccxt_markets import ccxt_api_urls
from actors.fixedpoint import fixed_to_str
from actors.instruments import InstrumentSpec, Venue
from actors.orders import OrderIntent, OrderType, TimeInForce

__all__ = ["BinanceClient", "LocalBudget", "RayBudget", "order_params", "translate_error"]

_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")  # Binance "New order": newClientOrderId


@dataclass(frozen=True)
class _Endpoint:
    method: str
    weight: int


@dataclass(frozen=True)
class _Endpoints:
    create: _Endpoint
    cancel: _Endpoint
    query: _Endpoint
    open_orders: _Endpoint
    cancel_all: _Endpoint
    account: _Endpoint
    trades: _Endpoint
    ticker: _Endpoint
    exchange_info: _Endpoint
    time: _Endpoint


_E = _Endpoint
ENDPOINTS: dict[Venue, _Endpoints] = {
    Venue.BINANCE: _Endpoints(
        _E("privatePostOrder", 1), _E("privateDeleteOrder", 1), _E("privateGetOrder", 4),
        _E("privateGetOpenOrders", 6), _E("privateDeleteOpenOrders", 1), _E("privateGetAccount", 20),
        _E("privateGetMyTrades", 20), _E("publicGetTicker24hr", 2), _E("publicGetExchangeInfo", 20),
        _E("publicGetTime", 1)),
    Venue.BINANCE_USDM: _Endpoints(
        _E("fapiPrivatePostOrder", 1), _E("fapiPrivateDeleteOrder", 1), _E("fapiPrivateGetOrder", 1),
        _E("fapiPrivateGetOpenOrders", 1), _E("fapiPrivateDeleteAllOpenOrders", 1), _E("fapiPrivateV2GetAccount", 5),
        _E("fapiPrivateGetUserTrades", 5), _E("fapiPublicGetTicker24hr", 1), _E("fapiPublicGetExchangeInfo", 1),
        _E("fapiPublicGetTime", 1)),
}  # fmt: skip


class LocalBudget:
    """An in-process :class:`WeightBudget` (one client, or tests)."""

    def __init__(self, budget: WeightBudget | None = None, clock=time.time) -> None:
        self.budget = budget or WeightBudget()
        self.clock = clock

    async def acquire(self, weight: int, orders: int = 0) -> float:
        return self.budget.acquire(weight, orders, self.clock())

    async def penalize(self, retry_after_s: float) -> float:
        now = self.clock()
        return self.budget.penalize(retry_after_s, now) - now


class RayBudget:
    """The cluster-wide budget of a key: a :class:`~actors.execution.budget.BudgetActor` handle."""

    def __init__(self, handle) -> None:
        self.handle = handle

    async def acquire(self, weight: int, orders: int = 0) -> float:
        return await self.handle.acquire.remote(weight, orders)

    async def penalize(self, retry_after_s: float) -> float:
        return await self.handle.penalize.remote(retry_after_s)


def _binance_code(exc: Exception) -> tuple[int | None, str]:
    """Binance's ``{"code": -1022, "msg": "..."}`` from a ccxt exception's message (ccxt appends the body)."""
    text = str(exc)
    start = text.find("{")
    if start >= 0:
        try:
            body = json.loads(text[start:])
            if isinstance(body, dict) and "code" in body:
                return int(body["code"]), str(body.get("msg", ""))
        except (ValueError, TypeError):
            pass
    m = re.search(r'"code"\s*:\s*(-?\d+)', text)
    return (int(m.group(1)), text) if m else (None, text)


def _retry_after(headers) -> float:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


def translate_error(exc: Exception, headers=None, status: int | None = None, client_order_id: str = "") -> Exception:
    """A ccxt exception -> the :mod:`actors.errors` type an operator acts on (table in the module docstring)."""
    code, msg = _binance_code(exc)
    if status in (418, 429) or code == -1003 or isinstance(exc, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
        return RateLimited(f"rate limited (HTTP {status}, code {code})", _retry_after(headers))
    if code in (-1022, -2014, -2015) or status == 401 or isinstance(exc, ccxt.AuthenticationError):
        return AuthenticationError(f"the venue refused the key or signature (code {code}): {msg}", status or 401)
    if isinstance(exc, ccxt.PermissionDenied):
        return PermissionDenied(f"permission denied: {msg}", status or 403)
    if code == -2019 or (code == -2010 and "insufficient" in msg.lower()) or isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(client_order_id, f"insufficient_funds: binance:{code}:{msg}")
    if isinstance(exc, ccxt.OrderImmediatelyFillable) or "would immediately match" in msg.lower():
        # -2010 "Order would immediately match and take." (spot LIMIT_MAKER), USD-M -5022 (GTX): the paper
        # model's reason for the same refusal, so paper and testnet runs report it alike
        return OrderRejected(client_order_id, "post_only_would_take")
    if code in (-2013, -2011) or isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(client_order_id, f"binance:{code}:{msg}")
    if code == -1021 or isinstance(exc, (ccxt.NetworkError, ccxt.InvalidNonce)) or (status or 0) >= 500:
        return VenueUnavailable(f"venue unavailable (HTTP {status}, code {code}): {msg}"[:500])
    if code is not None and (code == -1013 or code <= -2000):
        return OrderRejected(client_order_id, f"binance:{code}:{msg}")
    if isinstance(exc, ccxt.InvalidOrder):
        return OrderRejected(client_order_id, f"binance:{code}:{msg}")
    if isinstance(exc, ccxt.BaseError):
        return PermanentVenueError(f"venue refused the request (HTTP {status}, code {code}): {msg}"[:500], status or 0)
    return exc


def order_params(spec: InstrumentSpec, intent: OrderIntent, spot: bool) -> dict[str, str]:
    """Binance ``POST /api/v3/order`` (spot) or ``POST /fapi/v1/order`` (USD-M) parameters of a submit intent.

    Types (Binance Spot "New order (TRADE)", USD-M "New Order (TRADE)"): ``market`` -> ``MARKET``; ``limit`` ->
    ``LIMIT`` with ``timeInForce`` (post-only ``GTX``: spot ``LIMIT_MAKER``, USD-M ``timeInForce=GTX``);
    ``stop_market`` -> spot ``STOP_LOSS`` / USD-M ``STOP_MARKET`` at ``stopPrice``; ``stop_limit`` -> spot
    ``STOP_LOSS_LIMIT`` / USD-M ``STOP`` (``price`` + ``stopPrice``); ``take_profit`` -> spot ``TAKE_PROFIT`` /
    USD-M ``TAKE_PROFIT_MARKET``. ``reduceOnly`` only on USD-M. Always ``newClientOrderId`` (ours) and, on spot,
    ``newOrderRespType=FULL`` (the fills come with the answer).

    Raises:
        OrderRejected: a client order id Binance would refuse (``^[.A-Z:/a-z0-9_-]{1,36}$``), a reduce-only spot
            order, or a missing price.
    """
    coid = intent.client_order_id
    if not _CLIENT_ID.match(coid):
        raise OrderRejected(coid, "client_order_id_invalid")
    pd, sd = intent.price_decimals, intent.size_decimals
    p: dict[str, str] = {"symbol": spec.symbol, "side": intent.side.value.upper(), "newClientOrderId": coid,
                         "quantity": fixed_to_str(intent.size, sd)}  # fmt: skip
    price = None if intent.price is None else fixed_to_str(intent.price, pd)
    stop = None if intent.trigger_price is None else fixed_to_str(intent.trigger_price, pd)
    t, tif = intent.order_type, intent.time_in_force
    if t in (OrderType.LIMIT, OrderType.STOP_LIMIT) and price is None:
        raise OrderRejected(coid, "price_required")
    if t.is_triggered and stop is None:
        raise OrderRejected(coid, "trigger_price_required")
    if t is OrderType.MARKET:
        p["type"] = "MARKET"
    elif t is OrderType.LIMIT:
        p["price"] = price
        if spot and tif is TimeInForce.GTX:
            p["type"] = "LIMIT_MAKER"
        else:
            p.update(type="LIMIT", timeInForce=tif.value)
    elif t is OrderType.STOP_MARKET:
        p.update(type="STOP_LOSS" if spot else "STOP_MARKET", stopPrice=stop)
    elif t is OrderType.STOP_LIMIT:
        p.update(type="STOP_LOSS_LIMIT" if spot else "STOP", price=price, stopPrice=stop,
                 timeInForce=(TimeInForce.GTC if tif is TimeInForce.GTX and spot else tif).value)  # fmt: skip
    elif t is OrderType.TAKE_PROFIT:
        p.update(type="TAKE_PROFIT" if spot else "TAKE_PROFIT_MARKET", stopPrice=stop)
    if intent.reduce_only:
        if spot:
            raise OrderRejected(coid, "reduce_only_not_on_spot")
        p["reduceOnly"] = "true"
    if spot:
        p["newOrderRespType"] = "FULL"
    return p


class BinanceClient:
    """Signed Binance REST for one venue (spot ``binance`` or USD-M ``binance_usdm``) and one key.

    Args:
        venue: ``Venue.BINANCE`` or ``Venue.BINANCE_USDM``.
        api_key, secret: the key (``SecretStr``: never logged, never in a repr).
        rest_base_url: ``http://127.0.0.1:PORT`` for the testnet-mode replay venue, or Binance's testnet
            (``https://testnet.binance.vision``); None: production.
        budget: :class:`LocalBudget` / :class:`RayBudget` (default a local one).
        retries: attempts after the first for transient failures.
        recv_window_ms: Binance ``recvWindow`` (default 5000, at most 60000).
        timeout_ms: per request.

    Raises (every method): the :mod:`actors.errors` types of the module docstring.
    """

    def __init__(self, venue: Venue | str, api_key: SecretStr, secret: SecretStr, rest_base_url: str | None = None,
                 budget=None, retries: int = 3, recv_window_ms: int = 5000, timeout_ms: int = 10_000,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, backoff_s: float = 0.2) -> None:  # fmt: skip
        self.venue = Venue(venue)
        if self.venue not in ENDPOINTS:
            raise PermanentVenueError(f"live execution supports {sorted(v.value for v in ENDPOINTS)}, not {venue}")
        self.spot = self.venue is Venue.BINANCE
        self.key_id = key_id(api_key.get_secret_value())
        self.ep = ENDPOINTS[self.venue]
        cls = ccxt.binance if self.spot else ccxt.binanceusdm
        self.exchange = cls({"apiKey": api_key.get_secret_value(), "secret": secret.get_secret_value(),
                             "enableRateLimit": False, "timeout": timeout_ms,
                             "options": {"recvWindow": recv_window_ms, "fetchMarkets": {"types": ["spot" if self.spot else "linear"]}}})  # fmt: skip
        if rest_base_url:
            self.exchange.urls["api"].update(ccxt_api_urls(self.venue, rest_base_url))
        self._last_status: int | None = None
        original = self.exchange.on_rest_response

        def _on_rest_response(code, reason, url, method, headers, body, request_headers, request_body):
            self._last_status = code
            return original(code, reason, url, method, headers, body, request_headers, request_body)

        self.exchange.on_rest_response = _on_rest_response
        self.budget = budget or LocalBudget()
        self.retries = retries
        self.sleep = sleep
        self.backoff_s = backoff_s
        self.requests = self.retried = self.rate_limited = 0
        self.inflight = 0  # requests sent (or waiting for the budget) and not answered yet
        self.last_latency_ms: float | None = None

    def __repr__(self) -> str:  # never the key
        return f"BinanceClient({self.venue.value})"

    async def close(self) -> None:
        await self.exchange.close()

    # -- the one request path --------------------------------------------------------------------------------
    async def _once(self, ep: _Endpoint, params: dict, orders: int, coid: str) -> Any:
        self.inflight += 1
        try:
            return await self._request(ep, params, orders, coid)
        finally:
            self.inflight -= 1

    async def _request(self, ep: _Endpoint, params: dict, orders: int, coid: str) -> Any:
        while True:
            wait = await self.budget.acquire(ep.weight, orders)
            if wait <= 0:
                break
            await self.sleep(min(wait, 5.0))
        self.requests += 1
        t0 = time.perf_counter()
        try:
            out = await getattr(self.exchange, ep.method)(dict(params))
        except ccxt.BaseError as exc:
            err = translate_error(exc, getattr(self.exchange, "last_response_headers", None),
                                  _status(exc, self._last_status), coid)  # fmt: skip
            if isinstance(err, RateLimited):
                self.rate_limited += 1
                await self.budget.penalize(err.retry_after_s)  # every client of the key waits
            raise err from None
        self.last_latency_ms = (time.perf_counter() - t0) * 1000
        return out

    async def _call(self, ep: _Endpoint, params: dict, orders: int = 0, coid: str = "") -> Any:
        """An idempotent request, retried on transient errors."""
        for attempt in range(self.retries + 1):
            try:
                return await self._once(ep, params, orders, coid)
            except (RateLimited, VenueUnavailable) as exc:
                if attempt == self.retries:
                    raise
                self.retried += 1
                await self.sleep(0 if isinstance(exc, RateLimited) else self.backoff_s * 2**attempt)
        raise AssertionError("unreachable")

    # -- orders ----------------------------------------------------------------------------------------------
    async def create_order(self, spec: InstrumentSpec, intent: OrderIntent) -> dict:
        """Send a new order; returns Binance's answer (spot ``FULL``: with ``fills``).

        A transient failure (429 / 418, 5xx, timeout) is followed by a query by client order id: an order the venue
        has is returned as is; only one it does not know (``-2013``) is sent again.

        Raises:
            OrderRejected / InsufficientFunds: refused by the venue (never retried).
            RateLimited / VenueUnavailable: still failing after ``retries`` (the order was not created: the last
                query said so).
        """
        params = order_params(spec, intent, self.spot)
        coid = intent.client_order_id
        for attempt in range(self.retries + 1):
            try:
                return await self._once(self.ep.create, params, 1, coid)
            except (RateLimited, VenueUnavailable) as exc:
                if attempt == self.retries:
                    raise
                self.retried += 1
                await self.sleep(0 if isinstance(exc, RateLimited) else self.backoff_s * 2**attempt)
                try:
                    return await self._call(self.ep.query, {"symbol": spec.symbol, "origClientOrderId": coid}, 0, coid)
                except OrderNotFound:
                    continue  # not created: send it again (same newClientOrderId)
        raise AssertionError("unreachable")

    async def cancel_order(self, symbol: str, client_order_id: str) -> dict:
        """``DELETE order`` by ``origClientOrderId``. Raises :class:`OrderNotFound` when unknown or already closed."""
        return await self._call(self.ep.cancel, {"symbol": symbol, "origClientOrderId": client_order_id}, 0,
                                client_order_id)  # fmt: skip

    async def query_order(self, symbol: str, client_order_id: str) -> dict:
        """``GET order`` by ``origClientOrderId``: status, ``executedQty``, ``cummulativeQuoteQty`` (spot) /
        ``avgPrice`` (USD-M). Raises :class:`OrderNotFound`."""
        return await self._call(self.ep.query, {"symbol": symbol, "origClientOrderId": client_order_id}, 0,
                                client_order_id)  # fmt: skip

    async def open_orders(self, symbol: str) -> list[dict]:
        return await self._call(self.ep.open_orders, {"symbol": symbol})

    async def cancel_all(self, symbol: str) -> Any:
        """Every open order of ``symbol`` at the venue (spot ``DELETE /api/v3/openOrders``, USD-M
        ``DELETE /fapi/v1/allOpenOrders``). A symbol without open orders is not an error (Binance answers
        ``-2011`` on spot: returned as ``[]``)."""
        try:
            return await self._call(self.ep.cancel_all, {"symbol": symbol})
        except OrderNotFound:
            return []

    async def my_trades(self, symbol: str, from_id: int | None = None, limit: int = 1000) -> list[dict]:
        """``GET myTrades`` / ``userTrades``: the account's trades, oldest first, from trade id ``from_id``."""
        params: dict = {"symbol": symbol, "limit": limit}
        if from_id is not None:
            params["fromId"] = from_id
        return await self._call(self.ep.trades, params)

    # -- account and market ----------------------------------------------------------------------------------
    async def account(self) -> dict:
        return await self._call(self.ep.account, {})

    async def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Every asset with a balance: ``asset -> (free, locked)`` exact (spot ``balances``; USD-M ``assets``:
        ``availableBalance`` and ``walletBalance - availableBalance``)."""
        acct = await self.account()
        return parse_balances(acct, self.spot)

    async def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """One asset's ``(free, locked)``; ``(0, 0)`` when the account has none."""
        return (await self.balances()).get(asset.upper(), (Decimal(0), Decimal(0)))

    async def ticker_24h(self, symbol: str) -> dict:
        return await self._call(self.ep.ticker, {"symbol": symbol})

    async def exchange_info(self) -> dict:
        return await self._call(self.ep.exchange_info, {})

    async def connection_test(self) -> dict:
        """Server time (latency, clock offset) and the account (permissions): what start-up checks.

        Returns:
            ``{"latency_ms", "clock_offset_ms", "can_trade", "permissions", "account_type"}``.

        Raises:
            AuthenticationError: bad key or signature (the account request is signed).
            PermissionDenied: the key cannot trade.
            VenueUnavailable: the venue cannot be reached.
        """
        t0 = time.time()
        server = await self._call(self.ep.time, {})
        t1 = time.time()
        latency_ms = (t1 - t0) * 1000
        offset_ms = float(server.get("serverTime", 0)) - (t0 + t1) / 2 * 1000 if isinstance(server, dict) else 0.0
        acct = await self.account()
        can_trade = bool(acct.get("canTrade", True))
        permissions = list(acct.get("permissions", []) or (["FUTURES"] if not self.spot else []))
        if not can_trade:
            raise PermissionDenied("the API key cannot trade (account canTrade is false)", 403)
        return {"latency_ms": round(latency_ms, 3), "clock_offset_ms": round(offset_ms, 3), "can_trade": can_trade,
                "permissions": permissions, "account_type": acct.get("accountType", "SPOT" if self.spot else "USDM")}  # fmt: skip

    def stats(self) -> dict:
        return {"requests": self.requests, "retried": self.retried, "rate_limited": self.rate_limited,
                "last_latency_ms": self.last_latency_ms}  # fmt: skip


def parse_balances(acct: dict, spot: bool) -> dict[str, tuple[Decimal, Decimal]]:
    out: dict[str, tuple[Decimal, Decimal]] = {}
    if spot:
        for b in acct.get("balances", []):
            free, locked = Decimal(str(b["free"])), Decimal(str(b["locked"]))
            if free or locked:
                out[str(b["asset"]).upper()] = (free, locked)
    else:
        for a in acct.get("assets", []):
            wallet = Decimal(str(a.get("walletBalance", "0")))
            avail = Decimal(str(a.get("availableBalance", a.get("maxWithdrawAmount", wallet))))
            if wallet or avail:
                out[str(a["asset"]).upper()] = (avail, wallet - avail)
    return out


def _status(exc: Exception, last_status: int | None) -> int | None:
    if isinstance(exc, ccxt.NetworkError) and not isinstance(exc, ccxt.DDoSProtection):
        return None  # no answer (or one ccxt treats as transport failure)
    m = re.search(r"\b(4\d\d|5\d\d)\b", str(exc)[:40])  # ccxt: "binance 429 Too Many Requests {...}"
    return int(m.group(1)) if m else last_status


__all__ += ["parse_balances", "ENDPOINTS"]
_ = VenueError  # re-exported through translate_error's contract
