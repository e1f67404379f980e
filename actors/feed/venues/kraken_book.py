"""Kraken WS v1 book rules, pure: the CRC32 checksum of the top 10 levels and the subscribed-depth truncation.

Source: Kraken API Center, "Spot Websockets (v1) Book Checksum" (docs.kraken.com/api/docs/guides/spot-ws-book-v1):

* The checksum is a CRC32 of one string built from the **top 10 asks** (price low to high) then the **top 10
  bids** (price high to low). For each level, the price and the volume *as Kraken writes them* (fixed decimals
  per pair: ``pair_decimals`` for prices, ``lot_decimals`` for volumes) have the decimal point removed and the
  leading zeros stripped, and are appended price then volume: ``"0.05005"``, ``"0.00000500"`` -> ``"5005"``,
  ``"500"``. The CRC32 (ISO 3309, zlib) of the whole string, as an unsigned 32-bit integer, must equal ``c``.
* Checksums come only on update messages (never on the snapshot); all the levels of a message are applied
  before the checksum is computed.
* After each update, the book is truncated to the subscribed depth: Kraken sends no delete for a level that falls
  out of scope (:meth:`actors.book.orderbook.OrderBook.truncate`, called by the Kraken sequence policy).

With fixed-point integers at exactly the wire decimals, "remove the point, strip leading zeros" is ``str(int)``,
so the checksum needs no string formatting of Decimals. When the book's decimals are wider than the wire's (a
spec that does not match the pair), values are rescaled exactly first; a value that is not representable at the
wire decimals can never match, which is the right answer (the book is not the venue's).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

__all__ = ["CHECKSUM_DEPTH", "kraken_checksum", "kraken_checksum_string"]

CHECKSUM_DEPTH = 10
"""Kraken checksums the 10 best levels per side whatever the subscribed depth."""


def _digits(value: int, decimals: int, wire_decimals: int) -> str:
    if decimals > wire_decimals:
        value, rest = divmod(value, 10 ** (decimals - wire_decimals))
        if rest:
            return f"~{value}.{rest}"  # not representable on the wire: a string Kraken never hashes
    elif decimals < wire_decimals:
        value *= 10 ** (wire_decimals - decimals)
    return str(value) if value else ""


def kraken_checksum_string(
    bids: Sequence[tuple[int, int]],
    asks: Sequence[tuple[int, int]],
    price_decimals: int,
    size_decimals: int,
    wire_price_decimals: int | None = None,
    wire_size_decimals: int | None = None,
) -> str:
    """The string Kraken hashes: top 10 asks (best first) then top 10 bids (best first), ``price + volume`` each.

    Args:
        bids: levels ``(price, size)`` best (highest) first; only the first 10 are read.
        asks: levels best (lowest) first; only the first 10 are read.
        price_decimals, size_decimals: the fixed-point scales of the levels.
        wire_price_decimals, wire_size_decimals: the decimals Kraken writes for the pair (AssetPairs
            ``pair_decimals`` / ``lot_decimals``); default: the book's own.
    """
    wp = price_decimals if wire_price_decimals is None else wire_price_decimals
    ws = size_decimals if wire_size_decimals is None else wire_size_decimals
    parts = [_digits(p, price_decimals, wp) + _digits(s, size_decimals, ws) for p, s in asks[:CHECKSUM_DEPTH]]
    parts += [_digits(p, price_decimals, wp) + _digits(s, size_decimals, ws) for p, s in bids[:CHECKSUM_DEPTH]]
    return "".join(parts)


def kraken_checksum(
    bids: Sequence[tuple[int, int]],
    asks: Sequence[tuple[int, int]],
    price_decimals: int,
    size_decimals: int,
    wire_price_decimals: int | None = None,
    wire_size_decimals: int | None = None,
) -> int:
    """Kraken's book checksum (unsigned CRC32) of the top 10 levels per side; arguments as
    :func:`kraken_checksum_string`."""
    text = kraken_checksum_string(bids, asks, price_decimals, size_decimals, wire_price_decimals, wire_size_decimals)
    return zlib.crc32(text.encode("ascii")) & 0xFFFFFFFF
