import pytest

from actors.errors import ConfigError
from cluster.config import load_config


def test_defaults_are_the_main_job():
    cfg = load_config()
    assert [f.feed_id for f in cfg.feeds] == ["binance-spot", "binance-usdm", "binance-coinm"]
    assert cfg.replay.enabled and cfg.replay.speed == "11"
    assert all(p.endswith(".gz") for paths in cfg.replay.captures.values() for p in paths)


def test_precedence_flags_then_env_then_file(tmp_path, monkeypatch):
    toml = tmp_path / "run.toml"
    toml.write_text('[replay]\nspeed = "30"\nfaults = "drop=0.01"\n[api]\nport = 9001\n')
    monkeypatch.setenv("RAYTRADE_REPLAY__SPEED", "max")
    cfg = load_config(toml)
    assert (cfg.replay.speed, cfg.replay.faults, cfg.api.port) == ("max", "drop=0.01", 9001)
    assert load_config(toml, replay__speed="60").replay.speed == "60"


def test_secret_token_never_shows_in_repr_or_dump(monkeypatch):
    monkeypatch.setenv("RAYTRADE_API_TOKEN", "s3cret-token")
    cfg = load_config()
    assert cfg.api_token.get_secret_value() == "s3cret-token"
    assert "s3cret-token" not in repr(cfg) and "s3cret-token" not in cfg.model_dump_json()


@pytest.mark.parametrize("overrides", [
    {"replay__bogus": 1},                 # unknown key
    {"replay__speed": "-3"},              # bad speed
    {"api__port": 70000},                 # out of range
    {"strategies": [{"spot": "ETHUSDT.BINANCE"}]},  # no feed provides it
])
def test_invalid_configuration_is_a_config_error(overrides):
    with pytest.raises(ConfigError):
        load_config(**overrides)


def test_bad_toml_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[replay\n")
    with pytest.raises(ConfigError):
        load_config(bad)


@pytest.mark.parametrize("faults", ["bogus=1", "drop=abc", "drop=2", "disconnect_every=-5s"])
def test_a_bad_fault_spec_is_refused_at_load_time_by_the_replay_parser(faults):
    with pytest.raises(ConfigError, match="fault spec"):
        load_config(replay__faults=faults)


@pytest.mark.parametrize("speed", ["nan", "inf", "-1", "0", "fast"])
def test_speed_must_be_finite_and_positive(speed):
    with pytest.raises(ConfigError, match="speed"):
        load_config(replay__speed=speed)


def test_toml_numbers_are_accepted_for_numeric_settings(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[replay]\nspeed = 60\n\n[risk]\ndaily_loss_limit_pct = 2.5\n')
    cfg = load_config(path)
    assert cfg.replay.speed == "60" and str(cfg.risk.daily_loss_limit_pct) == "2.5"


def test_strategy_params_are_validated_by_the_kind_and_name_the_field(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[[strategies]]\nid = "mm-x"\nkind = "market_making"\ninstruments = ["BTCUSDT.BINANCE"]\n'
                    'params = { gamma = -1 }\n')
    with pytest.raises(ConfigError, match="gamma"):
        load_config(path)


def test_postgres_store_needs_a_dsn_and_keeps_it_secret():
    with pytest.raises(ConfigError, match="dsn"):
        load_config(store__kind="postgres")
    cfg = load_config(store__kind="postgres", store__dsn="host=h password=p4ss")
    assert "p4ss" not in repr(cfg) and "p4ss" not in cfg.model_dump_json()
