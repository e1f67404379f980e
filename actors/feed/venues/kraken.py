"""Kraken spot WS v1: pure parsers for ``book-N``, ``trade`` and ``ticker``, pair specs, symbols, subscriptions.

Sources: Kraken Websockets API v1 (docs.kraken.com/websockets, "Public Feeds": ``book``, ``trade``, ``ticker``;
"General Considerations": every decimal field is a quoted string), "Spot Websockets (v1) Book Checksum"
(see :mod:`actors.feed.venues.kraken_book`), REST ``GET /0/public/AssetPairs`` (``wsname``, ``pair_decimals``,
``lot_decimals``).

Wire (arrays, ``[channelID, payload..., channelName, pair]``), as recorded (``cryptofeed/v3/KRAKEN.jsonl``)::

    [1360,{"as":[["0.000022900","13355.87450757","1618678123.481570"],...],"bs":[...]},"book-1000","GRT/ETH"]
    [1920,{"a":[["0.043210","0.00000000","1618678137.640504"]],"c":"2745838"},"book-1000","SC/EUR"]
    [1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},{"b":[[...]],"c":"4105471083"},"book-1000","SC/EUR"]
    [993,[["354.55000000","1.25690315","1618678145.715785","b","m",""]],"trade","XMR/USD"]

* ``book-N``: the first message of a subscription is the snapshot (``as``/``bs``, best first) -> ``BookSnapshot``;
  later ones hold ``a`` and/or ``b`` (one or two objects) -> ``BookDeltas`` with absolute volumes (``0`` deletes),
  applied in the order sent (Kraken: "do not sort by timestamp"). A fourth element ``"r"`` marks a republished
  level (Kraken resends a level whose order queue changed): applied like any update. ``c`` (string) is the CRC32
  of the top 10 levels after the message -> ``BookDeltas.checksum``, validated by the Kraken sequence policy.
* The checksum hashes the strings *as Kraken writes them*, and WS v1 writes more decimals than AssetPairs'
  ``pair_decimals`` (recorded: XMR/USD ``"354.80000000"``, 8 decimals, for ``pair_decimals`` 2), so the check needs
  the wire decimals of the message, which a book at the spec's decimals no longer has; and the truncation needs
  the subscribed depth (the channel name ``book-N``). The parser therefore packs both with the CRC into
  ``BookDeltas.checksum`` (:func:`pack_checksum`: CRC32 in bits 0-31, wire price decimals in 32-39, wire volume
  decimals in 40-47, bit 48 set, depth from bit 49); :func:`unpack_checksum` is its inverse. This encoding is
  private to this module and its policy (:class:`KrakenBookPolicy`).
* **No sequence number**: a lost update is detected only by the checksum (or a crossed book). Book events carry
  their local receive time ``ts_recv`` as ``sequence`` (arrival order: after a resubscribe, diffs received before
  the new snapshot are older than it and dropped), ``ts_event`` the newest level timestamp in the message.
* ``trade``: ``[price, volume, time, side b/s (taker), orderType m/l, misc]``; v1 trades carry no trade id, so
  ``trade_id`` is ``"<time>-<index in message>"`` (unique within a pair as far as Kraken's microsecond times go).
* ``ticker``: best ask ``a = [price, wholeLotVolume, lotVolume]``, best bid ``b`` -> ``Quote`` (sizes from
  ``lotVolume``), no venue time (``ts_event`` 0) and ``sequence`` -1 (not comparable with the book).
* Events (``systemStatus``, ``subscriptionStatus``, ``heartbeat``, ``pong``) -> ``()``; a ``subscriptionStatus``
  with ``status: "error"`` raises :class:`VenueError`. ``spread``/``ohlc`` raise :class:`UnsupportedFrame`.

Symbols: the websocket names a pair by its ``wsname`` (``XBT/USD``); the spec's ``symbol`` and the instrument id
use it without the slash (``XBTUSD`` / ``XBTUSD.KRAKEN``: Kraken's REST ``altname`` for most pairs) so ids stay
URL-safe, and the spec keeps ``base``/``quote`` as the wsname writes them (:func:`wsname` rebuilds it); ccxt writes
Kraken's ``XBT`` as ``BTC`` and ``XDG`` as ``DOGE`` (``BTC/USD``).

Decimals: prices and volumes are fixed-point at the spec's decimals (AssetPairs ``pair_decimals``/``lot_decimals``
when given: every WS v1 string is exact there, the extra wire digits being zeros); a pair with no spec gets 10/10
(:func:`default_spec`). The checksum uses the message's own wire decimals (see above).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest
from actors.feed.venues.kraken_book import CHECKSUM_DEPTH, kraken_checksum
from actors.feed.venues.policies import InOrderStreamPolicy, decimals_of, join_ws, market_decimal
from actors.feed.venues.wiretime import decimal_seconds_ns
from actors.fixedpoint import LevelConverter, level_converter
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Quote, Trade

__all__ = [
    "ADAPTER",
    "KRAKEN_POLICY",
    "KrakenAdapter",
    "KrakenBookPolicy",
    "KrakenParser",
    "pack_checksum",
    "packed_depth",
    "unpack_checksum",
    "REST_URL",
    "WS_URL",
    "ccxt_symbol",
    "default_spec",
    "instrument_symbol",
    "spec_from_asset_pair",
    "specs_from_asset_pairs",
    "subscribe_frames",
    "wsname",
    "wsname_from_ccxt",
]

WS_URL = "wss://ws.kraken.com"
REST_URL = "https://api.kraken.com"
VENUE = "kraken"
_CCXT_CODES = {"XBT": "BTC", "XDG": "DOGE"}  # ccxt's common currency codes for Kraken's
_KRAKEN_CODES = {v: k for k, v in _CCXT_CODES.items()}
_DEFAULT_FEES = (Decimal("0.0016"), Decimal("0.0026"))  # Kraken spot base tier: maker 0.16 %, taker 0.26 %
_GENERIC = msgspec.json.Decoder()


def pack_checksum(crc: int, wire_price_decimals: int, wire_size_decimals: int, depth: int = 0) -> int:
    """CRC32 + the message's wire decimals + the subscribed depth in one int (see the module docstring)."""
    return crc | (wire_price_decimals << 32) | (wire_size_decimals << 40) | _PACKED | (depth << 49)


