"""Backpack Exchange: pure parsers for ``depth.<symbol>``, ``trade.<symbol>``, ``bookTicker.<symbol>`` and the REST
depth snapshot; symbols and frames.

**No recording of Backpack exists here**: this module is written from the documentation and tested on its example
messages only. The parser is deliberately strict (every documented field required and typed, unknown streams
refused), so a live connection surfaces any drift as typed errors (:class:`MalformedFrame`,
:class:`UnsupportedFrame`) instead of a silently wrong book.

Sources: Backpack Exchange API docs, "Streams" (``wss://ws.backpack.exchange``; ``{"method":"SUBSCRIBE","params":
["depth.SOL_USDC"]}``; every message is ``{"stream": "<name>", "data": {...}}``; times in **microseconds**;
"Depth": incremental updates with absolute quantities, ``0`` removes the level, "a REST snapshot from
``/api/v1/depth`` is required to seed local state", ``U`` first and ``u`` last update id, "updates are sequential:
``U`` must equal the previous ``u + 1``"; "Trade": ``t`` sequential trade id, ``m`` buyer is maker; "Book ticker":
``a``/``A``/``b``/``B``, ``u`` update id) and "Markets / Get depth" (``GET /api/v1/depth?symbol=``: ``asks``,
``bids``, ``lastUpdateId`` (a string), ``timestamp`` in ms).

Documentation example of a depth update::

    {"stream":"depth.SOL_USDC","data":{"e":"depth","E":1694687965941000,"s":"SOL_USDC","a":[["18.70","0.000"]],
     "b":[["18.67","0.832"],["18.68","0.000"]],"U":94978271,"u":94978271,"T":1694687965940999}}

Sync rule (Backpack's first/last update-id rule, the same procedure as Binance spot's): buffer diffs, fetch the REST
depth (``lastUpdateId`` = L), drop diffs with ``u <= L``, the first applied must have ``U <= L + 1 <= u``, every later
one ``U == previous u + 1`` (else a gap: not ready, new snapshot).

Symbols: ``SOL_USDC`` (spot), ``SOL_USDC_PERP`` (perpetual); instrument ids ``SOL_USDC.BACKPACK``; ccxt ``SOL/USDC``
and ``SOL/USDC:USDC``. Decimals: 10 price and 10 size decimals by default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest
from actors.feed.venues.policies import FirstLastIdPolicy, decimals_of, join_ws, market_decimal
from actors.feed.venues.wiretime import int_field
from actors.feed.venues.entries import InstrumentEntry, InstrumentTable
from actors.feed.venues.module_adapter import ModuleAdapter, public_private_hosts
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Quote, Trade

__all__ = [
    "ADAPTER",
    "BACKPACK_POLICY",
    "BackpackAdapter",
    "BackpackParser",
    "DEPTH_PATH",
    "REST_URL",
    "WS_URL",
    "ccxt_symbol",
    "default_spec",
    "subscribe_frame",
    "symbol_from_ccxt",
]

WS_URL = "wss://ws.backpack.exchange"
REST_URL = "https://api.backpack.exchange"
DEPTH_PATH = "/api/v1/depth"
VENUE = "backpack"
_US = 1_000  # us -> ns
_FEES = (Decimal("0.0008"), Decimal("0.001"))  # Backpack spot base tier: maker 0.08 %, taker 0.10 %
_GENERIC = msgspec.json.Decoder()


# -- wire structs (Backpack field names), strict -------------------------------------------------------------
class _Depth(msgspec.Struct, forbid_unknown_fields=False):
    e: str
    E: int
    s: str
    a: list[tuple[str, str]]
    b: list[tuple[str, str]]
    U: int
    u: int
    T: int


class _Trade(msgspec.Struct):
    e: str
    E: int
    s: str
    p: str
    q: str
    t: int
    T: int
    m: bool


class _BookTicker(msgspec.Struct):
    e: str
    E: int
    s: str
    a: str
    A: str
    b: str
    B: str
    u: int | str
    T: int


_KINDS = {"depth": _Depth, "trade": _Trade, "bookTicker": _BookTicker}
_DECODERS = {
    kind: msgspec.json.Decoder(msgspec.defstruct(f"Backpack{kind}", [("stream", str), ("data", t)]))
    for kind, t in _KINDS.items()
}


class _Snapshot(msgspec.Struct):
    asks: list[tuple[str, str]]
    bids: list[tuple[str, str]]
    lastUpdateId: int | str
    timestamp: int = 0


_SNAPSHOT = msgspec.json.Decoder(_Snapshot)


# -- symbols and specs ---------------------------------------------------------------------------------------
def ccxt_symbol(symbol: str) -> str:
    """``"SOL_USDC"`` -> ``"SOL/USDC"``, ``"SOL_USDC_PERP"`` -> ``"SOL/USDC:USDC"``.

    Raises:
        ConfigError: not ``BASE_QUOTE`` or ``BASE_QUOTE_PERP``.
    """
    parts = symbol.upper().split("_")
    if len(parts) == 2 and all(parts):
        return f"{parts[0]}/{parts[1]}"
    if len(parts) == 3 and parts[2] == "PERP" and parts[0] and parts[1]:
        return f"{parts[0]}/{parts[1]}:{parts[1]}"
    raise ConfigError(f"backpack: {symbol!r} is not BASE_QUOTE or BASE_QUOTE_PERP")


def symbol_from_ccxt(unified: str) -> str:
    """``"SOL/USDC"`` -> ``"SOL_USDC"``, ``"SOL/USDC:USDC"`` -> ``"SOL_USDC_PERP"``.

    Raises:
        ConfigError: not a spot or linear-perpetual ccxt symbol.
    """
    base, slash, rest = unified.upper().partition("/")
    quote, colon, settle = rest.partition(":")
    if not slash or not base or not quote or (colon and settle != quote):
        raise ConfigError(f"backpack: {unified!r} is not BASE/QUOTE or BASE/QUOTE:QUOTE")
    return f"{base}_{quote}_PERP" if colon else f"{base}_{quote}"


def default_spec(symbol: str) -> InstrumentSpec:
    """10 price and 10 size decimals; ``kind`` perpetual for ``*_PERP`` (linear, settled in the quote)."""
    parts = symbol.upper().split("_")
    base, quote = (parts + ["?", "?"])[:2]
    kind = "perpetual" if len(parts) == 3 and parts[2] == "PERP" else "spot"
    return InstrumentSpec(Venue.BACKPACK, symbol.upper(), kind, base, quote, quote, False, 10, 10, Decimal("1e-10"),
                          Decimal("1e-10"), Decimal(1), *_FEES)  # fmt: skip


def subscribe_frame(symbols: Sequence[str], channels: Sequence[str] = ("depth", "trade", "bookTicker")) -> str:
    """``{"method":"SUBSCRIBE","params":["depth.SOL_USDC","trade.SOL_USDC","bookTicker.SOL_USDC"]}``."""
    params = [f"{c}.{s.upper()}" for s in symbols for c in channels]
    return msgspec.json.encode({"method": "SUBSCRIBE", "params": params}).decode()


def unsubscribe_frame(streams: Sequence[str]) -> str:
    """``{"method":"UNSUBSCRIBE","params":[...]}``."""
    return msgspec.json.encode({"method": "UNSUBSCRIBE", "params": list(streams)}).decode()


# -- parser --------------------------------------------------------------------------------------------------


class BackpackParser:
    """Translate Backpack stream frames and REST depth bodies (module docstring). ``specs`` override defaults."""

    def __init__(self, specs: Sequence[InstrumentSpec] = ()) -> None:
        self._markets = InstrumentTable(Venue.BACKPACK, specs, default_spec)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec used for ``symbol``."""
        return self._market(symbol).spec

    def _market(self, symbol: object) -> InstrumentEntry:
        if not isinstance(symbol, str) or not symbol or not symbol.replace("_", "").replace(".", "").isalnum():
            raise MalformedFrame(VENUE, f"symbol {symbol!r} is not a Backpack symbol", repr(symbol))
        return self._markets.get(symbol)

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """One stream frame -> ``(BookDeltas,)``, ``(Trade,)``, ``(Quote,)``; ``()`` for a request reply.

        Raises:
            MalformedFrame: not JSON, or a field missing / mistyped / a bad decimal, or ``data.s`` not the stream's.
            UnsupportedFrame: a stream this module does not translate (``ticker``, ``kline``, ...).
            VenueError: an error reply (``{"error": {...}}``).
        """
        try:
            head = _GENERIC.decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"not JSON: {exc}", frame) from None
        if not isinstance(head, dict):
            raise MalformedFrame(VENUE, "frame is not a JSON object", frame)
        if "stream" not in head:
            if head.get("error"):
                raise VenueError(f"backpack: error reply: {head['error']}")
            if "id" in head or "result" in head:
                return ()
            raise MalformedFrame(VENUE, "frame has no stream", frame)
        stream = head["stream"]
        if not isinstance(stream, str):
            raise MalformedFrame(VENUE, "stream is not a string", frame)
        kind, _, symbol = stream.partition(".")
        decoder = _DECODERS.get(kind)
        if decoder is None or "." in symbol:  # depth.200ms.SOL_USDC (aggregated) and others are not translated
            raise UnsupportedFrame(VENUE, stream)
        try:
            data = decoder.decode(frame).data
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, str(exc), frame) from None
        if data.s != symbol or data.e != kind:
            raise MalformedFrame(VENUE, f"data ({data.e}, {data.s}) does not match stream {stream!r}", frame)
        try:
            if kind == "depth":
                return (self._depth(data, ts_recv),)
            if kind == "trade":
                return (self._trade(data, ts_recv),)
            return (self._book_ticker(data, ts_recv),)
        except FeedError:
            raise
        except (ValueError, TypeError) as exc:
            raise MalformedFrame(VENUE, str(exc), frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """``GET /api/v1/depth?symbol=`` body (raw or decoded by ccxt) -> snapshot (``sequence`` = ``lastUpdateId``,
        ``ts_event`` = ``timestamp`` (ms) in ns, 0 when absent).

        Raises:
            MalformedFrame: not a depth body. VenueError: Backpack's error body (``{"code": ..., "message": ...}``).
        """
        try:
            if isinstance(body, Mapping):
                if "code" in body and "message" in body:
                    raise VenueError(f"backpack: depth refused: {body['code']}: {body['message']}")
                wire = msgspec.convert(body, _Snapshot)
            else:
                wire = _SNAPSHOT.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"not a depth body: {exc}", body) from None
        market = self._market(symbol.upper())
        last = int_field(wire.lastUpdateId, "lastUpdateId", VENUE)
        bids = sorted(market.levels(wire.bids), key=lambda lv: -lv[0])
        asks = sorted(market.levels(wire.asks))
        return BookSnapshot(market.instrument_id, last, tuple(bids), tuple(asks), market.pd, market.sd,
                            wire.timestamp * 1_000_000, ts_recv)  # fmt: skip

    def _depth(self, w: _Depth, ts_recv: int) -> BookDeltas:
        m = self._market(w.s)
        if w.U > w.u:
            raise MalformedFrame(VENUE, f"depth U {w.U} > u {w.u}", b"")
        return BookDeltas(m.instrument_id, w.U, w.u, -1, m.levels(w.b), m.levels(w.a), m.pd, m.sd, w.T * _US, ts_recv)

    def _trade(self, w: _Trade, ts_recv: int) -> Trade:
        m = self._market(w.s)
        side = "sell" if w.m else "buy"  # m: the buyer is the maker, so the aggressor sold
        return Trade(m.instrument_id, str(w.t), m.levels.prices[w.p], m.levels.sizes[w.q], side, m.pd, m.sd,
                     w.T * _US, ts_recv)  # fmt: skip

    def _book_ticker(self, w: _BookTicker, ts_recv: int) -> Quote:
        m = self._market(w.s)
        prices, sizes = m.levels.prices, m.levels.sizes
        sequence = int_field(w.u, "u", VENUE)
        return Quote(m.instrument_id, sequence, prices[w.b], sizes[w.B], prices[w.a], sizes[w.A], m.pd, m.sd,
                     w.T * _US, ts_recv)  # fmt: skip


