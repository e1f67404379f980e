"""Options of one replay venue: a frozen, validated object (speeds and fault specs accepted as text too)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

from actors.errors import ConfigError
from actors.replay.clock import parse_speed
from actors.replay.faults import FaultSpec, parse_fault_spec
from actors.replay.testnet.config import TestnetConfig

__all__ = ["ReplayConfig"]


@dataclass(frozen=True)
class ReplayConfig:
    """How a :class:`~actors.replay.venue.ReplayVenue` serves its recording.

    Attributes:
        host: interface to bind (default ``127.0.0.1``).
        ws_port: websocket port; 0 (default) lets the OS pick (see ``urls()``).
        rest_port: REST port, separate like Binance's REST host; 0 (default) lets the OS pick.
        speed: replay speed factor, or ``"max"``/``math.inf`` (default 1 = real time by recorder timestamps).
        faults: fault spec (text or :class:`FaultSpec`, default none), see :mod:`actors.replay.faults`.
        seed: fault seed (default 0).
        fault_log: JSON-lines file of injected faults (default None: in memory only).
        paused: start paused; ``start()`` begins the replay (default False: the replay starts when the venue opens).
        origin_ns: replay time (recorder ns) the clock starts from; give several venues the same value (and the
            same start time) to keep them aligned. Default: the recording's first record time.
        queue_cap: frames buffered per subscriber at most (default 8192). At speed max the replay waits for the
            slowest subscriber at this bound; at finite speeds a subscriber whose buffer is full is disconnected
            (close code 1008), as a live venue drops a slow consumer.
        snapshot_wait_s: how long a REST depth request waits for the first snapshot in replay time before it is
            answered 503 (default 10 s).
        max_records: serve only the first N records of the recording (default None: all).
        exchange_info: cryptofeed v1 REST file holding a recorded spot ``exchangeInfo`` response (default None:
            the bundled ``data/sample/cryptofeed/BINANCE.0``; ``""``: do not serve exchangeInfo).
        max_waits_for_subscribers: at speed max, hold the replay while no websocket subscriber has a stream
            (default True), so a subscriber that reconnects after a disconnect resumes where it left off.
        ping_interval_s, ping_timeout_s: websocket pings, as Binance (every 20 s; default timeout 60 s).
        preload: read the whole recording into memory when the venue opens (default True), so decompressing and
            splitting capture lines does not compete with serving frames during the replay.
        venue: which recording to serve when the files hold several venues (a Bybit capture holds ``bybit`` and
            ``bybit_linear``); default None: the files must form exactly one recording.
        testnet: testnet mode (:class:`~actors.replay.testnet.TestnetConfig`: Binance's signed order, account and
            user-data endpoints with paper fills, see :mod:`actors.replay.testnet`); default None: off (those
            routes answer 404).
    """

    host: str = "127.0.0.1"
    ws_port: int = 0
    rest_port: int = 0
    speed: float = 1.0
    faults: FaultSpec = field(default_factory=FaultSpec)
    seed: int = 0
    fault_log: str | None = None
    paused: bool = False
    origin_ns: int | None = None
    queue_cap: int = 8192
    snapshot_wait_s: float = 10.0
    max_records: int | None = None
    exchange_info: str | None = None
    max_waits_for_subscribers: bool = True
    preload: bool = True
    ping_interval_s: float | None = 20.0
    ping_timeout_s: float | None = 60.0
    venue: str | None = None
    testnet: TestnetConfig | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "speed", parse_speed(self.speed))
        if not isinstance(self.faults, FaultSpec):
            object.__setattr__(self, "faults", parse_fault_spec(self.faults))
        for name in ("ws_port", "rest_port"):
            port = getattr(self, name)
            if not isinstance(port, int) or not 0 <= port <= 65535:
                raise ConfigError(f"replay: {name} must be 0..65535, got {port!r}")
        if self.queue_cap < 1:
            raise ConfigError(f"replay: queue_cap must be >= 1 frame, got {self.queue_cap}")
        if not self.snapshot_wait_s > 0 or math.isinf(self.snapshot_wait_s):
            raise ConfigError(f"replay: snapshot_wait_s must be a positive number of seconds, got {self.snapshot_wait_s}")
        if self.max_records is not None and self.max_records < 1:
            raise ConfigError(f"replay: max_records must be >= 1, got {self.max_records}")

    def with_options(self, **options: object) -> ReplayConfig:
        """A copy with some fields replaced (``self`` when none), rejecting unknown keys.

        Raises:
            ConfigError: an unknown option or an invalid value.
        """
        if not options:
            return self
        known = {f.name for f in fields(self)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"replay: unknown option(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return replace(self, **options)  # type: ignore[arg-type]