def unpack_checksum(value: int) -> tuple[int, int | None, int | None]:
    """``(crc, wire_price_decimals, wire_size_decimals)``; the decimals are None for a plain CRC32."""
    if value & _PACKED:
        return value & 0xFFFFFFFF, (value >> 32) & 0xFF, (value >> 40) & 0xFF
    return value & 0xFFFFFFFF, None, None


def packed_depth(value: int) -> int:
    """The subscribed book depth packed by :func:`pack_checksum` (0: unknown)."""
    return value >> 49 if value & _PACKED else 0


_PACKED = 1 << 48


# -- symbols and specs -----------------------------------------------------------------------------------------
def instrument_symbol(wsname: str) -> str:
    """``"XBT/USD"`` -> ``"XBTUSD"``: the symbol part of the instrument id (``XBTUSD.KRAKEN``)."""
    return wsname.replace("/", "").upper()


def ccxt_symbol(wsname: str) -> str:
    """``"XBT/USD"`` -> ``"BTC/USD"`` (ccxt's common codes: XBT -> BTC, XDG -> DOGE).

    Raises:
        ConfigError: not ``BASE/QUOTE``.
    """
    base, slash, quote = wsname.upper().partition("/")
    if not slash or not base or not quote:
        raise ConfigError(f"kraken: {wsname!r} is not a BASE/QUOTE wsname")
    return f"{_CCXT_CODES.get(base, base)}/{_CCXT_CODES.get(quote, quote)}"


def wsname_from_ccxt(unified: str) -> str:
    """``"BTC/USD"`` -> ``"XBT/USD"`` (the inverse of :func:`ccxt_symbol`).

    Raises:
        ConfigError: not a spot ``BASE/QUOTE`` symbol (Kraken WS v1 is spot only).
    """
    base, slash, quote = unified.upper().partition("/")
    if not slash or not base or not quote or ":" in quote:
        raise ConfigError(f"kraken: {unified!r} is not a spot BASE/QUOTE symbol")
    return f"{_KRAKEN_CODES.get(base, base)}/{_KRAKEN_CODES.get(quote, quote)}"


