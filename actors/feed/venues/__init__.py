"""The venue registry: project venue name -> its :class:`~actors.feed.venues.base.VenueAdapter`.

One module per venue in this package (pure parsers, subscriptions, sequence policy, specs loading; see
:mod:`actors.feed.venues.base` for the protocol). Adding a venue adds one line to :data:`ADAPTERS`
(``"<venue>": "actors.feed.venues.<module>:<ADAPTER>"``); modules are imported on first use, so a venue's
dependencies cost nothing to a run that does not use it. README "Venues" lists every file a new venue touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module

from actors.errors import ConfigError
from actors.feed.venues.base import FrameParser, SequencePolicy, VenueAdapter
from actors.instruments import InstrumentSpec, Venue

__all__ = ["ADAPTERS", "adapter_for", "parser_for", "policy_for", "supported_venues"]

ADAPTERS: dict[str, str] = {
    "binance": "actors.feed.venues.binance:SPOT",
    "binance_usdm": "actors.feed.venues.binance:USDM",
    "binance_coinm": "actors.feed.venues.binance:COINM",
    "coinbase": "actors.feed.venues.coinbase:ADAPTER",
    "kraken": "actors.feed.venues.kraken:ADAPTER",
    "gemini": "actors.feed.venues.gemini:ADAPTER",
    "bitstamp": "actors.feed.venues.bitstamp:ADAPTER",
    "backpack": "actors.feed.venues.backpack:ADAPTER",
    "bybit": "actors.feed.venues.bybit:SPOT",
    "bybit_linear": "actors.feed.venues.bybit:LINEAR",
    "okx": "actors.feed.venues.okx:OKX",
}
"""Venue name -> ``"module:attribute"`` of its adapter (one line per venue)."""

_LOADED: dict[str, VenueAdapter] = {}


def supported_venues() -> list[str]:
    """Venue names with an adapter."""
    return sorted(ADAPTERS)


def adapter_for(venue: Venue | str) -> VenueAdapter:
    """The adapter of ``venue``.

    Raises:
        ConfigError: no adapter is registered for the venue.
    """
    name = venue.value if isinstance(venue, Venue) else str(venue).lower()
    adapter = _LOADED.get(name)
    if adapter is None:
        target = ADAPTERS.get(name)
        if target is None:
            raise ConfigError(f"no adapter for venue {name!r} yet (supported: {', '.join(supported_venues())})")
        module, _, attr = target.partition(":")
        adapter = _LOADED[name] = getattr(import_module(module), attr)
    return adapter


def parser_for(venue: Venue | str, specs: Sequence[InstrumentSpec] = ()) -> FrameParser:
    """The frame parser of ``venue`` (``adapter_for(venue).parser(specs)``).

    Raises:
        ConfigError: no adapter for the venue.
    """
    return adapter_for(venue).parser(specs)


def policy_for(venue: Venue | str, spec: InstrumentSpec | None = None) -> SequencePolicy:
    """The sequence policy of ``venue`` (for ``spec`` where it differs per instrument; default: the venue's).

    Raises:
        ConfigError: no adapter for the venue.
    """
    return adapter_for(venue).policy(spec)
