"""The REST side of a replay venue (aiohttp), on its own port like a venue's REST host.

Routes come from the venue's replay protocol (``rest_routes``: Binance ``GET <prefix>/depth``, ``ping``, ``time``,
spot ``exchangeInfo``; see :mod:`actors.replay.binance`). Every route first asks the fault injector (429/418 with
``Retry-After``, 5xx, with the venue's own error body shape: Binance ``{"code":..,"msg":..}``). Bodies are
``application/json;charset=UTF-8``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from actors.replay.depth import error_body
from actors.replay.ws_server import tcp_listener

if TYPE_CHECKING:
    from actors.replay.venue import ReplayVenue

__all__ = ["RestEndpoint"]

_JSON = "application/json;charset=UTF-8"
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
        for path, handler in self.venue.protocol.rest_routes(self.venue):
            app.router.add_get(path, self._guard(self._route(handler)))
        testnet = self.venue.testnet
        if testnet is not None:  # signed Binance routes and /testnet/* hooks (actors.replay.testnet)
            from actors.replay.testnet.routes import add_routes

            add_routes(app, testnet, self.venue.protocol.prefix, testnet.futures)
        return app

    def _route(self, handler) -> _Handler:
        async def route(request: web.Request) -> web.Response:
            status, body, headers = await handler(self.venue, request.query)
            return _json(body, status, headers)

        return route

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
            protocol = self.venue.protocol
            fault = self.venue.rest_fault(request.path, protocol.rest_symbol(request.query))
            if fault is not None:
                headers = {} if fault.retry_after_s is None else {"Retry-After": str(fault.retry_after_s)}
                body_of = getattr(protocol, "error_body", error_body)
                return _json(body_of(fault.code, fault.msg), fault.status, headers)
            return await handler(request)

        return guarded