def wsname(spec: InstrumentSpec) -> str:
    """The websocket pair name of a Kraken spec: ``BASE/QUOTE`` (``XBT/USD``)."""
    return f"{spec.base}/{spec.quote}"


def _spec(wsname: str, price_decimals: int, size_decimals: int, tick: Decimal | None = None,
          lot: Decimal | None = None, fees: tuple[Decimal, Decimal] = _DEFAULT_FEES) -> InstrumentSpec:  # fmt: skip
    base, slash, quote = wsname.upper().partition("/")
    if not slash or not base or not quote:
        raise ConfigError(f"kraken: {wsname!r} is not a BASE/QUOTE wsname")
    return InstrumentSpec(
        Venue.KRAKEN, base + quote, "spot", base, quote, quote, False, price_decimals, size_decimals,
        tick if tick is not None else Decimal(1).scaleb(-price_decimals),
        lot if lot is not None else Decimal(1).scaleb(-size_decimals), Decimal(1), fees[0], fees[1],
    )  # fmt: skip


def default_spec(wsname: str) -> InstrumentSpec:
    """The spec of a pair with no AssetPairs entry: 10 price and 10 volume decimals, exact for every Kraken pair
    (WS v1 writes at most 9 price and 8 volume decimals); the checksum uses the message's own decimals."""
    return _spec(wsname.upper(), 10, 10)


_QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "CHF", "CAD", "JPY", "AUD", "XBT", "ETH", "DAI", "DOT")


def _split_guess(symbol: str) -> str:
    """``"XBTUSD"`` -> ``"XBT/USD"`` by the longest known quote suffix (only for an id symbol with no spec)."""
    upper = symbol.upper()
    for quote in _QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return f"{upper[: -len(quote)]}/{quote}"
    raise ConfigError(f"kraken: cannot tell base and quote of {symbol!r}: give its wsname (BASE/QUOTE)")


def spec_from_asset_pair(entry: Mapping) -> InstrumentSpec:
    """One ``AssetPairs`` result entry -> spec (``wsname``, ``pair_decimals``, ``lot_decimals``, first fee tiers).

    Raises:
        ConfigError: the entry lacks ``wsname`` or the decimals.
    """
    try:
        wsname = str(entry["wsname"])
        pd, sd = int(entry["pair_decimals"]), int(entry["lot_decimals"])
        tick = Decimal(str(entry["tick_size"])) if entry.get("tick_size") else None
        maker = entry.get("fees_maker") or [[0, 0.16]]
        taker = entry.get("fees") or [[0, 0.26]]
        fees = (Decimal(str(maker[0][1])) / 100, Decimal(str(taker[0][1])) / 100)
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
        raise ConfigError(f"kraken: not an AssetPairs entry: {exc!r}") from None
    return _spec(wsname, pd, sd, tick, None, fees)


def specs_from_asset_pairs(body: bytes | str | Mapping) -> list[InstrumentSpec]:
    """``GET /0/public/AssetPairs`` body (raw or decoded) -> a spec per pair that has a ``wsname``.

    Raises:
        ConfigError: not an AssetPairs body, or Kraken's ``error`` list is not empty.
    """
    value = body if isinstance(body, Mapping) else _decode(body)
    if not isinstance(value, Mapping) or not isinstance(value.get("result"), Mapping):
        raise ConfigError("kraken: not an AssetPairs body")
    if value.get("error"):
        raise ConfigError(f"kraken: AssetPairs error: {value['error']}")
    return [spec_from_asset_pair(e) for e in value["result"].values() if isinstance(e, Mapping) and e.get("wsname")]


def _decode(body: bytes | str) -> object:
    try:
        return _GENERIC.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
        raise ConfigError(f"kraken: not JSON: {exc}") from None


