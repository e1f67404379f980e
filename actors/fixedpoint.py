"""Exact fixed-point money: decimal strings from the venue <-> integers scaled by ``10**decimals``.

Prices and sizes never pass through binary floats. A value with ``decimals = 8`` is stored as
``int(value * 10**8)``: ``"61837.63000000"`` -> ``6183763000000``. The instrument spec fixes ``decimals`` per
field (the number of decimals the venue writes, see :mod:`actors.instruments`); a string with fewer decimals is
scaled up exactly, one with more is accepted only when the extra digits are zeros (else :class:`PrecisionError`).

The level converters are the hot path of every book: one list comprehension per frame side with a fast path for
strings that carry exactly the expected number of decimals (Binance writes every price of a symbol the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from actors.errors import PrecisionError

__all__ = ["LevelConverter", "fixed_to_decimal", "fixed_to_str", "level_converter", "to_fixed"]

_POW10 = [10**i for i in range(19)]

LevelConverter = Callable[[Sequence[Sequence[str]]], tuple[tuple[int, int], ...]]


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


def level_converter(
    price_decimals: int, size_decimals: int, venue: str = "?", cache_size: int = 200_000
) -> LevelConverter:
    """Build the converter for one instrument: ``[[price, size], ...]`` strings -> ``((price, size), ...)`` ints.

    Venues repeat the same price and size strings constantly (the levels near the touch), so each distinct
    string is converted once and remembered (one dict per field, cleared when it reaches ``cache_size``
    entries: memory stays bounded). A string is converted by the fast path when it carries exactly the
    expected decimals (or none when ``decimals == 0``), else by :func:`to_fixed`: the result is always exact.

    Raises:
        PrecisionError: a level is not a pair of decimal strings or cannot be represented exactly.
    """
    pd, sd = price_decimals, size_decimals
    p_dot, s_dot = -pd - 1, -sd - 1
    prices: dict[str, int] = {}
    sizes: dict[str, int] = {}
    price_get, size_get = prices.get, sizes.get

    def price_miss(text: str) -> int:
        if len(prices) >= cache_size:
            prices.clear()
        try:
            fast = text[p_dot] == "." if pd else "." not in text
        except (IndexError, TypeError):
            fast = False
        digits = text.replace(".", "") if fast else ""
        if digits.isascii() and digits.isdigit():
            value = int(digits)
        else:
            value = to_fixed(text, pd, venue)
            if value < 0:
                raise PrecisionError(venue, f"negative level value {text!r}", text)
        prices[text] = value
        return value

    def size_miss(text: str) -> int:
        if len(sizes) >= cache_size:
            sizes.clear()
        try:
            fast = text[s_dot] == "." if sd else "." not in text
        except (IndexError, TypeError):
            fast = False
        digits = text.replace(".", "") if fast else ""
        if digits.isascii() and digits.isdigit():
            value = int(digits)
        else:
            value = to_fixed(text, sd, venue)
            if value < 0:
                raise PrecisionError(venue, f"negative level value {text!r}", text)
        sizes[text] = value
        return value

    def convert(levels: Sequence[Sequence[str]]) -> tuple[tuple[int, int], ...]:
        try:
            return tuple(
                [
                    (
                        p if (p := price_get(ptext)) is not None else price_miss(ptext),
                        s if (s := size_get(stext)) is not None else size_miss(stext),
                    )
                    for ptext, stext in levels
                ]
            )
        except PrecisionError:
            raise
        except (ValueError, TypeError, AttributeError):
            # Not pairs, unhashable or junk: let the exact parser decide and raise.
            return tuple([(to_fixed(p, pd, venue), to_fixed(s, sd, venue)) for p, s in _pairs(levels, venue)])

    return convert


def _pairs(levels: Sequence[Sequence[str]], venue: str) -> list[tuple[str, str]]:
    out = []
    for level in levels:
        if not isinstance(level, (list, tuple)) or len(level) < 2:
            raise PrecisionError(venue, f"level {level!r} is not a [price, size] pair", repr(level))
        out.append((level[0], level[1]))
    return out
