"""Symbol rules shared by venues that write spot pairs as one concatenated word (``BTCUSD``, ``btcusd``).

Such a symbol has no separator, so base and quote are told apart by the longest known quote suffix the venue lists
(each venue module passes its own list, longest-first where one is a suffix of another: ``GUSD`` before ``USD``).
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.errors import ConfigError

__all__ = ["join_spot", "split_concatenated"]


def split_concatenated(symbol: str, quotes: Sequence[str], venue: str) -> tuple[str, str]:
    """``("btcusd", ("USDT", "USD"), "bitstamp")`` -> ``("BTC", "USD")``: the first quote in ``quotes`` that is a
    proper suffix of the upper-cased symbol.

    Raises:
        ConfigError: no quote of ``quotes`` ends the symbol (named with the venue).
    """
    upper = symbol.upper()
    for quote in quotes:
        if upper.endswith(quote) and len(upper) > len(quote):
            return upper[: -len(quote)], quote
    raise ConfigError(f"{venue}: cannot tell base and quote of {symbol!r}")


def join_spot(unified: str, venue: str) -> str:
    """A ccxt spot symbol ``"BTC/USD"`` -> ``"BTCUSD"`` (upper case; venues lower it as they need).

    Raises:
        ConfigError: not a spot ``BASE/QUOTE`` symbol (a derivative's ``:SETTLE`` included).
    """
    base, slash, quote = unified.upper().partition("/")
    if not slash or not base or not quote or ":" in quote:
        raise ConfigError(f"{venue}: {unified!r} is not a spot BASE/QUOTE symbol")
    return base + quote