def subscribe_frames(wsnames: Sequence[str], depth: int = 1000, channels: Sequence[str] = ("book", "trade",
                     "ticker")) -> list[str]:  # fmt: skip
    """The v1 ``subscribe`` frames (one per channel, every pair in each), e.g.
    ``{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":1000}}``.

    Kraken v1 "subscribe": ``depth`` is one of 10, 25, 100, 500, 1000 (default 10).

    Raises:
        ConfigError: an unsupported depth.
    """
    if depth not in (10, 25, 100, 500, 1000):
        raise ConfigError(f"kraken: book depth {depth} is not one of 10, 25, 100, 500, 1000")
    frames = []
    for name in channels:
        sub: dict = {"name": name, "depth": depth} if name == "book" else {"name": name}
        frames.append(msgspec.json.encode({"event": "subscribe", "pair": list(wsnames), "subscription": sub}).decode())
    return frames


# -- parser ----------------------------------------------------------------------------------------------------
class _Pair:
    __slots__ = ("instrument_id", "wsname", "pd", "sd", "levels", "spec")

    def __init__(self, spec: InstrumentSpec) -> None:
        self.spec = spec
        self.wsname = wsname(spec)
        self.instrument_id = spec.instrument_id
        self.pd, self.sd = spec.price_decimals, spec.size_decimals
        self.levels: LevelConverter = level_converter(self.pd, self.sd, VENUE)