# -- the venue seam (actors.feed.venues.base) ------------------------------------------------------------------
BACKPACK_POLICY = FirstLastIdPolicy()
"""REST ``lastUpdateId`` L: drop ``u <= L``; the first diff needs ``U <= L + 1 <= u``; then ``U == previous u + 1``."""


@dataclass(frozen=True)
class BackpackAdapter(ModuleAdapter):
    """The :class:`~actors.feed.venues.base.VenueAdapter` of Backpack Exchange (``wss://ws.backpack.exchange``).

    Connections: one, with one ``SUBSCRIBE`` listing ``depth.<s>``, ``trade.<s>``, ``bookTicker.<s>`` of every symbol;
    the server sends websocket pings (answered by the transport), so no app-level ping. Snapshots from
    ``GET /api/v1/depth`` through ccxt's ``publicGetApiV1Depth``.
    """

    venue: Venue = Venue.BACKPACK
    ccxt_id: str = "backpack"
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    parser_class = BackpackParser
    sequence_policy = BACKPACK_POLICY
    default_spec = staticmethod(default_spec)
    from_ccxt = staticmethod(symbol_from_ccxt)
    to_ccxt = staticmethod(ccxt_symbol)



    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        names = tuple(s.upper() for s in symbols)
        frame = (msgspec.json.encode({"method": "SUBSCRIBE", "params": list(streams)}).decode() if streams
                 else subscribe_frame(names))  # fmt: skip
        return [ConnectionPlan(join_ws(ws_base) if ws_base else self.ws_url, names, (frame,))]

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        return ()  # snapshots come from REST


    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        return SnapshotRequest("publicGetApiV1Depth", {"symbol": symbol.upper(), "limit": limit}, DEPTH_PATH)

    def snapshot_symbol_of(self, url: str) -> str | None:
        """The ``symbol`` (upper case) of a recorded REST ``/api/v1/depth?symbol=`` URL, None for any other URL."""
        parts = urlparse(url)
        if parts.path.rstrip("/") != DEPTH_PATH:
            return None
        values = parse_qs(parts.query).get("symbol")
        return values[0].upper() if values else None

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        """ccxt ``urls["api"]`` entries pointing at ``rest_base`` (a replay venue): ccxt ``backpack``'s ``public``/``private`` hosts."""
        return public_private_hosts(rest_base)


    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``backpack`` market (``precision`` ticks; spot or linear perpetual).

        Raises:
            ConfigError: an inverse or dated market (Backpack lists none).
        """
        if market.get("inverse") or market.get("type") not in (None, "spot", "swap"):
            raise ConfigError(f"backpack: market {market.get('symbol')!r} is not spot or a linear perpetual")
        spec = default_spec(str(market["id"]))
        tick, lot = market_decimal(market, "price"), market_decimal(market, "amount")
        if tick is None or lot is None:
            return spec
        return replace(spec, price_decimals=decimals_of(tick), size_decimals=decimals_of(lot), tick_size=tick,
                       lot_size=lot)  # fmt: skip




ADAPTER = BackpackAdapter()
