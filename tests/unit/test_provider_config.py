"""`[[providers]]` configuration: instruments by the USDT rule, the key from the environment, clear errors."""

from __future__ import annotations

import pytest

from actors.errors import ConfigError
from cluster.config import load_config
from tests.conftest import ROOT


def test_example_config_adds_a_polygon_feed_to_the_main_job(monkeypatch):
    monkeypatch.delenv("RAYTRADE_POLYGON_API_KEY", raising=False)
    cfg = load_config(ROOT / "examples" / "polygon.toml")
    (provider,) = cfg.providers
    assert provider.instrument_ids() == ["X:BTCUSD.POLYGON"]  # BTC/USDT asked for as Polygon's USD pair
    assert provider.channel_names() == ["XT.BTC-USD", "XQ.BTC-USD", "XAS.BTC-USD", "XA.BTC-USD"]
    assert provider.api_key is None and len(cfg.feeds) == 3  # replaying: the fake accepts a run-made key


def test_key_comes_from_the_environment_and_is_secret(monkeypatch):
    monkeypatch.setenv("RAYTRADE_POLYGON_API_KEY", "pk-123")
    cfg = load_config(providers=[{"provider_id": "p", "symbols": ["AAPL"], "market": "stocks"}])
    assert cfg.providers[0].api_key.get_secret_value() == "pk-123"
    assert "pk-123" not in repr(cfg) and cfg.providers[0].instrument_ids() == ["AAPL.POLYGON"]


def test_live_provider_without_key_or_with_unknown_channel_is_a_config_error(monkeypatch):
    monkeypatch.delenv("RAYTRADE_POLYGON_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="RAYTRADE_POLYGON_API_KEY"):
        load_config(replay={"enabled": False}, providers=[{"provider_id": "p", "symbols": ["BTC/USD"]}])
    with pytest.raises(ConfigError, match="channels"):
        load_config(providers=[{"provider_id": "p", "symbols": ["BTC/USD"], "channels": ["depth"]}])
    with pytest.raises(ConfigError, match="unique"):
        load_config(providers=[{"provider_id": "binance-spot", "symbols": ["BTC/USD"]}])


def test_a_real_providers_key_variable_survives_the_environment_scrub_a_faked_one_does_not(monkeypatch):
    from cluster.run import _key_variables

    monkeypatch.setenv("RAYTRADE_POLYGON_API_KEY", "pk-123")
    live = load_config(replay={"enabled": False}, providers=[{"provider_id": "p", "symbols": ["BTC/USD"]}])
    assert "RAYTRADE_POLYGON_API_KEY" in _key_variables(live)  # the provider feed actor reads it on its node
    faked = load_config(providers=[{"provider_id": "p", "symbols": ["BTC/USD"]}])  # replay on, no ws_url: the fake
    assert "RAYTRADE_POLYGON_API_KEY" not in _key_variables(faked)
