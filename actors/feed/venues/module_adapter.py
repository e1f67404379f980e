"""The venue-adapter methods that only hand over to the venue module, written once. Pure.

A venue module's adapter (:class:`~actors.feed.venues.base.VenueAdapter`) inherits :class:`ModuleAdapter` and names
its module's parser class, sequence policy, default spec and symbol conversions as class attributes; it writes
only what is its venue's own (connections, resubscribe and snapshot requests, ccxt hosts, specs from markets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from actors.instruments import InstrumentSpec

__all__ = ["ModuleAdapter", "public_private_hosts"]


class ModuleAdapter:
    """``parser``, ``policy``, ``spec_for``, ``connection_continues`` (no per-connection sequence),
    ``symbol_from_ccxt`` and ``ccxt_symbol`` from class attributes:

    * ``parser_class(specs)`` builds the parser; ``sequence_policy`` is the one policy of every instrument;
    * ``default_spec(symbol)``, ``from_ccxt(unified) -> symbol``, ``to_ccxt(symbol) -> unified`` (as
      ``staticmethod``\\ s) are the module's functions.
    """

    parser_class: ClassVar[type]
    sequence_policy: ClassVar[Any]
    default_spec: ClassVar[Callable[[str], InstrumentSpec]]
    from_ccxt: ClassVar[Callable[[str], str]]
    to_ccxt: ClassVar[Callable[[str], str]]

    def parser(self, specs: Sequence[InstrumentSpec] = ()) -> Any:
        return self.parser_class(specs)

    def policy(self, spec: InstrumentSpec | None = None) -> Any:
        return self.sequence_policy

    def spec_for(self, symbol: str) -> InstrumentSpec:
        return self.default_spec(symbol)

    def connection_continues(self, previous: int, sequence: int) -> bool:
        return True

    def symbol_from_ccxt(self, unified: str) -> str:
        return self.from_ccxt(unified)

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        return self.to_ccxt(spec.symbol)


def public_private_hosts(rest_base: str) -> dict[str, str]:
    """ccxt ``urls["api"]`` entries ``public`` and ``private`` pointing at ``rest_base`` (a replay venue)."""
    base = rest_base.rstrip("/")
    return {"public": base, "private": base}
