"""Exact fixed-point money: decimal strings from the venue <-> integers scaled by ``10**decimals``.

Prices and sizes never pass through binary floats. A value with ``decimals = 8`` is stored as
``int(value * 10**8)``: ``"61837.63000000"`` -> ``6183763000000``. The instrument spec fixes ``decimals`` per
field (the number of decimals the venue writes, see :mod:`actors.instruments`); a string with fewer decimals is
scaled up exactly, one with more is accepted only when the extra digits are zeros (else :class:`PrecisionError`).

The level converters are the hot path of every book: one list comprehension per frame side with a fast path for
strings that carry exactly the expected number of decimals (Binance writes every price of a symbol the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from actors.errors import PrecisionError

__all__ = [
    "DecimalCache", "LevelConverter", "fixed_to_decimal", "fixed_to_plain", "fixed_to_str", "level_converter", "to_fixed",
]

_POW10 = [10**i for i in range(19)]


def to_fixed(text: str, decimals: int, venue: str = "?") -> int:
    """Parse a decimal string into an integer scaled by ``10**decimals``, exactly.

    Args:
        text: a plain decimal string as venues send it (``"61837.63"``, ``"1001"``, ``"-0.5"``). No exponent.
        decimals: the fixed-point scale, 0..18.
        venue: named in the error.

    Returns:
        ``int`` equal to ``Decimal(text) * 10**decimals``.

    Raises:
        PrecisionError: ``text`` is not a plain decimal number, or has non-zero digits beyond ``decimals``.
    """
    try:
        whole, dot, frac = text.partition(".")
        if len(frac) > decimals:
            extra = frac[decimals:]
            if extra.strip("0"):
                raise PrecisionError(venue, f"{text!r} has more than {decimals} decimals", text)
            frac = frac[:decimals]
        if not text.isascii() or not whole.lstrip("-+").isdigit() or (frac and not frac.isdigit()):
            raise PrecisionError(venue, f"{text!r} is not a plain decimal number", text)
        value = int(whole + frac) * _POW10[decimals - len(frac)]
    except (AttributeError, TypeError, ValueError, IndexError) as exc:
        raise PrecisionError(venue, f"{text!r} is not a decimal string ({exc})", str(text)) from None
    return value


def fixed_to_decimal(value: int, decimals: int) -> Decimal:
    """Return ``value / 10**decimals`` as an exact :class:`~decimal.Decimal` (``decimals`` digits after the point)."""
    return Decimal(value).scaleb(-decimals)


def fixed_to_str(value: int, decimals: int) -> str:
    """Format a fixed-point integer as a plain decimal string with exactly ``decimals`` decimals.

    ``fixed_to_str(6183763000000, 8) == "61837.63000000"``: the venue's own spelling for Binance spot.
    """
    sign = "-" if value < 0 else ""
    digits = str(abs(value)).rjust(decimals + 1, "0")
    if decimals == 0:
        return sign + digits
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


def fixed_to_plain(value: int, decimals: int) -> str:
    """The shortest exact decimal spelling: no trailing zeros, no trailing point (``3026100`` at 2 -> ``"30261"``,
    ``406`` at 5 -> ``"0.00406"``), as OKX writes prices and sizes (its checksum is computed over these strings)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if decimals <= 0:
        return sign + str(value * 10 ** (-decimals))
    whole, frac = divmod(value, 10**decimals)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(frac).rjust(decimals, '0').rstrip('0')}"


class DecimalCache(dict):
    """``text -> fixed-point int`` for one field of one instrument: ``cache[text]`` converts on a miss.

    Venues repeat the same price and size strings constantly (the levels near the touch), so each distinct
    string is converted once; hits are a single dict lookup. Cleared when it reaches ``max_entries``, so memory
    stays bounded. A miss takes the fast path when the string carries exactly ``decimals`` decimals (or none when
    ``decimals == 0``) and only ASCII digits, else :func:`to_fixed`: the result is always exact.

    Raises (on a miss):
        PrecisionError: not a plain non-negative decimal string, or not exact at ``decimals``.
    """

    __slots__ = ("decimals", "venue", "max_entries", "_dot")

    def __init__(self, decimals: int, venue: str = "?", max_entries: int = 200_000) -> None:
        super().__init__()
        self.decimals = decimals
        self.venue = venue
        self.max_entries = max_entries
        self._dot = -decimals - 1

    def __missing__(self, text: str) -> int:
        try:
            fast = text[self._dot] == "." if self.decimals else "." not in text
            digits = text.replace(".", "") if fast else ""
        except (IndexError, TypeError, AttributeError):
            digits = ""
        if digits.isascii() and digits.isdigit():
            value = int(digits)
        else:
            value = to_fixed(text, self.decimals, self.venue)
            if value < 0:
                raise PrecisionError(self.venue, f"negative level value {text!r}", text)
        if len(self) >= self.max_entries:
            self.clear()
        self[text] = value
        return value


class LevelConverter:
    """Converts one instrument's ``[[price, size], ...]`` strings into ``((price, size), ...)`` fixed-point ints.

    Attributes:
        prices, sizes: the :class:`DecimalCache` of each field (also usable alone: ``conv.prices["61837.63"]``).

    Raises (from ``__call__``):
        PrecisionError: a level is not a pair of decimal strings or cannot be represented exactly.
    """

    __slots__ = ("prices", "sizes", "venue")

    def __init__(self, price_decimals: int, size_decimals: int, venue: str = "?", cache_size: int = 200_000) -> None:
        self.prices = DecimalCache(price_decimals, venue, cache_size)
        self.sizes = DecimalCache(size_decimals, venue, cache_size)
        self.venue = venue

    def __call__(self, levels: Sequence[Sequence[str]]) -> tuple[tuple[int, int], ...]:
        prices, sizes = self.prices, self.sizes
        try:
            return tuple([(prices[p], sizes[s]) for p, s in levels])
        except PrecisionError:
            raise
        except (ValueError, TypeError):
            # Not pairs, or unhashable values: check each level and raise the typed error.
            return tuple([(prices[_text(p, self.venue)], sizes[_text(s, self.venue)])
                          for p, s in _pairs(levels, self.venue)])  # fmt: skip


def level_converter(
    price_decimals: int, size_decimals: int, venue: str = "?", cache_size: int = 200_000
) -> LevelConverter:
    """Build the :class:`LevelConverter` of an instrument (prices and sizes at their fixed-point decimals)."""
    return LevelConverter(price_decimals, size_decimals, venue, cache_size)


def _text(value: object, venue: str) -> str:
    if not isinstance(value, str):
        raise PrecisionError(venue, f"{value!r} is not a decimal string", repr(value))
    return value


def _pairs(levels: Sequence[Sequence[str]], venue: str) -> list[tuple[str, str]]:
    out = []
    for level in levels:
        if not isinstance(level, (list, tuple)) or len(level) < 2:
            raise PrecisionError(venue, f"level {level!r} is not a [price, size] pair", repr(level))
        out.append((level[0], level[1]))
    return out
