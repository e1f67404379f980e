"""Thresholds of the market-data checks: typed, frozen, validated, units in every name.

``[validation]`` in the run config holds the defaults for every instrument; ``[validation.instruments."<id>"]``
overrides any of them for one instrument (``max_spread_bps = 50`` for an illiquid pair). Bad values (a negative
threshold, an unknown key) are refused when the config is built: :func:`load_validation` raises
:class:`~actors.errors.ConfigError`, and the run config (``cluster/config.py``) turns the same pydantic errors into
one ``ConfigError`` naming the field.

Why the defaults are what they are: they were run over every capture in ``../shared/data/cryptofeed/`` and the
bundled Binance samples (``tests/unit/test_validation_captures.py`` prints what fires) and produce no hard
failure there; the soft ones that fire are listed in ``BENCHMARKS.md`` ("Market-data validation").
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from actors.errors import ConfigError

__all__ = ["InstrumentOverrides", "Thresholds", "ValidationSettings", "load_validation"]


class Thresholds(BaseModel):
    """One instrument's thresholds (every field: default, unit in the name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_spread_bps: float = Field(500.0, gt=0, description="Soft: best ask - best bid beyond this many basis points "
                                  "of the mid")
    outlier_stdevs: float = Field(25.0, gt=0, description="Soft: a top-of-book (mid) move or a trade-to-trade move "
                                  "beyond this many rolling standard deviations of that series' returns")
    outlier_window: int = Field(1000, ge=2, description="Returns kept for the rolling standard deviation (events: "
                                "mid moves, or trade price changes)")
    outlier_window_s: float = Field(600.0, gt=0, description="... and no older than this (s, receive time)")
    outlier_min_samples: int = Field(50, ge=2, description="No stdev verdict before this many returns are kept")
    outlier_pct: float = Field(5.0, gt=0, description="Soft: a mid move, or a trade away from the current mid, "
                               "beyond this percentage")
    stale_book_s: float = Field(60.0, gt=0, description="Soft: no book update for this long (s, wall time) while "
                                "the venue's connection is up")


class InstrumentOverrides(BaseModel):
    """Per-instrument overrides: any :class:`Thresholds` field; the rest come from ``[validation]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_spread_bps: float | None = Field(None, gt=0)
    outlier_stdevs: float | None = Field(None, gt=0)
    outlier_window: int | None = Field(None, ge=2)
    outlier_window_s: float | None = Field(None, gt=0)
    outlier_min_samples: int | None = Field(None, ge=2)
    outlier_pct: float | None = Field(None, gt=0)
    stale_book_s: float | None = Field(None, gt=0)


class ValidationSettings(Thresholds):
    """``[validation]``: the per-instrument checks' defaults, the cross-venue check, alerts and overrides.

    The checks (``actors/validation/``): crossed or locked book (**hard**: the book is cleared, not ready, and
    resynced through the feed's existing gap path), price outlier, spread too wide, stale book, cross-venue
    divergence (all **soft**: counted, exported, alerted; the book stays served).
    """

    enabled: bool = Field(True, description="Run the checks (on by default); off: only the sequencer's own crossed "
                          "check, which always runs, is left")
    max_divergence_bps: float = Field(200.0, gt=0, description="Soft: mids of the same asset on two venues apart by "
                                      "more than this many basis points of their mean ...")
    divergence_for_s: float = Field(10.0, ge=0, description="... continuously for this long (s, venue time)")
    divergence_max_skew_ms: float = Field(2000.0, gt=0, description="Two mids are compared only when their venue "
                                          "event times are at most this far apart (ms)")
    quote_equivalents: list[list[str]] = Field([["USD", "USDT", "USDC"]], description="Quote currencies taken as "
                                               "one for the divergence check (sets of currency codes)")
    alert_interval_s: float = Field(60.0, ge=0, description="At most one system_alerts row per instrument and check "
                                    "in this long (s); the suppressed ones are counted in the next")
    instruments: dict[str, InstrumentOverrides] = Field(default_factory=dict, description="instrument_id -> "
                                                        "overrides of the thresholds above")

    @model_validator(mode="after")
    def _window(self) -> ValidationSettings:
        if self.outlier_min_samples > self.outlier_window:
            raise ValueError(f"outlier_min_samples ({self.outlier_min_samples}) exceeds outlier_window "
                             f"({self.outlier_window})")  # fmt: skip
        for group in self.quote_equivalents:
            if not group or any(not q or q != q.upper() for q in group):
                raise ValueError(f"quote_equivalents: upper-case currency codes, got {group!r}")
        return self

    def thresholds_for(self, instrument_id: str) -> Thresholds:
        """The thresholds of one instrument: the defaults with its overrides applied.

        Raises:
            ConfigError: the overrides make an invalid combination (e.g. min samples above the window).
        """
        base = {name: getattr(self, name) for name in Thresholds.model_fields}
        over = self.instruments.get(instrument_id)
        if over is not None:
            base.update({k: v for k, v in over.model_dump().items() if v is not None})
        try:
            out = Thresholds(**base)
        except ValidationError as exc:
            raise ConfigError(f"validation.instruments.{instrument_id}: {exc}") from None
        if out.outlier_min_samples > out.outlier_window:
            raise ConfigError(f"validation.instruments.{instrument_id}: outlier_min_samples exceeds outlier_window")
        return out

    def quote_class(self, quote: str) -> str:
        """The quote's equivalence class name (the first code of its set), or the quote itself."""
        for group in self.quote_equivalents:
            if quote in group:
                return group[0]
        return quote


def load_validation(values: dict[str, Any] | None = None) -> ValidationSettings:
    """Build :class:`ValidationSettings` from a plain mapping (a TOML table).

    Raises:
        ConfigError: an unknown key or a bad value (the message names the field).
    """
    try:
        return ValidationSettings(**(values or {}))
    except ValidationError as exc:
        raise ConfigError(f"invalid [validation]: {exc}") from None
