"""REST plumbing shared by the provider clients: one httpx client, errors into the project's tree, bounded retries.

Only transient errors are retried (:class:`RateLimited`, :class:`VenueUnavailable`), at most ``max_retries`` times:
a 429 waits the reply's ``Retry-After`` seconds when it sends one, else the next exponential backoff delay with
full jitter (:class:`actors.feed.backoff.Backoff`); a 5xx or a transport failure waits the backoff. Permanent errors
(bad key, unknown symbol, bad request) are raised at once. Secrets never enter a URL or a message: the caller puts
the key in a header or a query parameter that :meth:`ProviderHTTP.get` strips from errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx

from actors.errors import RateLimited, VenueError, VenueUnavailable
from actors.feed.backoff import Backoff

__all__ = ["ErrorOf", "ProviderHTTP"]

ErrorOf = Callable[[int, bytes, float | None], VenueError | None]
"""``(status_code, body, retry_after_s) -> error or None``: a provider's translation of a reply (a 200 may be an
error too: Alpha Vantage's ``Note``)."""


class ProviderHTTP:
    """GET requests to one provider.

    Args:
        base_url: ``https://api.polygon.io`` or a loopback fake's URL.
        venue: named in errors.
        error_of: the provider's reply translation (:data:`ErrorOf`).
        headers: sent with every request (e.g. ``Authorization``).
        secret_params: query parameter names whose values are secret (removed from error messages).
        client: an ``httpx.AsyncClient`` to use (tests may pass one with a transport); else one is made.
        timeout_s: per-request timeout (s).
        max_retries: retries of a transient error before it is raised.
        backoff: delays between retries without ``Retry-After``.
        sleep: the coroutine that waits (tests pass a recorder).

    Attributes:
        requests, retries: counters. waits_s: every wait (s), in order.
    """

    def __init__(self, base_url: str, venue: str, error_of: ErrorOf, headers: Mapping[str, str] | None = None,
                 secret_params: tuple[str, ...] = (), client: httpx.AsyncClient | None = None,
                 timeout_s: float = 10.0, max_retries: int = 3, backoff: Backoff | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.venue = venue
        self.error_of = error_of
        self.secret_params = secret_params
        self._own = client is None
        self.client = client or httpx.AsyncClient(timeout=timeout_s, headers=dict(headers or {}))
        if not self._own and headers:
            self.client.headers.update(headers)
        self.max_retries = max_retries
        self.backoff = backoff or Backoff(base_s=1.0, cap_s=60.0)
        self.sleep = sleep
        self.requests = self.retries = 0
        self.waits_s: list[float] = []

    async def close(self) -> None:
        """Close the httpx client when this object made it."""
        if self._own:
            await self.client.aclose()

    async def get(self, path_or_url: str, params: Mapping[str, object] | None = None) -> bytes:
        """GET ``path_or_url`` (a path under ``base_url`` or a full URL, e.g. Polygon's ``next_url``).

        Returns:
            The body of a successful reply.

        Raises:
            RateLimited / VenueUnavailable: still failing after ``max_retries`` retries.
            PermanentVenueError (incl. AuthenticationFailed): at once.
        """
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        attempt = 0
        while True:
            self.requests += 1
            try:
                reply = await self.client.get(url, params=dict(params) if params else None)
                retry_after = _retry_after(reply.headers.get("Retry-After"))
                error = self.error_of(reply.status_code, reply.content, retry_after)
            except httpx.HTTPError as exc:
                error, retry_after = VenueUnavailable(f"{self.venue}: {type(exc).__name__}: {self._clean(exc)}"), None
            if error is None:
                self.backoff.failures = 0
                return reply.content
            if not isinstance(error, (RateLimited, VenueUnavailable)) or attempt >= self.max_retries:
                raise error
            attempt += 1
            self.retries += 1
            wait = retry_after if retry_after is not None else self.backoff.next_delay_s()
            self.waits_s.append(wait)
            await self.sleep(wait)

    def _clean(self, exc: Exception) -> str:
        text = str(exc)
        for name in self.secret_params:
            text = _strip_param(text, name)
        return text


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _strip_param(text: str, name: str) -> str:
    import re

    return re.sub(rf"({re.escape(name)}=)[^&\s'\"]*", r"\1***", text)
