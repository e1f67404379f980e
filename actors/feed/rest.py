"""REST depth snapshots through ccxt, with errors translated into raytrade's tree at this boundary.

ccxt's unified ``fetch_order_book`` returns floats; snapshots here use ccxt's implicit endpoint methods
(``publicGetDepth`` = ``GET /api/v3/depth``, ``fapiPublicGetDepth`` = ``GET /fapi/v1/depth``,
``dapiPublicGetDepth`` = ``GET /dapi/v1/depth``), which return the venue's own decimal strings, through the same
client, rate limiter and (for private calls) signing. Pointing a venue at a replay server only rewrites the
client's ``urls['api']`` hosts: no other code path differs.

Error translation (as freqtrade does at its ccxt boundary):

* ``ccxt.DDoSProtection`` / ``RateLimitExceeded`` (HTTP 429, 418) -> :class:`RateLimited` with the response's
  ``Retry-After`` seconds (default 1 s).
* ``ccxt.BadSymbol`` / ``BadRequest`` / ``ArgumentsRequired`` / ``AuthenticationError`` / ``PermissionDenied`` ->
  :class:`PermanentVenueError`: retrying cannot help; the feed stops with state ``failed`` and this message.
* other ``ccxt.ExchangeError`` -> :class:`VenueError` (retried with backoff, as the venue may recover).
* ``ccxt.NetworkError`` (timeouts, 5xx, refused connections) -> :class:`VenueUnavailable` (retry with backoff).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ccxt.async_support as ccxt

from actors.errors import PermanentVenueError, RateLimited, VenueError, VenueUnavailable
from actors.feed.venues import adapter_for
from actors.instruments import Venue

__all__ = ["DepthClient", "make_exchange", "translate_ccxt_error"]


def make_exchange(venue: Venue | str, rest_base_url: str | None = None, timeout_ms: int = 10_000) -> Any:
    """An async ccxt client of the venue's adapter (``ccxt_id``); with ``rest_base_url`` its API hosts point there
    (e.g. a replay venue) through the adapter's ``ccxt_api_urls``.

    Args:
        venue: a venue with an adapter.
        rest_base_url: ``"http://127.0.0.1:PORT"`` to replace the venue's REST host (None: the real venue).
        timeout_ms: per-request timeout (ms).
    """
    adapter = adapter_for(venue)
    exchange = getattr(ccxt, adapter.ccxt_id)({"enableRateLimit": True, "timeout": timeout_ms})
    if rest_base_url:
        exchange.urls["api"].update(adapter.ccxt_api_urls(rest_base_url))
    return exchange


def translate_ccxt_error(exc: Exception, headers: Mapping[str, str] | None = None) -> Exception:
    """Map a ccxt exception to the raytrade error an operator acts on (see the module docstring)."""
    if isinstance(exc, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
        retry_after = 1.0
        for key, value in (headers or {}).items():
            if key.lower() == "retry-after":
                try:
                    retry_after = float(value)
                except ValueError:
                    pass
        return RateLimited(f"rate limited: {exc}", retry_after)
    if isinstance(exc, ccxt.NetworkError):
        return VenueUnavailable(f"venue unavailable: {exc}")
    if isinstance(exc, (ccxt.BadSymbol, ccxt.BadRequest, ccxt.ArgumentsRequired, ccxt.AuthenticationError,
                        ccxt.PermissionDenied)):  # fmt: skip
        return PermanentVenueError(f"venue refused the request permanently: {exc}")
    if isinstance(exc, ccxt.BaseError):
        return VenueError(f"venue error: {exc}")
    return exc


class DepthClient:
    """Fetch REST depth snapshots of one venue as the venue's own JSON object (exact strings).

    Args:
        venue: a venue whose snapshots come from REST.
        rest_base_url: see :func:`make_exchange`.
    """

    def __init__(self, venue: Venue | str, rest_base_url: str | None = None, timeout_ms: int = 10_000) -> None:
        self.venue = Venue(venue)
        self.adapter = adapter_for(self.venue)
        self.exchange = make_exchange(self.venue, rest_base_url, timeout_ms)

    async def fetch(self, symbol: str, limit: int = 1000) -> dict:
        """The adapter's ``snapshot_request`` (Binance: ``GET <depth path>?symbol=SYMBOL&limit=LIMIT``).

        Returns:
            The decoded body: ``{"lastUpdateId": int, "bids": [[price, size], ...], "asks": [...], ...}``.

        Raises:
            RateLimited: HTTP 429/418; wait ``retry_after_s``.
            VenueUnavailable: network error, timeout or 5xx.
            PermanentVenueError: unknown symbol, bad limit, bad credentials: never retried.
            VenueError: any other refusal.
        """
        try:
            request = self.adapter.snapshot_request(symbol, limit)
            return await getattr(self.exchange, request.ccxt_method)(dict(request.params))
        except ccxt.BaseError as exc:
            raise translate_ccxt_error(exc, getattr(self.exchange, "last_response_headers", None)) from exc

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.exchange.close()
