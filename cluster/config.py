"""The run's configuration: one typed, frozen, validated object from a TOML file and ``RAYTRADE_*`` variables.

Precedence: environment variables > the TOML file (``raytrade run --config FILE``) > the defaults below.
Nested fields use ``__`` in variable names (``RAYTRADE_REPLAY__SPEED=max``); the API token is
``RAYTRADE_API_TOKEN``. Unknown keys are rejected. Secrets are ``SecretStr``: never logged, never returned.

The defaults are the main job: replay the bundled Binance spot / USD-M / COIN-M BTC capture through loopback
replay venues, one feed per venue, one book actor per instrument, the basis monitor, the market maker and the
basis arbitrage in paper mode, the risk gate, paper execution, the supervisor and the API.
Pointing at real venues is a config change only: ``replay.enabled = false`` and each feed's ``ws_url``/``rest_url``
left empty (the venue's real URLs) — no code path differs.

Example TOML::

    [replay]
    speed = "max"
    faults = "drop=0.001,disconnect_every=20s"

    [[feeds]]
    feed_id = "binance-spot"
    venue = "binance"
    symbols = ["BTCUSDT"]

    [[strategies]]
    id = "mm-1"
    kind = "market_making"
    instruments = ["BTCUSDT.BINANCE"]
    allocated_capital = 10000
    params = { order_size = "0.001" }

    [risk]
    daily_loss_limit_pct = 5
"""

from __future__ import annotations

import math
import tomllib
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from actors.errors import ConfigError
from actors.instruments import Venue, instrument_id
from actors.validation.config import ValidationSettings

__all__ = ["RaytradeConfig", "load_config"]

