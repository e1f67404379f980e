"""The feed's ccxt snapshot client against the replay venue's REST server: exact bodies, typed errors."""

from __future__ import annotations

import asyncio

import pytest

from actors.errors import RateLimited, VenueError
from actors.feed.rest import DepthClient
from actors.feed.venues.binance import BinanceParser
from actors.fixedpoint import fixed_to_str
from actors.replay.venue import ReplayVenue
from tests.conftest import USDM


def _with_venue(coro_fn, **options):
    async def scenario():
        venue = ReplayVenue(USDM, speed="max", paused=True, max_records=3000, **options)
        urls = await venue.open()
        await venue.step(3000)  # replay past the recorded snapshot
        client = DepthClient("binance_usdm", urls["rest"])
        try:
            return await coro_fn(client)
        finally:
            await client.close()
            await venue.stop()

    return asyncio.run(scenario())


def test_snapshot_through_ccxt_implicit_endpoint_keeps_exact_strings():
    async def fetch(client):
        return await client.fetch("BTCUSDT", 1000)

    body = _with_venue(fetch)
    snapshot = BinanceParser("binance_usdm").parse_depth_snapshot(body, "BTCUSDT", 0)
    assert snapshot.sequence == body["lastUpdateId"] and len(snapshot.bids) == len(body["bids"])
    price, size = body["bids"][0]  # the venue's own strings, never floats, round-trip exactly
    assert (fixed_to_str(snapshot.bids[0][0], 2), fixed_to_str(snapshot.bids[0][1], 3)) == (price, size)


def test_429_becomes_rate_limited_with_the_venues_retry_after():
    async def fetch(client):
        return await client.fetch("BTCUSDT", 1000)

    with pytest.raises(RateLimited) as info:
        _with_venue(fetch, faults="rest_429=1.0,retry_after=3s")
    assert info.value.retry_after_s == 3


def test_unknown_symbol_is_a_venue_error():
    async def fetch(client):
        return await client.fetch("NOPEUSDT", 1000)

    with pytest.raises(VenueError) as info:
        _with_venue(fetch)
    assert not isinstance(info.value, RateLimited)
