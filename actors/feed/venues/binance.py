"""Binance spot, USD-M and COIN-M: pure parsers for websocket frames and REST depth snapshots, and stream names.

Wire structs mirror Binance's own field names (``U``, ``u``, ``pu``, ``b``, ``a`` ...) and are decoded with
msgspec straight from the frame bytes; each has one translation into the domain messages of
:mod:`actors.messages`. Prices and sizes become fixed-point ints at the instrument's decimals (exact).

Sources: Binance Spot API docs, "WebSocket Streams" (combined streams ``/stream?streams=``, ``<symbol>@depth``,
``<symbol>@trade``, ``<symbol>@bookTicker``) and "Market Data endpoints" (``GET /api/v3/depth``); Binance USD-M /
COIN-M Futures docs, "Websocket Market Streams" (``Diff. Book Depth Streams`` with ``pu``, ``Mark Price Stream``)
and ``GET /fapi/v1/depth`` / ``GET /dapi/v1/depth``.

A real spot diff, as recorded (``hftbacktest/binance_spot/btcusdt_20240808.gz``)::

    {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT","U":50093239203,
     "u":50093239207,"b":[["55653.87000000","0.00000000"]],"a":[["61838.04000000","0.32332000"]]}}

Errors: any frame that is not valid for its kind raises :class:`MalformedFrame` (never ``KeyError``); a valid
frame of a kind not handled here (``kline_1m``, ``depth20``) raises :class:`UnsupportedFrame`. Subscription
replies (``{"result":null,"id":1}``) parse to ``()`` (:meth:`BinanceParser.parse_event`: ``None``).

The venue seam (:mod:`actors.feed.venues.base`): :data:`SPOT`, :data:`USDM` and :data:`COINM` are the three
adapters; :class:`BinanceSpotPolicy` and :class:`BinanceFuturesPolicy` the two sequence policies (see
:mod:`actors.book.sync` for the rules they encode, with their doc sections).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest, Verdict
from actors.fixedpoint import LevelConverter, level_converter, to_fixed
from actors.instruments import InstrumentSpec, Venue, spec_for
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, MarkPrice, Quote, Trade

__all__ = [
    "BinanceAdapter",
    "BinanceFuturesPolicy",
    "BinanceParser",
    "BinanceSpotPolicy",
    "COINM",
    "SPOT",
    "USDM",
    "REST_DEPTH_PATH",
    "REST_BASE_URL",
    "WS_BASE_URL",
    "combined_stream_path",
    "default_streams",
    "subscribe_frame",
]

WS_BASE_URL = {
    Venue.BINANCE: "wss://stream.binance.com:9443",
    Venue.BINANCE_USDM: "wss://fstream.binance.com",
    Venue.BINANCE_COINM: "wss://dstream.binance.com",
}
REST_BASE_URL = {
    Venue.BINANCE: "https://api.binance.com",
    Venue.BINANCE_USDM: "https://fapi.binance.com",
    Venue.BINANCE_COINM: "https://dapi.binance.com",
}
REST_DEPTH_PATH = {Venue.BINANCE: "/api/v3/depth", Venue.BINANCE_USDM: "/fapi/v1/depth", Venue.BINANCE_COINM: "/dapi/v1/depth"}

_MS = 1_000_000  # ms -> ns
_PairList = list[tuple[str, str]]


# -- wire structs (Binance field names) ------------------------------------------------------------------------
class _Depth(msgspec.Struct):
    E: int
    s: str
    U: int
    u: int
    b: _PairList
    a: _PairList
    pu: int = -1  # futures only


class _Trade(msgspec.Struct):
    E: int
    s: str
    t: int
    p: str
    q: str
    m: bool
    T: int = 0


class _AggTrade(msgspec.Struct):
    E: int
    s: str
    a: int
    p: str
    q: str
    m: bool
    T: int = 0


class _BookTicker(msgspec.Struct):
    u: int
    s: str
    b: str
    B: str
    a: str
    A: str
    E: int = 0  # futures only


class _MarkPrice(msgspec.Struct):
    E: int
    s: str
    p: str
    r: str
    T: int
    i: str = "0"


class _Snapshot(msgspec.Struct):
    lastUpdateId: int
    bids: _PairList
    asks: _PairList
    E: int = 0  # futures only
    symbol: str = ""  # COIN-M only


class _Reply(msgspec.Struct):
    id: int | str | None = None
    result: object = None
    error: dict | None = None


def _envelope(data_type: type) -> msgspec.json.Decoder:
    envelope = msgspec.defstruct(f"Envelope{data_type.__name__}", [("stream", str), ("data", data_type)])
    return msgspec.json.Decoder(envelope)


_KINDS: dict[str, type] = {
    "depth": _Depth, "trade": _Trade, "aggTrade": _AggTrade, "bookTicker": _BookTicker, "markPrice": _MarkPrice,
}  # fmt: skip
_EVENT_KINDS = {"depthUpdate": "depth", "trade": "trade", "aggTrade": "aggTrade", "bookTicker": "bookTicker",
                "markPriceUpdate": "markPrice"}  # fmt: skip
_COMBINED = {kind: _envelope(t) for kind, t in _KINDS.items()}
_RAW = {kind: msgspec.json.Decoder(t) for kind, t in _KINDS.items()}
_SNAPSHOT = msgspec.json.Decoder(_Snapshot)
_GENERIC = msgspec.json.Decoder()
_PREFIX_B, _PREFIX_S = b'{"stream":"', '{"stream":"'


class _Instrument:
    __slots__ = ("instrument_id", "pd", "sd", "levels")

    def __init__(self, spec: InstrumentSpec) -> None:
        self.instrument_id = spec.instrument_id
        self.pd = spec.price_decimals
        self.sd = spec.size_decimals
        self.levels: LevelConverter = level_converter(self.pd, self.sd, spec.venue.value)


class BinanceParser:
    """Translate Binance frames of one venue into domain messages.

    Args:
        venue: ``Venue.BINANCE``, ``Venue.BINANCE_USDM`` or ``Venue.BINANCE_COINM``.
        specs: instrument specs to use by symbol; others come from :func:`actors.instruments.spec_for`.

    The parser holds only lookup tables (specs, converters): parsing has no side effects.
    """

    def __init__(self, venue: Venue | str, specs: Sequence[InstrumentSpec] = ()) -> None:
        self.venue = Venue(venue)
        if self.venue not in WS_BASE_URL:
            raise ValueError(f"{self.venue} is not a Binance venue")
        self._instruments = {s.symbol: _Instrument(s) for s in specs if s.venue is self.venue}
        self._specs = {s.symbol: s for s in specs if s.venue is self.venue}
        self._streams: dict[bytes | str, tuple[msgspec.json.Decoder, Callable]] = {}  # stream name -> route

    def instrument(self, symbol: str) -> _Instrument:
        inst = self._instruments.get(symbol)
        if inst is None:
            inst = self._instruments[symbol] = _Instrument(spec_for(self.venue, symbol))
        return inst

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """Parse one websocket text frame into its events: ``(event,)``, or ``()`` for a subscription reply.

        Raises: as :meth:`parse_event`.
        """
        event = self.parse_event(frame, ts_recv)
        return () if event is None else (event,)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec used for ``symbol`` (the venue default when not given to the constructor)."""
        spec = self._specs.get(symbol.upper())
        return spec if spec is not None else spec_for(self.venue, symbol)

    def parse_event(self, frame: bytes | str, ts_recv: int) -> MarketEvent | None:
        """Parse one websocket text frame (combined-stream envelope or raw stream payload).

        Args:
            frame: the frame text, as bytes or str.
            ts_recv: local receive time (ns).

        Returns:
            A ``BookDeltas``, ``Trade``, ``Quote`` or ``MarkPrice``; ``None`` for a subscription reply.

        Raises:
            MalformedFrame: not JSON, missing or mistyped fields, a bad decimal string.
            UnsupportedFrame: a valid stream this module does not translate.
            VenueError: an error reply (``{"error": {...}}``) to a request.
        """
        try:
            # Combined stream: the stream name is the first value; route on it without decoding twice.
            if frame[:11] == _PREFIX_B or frame[:11] == _PREFIX_S:
                stream = frame[11 : frame.find(b'"' if type(frame) is bytes else '"', 11)]
                kind = self._streams.get(stream)
                if kind is None:
                    if len(self._streams) > 4096:  # bounded: stream names come from the wire
                        self._streams.clear()
                    kind = self._streams[stream] = _stream_kind(self.venue, stream)
                decoder, translate = kind
                return translate(self, decoder.decode(frame).data, ts_recv)
            kind = self._raw_kind(frame)
            return _TRANSLATE[kind](self, _RAW[kind].decode(frame), ts_recv)
        except FeedError:
            raise
        except (msgspec.DecodeError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame(self.venue.value, str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """The seam's name for :meth:`parse_depth_snapshot`."""
        return self.parse_depth_snapshot(body, symbol, ts_recv)

    def parse_depth_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """Parse a REST depth snapshot body (``GET /api/v3/depth``, ``/fapi/v1/depth``, ``/dapi/v1/depth``).

        Args:
            body: the response body, raw or already JSON-decoded (ccxt's ``public_get_depth`` returns a dict).
            symbol: the requested symbol (the spot and USD-M bodies do not name it).
            ts_recv: local receive time (ns). ``ts_event`` is the body's ``E`` (futures), else 0 (spot: unknown).

        Raises:
            MalformedFrame: not a depth snapshot.
            VenueError: a Binance error body (``{"code": -1121, "msg": "Invalid symbol."}``).
        """
        try:
            if isinstance(body, Mapping):  # already decoded, e.g. by ccxt's implicit endpoint methods
                if "code" in body and "msg" in body:
                    raise VenueError(f"{self.venue.value}: depth snapshot refused: code {body['code']}: {body['msg']}")
                wire = msgspec.convert(body, _Snapshot)
            else:
                wire = _SNAPSHOT.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # ValidationError is a DecodeError; invalid UTF-8 is a UnicodeDecodeError
            error = None if isinstance(body, Mapping) else _error_body(body)
            if error is not None:
                raise VenueError(f"{self.venue.value}: depth snapshot refused: {error}") from None
            raise MalformedFrame(self.venue.value, f"not a depth snapshot: {exc}", body) from None
        inst = self.instrument(wire.symbol or symbol.upper())
        try:
            bids, asks = inst.levels(wire.bids), inst.levels(wire.asks)
        except (ValueError, TypeError) as exc:
            raise MalformedFrame(self.venue.value, str(exc), body) from None
        ts_event = wire.E * _MS  # 0: the spot body carries no venue time
        return BookSnapshot(inst.instrument_id, wire.lastUpdateId, bids, asks, inst.pd, inst.sd, ts_event, ts_recv)

    # -- internals -------------------------------------------------------------------------------------------
    def _raw_kind(self, frame: bytes | str) -> str:
        value = _GENERIC.decode(frame)  # a raw stream payload (``/ws/<stream>``) or a reply: decoded twice
        if not isinstance(value, dict):
            raise MalformedFrame(self.venue.value, "frame is not a JSON object", frame)
        if "e" in value:
            kind = _EVENT_KINDS.get(value["e"])
            if kind is None:
                raise UnsupportedFrame(self.venue.value, str(value["e"]))
            return kind
        if "u" in value and "b" in value and "B" in value:
            return "bookTicker"  # spot bookTicker has no "e"
        if "error" in value:
            raise VenueError(f"{self.venue.value}: error reply: {value['error']}")
        if "id" in value and "result" in value:
            return "reply"
        raise MalformedFrame(self.venue.value, "unknown frame", frame)


def _stream_kind(venue: Venue, stream: bytes | str) -> tuple[msgspec.json.Decoder, Callable]:
    """Route a combined-stream name (``btcusdt@depth@100ms``) to its decoder and translation.

    Raises:
        UnsupportedFrame: a stream this module does not translate (``kline_1m``, ``depth20``).
    """
    name = stream.decode("ascii", "replace") if isinstance(stream, bytes) else stream
    channel = name.partition("@")[2].partition("@")[0]
    if channel not in _KINDS:
        raise UnsupportedFrame(venue.value, channel or name)
    return _COMBINED[channel], _TRANSLATE[channel]


def _error_body(body: bytes | str) -> str | None:
    try:
        value = _GENERIC.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if isinstance(value, dict) and "code" in value and "msg" in value:
        return f"code {value['code']}: {value['msg']}"
    return None


def _depth(parser: BinanceParser, w: _Depth, ts_recv: int) -> BookDeltas:
    inst = parser.instrument(w.s)
    return BookDeltas(
        inst.instrument_id, w.U, w.u, w.pu, inst.levels(w.b), inst.levels(w.a), inst.pd, inst.sd, w.E * _MS, ts_recv
    )


def _trade(parser: BinanceParser, w: _Trade | _AggTrade, ts_recv: int) -> Trade:
    inst = parser.instrument(w.s)
    trade_id = w.t if isinstance(w, _Trade) else w.a
    side = "sell" if w.m else "buy"  # m: the buyer is the maker, so the aggressor sold
    price, size = inst.levels.prices[w.p], inst.levels.sizes[w.q]
    return Trade(inst.instrument_id, str(trade_id), price, size, side, inst.pd, inst.sd, (w.T or w.E) * _MS, ts_recv)


def _book_ticker(parser: BinanceParser, w: _BookTicker, ts_recv: int) -> Quote:
    inst = parser.instrument(w.s)
    prices, sizes = inst.levels.prices, inst.levels.sizes
    return Quote(inst.instrument_id, w.u, prices[w.b], sizes[w.B], prices[w.a], sizes[w.A], inst.pd, inst.sd,
                 w.E * _MS, ts_recv)  # fmt: skip


def _mark_price(parser: BinanceParser, w: _MarkPrice, ts_recv: int) -> MarkPrice:
    inst = parser.instrument(w.s)
    venue = parser.venue.value
    to_fixed(w.r, 18, venue)  # validates the funding rate is a plain decimal
    return MarkPrice(inst.instrument_id, to_fixed(w.p, inst.pd, venue), to_fixed(w.i, inst.pd, venue), w.r,
                     w.T * _MS, inst.pd, w.E * _MS, ts_recv)  # fmt: skip


_TRANSLATE = {
    "depth": _depth, "trade": _trade, "aggTrade": _trade, "bookTicker": _book_ticker, "markPrice": _mark_price,
    "reply": lambda parser, wire, ts_recv: None,
}  # fmt: skip
_RAW["reply"] = msgspec.json.Decoder(_Reply)


# -- subscriptions ---------------------------------------------------------------------------------------------
def default_streams(venue: Venue | str, symbol: str) -> list[str]:
    """Stream names raytrade subscribes per symbol: depth diffs, trades and bookTicker.

    Spot depth diffs at ``@100ms`` (the fastest documented spot speed); futures at ``@0ms``
    (as recorded in the bundled captures).
    """
    s = symbol.lower()
    depth = "depth@100ms" if Venue(venue) is Venue.BINANCE else "depth@0ms"
    return [f"{s}@{depth}", f"{s}@trade", f"{s}@bookTicker"]


def combined_stream_path(streams: Sequence[str]) -> str:
    """The combined-stream path: ``/stream?streams=a/b/c`` (Binance "Combined streams")."""
    return "/stream?streams=" + "/".join(streams)


def subscribe_frame(streams: Sequence[str], request_id: int, method: str = "SUBSCRIBE") -> str:
    """The JSON request that (un)subscribes streams on an open connection (Binance "Live Subscribing")."""
    return msgspec.json.encode({"method": method, "params": list(streams), "id": request_id}).decode()


# -- the venue seam (actors.feed.venues.base) ------------------------------------------------------------------
class BinanceSpotPolicy:
    """Binance Spot API docs, WebSocket Streams, "How to manage a local order book correctly": snapshots from
    ``GET /api/v3/depth`` (``lastUpdateId`` = L); drop ``u <= L``; the first diff needs ``U <= L + 1 <= u``; every
    later diff ``U == previous u + 1``. No checksum, nothing resets the book but a snapshot."""

    name = "binance_spot"
    snapshot_source = "rest"
    has_checksum = False
    may_reset = False

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        if diff.sequence <= snapshot_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.first_sequence <= snapshot_sequence + 1 else Verdict.GAP

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        if diff.sequence <= last_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.first_sequence == last_sequence + 1 else Verdict.GAP

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]:
        return last_sequence + 1, diff.first_sequence

    def resets(self, diff: BookDeltas) -> bool:
        return False

    def checksum_ok(self, book, checksum: int) -> bool:
        return True


class BinanceFuturesPolicy(BinanceSpotPolicy):
    """Binance USD-M / COIN-M Futures docs, "How to manage a local order book correctly": snapshots from
    ``GET /fapi/v1/depth`` / ``/dapi/v1/depth``; drop ``u < L``; the first diff needs ``U <= L <= u``; every later
    diff ``pu == previous u``."""

    name = "binance_futures"

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        if diff.sequence < snapshot_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.first_sequence <= snapshot_sequence else Verdict.GAP

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        if diff.sequence <= last_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.prev_sequence == last_sequence else Verdict.GAP

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]:
        return last_sequence, diff.prev_sequence


