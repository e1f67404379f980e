"""One request-weight budget per API key across the cluster: pure logic (:class:`WeightBudget`) and a thin named
Ray actor (:class:`BudgetActor`) that every live client using the key asks before each request.

Rules (Binance Spot API "General info" -> "LIMITS" and "Rate limiters (rateLimits)"; USD-M "General Info" ->
"Limits"; TRADING.md "Rate limits"):

* ``exchangeInfo.rateLimits`` lists the limiters: ``REQUEST_WEIGHT`` (every request costs its endpoint's weight,
  e.g. spot 6000 per MINUTE), ``ORDERS`` (every new order counts 1, e.g. spot 100 per 10 SECOND and 200,000 per
  DAY) and ``RAW_REQUESTS``. Each is a count over a fixed interval (``intervalNum`` x ``interval``, ``SECOND`` /
  ``MINUTE`` / ``HOUR`` / ``DAY``); Binance counts in fixed windows aligned to the epoch (the
  ``X-MBX-USED-WEIGHT-1m`` header resets at each minute boundary), so this budget does the same.
* A 429 (or 418, IP ban) carries ``Retry-After`` seconds: no request with that key may be sent before it ends
  (Binance: "repeatedly violating rate limits ... will result in an automated IP ban (HTTP status 418)"), so a
  penalty blocks **every** client of the key, not only the one that got it.

A request is granted only when every limiter it touches has room; otherwise :meth:`WeightBudget.acquire` returns
how long to wait (seconds) and grants nothing (no partial grants, so a waiting caller never holds weight).

The actor is named ``budget:<key_id>`` with ``key_id`` = the first 16 hex digits of SHA-256 of the API
key (:func:`key_id`): the key itself never appears in a name, an argument or the GCS. Every live client of the same
key in the cluster gets the same actor (``get_if_exists``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from actors.errors import ConfigError

__all__ = ["BudgetActor", "Limiter", "WeightBudget", "budget_actor_name", "key_id", "limiters_from_exchange_info"]

_UNIT_S = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}

# Binance spot's published defaults (exchangeInfo of 2024: REQUEST_WEIGHT 6000/1m, ORDERS 100/10s and 200000/1d),
# used until the venue's own exchangeInfo is read.
DEFAULT_LIMITS: tuple[dict, ...] = (
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
)


def key_id(api_key: str) -> str:
    """First 16 hex digits of SHA-256 of the key: names the key without revealing it."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def budget_actor_name(api_key: str, prefix: str = "") -> str:
    """``budget:<key id>`` (:mod:`actors.naming`): one budget actor per API key across the cluster."""
    from actors.naming import actor_name

    return actor_name("budget", key_id(api_key), prefix)


@dataclass(frozen=True)
class Limiter:
    """One limiter: ``kind`` (``REQUEST_WEIGHT`` / ``ORDERS`` / ``RAW_REQUESTS``) of ``limit`` per ``window_s``."""

    kind: str
    window_s: int
    limit: int


def limiters_from_exchange_info(rate_limits: Iterable[Mapping]) -> list[Limiter]:
    """``exchangeInfo["rateLimits"]`` -> limiters.

    Raises:
        ConfigError: an unknown interval or a non-positive limit.
    """
    out = []
    for r in rate_limits:
        unit = _UNIT_S.get(str(r.get("interval", "")).upper())
        if unit is None:
            raise ConfigError(f"rate limit with unknown interval: {dict(r)}")
        n, limit = int(r.get("intervalNum", 1)), int(r.get("limit", 0))
        if n <= 0 or limit <= 0:
            raise ConfigError(f"rate limit must be positive: {dict(r)}")
        out.append(Limiter(str(r["rateLimitType"]).upper(), n * unit, limit))
    return out


