"""Per-venue pure parsers and subscription helpers. One module per venue; :func:`parser_for` picks one."""

from __future__ import annotations

from collections.abc import Sequence

from actors.errors import ConfigError
from actors.feed.venues.binance import BinanceParser
from actors.instruments import InstrumentSpec, Venue

__all__ = ["BinanceParser", "parser_for", "sync_rules_for"]


def parser_for(venue: Venue | str, specs: Sequence[InstrumentSpec] = ()) -> BinanceParser:
    """The frame parser of ``venue``.

    Raises:
        ConfigError: no parser exists for the venue yet (only Binance spot, USD-M and COIN-M today).
    """
    venue = Venue(venue)
    if venue in (Venue.BINANCE, Venue.BINANCE_USDM, Venue.BINANCE_COINM):
        return BinanceParser(venue, specs)
    raise ConfigError(f"no parser for venue {venue.value!r} yet (supported: binance, binance_usdm, binance_coinm)")


def sync_rules_for(venue: Venue | str):  # -> SyncRules
    """The sequencing rules of ``venue`` (see :mod:`actors.book.sync`).

    Raises:
        ConfigError: no rules for the venue yet.
    """
    from actors.book.sync import SyncRules

    venue = Venue(venue)
    if venue is Venue.BINANCE:
        return SyncRules.BINANCE_SPOT
    if venue.is_binance_futures:
        return SyncRules.BINANCE_FUTURES
    raise ConfigError(f"no sync rules for venue {venue.value!r} yet")