_SPOT_POLICY, _FUTURES_POLICY = BinanceSpotPolicy(), BinanceFuturesPolicy()
_CCXT_DEPTH = {Venue.BINANCE: "publicGetDepth", Venue.BINANCE_USDM: "fapiPublicGetDepth",
               Venue.BINANCE_COINM: "dapiPublicGetDepth"}  # fmt: skip
# Binance Spot "WebSocket Streams": at most 1024 streams per connection; Futures "Websocket Market Streams": 200.
_MAX_STREAMS = {Venue.BINANCE: 1024, Venue.BINANCE_USDM: 200, Venue.BINANCE_COINM: 200}


@dataclass(frozen=True)
class BinanceAdapter:
    """The :class:`~actors.feed.venues.base.VenueAdapter` of one Binance venue (spot, USD-M or COIN-M).

    Connections: one combined-stream URL per connection (``/stream?streams=a/b/c``), at most 1024 (spot) / 200
    (futures) streams each; websocket-level pings only (Binance answers and sends protocol pings). Snapshots from
    REST through ccxt's implicit depth methods (exact strings).
    """

    venue: Venue
    ccxt_id: str = "binance"

    @property
    def ws_url(self) -> str:
        return WS_BASE_URL[self.venue]

    @property
    def rest_url(self) -> str:
        return REST_BASE_URL[self.venue]

    def parser(self, specs: Sequence[InstrumentSpec] = ()) -> BinanceParser:
        return BinanceParser(self.venue, specs)

    def policy(self, spec: InstrumentSpec | None = None) -> BinanceSpotPolicy:
        return _SPOT_POLICY if self.venue is Venue.BINANCE else _FUTURES_POLICY

    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        names = list(streams) if streams else [n for sym in symbols for n in default_streams(self.venue, sym)]
        base = (ws_base or self.ws_url).rstrip("/")
        limit = _MAX_STREAMS[self.venue]
        plans = []
        for i in range(0, len(names), limit):
            chunk = names[i : i + limit]
            served = tuple(dict.fromkeys(n.partition("@")[0].upper() for n in chunk))
            plans.append(ConnectionPlan(base + combined_stream_path(chunk), served, max_streams=limit))
        return plans

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        return ()  # snapshots come from REST

    def connection_continues(self, previous: int, sequence: int) -> bool:
        return True

    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        return SnapshotRequest(_CCXT_DEPTH[self.venue], {"symbol": symbol.upper(), "limit": limit},
                               REST_DEPTH_PATH[self.venue])  # fmt: skip

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        from actors.feed.ccxt_markets import ccxt_api_urls

        return ccxt_api_urls(self.venue, rest_base)

    def spec_for(self, symbol: str) -> InstrumentSpec:
        return spec_for(self.venue, symbol)

    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``binance`` market: ``precision`` (TICK_SIZE mode) for tick and lot, the wire
        decimals of the venue (8 for spot: Binance writes 8 decimals; futures: ``pricePrecision`` /
        ``quantityPrecision`` from ``info``), ``contractSize`` for COIN-M.

        Raises:
            ConfigError: the market is of another Binance venue.
        """
        kind = market.get("type")
        want = {Venue.BINANCE: "spot", Venue.BINANCE_USDM: "linear", Venue.BINANCE_COINM: "inverse"}[self.venue]
        got = "spot" if kind == "spot" else ("inverse" if market.get("inverse") else "linear")
        if got != want:
            raise ConfigError(f"{self.venue.value}: market {market.get('symbol')!r} is {got}, not {want}")
        base = spec_for(self.venue, str(market["id"]))
        info = market.get("info") or {}
        tick = _dec(market.get("precision", {}).get("price"), base.tick_size)
        lot = _dec(market.get("precision", {}).get("amount"), base.lot_size)
        pd = int(info.get("pricePrecision", base.price_decimals)) if self.venue is not Venue.BINANCE else 8
        sd = int(info.get("quantityPrecision", base.size_decimals)) if self.venue is not Venue.BINANCE else 8
        return InstrumentSpec(
            self.venue, str(market["id"]).upper(), base.kind, str(market["base"]), str(market["quote"]),
            str(market.get("settle") or market["quote"]), self.venue is Venue.BINANCE_COINM, pd, sd, tick, lot,
            _dec(market.get("contractSize"), base.contract_size), base.maker_fee, base.taker_fee,
        )  # fmt: skip

    def symbol_from_ccxt(self, unified: str) -> str:
        pair, _, settle = unified.partition(":")
        base, slash, quote = pair.partition("/")
        if not slash or (self.venue is Venue.BINANCE) != (settle == ""):
            raise ConfigError(f"{self.venue.value}: {unified!r} is not a symbol of this venue")
        if self.venue is Venue.BINANCE_COINM:
            return f"{base}{quote}_PERP"
        return f"{base}{quote}"

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        from actors.feed.ccxt_markets import ccxt_symbol

        return ccxt_symbol(spec)


def _dec(value: object, default: Decimal) -> Decimal:
    """ccxt precision floats (``0.01``) as the exact decimal they stand for (repr round-trips)."""
    if value is None:
        return default
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


SPOT = BinanceAdapter(Venue.BINANCE)
USDM = BinanceAdapter(Venue.BINANCE_USDM)
COINM = BinanceAdapter(Venue.BINANCE_COINM)