class WeightBudget:
    """Fixed-window counters per limiter plus a key-wide penalty (``Retry-After``). Pure: time is passed in.

    Args:
        limiters: from :func:`limiters_from_exchange_info` (default: Binance spot's published limits).
        headroom: share of each limit this budget grants (default 0.9: leave room for requests it cannot see,
            e.g. the user-data stream's listen key, or other tools using the key).
    """

    def __init__(self, limiters: Iterable[Limiter] | None = None, headroom: float = 0.9) -> None:
        if not 0 < headroom <= 1:
            raise ConfigError(f"headroom must be in (0, 1], got {headroom}")
        self.headroom = headroom
        self.limiters: list[Limiter] = []
        self._used: dict[Limiter, tuple[int, int]] = {}  # limiter -> (window start s, used)
        self.blocked_until = 0.0
        self.granted = self.waited = self.penalties = 0
        self.set_limits(limiters if limiters is not None else limiters_from_exchange_info(DEFAULT_LIMITS))

    def set_limits(self, limiters: Iterable[Limiter]) -> None:
        """Replace the limiters (e.g. once exchangeInfo is read); counts of unchanged limiters are kept."""
        self.limiters = list(limiters)
        self._used = {lim: self._used.get(lim, (0, 0)) for lim in self.limiters}

    def _cap(self, lim: Limiter) -> int:
        return max(1, int(lim.limit * self.headroom))

    def acquire(self, weight: int, orders: int, now: float) -> float:
        """Ask for ``weight`` request weight (and ``orders`` new orders, 1 raw request). Returns 0.0 when granted
        (and counts it), else the seconds to wait before asking again (nothing is counted)."""
        if now < self.blocked_until:
            self.waited += 1
            return self.blocked_until - now
        need = {"REQUEST_WEIGHT": weight, "ORDERS": orders, "RAW_REQUESTS": 1}
        wait = 0.0
        for lim in self.limiters:
            n = need.get(lim.kind, 0)
            if not n:
                continue
            start = int(now // lim.window_s) * lim.window_s
            w_start, used = self._used[lim]
            if w_start != start:
                used = 0
            if used + n > self._cap(lim):
                if n > self._cap(lim):
                    raise ConfigError(f"a request of {n} {lim.kind} exceeds the limit {lim.limit}/{lim.window_s}s")
                wait = max(wait, start + lim.window_s - now)
        if wait > 0:
            self.waited += 1
            return wait
        for lim in self.limiters:
            n = need.get(lim.kind, 0)
            if n:
                start = int(now // lim.window_s) * lim.window_s
                w_start, used = self._used[lim]
                self._used[lim] = (start, (used if w_start == start else 0) + n)
        self.granted += 1
        return 0.0

    def penalize(self, retry_after_s: float, now: float) -> float:
        """A 429/418 with ``Retry-After``: block every request of the key until ``now + retry_after_s``. Returns
        the time it is blocked until (a longer earlier penalty is kept)."""
        self.penalties += 1
        self.blocked_until = max(self.blocked_until, now + max(0.0, retry_after_s))
        return self.blocked_until

    def observe_used(self, kind: str, window_s: int, used: int, now: float) -> None:
        """The venue's own count (``X-MBX-USED-WEIGHT-1m``, ``X-MBX-ORDER-COUNT-10s``): take the larger of it and
        ours, so requests made by others with the key are counted too."""
        for lim in self.limiters:
            if lim.kind == kind and lim.window_s == window_s:
                start = int(now // lim.window_s) * lim.window_s
                w_start, mine = self._used[lim]
                self._used[lim] = (start, max(used, mine if w_start == start else 0))

    def status(self, now: float) -> dict:
        used = {}
        for lim in self.limiters:
            start = int(now // lim.window_s) * lim.window_s
            w_start, n = self._used[lim]
            used[f"{lim.kind}/{lim.window_s}s"] = {"used": n if w_start == start else 0, "limit": lim.limit}
        return {"used": used, "blocked_for_s": max(0.0, self.blocked_until - now), "granted": self.granted,
                "waited": self.waited, "penalties": self.penalties}  # fmt: skip


class BudgetActor:
    """Thin actor around :class:`WeightBudget` (one per API key, named by :func:`budget_actor_name`).

    Args:
        rate_limits: ``exchangeInfo["rateLimits"]`` dicts (None: Binance spot's defaults).
        headroom: see :class:`WeightBudget`.
    """

    def __init__(self, rate_limits: list[dict] | None = None, headroom: float = 0.9, clock=time.time) -> None:
        self.clock = clock
        self.budget = WeightBudget(limiters_from_exchange_info(rate_limits or DEFAULT_LIMITS), headroom)

    def set_limits(self, rate_limits: list[dict]) -> None:
        self.budget.set_limits(limiters_from_exchange_info(rate_limits))

    def acquire(self, weight: int, orders: int = 0) -> float:
        return self.budget.acquire(weight, orders, self.clock())

    def penalize(self, retry_after_s: float) -> float:
        """Returns the seconds from now the key is blocked."""
        now = self.clock()
        return self.budget.penalize(retry_after_s, now) - now

    def observe_used(self, kind: str, window_s: int, used: int) -> None:
        self.budget.observe_used(kind, window_s, used, self.clock())

    def status(self) -> dict:
        return self.budget.status(self.clock())

    def ping(self) -> str:
        return "budget"
