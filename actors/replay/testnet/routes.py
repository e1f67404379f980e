"""The testnet-mode REST routes (aiohttp): Binance's signed endpoints plus the ``/testnet/*`` test hooks.

Every Binance route: rate-limit fault first (``POST /testnet/faults``), then :func:`~.signing.verify` (key,
parameters, timing, signature), then the :class:`~.exchange.TestnetExchange` method. Any error is Binance's
``{"code":..,"msg":..}`` with Binance's HTTP status; an unexpected exception is answered ``-1000`` (HTTP 500,
"An unknown error occured while processing the request.", Binance's text) and logged without parameters.
Secrets are never logged or returned; the fault log names the account by API key only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from aiohttp import web

from actors.replay.testnet import errors
from actors.replay.testnet.errors import RestError
from actors.replay.testnet.exchange import Held
from actors.replay.testnet.signing import verify

if TYPE_CHECKING:
    from actors.replay.testnet.service import TestnetService

__all__ = ["add_routes"]

log = logging.getLogger("raytrade.replay.testnet")
_JSON = "application/json;charset=UTF-8"


def _dumps(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=lambda v: str(v) if isinstance(v, Decimal) else None).encode()


def _response(body: object, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=_dumps(body), status=status, headers={"Content-Type": _JSON, **(headers or {})})


def _error(exc: RestError, headers: dict | None = None) -> web.Response:
    return web.Response(body=exc.body(), status=exc.status, headers={"Content-Type": _JSON, **(headers or {})})


def add_routes(app: web.Application, service: TestnetService, prefix: str, futures: bool) -> None:
    """Add the signed Binance routes under ``prefix`` (``/api/v3`` or ``/fapi/v1``) and the test hooks."""
    ex = service.exchange

    def route(method: str, path: str, handler: Callable, signed: bool = True) -> None:
        app.router.add_route(method, path, _wrap(service, handler, signed))

    if futures:
        for m, p, h in (("POST", "/fapi/v1/order", lambda k, q, t: ex.new_order(k, q, t)),
                        ("GET", "/fapi/v1/order", lambda k, q, t: ex.query_order(k, q)),
                        ("DELETE", "/fapi/v1/order", lambda k, q, t: ex.cancel_order(k, q, t)),
                        ("GET", "/fapi/v1/openOrders", lambda k, q, t: ex.open_orders(k, q)),
                        ("DELETE", "/fapi/v1/allOpenOrders", lambda k, q, t: ex.cancel_open_orders(k, q, t)),
                        ("GET", "/fapi/v1/userTrades", lambda k, q, t: ex.my_trades(k, q))):  # fmt: skip
            route(m, p, h)
        for version in ("v2", "v3"):
            route("GET", f"/fapi/{version}/account", lambda k, q, t: ex.account(k))
            route("GET", f"/fapi/{version}/balance", lambda k, q, t: ex.futures_balance(k))
            route("GET", f"/fapi/{version}/positionRisk", lambda k, q, t: ex.futures_positions(k, q))
        stream = "/fapi/v1/listenKey"
    else:
        for m, p, h in (("POST", "/api/v3/order", lambda k, q, t: ex.new_order(k, q, t)),
                        ("GET", "/api/v3/order", lambda k, q, t: ex.query_order(k, q)),
                        ("DELETE", "/api/v3/order", lambda k, q, t: ex.cancel_order(k, q, t)),
                        ("GET", "/api/v3/openOrders", lambda k, q, t: ex.open_orders(k, q)),
                        ("DELETE", "/api/v3/openOrders", lambda k, q, t: ex.cancel_open_orders(k, q, t)),
                        ("GET", "/api/v3/account", lambda k, q, t: ex.account(k)),
                        ("GET", "/api/v3/myTrades", lambda k, q, t: ex.my_trades(k, q))):  # fmt: skip
            route(m, p, h)
        stream = "/api/v3/userDataStream"
    keys = service.listen_keys
    route("POST", stream, lambda k, q, t: {"listenKey": keys.create(k, t)}, signed=False)
    route("PUT", stream, lambda k, q, t: keys.keep_alive(k, q, t, futures), signed=False)
    route("DELETE", stream, lambda k, q, t: keys.delete(k, q, futures), signed=False)
    ticker = f"{prefix}/ticker/24hr"
    app.router.add_get(ticker, _wrap(service, lambda k, q, t: service.ticker_24hr(q), None))
    async def fills(request: web.Request) -> web.Response:
        return _response({"fills": ex.fill_log()})

    async def orders(request: web.Request) -> web.Response:
        return _response({"orders": ex.order_list(), "requests": ex.order_log})

    async def faults(request: web.Request) -> web.Response:
        return _response({"faults": service.faults.describe(), "log": service.faults.log})

    async def set_faults(request: web.Request) -> web.Response:
        try:
            spec = json.loads(await request.read() or b"{}")
            if not isinstance(spec, dict):
                raise TypeError("a JSON object is expected")
            service.set_faults(spec)
        except (ValueError, TypeError, KeyError) as exc:
            return _response({"error": str(exc)}, 400)
        return _response({"faults": service.faults.describe()})

    app.router.add_get("/testnet/fills", fills)
    app.router.add_get("/testnet/orders", orders)
    app.router.add_get("/testnet/faults", faults)
    app.router.add_post("/testnet/faults", set_faults)


def _wrap(service: TestnetService, handler: Callable, signed: bool | None) -> Callable:
    """``signed``: True SIGNED, False USER_STREAM (API key only), None public (``ticker/24hr``)."""

    async def handle(request: web.Request) -> web.Response:
        now_ns = time.time_ns()
        key = request.headers.get("X-MBX-APIKEY")
        fault = service.faults.take(request.method, request.path, key, request.query_string)
        if fault is not None:
            exc, retry_after = fault
            return _error(exc, {"Retry-After": str(retry_after)})
        try:
            body = (await request.read()).decode("utf-8", errors="strict") if request.can_read_body else ""
        except UnicodeDecodeError:
            return _error(errors.bad_param(-1100, "Illegal characters found in a parameter."))
        try:
            if signed is None:
                from actors.replay.testnet.signing import parse_params

                account, params = "", parse_params(request.query_string, body)
            else:
                account, params = verify(key, request.query_string, body, service.secrets, now_ns // 1_000_000, signed)
            result = handler(account, params, now_ns)
            if isinstance(result, Held):  # the model's outcome is not released yet (event clock): wait for it
                if not result.done:
                    done = asyncio.get_running_loop().create_future()
                    result.on_done = lambda _h: done.done() or done.set_result(None)
                    await done
                result = result.value()
        except RestError as exc:
            return _error(exc)
        except Exception:  # never a traceback with parameters in it: they may hold a signature
            log.exception("testnet: %s %s failed", request.method, request.path)
            return _error(RestError(500, -1000, "An unknown error occured while processing the request."))
        return _response(result)

    return handle
