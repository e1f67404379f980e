"""The real Polygon.io clients against the loopback fake over real sockets: REST pages, prev close, snapshots,
429 backoff, bad keys; WebSocket auth, subscribe, every message type, unsubscribe, reconnect + re-subscribe."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from pydantic import SecretStr

from actors.bars.bar import Bar
from actors.errors import AuthenticationFailed, ConnectionLimit, PermanentVenueError, RateLimited
from actors.feed.backoff import Backoff
from actors.messages import Quote, Trade
from actors.providers.polygon_rest import PolygonREST
from actors.providers.polygon_stream import PolygonStream
from actors.replay.providers.polygon import PolygonFake

KEY = "test-key"


def run(coro_fn):
    async def main():
        fake = PolygonFake(api_key=KEY, interval_ms=5)
        urls = await fake.start()
        try:
            return await asyncio.wait_for(coro_fn(fake, urls), timeout=60)
        finally:
            await fake.stop()

    return asyncio.run(main())


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


# -- REST ------------------------------------------------------------------------------------------------------
def test_aggregates_follow_next_url_to_the_last_page_with_exact_prices():
    async def body(fake, urls):
        async with PolygonREST(SecretStr(KEY), urls["rest"]) as rest:
            bars = await rest.aggregates("BTC/USDT", 1, "day", "2023-01-01", "2023-01-05", limit=2)
            return bars, rest.pages, fake.requests

    bars, pages, requests = run(body)
    assert (pages, requests) == (3, 3)  # 2 + 2 + 1 rows
    assert [b.start for b in bars] == [1672531200000000000 + k * 86_400_000_000_000 for k in range(5)]
    first = bars[0]
    assert first.instrument_id == "X:BTCUSD.POLYGON" and first.interval == "1d" and first.closed
    assert first.to_dict()["open"] == "16197.30000000" and first.to_dict()["high"] == "16180.00000000"
    assert (first.trades, first.vwap(), first.volume) == (411009, Decimal("15951.2312"), 1264899130000)


def test_previous_close_and_snapshots_of_crypto_and_stocks():
    async def body(fake, urls):
        async with PolygonREST(KEY, urls["rest"]) as rest:
            return (await rest.previous_close("X:BTCUSD"), await rest.snapshot("BTC-USD"), await rest.snapshot("AAPL"),
                    await rest.aggregates("AAPL", 1, "day", "2005-04-01", "2005-04-04"))  # fmt: skip

    prev, crypto, stock, aapl = run(body)
    assert isinstance(prev, Bar) and prev.to_dict()["close"] == "16035.90000000" and prev.interval == "1d"
    assert crypto.instrument_id == "X:BTCUSD.POLYGON" and crypto.last_quote is None
    assert crypto.last_trade.aggressor_side == "buy" and crypto.last_trade.ts_event == 1605294230780 * 10**6
    assert crypto.todays_change == "-156.93" and crypto.updated == 1605330008999 * 10**6
    assert stock.last_quote.bid_price == 12046000000 and stock.last_quote.ask_size == 400000000
    assert stock.last_trade.ts_event == 1605195918306274000 and not stock.day.closed and stock.prev_day.closed
    assert [b.trades for b in aapl] == [82132, 65543]


def test_429_is_retried_after_a_backoff_and_raised_when_it_persists():
    async def body(fake, urls):
        waits = []

        async def sleep(s):
            waits.append(s)

        async with PolygonREST(KEY, urls["rest"], sleep=sleep, max_retries=3,
                               backoff=Backoff(base_s=0.5, cap_s=4.0)) as rest:  # fmt: skip
            fake.rate_limit(2)
            bar = await rest.previous_close("X:BTCUSD")
            fake.rate_limit(10)
            with pytest.raises(RateLimited) as info:
                await rest.previous_close("X:BTCUSD")
            return bar, waits, info.value, fake.rate_limited

    bar, waits, error, limited = run(body)
    assert bar is not None and limited == 2 + 4
    assert len(waits) == 2 + 3 and all(0 <= w <= 4.0 for w in waits)
    assert "exceeded the maximum requests per minute" in str(error) and error.retry_after_s == 60


def test_bad_key_is_authentication_failed_at_once_and_unknown_ticker_is_permanent():
    async def body(fake, urls):
        async with PolygonREST("wrong-key", urls["rest"], sleep=_no_sleep) as bad:
            with pytest.raises(AuthenticationFailed, match="Unknown API Key") as info:
                await bad.previous_close("X:BTCUSD")
            assert "wrong-key" not in str(info.value)
        async with PolygonREST(KEY, urls["rest"], sleep=_no_sleep) as rest:
            with pytest.raises(PermanentVenueError, match="404"):
                await rest.snapshot("X:NOPEUSD")
            assert await rest.aggregates("X:NOPEUSD", 1, "day", "2023-01-01", "2023-01-05") == []
        return fake.requests

    assert run(body) == 3


# -- WebSocket -------------------------------------------------------------------------------------------------
async def _until(predicate, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


def _stream(urls, market="crypto", key=KEY, channels=(), got=None):
    return PolygonStream(SecretStr(key), market, f"{urls['ws']}/{market}", channels,
                         on_events=(got.extend if got is not None else None),
                         backoff=Backoff(base_s=0.05, cap_s=0.2))  # fmt: skip


def test_stream_authenticates_subscribes_and_parses_every_crypto_message_type():
    async def body(fake, urls):
        got: list = []
        stream = _stream(urls, channels=["XT.BTC-USD", "XQ.BTC-USD", "XAS.BTC-USD", "XA.BTC-USD"], got=got)
        task = asyncio.ensure_future(stream.run())
        await _until(lambda: {type(e) for e in got} >= {Trade, Quote, Bar} and
                     {b.interval for b in got if isinstance(b, Bar)} == {"1s", "1m"})  # fmt: skip
        subscribed = set(stream.subscribed)
        await stream.unsubscribe(["XT.BTC-USD", "XQ.BTC-USD", "XAS.BTC-USD"])
        await _until(lambda: stream.subscribed == {"XA.BTC-USD"})
        stream.stop()
        await task
        return got, subscribed, stream, fake.status()

    got, subscribed, stream, status = run(body)
    assert subscribed == {"XT.BTC-USD", "XQ.BTC-USD", "XAS.BTC-USD", "XA.BTC-USD"}
    assert status["auth_ok"] == 1 and stream.state == "stopped" and stream.malformed == 0
    trade = next(e for e in got if isinstance(e, Trade))
    assert (trade.instrument_id, trade.price, trade.size, trade.aggressor_side) == (
        "X:BTCUSD.POLYGON", 3302190000000, 1544271, "buy")
    quote = next(e for e in got if isinstance(e, Quote))
    assert (quote.bid_price, quote.ask_size) == (3305279000000, 60100000)
    minute = next(e for e in got if isinstance(e, Bar) and e.interval == "1m")
    assert minute.instrument_id == "X:BTCUSD.POLYGON" and minute.vwap() == Decimal("33030.4411")
    assert {e.instrument_id for e in got} == {"X:BTCUSD.POLYGON"}  # BCD-USD was never subscribed


def test_stream_parses_every_stocks_message_type():
    async def body(fake, urls):
        got: list = []
        stream = _stream(urls, "stocks", channels=["T.MSFT", "Q.MSFT", "AM.GTE", "A.SPCE"], got=got)
        task = asyncio.ensure_future(stream.run())
        await _until(lambda: {e.instrument_id for e in got} == {"MSFT.POLYGON", "GTE.POLYGON", "SPCE.POLYGON"}
                     and len({type(e) for e in got}) == 3)  # fmt: skip
        stream.stop()
        await task
        return got

    got = run(body)
    quote = next(e for e in got if isinstance(e, Quote))
    assert quote.sequence == 50385480 and quote.ask_price == 11412800000
    assert {b.interval for b in got if isinstance(b, Bar)} == {"1m", "1s"}


def test_bad_key_ends_the_stream_with_authentication_failed():
    async def body(fake, urls):
        stream = _stream(urls, key="wrong")
        with pytest.raises(AuthenticationFailed, match="auth_failed"):
            await stream.run()
        return stream, fake.status()

    stream, status = run(body)
    assert stream.state == "failed" and status["auth_failed"] == 1 and stream.stats.reconnects == 0


def test_a_second_connection_for_the_key_gets_max_connections():
    async def body(fake, urls):
        first = _stream(urls, channels=["XT.BTC-USD"])
        task = asyncio.ensure_future(first.run())
        await _until(lambda: first.state == "subscribed")
        second = _stream(urls)
        with pytest.raises(ConnectionLimit, match="max_connections"):
            await second.run()
        first.stop()
        await task
        return first

    assert run(body).auths == 1


def test_disconnect_reconnects_with_backoff_and_resubscribes_everything():
    async def body(fake, urls):
        got: list = []
        stream = _stream(urls, channels=["XT.BTC-USD"], got=got)
        task = asyncio.ensure_future(stream.run())
        await _until(lambda: stream.subscribed == {"XT.BTC-USD"})
        await stream.subscribe(["XA.BTC-USD"])  # added while connected: sent at once
        await _until(lambda: stream.subscribed == {"XT.BTC-USD", "XA.BTC-USD"})
        assert await fake.drop_connections() == 1
        await _until(lambda: stream.stats.reconnects == 1 and stream.subscribed == {"XT.BTC-USD", "XA.BTC-USD"})
        before = len(got)
        await _until(lambda: len(got) > before + 2)
        stream.stop()
        await task
        return stream, fake.status()

    stream, status = run(body)
    assert status["auth_ok"] == 2 and status["connects"] == 2
    assert sorted(status["subscriptions"][1]) == ["XA.BTC-USD", "XT.BTC-USD"]  # the new connection's
    assert len(stream.stats.backoff_s) == 1 and 0 <= stream.stats.backoff_s[0] <= 0.05
