"""The REST side of a replay venue (aiohttp), on its own port like Binance's REST host.

Routes by venue (Binance Spot API docs "General endpoints" / "Market Data endpoints"; USD-M and COIN-M Futures
docs "Market Data"):

* spot: ``GET /api/v3/depth``, ``/api/v3/exchangeInfo`` (the recorded response), ``/api/v3/ping`` (``{}``),
  ``/api/v3/time`` (``{"serverTime":<replay time ms>}``);
* USD-M: ``GET /fapi/v1/depth``, ``/fapi/v1/ping``, ``/fapi/v1/time``; COIN-M: the same under ``/dapi/v1``.
  No futures exchangeInfo was recorded: give ccxt markets from the instrument specs
  (:mod:`actors.feed.ccxt_markets`).

Every route first asks the fault injector (429/418 with ``Retry-After``, 5xx). Depth requests are validated like
Binance (400 with its error body) and answered by :meth:`ReplayVenue.depth_snapshot`; a request that finds no
snapshot in time gets 503 ``{"code":-1007,...}``. Bodies are ``application/json;charset=UTF-8``, as Binance sends.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from actors.instruments import Venue
from actors.replay.depth import RestError, error_body, parse_depth_query
from actors.replay.ws_server import tcp_listener

if TYPE_CHECKING:
    from actors.replay.venue import ReplayVenue

__all__ = ["RestEndpoint"]

_JSON = "application/json;charset=UTF-8"
_PREFIX = {Venue.BINANCE: "/api/v3", Venue.BINANCE_USDM: "/fapi/v1", Venue.BINANCE_COINM: "/dapi/v1"}
_Handler = Callable[[web.Request], Awaitable[web.Response]]


def _json(body: bytes, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=body, status=status, headers={"Content-Type": _JSON, **(headers or {})})


class RestEndpoint:
    """The REST server of one venue.

    Args:
        venue: the venue whose true book and clock answer the requests.
    """

    def __init__(self, venue: ReplayVenue) -> None:
        self.venue = venue
        self.port = 0
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """The aiohttp application with the venue's routes."""
        app = web.Application()
        prefix = _PREFIX[self.venue.venue]
        app.router.add_get(f"{prefix}/depth", self._guard(self._depth))
        app.router.add_get(f"{prefix}/ping", self._guard(self._ping))
        app.router.add_get(f"{prefix}/time", self._guard(self._time))
        if self.venue.exchange_info is not None:
            app.router.add_get(f"{prefix}/exchangeInfo", self._guard(self._exchange_info))
        return app

    async def open(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (0: the OS picks; see :attr:`port`).

        Raises:
            OSError: the address cannot be bound.
        """
        sock = tcp_listener(host, port)
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _guard(self, handler: _Handler) -> _Handler:
        async def guarded(request: web.Request) -> web.Response:
            fault = self.venue.rest_fault(request.path, request.query.get("symbol"))
            if fault is not None:
                headers = {} if fault.retry_after_s is None else {"Retry-After": str(fault.retry_after_s)}
                return _json(error_body(fault.code, fault.msg), fault.status, headers)
            return await handler(request)

        return guarded

    async def _depth(self, request: web.Request) -> web.Response:
        venue = self.venue
        try:
            symbol, limit = parse_depth_query(venue.venue, request.query, venue.index.symbols)
        except RestError as exc:
            return _json(exc.body(), exc.status)
        body = await venue.depth_snapshot(symbol, limit)
        if body is None:
            msg = "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
            return _json(error_body(-1007, msg), 503)
        return _json(body)

    async def _ping(self, request: web.Request) -> web.Response:
        return _json(b"{}")

    async def _time(self, request: web.Request) -> web.Response:
        return _json(json.dumps({"serverTime": self.venue.position_ns() // 1_000_000}, separators=(",", ":")).encode())

    async def _exchange_info(self, request: web.Request) -> web.Response:
        return _json(self.venue.exchange_info or b"{}")
