"""Alpha Vantage REST client: ``DIGITAL_CURRENCY_DAILY``, ``CRYPTO_INTRADAY``, ``CURRENCY_EXCHANGE_RATE``,
``TIME_SERIES_DAILY`` (``GET /query?function=...&apikey=...``, Alpha Vantage API documentation).

Alpha Vantage takes the key only as the ``apikey`` query parameter; it is removed from every error message. It
reports errors in HTTP 200 bodies (``Note``, ``Information``, ``Error Message``): they are translated by
:func:`actors.feed.venues.alphavantage.error_in` (rate limit -> :class:`RateLimited`, retried after a backoff up
to ``max_retries`` times, then raised; bad key -> :class:`AuthenticationFailed` and bad call ->
:class:`PermanentVenueError`, at once). HTTP 429 / 5xx / connection failures are retried likewise.
"""

from __future__ import annotations

import time

import httpx
from pydantic import SecretStr

from actors.bars.bar import Bar
from actors.errors import PermanentVenueError, RateLimited, VenueUnavailable
from actors.feed.backoff import Backoff
from actors.feed.venues.alphavantage import REST_BASE_URL, AlphaVantageParser, error_in
from actors.messages import Quote
from actors.providers.http import ProviderHTTP

__all__ = ["AlphaVantageREST"]


def _error_of(status: int, body: bytes, retry_after: float | None):
    if status == 200:
        return error_in(body)
    if status == 429:
        return RateLimited(f"alphavantage: HTTP 429", 60.0 if retry_after is None else retry_after)
    if status >= 500:
        return VenueUnavailable(f"alphavantage: HTTP {status}")
    return PermanentVenueError(f"alphavantage: HTTP {status}", status)


class AlphaVantageREST:
    """Alpha Vantage.

    Args:
        api_key: the key (``SecretStr``).
        base_url: ``https://www.alphavantage.co`` or a loopback fake.
        client, max_retries, backoff, sleep, timeout_s: see :class:`~actors.providers.http.ProviderHTTP`.
        clock: ns wall clock for ``ts_recv``.
    """

    def __init__(self, api_key: SecretStr | str, base_url: str = REST_BASE_URL, client: httpx.AsyncClient | None = None,
                 max_retries: int = 2, backoff: Backoff | None = None, sleep=None, timeout_s: float = 10.0,
                 clock=time.time_ns) -> None:  # fmt: skip
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        extra = {} if sleep is None else {"sleep": sleep}
        self.http = ProviderHTTP(base_url, "alphavantage", _error_of, None, ("apikey",), client, timeout_s,
                                 max_retries, backoff or Backoff(base_s=12.0, cap_s=60.0), **extra)  # fmt: skip
        self.parser = AlphaVantageParser()
        self.clock = clock

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> AlphaVantageREST:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _query(self, function: str, **params: str) -> bytes:
        return await self.http.get("/query", {"function": function, **params,
                                              "apikey": self._key.get_secret_value()})  # fmt: skip

    async def digital_currency_daily(self, symbol: str, market: str) -> list[Bar]:
        """Daily bars of a digital currency in a market (``BTC``, ``EUR``), oldest first.

        Raises:
            RateLimited (after retries), AuthenticationFailed, PermanentVenueError, MalformedFrame.
        """
        body = await self._query("DIGITAL_CURRENCY_DAILY", symbol=symbol, market=market)
        return self.parser.digital_currency_daily(body, self.clock())

    async def crypto_intraday(self, symbol: str, market: str, interval: str = "5min",
                              outputsize: str = "compact") -> list[Bar]:  # fmt: skip
        """Intraday bars (``interval`` ``1min``, ``5min``, ``15min``, ``30min``, ``60min``), oldest first.

        Raises:
            as :meth:`digital_currency_daily`.
        """
        body = await self._query("CRYPTO_INTRADAY", symbol=symbol, market=market, interval=interval,
                                 outputsize=outputsize)  # fmt: skip
        return self.parser.crypto_intraday(body, self.clock())

    async def currency_exchange_rate(self, from_currency: str, to_currency: str) -> Quote:
        """The realtime exchange rate (``BTC`` -> ``USD``, ``EUR`` -> ``USD``) as a Quote.

        Raises:
            as :meth:`digital_currency_daily`.
        """
        body = await self._query("CURRENCY_EXCHANGE_RATE", from_currency=from_currency, to_currency=to_currency)
        return self.parser.currency_exchange_rate(body, self.clock())

    async def time_series_daily(self, symbol: str, outputsize: str = "compact") -> list[Bar]:
        """Daily bars of a stock (``IBM``), oldest first.

        Raises:
            as :meth:`digital_currency_daily`.
        """
        body = await self._query("TIME_SERIES_DAILY", symbol=symbol, outputsize=outputsize)
        return self.parser.time_series_daily(body, self.clock())
