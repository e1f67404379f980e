"""ccxt wiring helpers: market dicts from instrument specs and the urls['api'] entries of each Binance venue."""

from __future__ import annotations

import pytest

from actors.instruments import Venue, spec_for
from actors.feed.ccxt_markets import ccxt_api_urls, ccxt_symbol, markets_from_specs


def test_spot_api_names_point_at_the_replay_rest_base():
    assert ccxt_api_urls(Venue.BINANCE, "http://127.0.0.1:8081/") == {
        "public": "http://127.0.0.1:8081/api/v3",
        "private": "http://127.0.0.1:8081/api/v3",
        "v1": "http://127.0.0.1:8081/api/v1",
    }


def test_futures_api_names_cover_public_and_private_endpoints():
    usdm = ccxt_api_urls("binance_usdm", "http://h:1")
    coinm = ccxt_api_urls("binance_coinm", "http://h:2")
    assert usdm["fapiPublic"] == "http://h:1/fapi/v1" and usdm["fapiPrivateV2"] == "http://h:1/fapi/v2"
    assert coinm["dapiPublic"] == "http://h:2/dapi/v1" and coinm["dapiPrivate"] == "http://h:2/dapi/v1"


def test_non_binance_venues_have_no_mapping():
    with pytest.raises(ValueError):
        ccxt_api_urls(Venue.KRAKEN, "http://h:1")


def test_markets_from_specs_use_ccxt_unified_symbols_and_contract_terms():
    spot, usdm, coinm = markets_from_specs(
        [spec_for("binance", "BTCUSDT"), spec_for("binance_usdm", "BTCUSDT"), spec_for("binance_coinm", "BTCUSD_PERP")]
    )
    assert (spot["symbol"], spot["type"], spot["spot"], spot["contract"]) == ("BTC/USDT", "spot", True, False)
    assert (usdm["symbol"], usdm["id"], usdm["linear"], usdm["inverse"]) == ("BTC/USDT:USDT", "BTCUSDT", True, False)
    assert (coinm["symbol"], coinm["id"], coinm["inverse"]) == ("BTC/USD:BTC", "BTCUSD_PERP", True)
    assert coinm["contractSize"] == 100.0 and usdm["contractSize"] == 1.0
    assert usdm["precision"] == {"price": 0.1, "amount": 0.001, "base": None, "quote": None, "cost": None}
    assert coinm["info"]["instrument_id"] == "BTCUSD_PERP.BINANCE_COINM"


def test_ccxt_symbol_of_each_kind():
    assert ccxt_symbol(spec_for("binance_coinm", "ETHUSD_PERP")) == "ETH/USD:ETH"
