"""The strategy registry: kinds by name, validated frozen params, errors that name the field."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from actors.errors import ConfigError
from strategies.base import Strategy
from strategies.registry import build, kinds, params_schema, register, validate_params


def test_the_built_in_kinds_are_registered_and_build_protocol_strategies_with_defaults():
    assert {"basis_monitor", "market_making", "basis_arbitrage", "scheduled_event"} <= set(kinds())
    for kind in ("basis_monitor", "market_making", "basis_arbitrage", "scheduled_event"):
        strategy = build(kind, f"s-{kind}", [], {})
        assert isinstance(strategy, Strategy) and strategy.kind == kind and strategy.strategy_id == f"s-{kind}"
        assert strategy.instruments() and strategy.summary()["strategy_id"] == f"s-{kind}"


def test_a_bad_field_is_a_config_error_naming_the_kind_the_field_and_pydantics_reason():
    with pytest.raises(ConfigError, match=r"'market_making'.*gamma: Input should be greater than 0 \(got -1\)"):
        build("market_making", "mm", [], {"gamma": -1})
    with pytest.raises(ConfigError, match=r"'basis_arbitrage'.*entry_treshold_usd: Extra inputs are not permitted"):
        validate_params("basis_arbitrage", {"entry_treshold_usd": 5})
    with pytest.raises(ConfigError, match="unknown strategy kind 'grid'"):
        build("grid", "g", [], {})


def test_params_are_frozen_and_updates_go_through_validation():
    mm = build("market_making", "mm", [], {"requote_threshold_ticks": 5})
    new = validate_params("market_making", {"requote_threshold_ticks": 20, "order_size": "0.002"})
    mm.update_params(new)
    assert mm.params.requote_threshold_ticks == 20 and str(mm.params.order_size) == "0.002"
    with pytest.raises(Exception):
        mm.params.gamma = 1.0  # frozen


def test_the_schema_documents_every_field_with_its_default_and_unit():
    schema = params_schema("market_making")
    assert schema["properties"]["gamma"]["default"] == 0.01 and "per USDT" in schema["properties"]["gamma"]["description"]
    assert all("default" in p for p in schema["properties"].values())


def test_a_params_model_that_accepts_unknown_keys_cannot_be_registered():
    class Loose(BaseModel):
        model_config = ConfigDict(frozen=True)

    with pytest.raises(ConfigError, match="extra='forbid'"):
        register("loose", Loose, lambda *a: None)


def test_instruments_a_kind_cannot_trade_are_refused():
    with pytest.raises(ConfigError, match="exactly one instrument"):
        build("market_making", "mm", ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE"], {})