ROOT = Path(__file__).resolve().parents[1]
_TOML_PATH: ContextVar[str | None] = ContextVar("raytrade_toml_path", default=None)
SAMPLE = ROOT / "data" / "sample" / "hftbacktest"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReplaySettings(_Model):
    """Loopback replay venues (one per capture group, one clock each, aligned on a shared origin)."""

    enabled: bool = Field(True, description="Serve captures on loopback and point the feeds at them")
    speed: str = Field("11", description="Replay speed: a factor (1 = real time, 60; a number or a string) or 'max'")
    faults: str = Field("", description="Fault spec, e.g. 'drop=0.001,dup=0.0005,disconnect_every=20s'")
    seed: int = Field(0, description="Fault seed")
    fault_log: str | None = Field(None, description="JSON-lines file of injected faults (one per venue: .<venue>)")
    captures: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "binance": [str(SAMPLE / "binance_spot/btcusdt_20240808.gz"), str(SAMPLE / "binance_spot/btcusdt_20240809.gz")],
            "binance_usdm": [str(SAMPLE / "binance_usdm/btcusdt_20240808.gz")],
            "binance_coinm": [str(SAMPLE / "binance_coinm/btcusd_perp_20240808.gz"),
                              str(SAMPLE / "binance_coinm/btcusd_perp_20240809.gz")],
        },
        description="venue -> capture files of one recording",
    )  # fmt: skip
    snapshot_wait_s: float = Field(10.0, gt=0, description="REST wait for the first recorded snapshot (s)")

    @field_validator("speed", mode="before")
    @classmethod
    def _speed(cls, value: object) -> str:
        """A positive finite factor (a TOML number or a string) or ``"max"``."""
        if isinstance(value, bool):
            raise ValueError(f"speed must be a positive number or 'max', got {value!r}")
        if str(value).strip().lower() == "max":
            return "max"
        try:
            number = float(str(value))
        except ValueError:
            raise ValueError(f"speed must be a positive number or 'max', got {value!r}") from None
        if not math.isfinite(number) or number <= 0:
            raise ValueError(f"speed must be a positive finite number or 'max', got {value!r}")
        return str(value).strip()

    @field_validator("faults")
    @classmethod
    def _faults(cls, value: str) -> str:
        """Parsed by the same parser ``raytrade replay`` uses, so a bad spec fails here, before any actor starts."""
        from actors.replay.faults import parse_fault_spec

        try:
            parse_fault_spec(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


class FeedSettings(_Model):
    """One venue connection."""

    feed_id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    venue: Venue
    symbols: list[str] = Field(min_length=1)
    streams: list[str] | None = Field(None, description="Stream names; default: depth, trade, bookTicker per symbol")
    ws_url: str | None = Field(None, description="Stream base URL; default: the venue's (or the replay venue's)")
    rest_url: str | None = Field(None, description="REST base URL; default: the venue's (or the replay venue's)")
    flush_interval_ms: float = Field(2.0, gt=0, description="Batch flush period (ms)")
    batch_max_events: int = Field(2000, ge=1, description="Flush once this many events are pending")
    max_in_flight: int = Field(4, ge=1, description="Unacknowledged batches before the websocket is not read")
    stale_after_ms: int = Field(10_000, ge=0, description="Reconnect after this long without a frame (ms); 0: off")
    snapshot_limit: int = Field(1000, ge=5, le=5000, description="REST depth levels per side")

    def instrument_ids(self) -> list[str]:
        return [instrument_id(s, self.venue) for s in self.symbols]


def _default_feeds() -> list[FeedSettings]:
    return [
        FeedSettings(feed_id="binance-spot", venue=Venue.BINANCE, symbols=["BTCUSDT"]),
        FeedSettings(feed_id="binance-usdm", venue=Venue.BINANCE_USDM, symbols=["BTCUSDT"]),
        FeedSettings(feed_id="binance-coinm", venue=Venue.BINANCE_COINM, symbols=["BTCUSD_PERP"]),
    ]


class ProviderSettings(_Model):
    """One market-data provider feed (``[[providers]]``): a Polygon.io WebSocket stream.

    Its instruments are Polygon's tickers (``BTC/USD`` -> ``X:BTCUSD.POLYGON``, the USDT rule in
    ``actors/feed/venues/polygon.py``); each gets a book actor (trades, quotes, bars; never ready: no depth).
    """

    provider_id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Feed id")
    kind: Literal["polygon"] = Field("polygon", description="The provider (Polygon.io WebSocket)")
    market: Literal["crypto", "stocks"] = Field("crypto", description="Polygon cluster: crypto or stocks")
    symbols: list[str] = Field(min_length=1, description="BTC/USD, BTC/USDT (-> X:BTCUSD), AAPL, ...")
    channels: list[Literal["trades", "quotes", "bars_1s", "bars_1m"]] = Field(
        ["trades", "quotes", "bars_1m"], description="Data kinds to subscribe (XT/XQ/XAS/XA or T/Q/A/AM)")
    api_key_env: str = Field("RAYTRADE_POLYGON_API_KEY", description="Environment variable holding the API key")
    api_key: SecretStr | None = Field(None, description="The key; read from api_key_env when not given")
    ws_url: str | None = Field(None, description="Full WebSocket URL; None: the loopback fake when replay is "
                               "enabled, else wss://socket.polygon.io/<market>")
    usdt_as_usd: bool = Field(True, description="Map USDT-quoted symbols to Polygon's USD pair")
    fake_cycles: int = Field(10, ge=1, description="Replay only: times the loopback fake sends its fixture")

    @model_validator(mode="after")
    def _key_from_env(self) -> ProviderSettings:
        import os

        if self.api_key is None and os.environ.get(self.api_key_env):
            object.__setattr__(self, "api_key", SecretStr(os.environ[self.api_key_env]))
        return self

    def instrument_ids(self) -> list[str]:
        """``X:BTCUSD.POLYGON``, ``AAPL.POLYGON``, ... (deduplicated, in order)."""
        from actors.feed.venues.polygon import instrument_id_of, polygon_ticker

        return list(dict.fromkeys(instrument_id_of(polygon_ticker(s, self.usdt_as_usd)) for s in self.symbols))

    def channel_names(self) -> list[str]:
        """Polygon channel names: ``XT.BTC-USD``, ..."""
        from actors.feed.venues.polygon import channels_for

        return channels_for(self.symbols, self.channels, self.usdt_as_usd)


class BookSettings(_Model):
    instruments_per_actor: int = Field(1, ge=1, description="Pack this many instruments into one book actor")
    publish_depth: int = Field(10, ge=1, description="Levels per side in views published to strategies")
    max_in_flight_publish: int = Field(1, ge=1, description="Unacknowledged publishes per subscriber (conflation)")
    fanout: Literal["value", "ref"] = Field(
        "value", description="Views to several subscribers: a copy each (value) or ray.put once, one ObjectRef each "
                             "(ref); see actors/book/actor.py")  # fmt: skip
    bar_intervals: list[str] = Field(["1m"], description="Bar intervals every book builds from its trades (1s, "
                                     "1m, 5m, 15m, 1h, 4h, 1d); the recorder stores them in the bars table")
    bar_close_grace_ms: float = Field(1000.0, ge=0, description="How far venue time passes a bar's end before the "
                                      "bar closes without a next trade (ms)")

    @field_validator("bar_intervals")
    @classmethod
    def _bar_intervals(cls, value: list[str]) -> list[str]:
        from actors.bars.bar import interval_ns

        try:
            for interval in value:
                interval_ns(interval)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


class SupervisorSettings(_Model):
    max_deaths: int = Field(5, ge=1, description="Deaths within window_s that open a feed's circuit (K)")
    window_s: float = Field(60.0, gt=0, description="Death-counting window (s)")
    base_backoff_s: float = Field(0.2, ge=0, description="First restart delay (s), doubling")
    max_backoff_s: float = Field(10.0, ge=0, description="Largest restart delay (s)")
    venue_unreachable_s: float = Field(60.0, gt=0, description="A feed without a connection (or with its circuit "
                                       "open) this long ends the run with ok false and the reason (s)")
    revive_timeout_s: float = Field(60.0, gt=0, description="How long the driver tries to bring a dead supervisor "
                                    "back (Ray restarts it; one killed for good is started anew) before it ends "
                                    "the run with ok false (s). Ray starts worker processes at most num_cpus at a "
                                    "time: early in a run on 2 cores its restart can wait 30 s behind the others")


_SPOT, _USDM, _COINM = "BTCUSDT.BINANCE", "BTCUSDT.BINANCE_USDM", "BTCUSD_PERP.BINANCE_COINM"


class StrategySettings(_Model):
    """One strategy instance (``[[strategies]]``): its kind's parameter model validates ``params``."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Instance id (prefix of its client order ids)")
    kind: str = Field(description="A registered kind: market_making, basis_arbitrage, scheduled_event, basis_monitor")
    instruments: list[str] = Field(min_length=1, description="Instrument ids (SYMBOL.VENUE) it trades or watches")
    mode: Literal["paper", "testnet", "live"] = Field(
        "paper", description="paper (the fill model), testnet ([execution.testnet] endpoints) or live (production: "
                             "needs [execution] allow_live = true and raytrade run --live)")
    allocated_capital: Decimal = Field(Decimal(10_000), ge=0, description="Capital given to the instance (USD)")
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's parameters (validated)")
    limits: dict[str, Any] = Field(default_factory=dict, description="Per-strategy risk limits below the portfolio's")
    enabled: bool = Field(True, description="Start trading at once (False: started stopped)")

    @model_validator(mode="after")
    def _params(self) -> StrategySettings:
        from strategies import registry

        try:
            registry.validate_params(self.kind, self.params)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self


def _default_strategies() -> list[StrategySettings]:
    return [
        StrategySettings(id="basis", kind="basis_monitor", instruments=[_SPOT, _USDM, _COINM], allocated_capital=0),
        StrategySettings(id="mm-1", kind="market_making", instruments=[_SPOT]),
        StrategySettings(id="basis-arb-1", kind="basis_arbitrage", instruments=[_SPOT, _USDM, _COINM]),
    ]


class RiskSettings(_Model):
    """Portfolio-wide risk limits (``[risk]``); breakers and the kill switch apply to the total."""

    daily_loss_limit_pct: Decimal = Field(Decimal(5), gt=0, le=100, description="Loss from 00:00 UTC equity that halts (%)")
    max_drawdown_pct: Decimal = Field(Decimal(20), gt=0, le=100, description="Drawdown from the equity peak that halts (%)")
    reducing_at_pct: Decimal | None = Field(Decimal(80), gt=0, le=100,
                                            description="Share of a breaker limit used that switches to reducing (%)")
    max_position_pct: Decimal = Field(Decimal(20), gt=0, description="Position notional per instrument, % of equity")
    max_open_positions: int = Field(5, ge=0, description="Open positions in total")
    max_open_positions_per_strategy: int = Field(3, ge=0, description="Open positions per strategy")
    max_open_orders: int = Field(50, ge=0, description="Open orders in total")
    max_open_orders_per_strategy: int = Field(20, ge=0, description="Open orders per strategy")
    max_order_notional: Decimal = Field(Decimal(100_000), gt=0, description="Largest order notional (USD)")
    price_band_pct: Decimal = Field(Decimal(5), gt=0, le=100, description="Limit price at most this far from mid (%)")
    max_orders_per_s: int = Field(20, ge=1, description="Orders per strategy per second")
    book_stale_after_ms: int = Field(5_000, ge=1, description="A book older than this refuses new orders (ms)")
    flatten_on_halt: bool = Field(False, description="Flatten every position when a breaker halts trading")
    strategy_down_orders: Literal["cancel", "keep"] = Field(
        "cancel", description="A down strategy's resting orders: canceled when it goes down, or kept")


class VenueAccountSettings(_Model):
    """Endpoints and key variables of one non-paper mode (``[execution.testnet]`` / ``[execution.live]``).

    The keys are read by the execution actor from the environment variables named here (``SecretStr``: never
    logged, never returned by the API, never in actor arguments, the supervisor's record or the store).
    ``rest_urls`` maps a venue (``binance``, ``binance_usdm``) to its REST base URL; ``"replay"`` means the run's
    own replay venue (started in testnet mode: signed endpoints that verify the signature).
    """

    rest_urls: dict[str, str] = Field(description="venue -> REST base URL ('replay': this run's replay venue)")
    ws_urls: dict[str, str] = Field(default_factory=dict, description="venue -> user-data websocket base "
                                    "('replay': this run's replay venue; absent: no stream, REST polling only)")
    api_key_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="Environment variable holding the API key")
    api_secret_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="Environment variable holding the secret")
    poll_interval_s: float = Field(0.5, gt=0, description="Reconciliation period while orders are open (s)")
    reconcile_interval_s: float = Field(10.0, gt=0, description="Full reconciliation period (s)")
    balance_interval_s: float = Field(10.0, gt=0, description="Balance refresh period (s)")
    recv_window_ms: int = Field(5000, ge=1, le=60000, description="Binance recvWindow of signed requests (ms)")

    @field_validator("rest_urls")
    @classmethod
    def _venues(cls, v: dict[str, str]) -> dict[str, str]:
        bad = set(v) - {"binance", "binance_usdm"}
        if bad:
            raise ValueError(f"live execution supports binance and binance_usdm, not {sorted(bad)}")
        for venue, url in v.items():
            if url != "replay" and not url.startswith(("http://", "https://")):
                raise ValueError(f"rest_urls.{venue}: an http(s) URL or 'replay', got {url!r}")
        return v

    @field_validator("ws_urls")
    @classmethod
    def _ws(cls, v: dict[str, str]) -> dict[str, str]:
        for venue, url in v.items():
            if venue not in ("binance", "binance_usdm"):
                raise ValueError(f"ws_urls: binance or binance_usdm, not {venue!r}")
            if url != "replay" and not url.startswith(("ws://", "wss://")):
                raise ValueError(f"ws_urls.{venue}: a ws(s) URL or 'replay', got {url!r}")
        return v


def _testnet_default() -> VenueAccountSettings:
    # Binance's own testnets (Spot "Spot Test Network", USD-M "Testnet"); a replay run uses "replay" instead.
    return VenueAccountSettings(rest_urls={"binance": "https://testnet.binance.vision",
                                           "binance_usdm": "https://testnet.binancefuture.com"},
                                ws_urls={"binance": "wss://stream.testnet.binance.vision",
                                         "binance_usdm": "wss://stream.binancefuture.com"},
                                api_key_env="RAYTRADE_TESTNET_API_KEY", api_secret_env="RAYTRADE_TESTNET_API_SECRET")  # fmt: skip


def _live_default() -> VenueAccountSettings:
    return VenueAccountSettings(rest_urls={"binance": "https://api.binance.com", "binance_usdm": "https://fapi.binance.com"},
                                ws_urls={"binance": "wss://stream.binance.com:9443", "binance_usdm": "wss://fstream.binance.com"},
                                api_key_env="RAYTRADE_LIVE_API_KEY", api_secret_env="RAYTRADE_LIVE_API_SECRET")  # fmt: skip


class ExecutionSettings(_Model):
    """Execution: paper (the fill model's latency and queue model), testnet and live endpoints, the live guard."""

    entry_latency_ms: float = Field(5.0, ge=0, description="Order sent -> venue accepts it (ms)")
    response_latency_ms: float = Field(5.0, ge=0, description="Venue -> us, for every order event (ms)")
    cancel_latency_ms: float = Field(5.0, ge=0, description="Cancel sent -> venue removes the order (ms)")
    queue_model: str = Field("conservative", pattern=r"^(conservative|prob_linear|prob_square|prob_log|prob_pow\d+)$",
                             description="Queue position model (hftbacktest's RiskAdverse / Prob* models)")
    timer_interval_ms: float = Field(5.0, gt=0, description="Model advance period without market data (ms)")
    testnet: VenueAccountSettings = Field(default_factory=_testnet_default, description="Endpoints of mode testnet")
    live: VenueAccountSettings = Field(default_factory=_live_default, description="Endpoints of mode live")
    allow_live: bool = Field(False, description="Production trading: a strategy with mode = 'live' needs this AND "
                             "the --live flag of raytrade run")

    def account_settings(self) -> dict:
        """``mode -> settings`` for the execution actor (names of key variables, never keys)."""
        return {"testnet": self.testnet.model_dump(), "live": self.live.model_dump()}


class StoreSettings(_Model):
    """Where a run's records go (``[store]``) and the durability contract's knobs (README "Persistence")."""

    enabled: bool = Field(True, description="Record the run (the recorder actor and write-ahead of trading records)")
    kind: Literal["embedded", "postgres"] = Field("embedded", description="embedded: SQLite + Parquet in run_dir")
    run_dir: str | None = Field(None, description="Run directory (default runs/<run_id>)")
    dsn: SecretStr | None = Field(None, description="PostgreSQL DSN (RAYTRADE_STORE__DSN); never logged")
    flush_interval_s: float = Field(1.0, gt=0, description="Market data may lose at most this much on a crash (s)")
    spool_max_bytes: int = Field(64 << 20, ge=1024, description="Bound of the local spool while the store is down")
    book_snapshot_interval_s: float = Field(10.0, gt=0, description="book_snapshots row per instrument every (s)")
    connect_timeout_s: float = Field(5.0, gt=0, description="PostgreSQL connection timeout (s)")
    record_raw: bool = Field(False, description="Also write every received frame in the capture format")

    @model_validator(mode="after")
    def _dsn(self) -> StoreSettings:
        if self.enabled and self.kind == "postgres" and self.dsn is None:
            raise ValueError("store.kind = 'postgres' needs store.dsn (or RAYTRADE_STORE__DSN)")
        return self


class ApiSettings(_Model):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)


class RaySettings(_Model):
    address: str | None = Field(None, description="'auto' or ray://... to join a cluster; None: start a local Ray")
    num_cpus: int | None = Field(None, ge=1, description="CPUs of a local Ray (default: the machine's)")
    namespace: str = "raytrade"
    prefix: str = Field("", description="Put in front of every actor name of the run (names are <role>:<id>; a prefix "
                        "lets two runs share one namespace)")
    include_dashboard: bool | None = None
    metrics_export_port: int = Field(
        8080, ge=0, le=65535,
        description="Port of the local Ray node's Prometheus metrics endpoint (0: Ray picks one). Only for a Ray "
                    "this run starts; a cluster's nodes take it from `ray start --metrics-export-port` "
                    "(cluster/ray-up/*.yaml use 8080 too)")  # fmt: skip


class RaytradeConfig(BaseSettings):
    """The whole run configuration (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="RAYTRADE_", env_nested_delimiter="__", extra="forbid", frozen=True)

    replay: ReplaySettings = Field(default_factory=ReplaySettings)
    feeds: list[FeedSettings] = Field(default_factory=_default_feeds)
    providers: list[ProviderSettings] = Field(default_factory=list)
    books: BookSettings = Field(default_factory=BookSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings,
                                           description="Market-data checks (actors/validation/config.py)")
    supervisor: SupervisorSettings = Field(default_factory=SupervisorSettings)
    strategies: list[StrategySettings] = Field(default_factory=_default_strategies)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    ray: RaySettings = Field(default_factory=RaySettings)
    api_token: SecretStr | None = Field(None, description="Bearer token of state-changing API calls")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple:  # fmt: skip
        # First wins: explicit values (CLI flags), then RAYTRADE_* variables, then the TOML file, then defaults.
        toml_path = _TOML_PATH.get()
        if toml_path is None:
            return init_settings, env_settings
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path)

    @model_validator(mode="after")
    def _consistent(self) -> RaytradeConfig:
        ids = [f.feed_id for f in self.feeds] + [p.provider_id for p in self.providers]
        for p in self.providers:
            if p.api_key is None and not (self.replay.enabled and p.ws_url is None):
                raise ValueError(f"provider {p.provider_id!r} needs an API key: set ${p.api_key_env}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"feed ids must be unique: {ids}")
        instruments = {i for f in self.feeds for i in f.instrument_ids()}
        sids = [s.id for s in self.strategies]
        if len(set(sids)) != len(sids):
            raise ValueError(f"strategy ids must be unique: {sids}")
        for strategy in self.strategies:
            if strategy.mode == "live" and not self.execution.allow_live:
                raise ValueError(f"strategy {strategy.id!r} has mode 'live' (production) but [execution] allow_live "
                                 "is false: set it and pass --live")
            if strategy.mode == "live" and self.replay.enabled:
                raise ValueError(f"strategy {strategy.id!r} has mode 'live' but the run replays recordings "
                                 "(replay.enabled): live trading needs the real venues")
            missing = set(strategy.instruments) - instruments
            if missing:
                raise ValueError(f"strategy {strategy.id!r} needs instruments no feed provides: {sorted(missing)}")
        unknown_ids = set(self.validation.instruments) - instruments
        if unknown_ids:
            raise ValueError(f"validation.instruments names instruments no feed provides: {sorted(unknown_ids)}")
        for iid in self.validation.instruments:
            try:
                self.validation.thresholds_for(iid)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        if self.replay.enabled:
            venues = {f.venue.value for f in self.feeds if f.ws_url is None}
            unknown = venues - set(self.replay.captures)
            if unknown:
                raise ValueError(f"replay is on but no capture is configured for venue(s) {sorted(unknown)}")
        return self


def check_live_guard(config: RaytradeConfig, live_flag: bool) -> None:
    """Production trading needs both ``[execution] allow_live = true`` in the config and ``--live`` on the command
    line; either alone refuses.

    Raises:
        ConfigError: a strategy has ``mode = "live"`` without both (the message says which is missing).
    """
    live = [s.id for s in config.strategies if s.mode == "live"]
    if live and not (config.execution.allow_live and live_flag):
        missing = [m for m, ok in (("[execution] allow_live = true", config.execution.allow_live),
                                   ("the --live flag", live_flag)) if not ok]  # fmt: skip
        raise ConfigError(f"strategies {live} trade in production (mode 'live'): that needs {' and '.join(missing)}")


def load_config(path: str | Path | None = None, **overrides: Any) -> RaytradeConfig:
    """Build the config: ``overrides`` (``section__field=value``) > ``RAYTRADE_*`` variables > TOML file > defaults.

    Raises:
        ConfigError: unreadable file, bad TOML or invalid values (the message lists every problem).
    """
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            nested.setdefault(section, {})[field] = value
        else:
            nested[section] = value
    if path is not None:
        try:
            tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config {path}: {exc}") from None
    token = _TOML_PATH.set(str(path) if path is not None else None)
    try:
        return RaytradeConfig(**nested)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    finally:
        _TOML_PATH.reset(token)
