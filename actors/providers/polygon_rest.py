"""Polygon.io REST client: aggregates (all pages), previous close, ticker snapshot.

Endpoints (Polygon.io REST docs): "Aggregates (Bars)" ``GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/
{from}/{to}?adjusted=&sort=asc&limit=`` (a reply with more results carries ``next_url``: the same query from a
cursor, to be fetched with the key again), "Previous Close" ``GET /v2/aggs/ticker/{ticker}/prev``, "Snapshot >
Ticker" ``GET /v2/snapshot/locale/global/markets/crypto/tickers/{ticker}`` (crypto) and
``/v2/snapshot/locale/us/markets/stocks/tickers/{ticker}`` (stocks). The key goes in the ``Authorization: Bearer``
header (Polygon accepts it there or as ``apiKey``), so it is never part of a URL.

Errors (:func:`actors.feed.venues.polygon.rest_error`): 429 -> :class:`RateLimited`, retried after a backoff (or
``Retry-After``) up to ``max_retries`` times; 401/403 -> :class:`AuthenticationFailed`; 5xx / connection failures
-> :class:`VenueUnavailable`, retried likewise; other 4xx -> :class:`PermanentVenueError`. Parsing: the pure
:class:`~actors.feed.venues.polygon.PolygonParser` (exact prices, ns times).
"""

from __future__ import annotations

import time

import httpx
from pydantic import SecretStr

from actors.bars.bar import Bar
from actors.feed.backoff import Backoff
from actors.feed.venues.polygon import REST_BASE_URL, PolygonParser, TickerSnapshot, interval_of, polygon_ticker
from actors.feed.venues.polygon import market_of, rest_error
from actors.providers.http import ProviderHTTP

__all__ = ["PolygonREST"]


def _error_of(status: int, body: bytes, retry_after: float | None):
    return None if status == 200 else rest_error(status, body, retry_after)


class PolygonREST:
    """Polygon.io REST.

    Args:
        api_key: the key (``SecretStr``; from the environment, never logged).
        base_url: ``https://api.polygon.io`` or a loopback fake.
        client, max_retries, backoff, sleep, timeout_s: see :class:`~actors.providers.http.ProviderHTTP`.
        usdt_as_usd: the USDT rule of :func:`~actors.feed.venues.polygon.polygon_ticker`.
        clock: ns wall clock for ``ts_recv``.
    """

    def __init__(self, api_key: SecretStr | str, base_url: str = REST_BASE_URL, client: httpx.AsyncClient | None = None,
                 max_retries: int = 3, backoff: Backoff | None = None, sleep=None, timeout_s: float = 10.0,
                 usdt_as_usd: bool = True, clock=time.time_ns) -> None:  # fmt: skip
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        extra = {} if sleep is None else {"sleep": sleep}
        self.http = ProviderHTTP(base_url, "polygon", _error_of, {"Authorization": f"Bearer {key.get_secret_value()}"},
                                 ("apiKey",), client, timeout_s, max_retries, backoff, **extra)  # fmt: skip
        self.parser = PolygonParser()
        self.usdt_as_usd = usdt_as_usd
        self.clock = clock
        self.pages = 0

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> PolygonREST:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def aggregates(self, symbol: str, multiplier: int, timespan: str, start: str | int, end: str | int,
                         adjusted: bool = True, limit: int = 50_000, max_pages: int = 1000) -> list[Bar]:  # fmt: skip
        """Every bar from ``start`` to ``end`` (``YYYY-MM-DD`` or Unix ms), following ``next_url`` to the last page.

        Args:
            symbol: ``BTC/USDT``, ``X:BTCUSD``, ``AAPL``, ... (:func:`polygon_ticker`).
            multiplier, timespan: bar size (``1``, ``"minute"``: 1m bars; ``interval`` of the bars accordingly).
            limit: results per page (Polygon's maximum is 50,000).
            max_pages: stop following ``next_url`` after this many pages (a guard against a cursor loop).

        Returns:
            Closed bars, oldest first, ``trades`` = Polygon ``n``, VWAP = Polygon ``vw``.

        Raises:
            RateLimited, VenueUnavailable (after retries), AuthenticationFailed, PermanentVenueError, MalformedFrame.
        """
        ticker = polygon_ticker(symbol, self.usdt_as_usd)
        interval = interval_of(multiplier, timespan)
        url = f"/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}"
        params: dict | None = {"adjusted": str(adjusted).lower(), "sort": "asc", "limit": limit}
        bars: list[Bar] = []
        for _ in range(max_pages):
            body = await self.http.get(url, params)
            self.pages += 1
            page, next_url = self.parser.parse_aggregates(body, interval, self.clock())
            bars.extend(page)
            if not next_url:
                break
            url, params = next_url, None  # next_url carries the query (cursor); the key stays in the header
        return bars

    async def previous_close(self, symbol: str, adjusted: bool = True) -> Bar | None:
        """The previous day's bar (``interval`` ``"1d"``), or None when Polygon has none.

        Raises:
            as :meth:`aggregates`.
        """
        ticker = polygon_ticker(symbol, self.usdt_as_usd)
        body = await self.http.get(f"/v2/aggs/ticker/{ticker}/prev", {"adjusted": str(adjusted).lower()})
        bars, _ = self.parser.parse_aggregates(body, "1d", self.clock())
        return bars[0] if bars else None

    async def snapshot(self, symbol: str) -> TickerSnapshot:
        """The ticker's snapshot (last trade, last quote for stocks, today's / the minute's / yesterday's bars).

        Raises:
            as :meth:`aggregates` (an unknown ticker: :class:`PermanentVenueError` 404).
        """
        ticker = polygon_ticker(symbol, self.usdt_as_usd)
        where = "global/markets/crypto" if market_of(ticker) == "crypto" else "us/markets/stocks"
        body = await self.http.get(f"/v2/snapshot/locale/{where}/tickers/{ticker}")
        return self.parser.parse_snapshot(body, self.clock())
