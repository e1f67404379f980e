"""The provider feed actor (built directly, receivers faked) on a real socket to the Polygon fake: it forwards the
stream's trades and quotes to the instrument's book and the recorder, keeps Polygon's own bars (not stored), and a
bad key ends it with state failed."""

from __future__ import annotations

import asyncio

import pytest

from pydantic import SecretStr

from actors.bars.bar import Bar
from actors.errors import ConfigError
from actors.messages import Quote, Trade
from actors.providers.feed import ProviderFeedActor, ProviderFeedSpec
from actors.replay.providers.polygon import PolygonFake

IID = "X:BTCUSD.POLYGON"


class _Method:
    def __init__(self, calls: list, name: str) -> None:
        self.calls, self.name = calls, name

    def remote(self, *args):
        self.calls.append((self.name, args))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class _Receiver:
    def __init__(self) -> None:
        self.calls: list = []

    def __getattr__(self, name: str) -> _Method:
        return _Method(self.calls, name)


def _spec(url: str, key: str) -> ProviderFeedSpec:
    return ProviderFeedSpec("polygon-crypto", "polygon", "crypto", f"{url}/crypto",
                            ("XT.BTC-USD", "XQ.BTC-USD", "XA.BTC-USD"), api_key=SecretStr(key),
                            book_actors={IID: "book"}, market_subscribers=("recorder",), recorder_name="recorder")


def test_feed_forwards_trades_and_quotes_to_the_book_and_recorder_and_keeps_polygon_bars():
    async def main():
        fake = PolygonFake(api_key="k", interval_ms=2, cycles=3)
        urls = await fake.start()
        receivers = {"book": _Receiver(), "recorder": _Receiver()}
        feed = ProviderFeedActor(_spec(urls["ws"], "k"), lookup=receivers.__getitem__)
        task = asyncio.ensure_future(feed.run())
        again = asyncio.ensure_future(feed.run())  # a restarted supervisor awaits run() again: same stream
        try:
            for _ in range(500):
                if feed.trades >= 6 and feed.bars_received >= 3:
                    break
                await asyncio.sleep(0.01)
            status = await feed.stop()
            final = await asyncio.wait_for(task, 10)
            assert await asyncio.wait_for(again, 10) == final and fake.status()["connects"] == 1
        finally:
            await fake.stop()
        return receivers, status, final, feed

    receivers, status, final, feed = asyncio.run(main())
    book_events = [e for name, (batch,) in receivers["book"].calls if name == "apply" for e in batch.events]
    assert {type(e) for e in book_events} == {Trade, Quote} and {e.instrument_id for e in book_events} == {IID}
    assert sum(isinstance(e, Trade) for e in book_events) == feed.trades == 6  # 2 per cycle, 3 cycles
    recorded = [e for name, args in receivers["recorder"].calls if name == "on_market" for e in args[0].events]
    assert recorded == book_events
    assert all(name != "write_market" for name, _ in receivers["recorder"].calls)  # books record bars
    bars = feed.bars(IID)
    assert len(bars) == 3 and all(isinstance(b, Bar) and b.interval == "1m" and b.closed for b in bars)
    assert final["state"] == "stopped" and status["subscribed"] == ["XA.BTC-USD", "XQ.BTC-USD", "XT.BTC-USD"]


def test_bad_key_ends_the_feed_failed_with_the_reason():
    async def main():
        fake = PolygonFake(api_key="k")
        urls = await fake.start()
        try:
            feed = ProviderFeedActor(_spec(urls["ws"], "wrong"), lookup=lambda name: _Receiver())
            return await asyncio.wait_for(feed.run(), 10)
        finally:
            await fake.stop()

    final = asyncio.run(main())
    assert final["state"] == "failed" and "auth_failed" in final["failed_reason"]


def test_the_key_is_read_from_the_environment_on_the_actors_node_never_passed(monkeypatch):
    spec = ProviderFeedSpec("polygon-crypto", "polygon", "crypto", "ws://127.0.0.1:9/crypto", ("XT.BTC-USD",),
                            api_key_env="RAYTRADE_TEST_POLYGON_KEY")
    monkeypatch.delenv("RAYTRADE_TEST_POLYGON_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"\$RAYTRADE_TEST_POLYGON_KEY is not set"):
        ProviderFeedActor(spec, lookup=lambda name: None)
    monkeypatch.setenv("RAYTRADE_TEST_POLYGON_KEY", "from-env")
    feed = ProviderFeedActor(spec, lookup=lambda name: None)
    assert feed.stream._key.get_secret_value() == "from-env"
    assert "from-env" not in repr(spec)
