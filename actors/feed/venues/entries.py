"""Per-instrument parser state shared by the venue parsers: the spec, its decimals and its level converter. Pure.

Every venue parser looks instruments up by the symbol a frame names. :class:`InstrumentTable` holds one
:class:`InstrumentEntry` per symbol: the given spec (loaded from the venue, see
:mod:`actors.feed.instrument_specs`) or, on first sight, the venue's default spec. The table is bounded (symbols
come from the wire): past ``bound`` entries it starts again, keeping the given specs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from actors.fixedpoint import LevelConverter, level_converter
from actors.instruments import InstrumentSpec, Venue

__all__ = ["InstrumentEntry", "InstrumentTable"]


class InstrumentEntry:
    """One instrument as a parser needs it.

    Attributes:
        spec, instrument_id: the instrument. pd, sd: its price and size decimals.
        levels: ``[price, size]`` strings -> fixed-point ints at those decimals (errors name ``spec.venue``).
    """

    __slots__ = ("instrument_id", "spec", "pd", "sd", "levels")

    def __init__(self, spec: InstrumentSpec) -> None:
        self.spec = spec
        self.instrument_id = spec.instrument_id
        self.pd, self.sd = spec.price_decimals, spec.size_decimals
        self.levels: LevelConverter = level_converter(self.pd, self.sd, spec.venue.value)


class InstrumentTable:
    """Symbol -> :class:`InstrumentEntry` for one venue.

    Args:
        venue: the parser's venue (given specs of other venues are ignored).
        specs: specs to use by symbol.
        default: ``symbol -> spec`` for a symbol first seen on the wire.
        bound: entries kept at most (the wire could name any number of symbols).
    """

    def __init__(self, venue: Venue, specs: Sequence[InstrumentSpec], default: Callable[[str], InstrumentSpec],
                 bound: int = 10_000) -> None:  # fmt: skip
        self._given = {s.symbol: s for s in specs if s.venue is venue}
        self._entries = {symbol: InstrumentEntry(s) for symbol, s in self._given.items()}
        self._default = default
        self._bound = bound

    def get(self, symbol: str) -> InstrumentEntry:
        """The entry of ``symbol`` (exactly as the table keys it), created on first use."""
        entry = self._entries.get(symbol)
        if entry is None:
            if len(self._entries) > self._bound:
                self._entries = {k: InstrumentEntry(s) for k, s in self._given.items()}
            spec = self._given.get(symbol) or self._default(symbol)
            entry = self._entries[symbol] = InstrumentEntry(spec)
        return entry
