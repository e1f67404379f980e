"""A loopback Alpha Vantage: ``GET /query?function=...&apikey=...`` from documentation-built fixtures.

Not a recording (``fixtures/alphavantage/README.md``). Each function in
:data:`~actors.feed.venues.alphavantage.FUNCTIONS` answers its fixture body (``DIGITAL_CURRENCY_DAILY`` with
``legacy=1`` the older column layout); a wrong or missing ``apikey`` answers Alpha Vantage's ``Error Message``
body, an unknown function or symbol the ``Invalid API call`` body, and :meth:`AlphaVantageFake.rate_limit` makes
the next N requests answer the ``Note`` (per-minute) or ``Information`` (per-day) body: all with HTTP 200, as Alpha
Vantage does.

Errors: :class:`OSError` when the port cannot be bound.
"""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

__all__ = ["AlphaVantageFake"]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "alphavantage"
_SYMBOL_PARAM = {"DIGITAL_CURRENCY_DAILY": "symbol", "CRYPTO_INTRADAY": "symbol", "TIME_SERIES_DAILY": "symbol",
                 "CURRENCY_EXCHANGE_RATE": "from_currency"}  # fmt: skip


class AlphaVantageFake:
    """Args: api_key (the only key accepted), host, port (0: the OS picks).

    Attributes:
        requests, rate_limited: counters.
    """

    def __init__(self, api_key: str = "test-key", host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_key = api_key
        self.host, self.port = host, port
        self.errors = json.loads((FIXTURES / "errors.json").read_text())
        self.requests = self.rate_limited = 0
        self._limit_next, self._limit_kind = 0, "note"
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Bind; returns the base URL ``http://host:port``."""
        app = web.Application()
        app.router.add_get("/query", self._query)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def rate_limit(self, n: int, kind: str = "note") -> None:
        """Answer the next ``n`` requests with the ``note`` or ``information`` rate-limit body."""
        self._limit_next, self._limit_kind = n, kind

    async def _query(self, request: web.Request) -> web.Response:
        self.requests += 1
        q = request.query
        if q.get("apikey") != self.api_key:
            return web.json_response(self.errors["bad_key"])
        if self._limit_next > 0:
            self._limit_next -= 1
            self.rate_limited += 1
            return web.json_response(self.errors[self._limit_kind])
        function = q.get("function", "").upper()
        name = f"{function}_legacy" if function == "DIGITAL_CURRENCY_DAILY" and q.get("legacy") else function
        path = FIXTURES / f"{name}.json"
        body = json.loads(path.read_text()) if function in _SYMBOL_PARAM and path.is_file() else None
        if body is None or not self._matches(function, body, q):
            return web.json_response(self.errors["invalid_call"])
        return web.json_response(body)

    @staticmethod
    def _matches(function: str, body: dict, q) -> bool:
        """The fixture is for the asked symbol (else: Alpha Vantage's invalid-call body)."""
        wanted = q.get(_SYMBOL_PARAM[function], "").upper()
        text = json.dumps(body.get("Meta Data") or body.get("Realtime Currency Exchange Rate") or {})
        return bool(wanted) and f'": "{wanted}"' in text
