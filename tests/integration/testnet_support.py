"""Shared pieces of the testnet-mode venue tests: keys, a venue with testnet mode, an unmodified ccxt client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import ccxt.async_support as ccxt

from actors.feed.ccxt_markets import ccxt_api_urls, markets_from_specs
from actors.instruments import spec_for
from actors.replay.testnet import TestnetConfig
from actors.replay.venue import ReplayVenue

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # Binance docs' example pair


def make_venue(paths, records: int, **testnet) -> ReplayVenue:
    """A paused, speed-max replay of the first ``records`` records with testnet mode for ``KEY``/``SECRET``."""
    return ReplayVenue(paths, speed="max", paused=True, max_records=records,
                       testnet=TestnetConfig(keys={KEY: SECRET}, **testnet))  # fmt: skip


def spot_client(rest: str, key: str = KEY, secret: str = SECRET) -> ccxt.binance:
    """An unmodified ccxt ``binance`` client on the venue: spot markets from the recorded exchangeInfo; no
    currency or margin-pair loading (those are ``sapi`` endpoints a replay does not serve)."""
    ex = ccxt.binance({"apiKey": key, "secret": secret, "options": {
        "fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}})  # fmt: skip
    ex.urls["api"].update(ccxt_api_urls("binance", rest))
    return ex


def usdm_client(rest: str, key: str = KEY, secret: str = SECRET) -> ccxt.binanceusdm:
    """An unmodified ccxt ``binanceusdm`` client on the venue, markets from the instrument specs."""
    ex = ccxt.binanceusdm({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False}})
    ex.urls["api"].update(ccxt_api_urls("binance_usdm", rest))
    markets = markets_from_specs([spec_for("binance_usdm", "BTCUSDT")])
    for m in markets:  # ccxt checks the order type against the exchangeInfo's ``orderTypes`` (none recorded)
        m["info"]["orderTypes"] = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"]
    ex.set_markets(markets)
    return ex


@dataclass
class Session:
    """An open testnet-mode venue and (optionally) an unmodified ccxt client on it."""

    venue: ReplayVenue
    urls: dict
    ex: ccxt.Exchange | None


@asynccontextmanager
async def venue_session(paths, records: int, step: int = 0, client="spot", secret: str = SECRET,
                          **testnet) -> AsyncIterator[Session]:  # fmt: skip
    """The set-up every testnet test repeats: :func:`make_venue`, open it, dispatch ``step`` records (the book is
    ready after ~300 spot records), a ccxt client (``"spot"`` / ``"usdm"``, a factory like :func:`spot_client`, or
    None) with ``secret``; on exit the client is closed, then the venue stopped."""
    venue = make_venue(paths, records, **testnet)
    urls = await venue.open()
    ex = None
    try:
        if step:
            await venue.step(step)
        if client is not None:
            factory = {"spot": spot_client, "usdm": usdm_client}[client] if isinstance(client, str) else client
            ex = factory(urls["rest"], secret=secret)
        yield Session(venue, urls, ex)
    finally:
        if ex is not None:
            await ex.close()
        await venue.stop()
