"""Shared pieces of the testnet-mode venue tests: keys, a venue with testnet mode, an unmodified ccxt client."""

from __future__ import annotations

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
