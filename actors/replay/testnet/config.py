"""Options of the testnet mode of a Binance replay venue (frozen, validated)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from actors.errors import ConfigError

__all__ = ["SPOT_DEFAULT_BALANCES", "TestnetConfig", "USDM_DEFAULT_BALANCES", "parse_balances"]

SPOT_DEFAULT_BALANCES: Mapping[str, Decimal] = {"USDT": Decimal("10000"), "BTC": Decimal("1")}
USDM_DEFAULT_BALANCES: Mapping[str, Decimal] = {"USDT": Decimal("10000")}


def parse_balances(text: str) -> dict[str, Decimal]:
    """``"USDT=10000,BTC=1"`` -> ``{"USDT": Decimal("10000"), "BTC": Decimal("1")}``.

    Raises:
        ConfigError: not ``ASSET=amount`` pairs, or a negative / non-decimal amount.
    """
    out: dict[str, Decimal] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        asset, eq, amount = part.partition("=")
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            value = Decimal(-1)
        if not eq or not asset.strip().isalnum() or not value.is_finite() or value < 0:
            raise ConfigError(f"testnet: balances must be ASSET=amount pairs (e.g. USDT=10000,BTC=1), got {part!r}")
        out[asset.strip().upper()] = value
    return out


@dataclass(frozen=True)
class TestnetConfig:
    """Testnet mode: signed order endpoints, balances per API key, paper fills (see :mod:`actors.replay.testnet`).

    Attributes:
        keys: ``api_key -> secret`` (HMAC-SHA256) of the accounts; at least one. Never logged or returned
            (``repr`` hides the secrets).
        spot_balances: starting spot balances of every account (default 10,000 USDT + 1 BTC).
        usdm_balances: starting USD-M margin wallet (default 10,000 USDT; only ``USDT`` is used).
        leverage: USD-M leverage of every symbol (default 20, Binance's default for BTCUSDT).
        listen_key_ttl_s: a listen key expires this long after its creation or last keep-alive (default 3600 s,
            Binance's 60 minutes).
        entry_latency_ms, response_latency_ms, cancel_latency_ms: the paper model's latencies inside the venue
            (:class:`~actors.execution.paper.PaperConfig`, hftbacktest ``ConstantLatency`` plus a cancel latency).
            Default 0: on the wall clock the real loopback latency is the latency, and they must stay 0 there
            (an answer waits for the model's outcome, see ``event_clock``). With ``event_clock`` give the paper
            run's values (``[execution.paper]``, default 5 ms each) to replay the paper model exactly.
        queue_model: the paper model's queue model (default ``conservative``).
        event_clock: lock-step mode (default False). The model runs on the recording's clock instead of the wall
            clock: each dispatched frame is stamped with its recorded ``ts_recv`` (as the feed pipeline stamps it
            offline), a REST snapshot record of the recording loads the model's book (as a feed loads the
            snapshot it fetched), requests are stamped with the model clock (the last frame's time, or what
            :meth:`~actors.replay.testnet.service.TestnetService.advance_to` set), and an order or cancel request
            is answered when the model *releases* its outcome (``ts_event + response_latency``): a ``POST order``
            after the order reached the model (``entry_latency``) and was accepted, filled or refused; a ``DELETE
            order`` after the cancel reached it (``cancel_latency``): the canceled order, or ``-2011`` when a fill
            won the race. Signatures are still checked against the wall clock. Used by
            :mod:`actors.execution.parity`, which pauses the venue and steps it record by record.
        usdm_min_notional: USD-M minimum order notional in USDT (default 100, Binance's ``-4164`` rule for
            BTCUSDT; reduce-only orders are exempt).
    """

    __test__ = False  # not a pytest class

    keys: Mapping[str, str] = field(default_factory=dict)
    spot_balances: Mapping[str, Decimal] = field(default_factory=lambda: dict(SPOT_DEFAULT_BALANCES))
    usdm_balances: Mapping[str, Decimal] = field(default_factory=lambda: dict(USDM_DEFAULT_BALANCES))
    leverage: int = 20
    listen_key_ttl_s: float = 3600.0
    entry_latency_ms: float = 0.0
    response_latency_ms: float = 0.0
    cancel_latency_ms: float = 0.0
    queue_model: str = "conservative"
    usdm_min_notional: Decimal = Decimal("100")
    event_clock: bool = False

    def __post_init__(self) -> None:
        if not self.keys or not all(isinstance(k, str) and k and isinstance(s, str) and s for k, s in self.keys.items()):
            raise ConfigError("testnet: at least one api key with a non-empty secret is needed")
        if not 1 <= self.leverage <= 125:
            raise ConfigError(f"testnet: leverage must be 1..125, got {self.leverage}")
        latencies = (self.entry_latency_ms, self.response_latency_ms, self.cancel_latency_ms)
        if any(not v >= 0 for v in latencies):
            raise ConfigError(f"testnet: latencies must be >= 0, got {latencies}")
        if any(latencies) and not self.event_clock:
            raise ConfigError("testnet: model latencies need event_clock (on the wall clock an answer waits for the "
                              "model's outcome, and the loopback is the latency); cancel_latency_ms must be 0")
        if not self.listen_key_ttl_s > 0:
            raise ConfigError(f"testnet: listen_key_ttl_s must be > 0, got {self.listen_key_ttl_s}")
        for name in ("spot_balances", "usdm_balances"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = parse_balances(value)
            object.__setattr__(self, name, {k.upper(): Decimal(v) for k, v in value.items()})

    def __repr__(self) -> str:
        return (f"TestnetConfig(keys=<{len(self.keys)} hidden>, spot_balances={dict(self.spot_balances)}, "
                f"usdm_balances={dict(self.usdm_balances)}, leverage={self.leverage})")  # fmt: skip