class KrakenParser:
    """Translate Kraken WS v1 frames into domain messages (see the module docstring).

    Args:
        specs: pair specs (from :func:`specs_from_asset_pairs`, or :func:`default_spec`); a pair without one gets
            :func:`default_spec`.

    Attributes:
        depths: ``instrument_id -> subscribed book depth`` (from the channel name ``book-N``), for truncation.
    """

    def __init__(self, specs: Sequence[InstrumentSpec] = ()) -> None:
        self._pairs = {wsname(s): _Pair(s) for s in specs if s.venue is Venue.KRAKEN}  # by wsname
        self.depths: dict[str, int] = {}

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec used for ``symbol``: a ``wsname`` (``XBT/USD``) or an instrument-id symbol (``XBTUSD``)."""
        pair = self._pairs.get(symbol.upper())
        if pair is None:
            for candidate in self._pairs.values():
                if candidate.spec.symbol == symbol.upper():
                    return candidate.spec
            return default_spec(symbol if "/" in symbol else _split_guess(symbol))
        return pair.spec

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """Parse one v1 text frame.

        Returns:
            ``(BookSnapshot,)``, ``(BookDeltas,)``, trades, ``(Quote,)``, or ``()`` for events and heartbeats.

        Raises:
            MalformedFrame: not JSON, or not the documented shape (a bad decimal string, a missing field).
            UnsupportedFrame: a channel this module does not translate (``spread``, ``ohlc-*``).
            VenueError: a ``subscriptionStatus`` error.
        """
        try:
            value = _GENERIC.decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"not JSON: {exc}", frame) from None
        try:
            if isinstance(value, dict):
                return self._event(value, frame)
            if not isinstance(value, list) or len(value) < 4 or not isinstance(value[-1], str) \
                    or not isinstance(value[-2], str):  # fmt: skip
                raise MalformedFrame(VENUE, "not a [channelID, payload, channelName, pair] array", frame)
            channel, wsname = value[-2], value[-1]
            if channel.startswith("book-"):
                return self._book(value[1:-2], channel, wsname, frame, ts_recv)
            if channel == "trade":
                return self._trades(value[1], wsname, frame, ts_recv)
            if channel == "ticker":
                return (self._ticker(value[1], wsname, frame, ts_recv),)
            raise UnsupportedFrame(VENUE, channel)
        except FeedError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame(VENUE, str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """Kraken v1 books come on the stream (the first ``book-N`` message); there is no REST snapshot to parse.

        Raises:
            MalformedFrame: always (a REST depth body is not how this venue syncs).
        """
        raise MalformedFrame(VENUE, "Kraken WS v1 books are snapshotted on the stream, not over REST", b"")

    # -- internals -------------------------------------------------------------------------------------------
    def _pair(self, wsname: str) -> _Pair:
        pair = self._pairs.get(wsname)
        if pair is None:
            if "/" not in wsname:
                raise MalformedFrame(VENUE, f"pair {wsname!r} is not a BASE/QUOTE wsname", wsname)
            if len(self._pairs) > 10_000:  # bounded: pairs come from the wire
                self._pairs.clear()
            pair = self._pairs[wsname] = _Pair(default_spec(wsname))
        return pair

    def _event(self, value: dict, frame: bytes | str) -> Sequence[MarketEvent]:
        event = value.get("event")
        if not isinstance(event, str):
            raise MalformedFrame(VENUE, "object frame without an event", frame)
        if event == "subscriptionStatus" and value.get("status") == "error":
            raise VenueError(f"kraken: subscription refused: {value.get('errorMessage', value)}")
        if event == "error":
            raise VenueError(f"kraken: error: {value.get('errorMessage', value)}")
        if event in ("systemStatus", "subscriptionStatus", "heartbeat", "pong"):
            return ()
        raise UnsupportedFrame(VENUE, event)

    def _book(self, parts: list, channel: str, wsname: str, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        depth = int(channel[5:]) if channel[5:].isdigit() else 0
        if not parts or not all(isinstance(p, dict) for p in parts) or len(parts) > 2:
            raise MalformedFrame(VENUE, "book payload is not one or two objects", frame)
        first = parts[0]
        if "as" in first or "bs" in first:
            if len(parts) != 1:
                raise MalformedFrame(VENUE, "snapshot with a second object", frame)
            asks, bids = first.get("as", []), first.get("bs", [])
            if not isinstance(asks, list) or not isinstance(bids, list):
                raise MalformedFrame(VENUE, "snapshot sides are not arrays", frame)
            pair = self._pair(wsname)
            self.depths[pair.instrument_id] = depth
            b, ts_b, _ = self._levels(pair, bids, frame)
            a, ts_a, _ = self._levels(pair, asks, frame)
            b = tuple(sorted(b, key=lambda lv: -lv[0]))
            a = tuple(sorted(a))
            return (BookSnapshot(pair.instrument_id, ts_recv, b, a, pair.pd, pair.sd, max(ts_a, ts_b), ts_recv),)
        pair = self._pair(wsname)
        self.depths.setdefault(pair.instrument_id, depth)
        asks, bids, checksum = (), (), None
        ts_event = 0
        widths = None
        for part in parts:
            for key, raw in part.items():
                if key == "a" or key == "b":
                    levels, ts, side_widths = self._levels(pair, raw, frame)
                    ts_event = max(ts_event, ts)
                    if widths is None:
                        widths = side_widths
                    elif side_widths is not None and side_widths != widths:
                        raise MalformedFrame(VENUE, "ask and bid levels with other decimals", frame)
                    if key == "a":
                        asks = levels if not asks else asks + levels
                    else:
                        bids = levels if not bids else bids + levels
                elif key == "c":
                    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or int(raw) > 0xFFFFFFFF:
                        raise MalformedFrame(VENUE, f"checksum {raw!r} is not an unsigned 32-bit decimal", frame)
                    checksum = int(raw)
                else:
                    raise MalformedFrame(VENUE, f"unknown book update key {key!r}", frame)
        if not asks and not bids:
            raise MalformedFrame(VENUE, "book update with neither a nor b", frame)
        if checksum is not None and widths is not None:
            checksum = pack_checksum(checksum, widths[0], widths[1], depth)
        return (BookDeltas(pair.instrument_id, ts_recv, ts_recv, -1, bids, asks, pair.pd, pair.sd, ts_event, ts_recv,
                           checksum=checksum),)

    @staticmethod
    def _levels(pair: _Pair, raw: object, frame: bytes | str
                ) -> tuple[tuple[tuple[int, int], ...], int, tuple[int, int] | None]:  # fmt: skip
        """``[[price, volume, time(, "r")], ...]`` -> levels in order, the newest level time (ns), and the wire
        decimals ``(price, volume)`` of the levels (None when there is none).

        Raises:
            MalformedFrame: a level is not that shape, or its price/volume decimals differ from the side's first
                level (Kraken writes every level of a pair with the same decimals; the checksum relies on it).
        """
        if not isinstance(raw, list):
            raise MalformedFrame(VENUE, "book side is not an array", frame)
        prices, sizes = pair.levels.prices, pair.levels.sizes
        out = []
        newest = 0
        widths = None
        for level in raw:
            if not isinstance(level, list) or not 3 <= len(level) <= 4 or (len(level) == 4 and level[3] != "r"):
                raise MalformedFrame(VENUE, f"book level {level!r} is not [price, volume, time(, 'r')]", frame)
            price, size, ts = level[0], level[1], level[2]
            if not isinstance(price, str) or not isinstance(size, str):
                raise MalformedFrame(VENUE, f"book level {level!r} has non-string values", frame)
            width = (len(price) - price.find(".") - 1 if "." in price else 0,
                     len(size) - size.find(".") - 1 if "." in size else 0)  # fmt: skip
            if widths is None:
                widths = width
            elif width != widths:
                raise MalformedFrame(VENUE, f"level {level!r} has other decimals than {widths}", frame)
            out.append((prices[price], sizes[size]))
            newest = max(newest, decimal_seconds_ns(ts, VENUE))
        return tuple(out), newest, widths

    def _trades(self, raw: object, wsname: str, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        if not isinstance(raw, list):
            raise MalformedFrame(VENUE, "trade payload is not an array", frame)
        pair = self._pair(wsname)
        prices, sizes = pair.levels.prices, pair.levels.sizes
        out = []
        for i, t in enumerate(raw):
            if not isinstance(t, list) or len(t) < 5 or t[3] not in ("b", "s") or not isinstance(t[0], str) \
                    or not isinstance(t[1], str):  # fmt: skip
                raise MalformedFrame(VENUE, f"trade {t!r} is not [price, volume, time, b/s, m/l, misc]", frame)
            ts = decimal_seconds_ns(t[2], VENUE)
            side = "buy" if t[3] == "b" else "sell"  # Kraken: side of the taker ("triggering") order
            out.append(Trade(pair.instrument_id, f"{t[2]}-{i}", prices[t[0]], sizes[t[1]], side, pair.pd, pair.sd,
                             ts, ts_recv))  # fmt: skip
        return tuple(out)

    def _ticker(self, raw: object, wsname: str, frame: bytes | str, ts_recv: int) -> Quote:
        if not isinstance(raw, dict):
            raise MalformedFrame(VENUE, "ticker payload is not an object", frame)
        pair = self._pair(wsname)
        ask, bid = raw["a"], raw["b"]
        if not isinstance(ask, list) or not isinstance(bid, list) or len(ask) < 3 or len(bid) < 3:
            raise MalformedFrame(VENUE, "ticker a/b are not [price, wholeLotVolume, lotVolume]", frame)
        prices, sizes = pair.levels.prices, pair.levels.sizes
        if not all(isinstance(v, str) for v in (ask[0], ask[2], bid[0], bid[2])):
            raise MalformedFrame(VENUE, "ticker a/b values are not strings", frame)
        return Quote(pair.instrument_id, -1, prices[bid[0]], sizes[bid[2]], prices[ask[0]], sizes[ask[2]], pair.pd,
                     pair.sd, 0, ts_recv)  # fmt: skip


# -- the venue seam (actors.feed.venues.base) ------------------------------------------------------------------
class KrakenBookPolicy(InOrderStreamPolicy):
    """Kraken WS v1 book rules: snapshot on the stream, no sequence (every update applies in order), and the CRC32
    checksum of every update validated against the real book (:mod:`actors.feed.venues.kraken_book`). Before the
    check the book is truncated to the subscribed depth (Kraken: "after each update, truncate your book"; the depth
    rides in the packed checksum), since checksums come on every update message this runs after each of them."""

    name = "kraken_v1_book"
    has_checksum = True

    def checksum_ok(self, book: Any, checksum: int) -> bool:
        crc, wire_pd, wire_sd = unpack_checksum(checksum)
        depth = packed_depth(checksum)
        if depth and hasattr(book, "levels_beyond"):
            beyond_bids, beyond_asks = book.levels_beyond(depth)
            if beyond_bids or beyond_asks:
                book.drop_levels(beyond_bids, beyond_asks)  # the feed forwards these deletes to the book actor
        bids, asks = book.depth(CHECKSUM_DEPTH)
        return kraken_checksum(bids, asks, book.price_decimals, book.size_decimals, wire_pd, wire_sd) == crc


KRAKEN_POLICY = KrakenBookPolicy()


@dataclass(frozen=True)
class KrakenAdapter:
    """The :class:`~actors.feed.venues.base.VenueAdapter` of Kraken spot (WS v1, ``wss://ws.kraken.com``).

    Connections: one carrying ``book`` (``depth``, default 1000 as recorded), ``trade`` and ``ticker`` for every
    pair (one ``subscribe`` per channel, each listing every pair); app-level ``{"event":"ping"}`` every 30 s (Kraken
    also sends ``heartbeat`` when a channel is quiet). Resync of one pair: ``unsubscribe`` + ``subscribe`` its book
    (Kraken sends a new snapshot). Symbols passed in are specs' symbols (``XBTUSD``) or wsnames (``XBT/USD``).
    """

    venue: Venue = Venue.KRAKEN
    ccxt_id: str = "kraken"
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    book_depth: int = 1000

    def parser(self, specs: Sequence[InstrumentSpec] = ()) -> KrakenParser:
        return KrakenParser(specs)

    def policy(self, spec: InstrumentSpec | None = None) -> KrakenBookPolicy:
        return KRAKEN_POLICY

    def _wsname(self, symbol: str) -> str:
        return symbol.upper() if "/" in symbol else _split_guess(symbol)

    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        names = [self._wsname(s) for s in symbols]
        channels = tuple(streams) if streams else ("book", "trade", "ticker")
        frames = subscribe_frames(names, self.book_depth, channels)
        return [ConnectionPlan(join_ws(ws_base) if ws_base else self.ws_url, tuple(map(instrument_symbol, names)),
                               tuple(frames),
                               ping_frame='{"event":"ping"}', ping_interval_s=30.0)]  # fmt: skip

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        name = self._wsname(symbol)
        sub = {"name": "book", "depth": self.book_depth}
        return (msgspec.json.encode({"event": "unsubscribe", "pair": [name], "subscription": sub}).decode(),
                msgspec.json.encode({"event": "subscribe", "pair": [name], "subscription": sub}).decode())  # fmt: skip

    def connection_continues(self, previous: int, sequence: int) -> bool:
        return True

    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        raise ConfigError("kraken: books are snapshotted on the stream (book-N), not over REST")

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        """ccxt ``urls["api"]`` entries pointing at ``rest_base`` (a replay venue): ccxt ``kraken``'s ``public``/``private`` hosts."""
        base = rest_base.rstrip("/")
        return {"public": base, "private": base}

    def spec_for(self, symbol: str) -> InstrumentSpec:
        return default_spec(self._wsname(symbol))

    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``kraken`` market: ``info.wsname`` and ``pair_decimals``/``lot_decimals`` when ccxt
        kept the AssetPairs entry (it does), else ``precision`` ticks.

        Raises:
            ConfigError: not a spot market.
        """
        if market.get("type", "spot") != "spot":
            raise ConfigError(f"kraken: market {market.get('symbol')!r} is not spot")
        info = market.get("info") or {}
        if info.get("wsname") and "pair_decimals" in info:
            return spec_from_asset_pair(info)
        name = str(info.get("wsname") or wsname_from_ccxt(str(market["symbol"])))
        tick, lot = market_decimal(market, "price"), market_decimal(market, "amount")
        if tick is None or lot is None:
            return default_spec(name)
        return _spec(name, decimals_of(tick), decimals_of(lot), tick, lot)

    def symbol_from_ccxt(self, unified: str) -> str:
        return instrument_symbol(wsname_from_ccxt(unified))

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        return ccxt_symbol(wsname(spec))


ADAPTER = KrakenAdapter()
