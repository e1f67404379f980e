"""A loopback Polygon.io: its WebSocket protocol and REST endpoints, served from documentation-built fixtures.

Not a recording: the bodies come from Polygon's documented examples (``fixtures/polygon/README.md``). It speaks the
protocol the real clients speak, so they are tested over real sockets:

* **WebSocket** (websockets) on ``/crypto`` and ``/stocks``: ``connected`` on open; ``{"action":"auth"}`` ->
  ``auth_success``, or ``auth_failed`` and a close (code 1008) for a wrong key; more than ``max_connections``
  authenticated connections for the key -> ``max_connections`` and a close; ``subscribe`` / ``unsubscribe`` ->
  one ``success`` status per channel (``subscribed to: XT.BTC-USD``); a channel of another market ->
  ``error``. Subscribed channels (``XT.BTC-USD``, ``XA.*``, ...) get the fixture's events of that prefix and
  pair, one event per message every ``interval_ms``, cycling (times moved on by one minute per cycle), each
  message a JSON array as Polygon sends them. :meth:`PolygonFake.drop_connections` closes every connection
  (code 1011) to test reconnects.
* **REST** (aiohttp): ``/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`` (``limit`` rows per
  page, ``next_url`` with a ``cursor`` until the last page; ``from``/``to`` as ``YYYY-MM-DD`` or Unix ms),
  ``/v2/aggs/ticker/{ticker}/prev``, ``/v2/snapshot/locale/{global|us}/markets/{crypto|stocks}/tickers/{ticker}``.
  The key in ``Authorization: Bearer`` or ``apiKey``; a wrong or missing key -> 401 ``Unknown API Key``;
  :meth:`PolygonFake.rate_limit` makes the next N requests answer 429 with Polygon's body; an unknown ticker has
  no aggregates (``resultsCount`` 0) and a 404 snapshot.

Errors: :class:`OSError` when a port cannot be bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path

from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

__all__ = ["FIXTURES", "PolygonFake"]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "polygon"
_MARKET_OF_PREFIX = {"XT": "crypto", "XQ": "crypto", "XA": "crypto", "XAS": "crypto", "T": "stocks", "Q": "stocks",
                     "AM": "stocks", "A": "stocks"}  # fmt: skip
_MINUTE_MS = 60_000


def _load(name: str):
    return json.loads((FIXTURES / name).read_text())


def _file_key(ticker: str) -> str:
    return ticker.replace(":", "_")


def _ms(text: str) -> int:
    if text.isdigit():
        return int(text)
    day = dt.date.fromisoformat(text)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


class PolygonFake:
    """Args:
    api_key: the only key accepted.
    host: bind address. ws_port, rest_port: 0 lets the OS pick.
    interval_ms: pause between streamed messages (ms).
    max_connections: authenticated connections allowed at once for the key (Polygon's default plan: 1).
    cycles: how many times each connection gets the fixture's events (None: forever), then it stays quiet.

    Attributes:
        connections: open websocket connections. auth_ok, auth_failed: counters. subscriptions: per connection
        index, its current channels. requests, rate_limited: REST counters.
    """

    def __init__(self, api_key: str = "test-key", host: str = "127.0.0.1", ws_port: int = 0, rest_port: int = 0,
                 interval_ms: float = 20.0, max_connections: int = 1, cycles: int | None = None) -> None:  # fmt: skip
        self.api_key = api_key
        self.host = host
        self.ws_port, self.rest_port = ws_port, rest_port
        self.interval_s = interval_ms / 1000
        self.max_connections = max_connections
        self.cycles = cycles
        self.events = {"crypto": _load("ws_crypto.json"), "stocks": _load("ws_stocks.json")}
        self.errors = _load("errors.json")
        self.connections: set[ServerConnection] = set()
        self._authed: set[ServerConnection] = set()
        self.subscriptions: dict[int, set[str]] = {}
        self.auth_ok = self.auth_failed = self.conn_count = self.requests = self.rate_limited = 0
        self._rate_limit_next = 0
        self._ws_server = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    async def start(self) -> dict:
        """Bind both ports; returns ``{"ws": "ws://host:P", "rest": "http://host:Q", "ws_port", "rest_port"}``."""
        self._ws_server = await serve(self._handle, self.host, self.ws_port, process_request=self._check_path)
        self.ws_port = self._ws_server.sockets[0].getsockname()[1]
        self._runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.rest_port)
        await site.start()
        self.rest_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.urls()

    def urls(self) -> dict:
        """The bound URLs (after :meth:`start`)."""
        return {"ws": f"ws://{self.host}:{self.ws_port}", "rest": f"http://{self.host}:{self.rest_port}",
                "ws_port": self.ws_port, "rest_port": self.rest_port}  # fmt: skip

    async def stop(self) -> None:
        """Close every connection and both servers."""
        if self._ws_server is not None:
            self._ws_server.close()
            await self._ws_server.wait_closed()
            self._ws_server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def drop_connections(self, code: int = 1011) -> int:
        """Close every open websocket connection (a venue-side disconnect); returns how many."""
        conns = list(self.connections)
        self._authed.difference_update(conns)  # gone at once: a quick reconnect is not a second connection
        for ws in conns:
            await ws.close(code=code, reason="fake disconnect")
        return len(conns)

    def rate_limit(self, n: int) -> None:
        """Answer the next ``n`` REST requests with 429 and Polygon's rate-limit body."""
        self._rate_limit_next = n

    def status(self) -> dict:
        """Counters (JSON-friendly)."""
        return {"connections": len(self.connections), "connects": self.conn_count, "auth_ok": self.auth_ok,
                "auth_failed": self.auth_failed, "subscriptions": {k: sorted(v) for k, v in self.subscriptions.items()},
                "requests": self.requests, "rate_limited": self.rate_limited}  # fmt: skip

    # -- websocket -------------------------------------------------------------------------------------------
    def _check_path(self, connection: ServerConnection, request):
        if request.path.split("?")[0] not in ("/crypto", "/stocks"):
            return connection.respond(404, "unknown path\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        market = ws.request.path.split("?")[0].strip("/") if ws.request else "crypto"
        conn = self.conn_count
        self.conn_count += 1
        self.connections.add(ws)
        channels: set[str] = set()
        self.subscriptions[conn] = channels
        sender = None
        try:
            await self._status(ws, "connected", "Connected Successfully")
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                    action, params = msg["action"], str(msg.get("params", ""))
                except (ValueError, KeyError, TypeError):
                    await self._status(ws, "error", "invalid message")
                    continue
                if action == "auth":
                    if not await self._auth(ws, params):
                        return
                elif ws not in self._authed:
                    await self._status(ws, "error", "not authorized")
                elif action in ("subscribe", "unsubscribe"):
                    await self._subscribe(ws, market, channels, action, params)
                    if sender is None:
                        sender = asyncio.ensure_future(self._stream(ws, market, channels))
                else:
                    await self._status(ws, "error", f"unknown action {action!r}")
        except ConnectionClosed:
            pass
        finally:
            if sender is not None:
                sender.cancel()
            self.connections.discard(ws)
            self._authed.discard(ws)

    async def _auth(self, ws: ServerConnection, key: str) -> bool:
        if key != self.api_key:
            self.auth_failed += 1
            await self._status(ws, "auth_failed", "authentication failed")
            await ws.close(code=1008, reason="authentication failed")
            return False
        if len(self._authed) >= self.max_connections:
            await self._status(ws, "max_connections", "Maximum number of websocket connections exceeded. You have "
                               "reached the connection limit for your account. Please contact support at "
                               "https://polygon.io/contact to increase your limit.")  # fmt: skip
            await ws.close(code=1008, reason="max connections")
            return False
        self.auth_ok += 1
        self._authed.add(ws)
        await self._status(ws, "auth_success", "authenticated")
        return True

    async def _subscribe(self, ws, market: str, channels: set[str], action: str, params: str) -> None:
        replies = []
        for channel in filter(None, (c.strip() for c in params.split(","))):
            prefix = channel.partition(".")[0]
            if _MARKET_OF_PREFIX.get(prefix) != market:
                replies.append({"ev": "status", "status": "error", "message": f"invalid channel: {channel}"})
                continue
            if action == "subscribe":
                channels.add(channel)
                replies.append({"ev": "status", "status": "success", "message": f"subscribed to: {channel}"})
            else:
                channels.discard(channel)
                replies.append({"ev": "status", "status": "success", "message": f"unsubscribed to: {channel}"})
        await ws.send(json.dumps(replies))

    async def _stream(self, ws, market: str, channels: set[str]) -> None:
        events, cycle = self.events[market], 0
        try:
            while self.cycles is None or cycle < self.cycles:
                for event in events:
                    symbol = event.get("pair") or event.get("sym")
                    if f"{event['ev']}.{symbol}" in channels or f"{event['ev']}.*" in channels:
                        shifted = dict(event)
                        for key in ("t", "s", "e", "r"):
                            if key in shifted and isinstance(shifted[key], int) and shifted[key] > 10**11:
                                shifted[key] += cycle * _MINUTE_MS
                        await ws.send(json.dumps([shifted]))
                    await asyncio.sleep(self.interval_s)
                cycle += 1
        except (ConnectionClosed, asyncio.CancelledError):
            return

    @staticmethod
    async def _status(ws, status: str, message: str) -> None:
        await ws.send(json.dumps([{"ev": "status", "status": status, "message": message}]))

    # -- REST ------------------------------------------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}", self._aggs)
        app.router.add_get("/v2/aggs/ticker/{ticker}/prev", self._prev)
        app.router.add_get("/v2/snapshot/locale/{locale}/markets/{market}/tickers/{ticker}", self._snapshot)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        self.requests += 1
        auth = request.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else request.query.get("apiKey")
        if key != self.api_key:
            return web.json_response(self.errors["401"], status=401)
        if self._rate_limit_next > 0:
            self._rate_limit_next -= 1
            self.rate_limited += 1
            return web.json_response(self.errors["429"], status=429)
        return await handler(request)

    async def _aggs(self, request: web.Request) -> web.Response:
        m = request.match_info
        ticker = m["ticker"]
        path = FIXTURES / "aggs" / f"{_file_key(ticker)}_{m['multiplier']}_{m['timespan']}.json"
        rows = json.loads(path.read_text()) if path.is_file() else []
        try:
            start, end = _ms(m["start"]), _ms(m["end"])
            limit = max(1, min(50_000, int(request.query.get("limit", "5000"))))
            offset = int(request.query.get("cursor", "0"))
        except ValueError as exc:
            return web.json_response({"status": "ERROR", "request_id": uuid.uuid4().hex, "error": str(exc)}, status=400)
        rows = [r for r in rows if start <= r["t"] <= end + 86_399_999]
        page = rows[offset : offset + limit]
        body = {"ticker": ticker, "queryCount": len(page), "resultsCount": len(page), "adjusted": True,
                "results": page, "status": "OK", "request_id": uuid.uuid4().hex, "count": len(page)}  # fmt: skip
        if not page:
            del body["results"]
        if offset + limit < len(rows):
            body["next_url"] = (f"http://{self.host}:{self.rest_port}{request.path}"
                                f"?cursor={offset + limit}&limit={limit}")  # fmt: skip
        return web.json_response(body)

    async def _prev(self, request: web.Request) -> web.Response:
        path = FIXTURES / f"prev_{_file_key(request.match_info['ticker'])}.json"
        if not path.is_file():
            return web.json_response({"ticker": request.match_info["ticker"], "queryCount": 0, "resultsCount": 0,
                                      "adjusted": True, "status": "OK", "request_id": uuid.uuid4().hex})  # fmt: skip
        return web.Response(body=path.read_bytes(), content_type="application/json")

    async def _snapshot(self, request: web.Request) -> web.Response:
        path = FIXTURES / f"snapshot_{_file_key(request.match_info['ticker'])}.json"
        if not path.is_file():
            return web.json_response(self.errors["404"], status=404)
        return web.Response(body=path.read_bytes(), content_type="application/json")
