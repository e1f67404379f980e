"""An unmodified async ccxt ``binance`` client, its API URLs pointed at the replay venue, fetches order books from it."""

from __future__ import annotations

import asyncio
import json

import ccxt.async_support as ccxt
import pytest

from actors.instruments import spec_for
from actors.feed.ccxt_markets import ccxt_api_urls, markets_from_specs
from actors.replay.venue import ReplayVenue
from tests.conftest import COINM, SPOT, USDM
from tests.integration.replay_support import records


def test_spot_markets_come_from_the_recorded_exchange_info_and_the_book_from_the_snapshot():
    snapshot = records(SPOT, 8)[7].data
    recorded = json.loads(snapshot)

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=50)
        urls = await venue.open()
        await venue.step(8)  # up to the recorded snapshot
        exchange = ccxt.binance({"options": {"fetchMarkets": {"types": ["spot"]}}})
        exchange.urls["api"].update(ccxt_api_urls("binance", urls["rest"]))
        try:
            markets = await exchange.load_markets()
            book = await exchange.fetch_order_book("BTC/USDT", 1000)
            raw = await exchange.public_get_depth({"symbol": "BTCUSDT", "limit": 1000})
            default = await exchange.fetch_order_book("BTC/USDT")
        finally:
            await exchange.close()
        status = await venue.stop()
        return markets, book, raw, default, status

    markets, book, raw, default, status = asyncio.run(main())
    assert markets["BTC/USDT"]["id"] == "BTCUSDT" and markets["BTC/USDT"]["spot"]
    assert book["nonce"] == recorded["lastUpdateId"] == 50093239218
    assert len(book["bids"]) == len(recorded["bids"]) == 1000
    assert book["bids"][0] == [float(p) for p in recorded["bids"][0]]
    assert raw == recorded  # the implicit endpoint returns Binance's own strings
    assert default["nonce"] == status["books"]["BTCUSDT"]["last_update_id"] and len(default["bids"]) == 100
    assert status["rest_requests"] == 4  # exchangeInfo + three depth calls: nothing else was asked


@pytest.mark.parametrize(
    ("paths", "venue_name", "symbol", "unified"),
    [(USDM, "binance_usdm", "BTCUSDT", "BTC/USDT:USDT"), (COINM, "binance_coinm", "BTCUSD_PERP", "BTC/USD:BTC")],
    ids=["usdm", "coinm"],
)
def test_futures_markets_from_instrument_specs_route_to_fapi_and_dapi(paths, venue_name, symbol, unified):
    async def main():
        venue = ReplayVenue(paths, speed="max", paused=True, max_records=3000)
        urls = await venue.open()
        await venue.step(3000)
        exchange = ccxt.binance()
        exchange.urls["api"].update(ccxt_api_urls(venue_name, urls["rest"]))
        exchange.set_markets(markets_from_specs([spec_for(venue_name, symbol)]))
        try:
            book = await exchange.fetch_order_book(unified, 1000)
        finally:
            await exchange.close()
        status = await venue.stop()
        return book, status

    book, status = asyncio.run(main())
    assert book["symbol"] == unified
    assert book["nonce"] == status["books"][symbol]["last_update_id"]
    assert book["bids"][0][0] < book["asks"][0][0]
    assert status["rest_requests"] == 1
