"""The real Alpha Vantage client against the loopback fake over real sockets: every function parsed, the Note /
Information rate-limit bodies retried then raised as RateLimited, a bad key and a bad call raised at once."""

from __future__ import annotations

import asyncio

import pytest

from actors.errors import AuthenticationFailed, PermanentVenueError, RateLimited
from actors.feed.backoff import Backoff
from actors.providers.alphavantage import AlphaVantageREST
from actors.replay.providers.alphavantage import AlphaVantageFake

KEY = "test-key"


def run(body_fn, **client_kw):
    async def main():
        fake = AlphaVantageFake(api_key=KEY)
        url = await fake.start()
        waits: list[float] = []

        async def sleep(s):
            waits.append(s)

        try:
            async with AlphaVantageREST(client_kw.pop("key", KEY), url, sleep=sleep,
                                        backoff=Backoff(base_s=12.0, cap_s=60.0), **client_kw) as client:  # fmt: skip
                return await asyncio.wait_for(body_fn(fake, client), timeout=60), waits
        finally:
            await fake.stop()

    return asyncio.run(main())


def test_every_function_is_parsed_into_exact_bars_and_quotes():
    async def body(fake, av):
        return (await av.digital_currency_daily("BTC", "EUR"), await av.crypto_intraday("ETH", "USD", "5min"),
                await av.currency_exchange_rate("BTC", "EUR"), await av.time_series_daily("IBM"))  # fmt: skip

    (daily, intraday, rate, ibm), waits = run(body)
    assert waits == []
    assert [b.to_dict()["start"] for b in daily] == [1722988800000000000, 1723075200000000000, 1723161600000000000]
    assert daily[-1].instrument_id == "BTCEUR.ALPHAVANTAGE" and daily[-1].to_dict()["close"] == "56230.12000000"
    assert daily[-1].to_dict()["volume"] == "52.14329061" and daily[-1].interval == "1d"
    assert [b.interval for b in intraday] == ["5m"] * 3 and intraday[0].start == 1723160700000000000  # 23:45 UTC
    assert (rate.instrument_id, rate.bid_price, rate.ask_price) == ("BTCEUR.ALPHAVANTAGE", 5623097000000,
                                                                    5623185000000)  # fmt: skip
    assert rate.ts_event == 1723161842000000000
    # US/Eastern days: 2024-08-08 00:00 EDT = 04:00 UTC
    assert ibm[-1].start == 1723089600000000000 and ibm[-1].to_dict()["volume"] == "2866584.00000000"


def test_note_body_is_retried_after_a_backoff_then_succeeds():
    async def body(fake, av):
        fake.rate_limit(2, "note")
        return await av.time_series_daily("IBM"), fake.requests

    (bars, requests), waits = run(body, max_retries=2)
    assert len(bars) == 3 and requests == 3 and len(waits) == 2 and all(0 <= w <= 24 for w in waits)


def test_information_body_that_persists_is_rate_limited():
    async def body(fake, av):
        fake.rate_limit(10, "information")
        with pytest.raises(RateLimited, match="25 requests per day") as info:
            await av.digital_currency_daily("BTC", "EUR")
        return info.value, fake.requests

    (error, requests), waits = run(body, max_retries=2)
    assert requests == 3 and len(waits) == 2 and error.retry_after_s == 60


def test_bad_key_and_bad_call_are_raised_at_once_without_the_key():
    async def body(fake, av):
        with pytest.raises(AuthenticationFailed, match="apikey is invalid") as info:
            await av.time_series_daily("IBM")
        return info.value, fake.requests

    (error, requests), waits = run(body, key="not-the-key")
    assert requests == 1 and waits == [] and "not-the-key" not in str(error)

    async def unknown(fake, av):
        with pytest.raises(PermanentVenueError, match="Invalid API call"):
            await av.time_series_daily("NOPE")
        return fake.requests

    assert run(unknown)[0] == 1
