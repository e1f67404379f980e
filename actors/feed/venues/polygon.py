"""Polygon.io: pure parsers for its WebSocket messages and REST bodies, subscription frames and symbol conversion.

Sources: Polygon.io docs, "WebSocket > Crypto" (``wss://socket.polygon.io/crypto``: ``XT`` trades, ``XQ`` quotes,
``XA`` per-minute and ``XAS`` per-second aggregates), "WebSocket > Stocks" (``wss://socket.polygon.io/stocks``:
``T``, ``Q``, ``AM``, ``A``), "WebSocket > Getting started" (``{"action":"auth","params":KEY}``,
``{"action":"subscribe","params":"XT.BTC-USD,XQ.BTC-USD"}``, status messages ``connected``, ``auth_success``,
``auth_failed``, ``max_connections``, ``success``), and the REST reference: "Aggregates (Bars)"
(``GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}``, paginated by ``next_url``),
"Previous Close" (``GET /v2/aggs/ticker/{ticker}/prev``) and "Snapshot > Ticker"
(``GET /v2/snapshot/locale/global/markets/crypto/tickers/{ticker}``, ``.../locale/us/markets/stocks/tickers/...``).

Every WebSocket message is a JSON array of events, each tagged by ``ev``. A documented crypto trade::

    [{"ev":"XT","pair":"BTC-USD","p":33021.9,"t":1610462007425,"s":0.01544271,"c":[2],"i":"14272084","x":3,
      "r":1610462007576}]

Money is exact: Polygon writes prices and sizes as JSON numbers; they are decoded from their text straight into
:class:`~decimal.Decimal` (msgspec, no binary float) and then into fixed-point ints at the instrument's decimals
(:func:`actors.instruments.spec_for`: 8 and 8 for ``POLYGON``); a number with more non-zero decimals raises
:class:`PrecisionError`. Times: Polygon's WebSocket ``t``/``s``/``e`` and REST ``t`` are Unix ms; ``updated`` in a
snapshot is ns. A provider VWAP (``vw``) is kept as Polygon wrote it (``Bar.vwap_override``).

Instrument ids: ``<Polygon ticker>.POLYGON``: ``X:BTCUSD.POLYGON`` (crypto), ``AAPL.POLYGON`` (stocks); the
WebSocket's crypto ``pair`` ``BTC-USD`` is the same instrument.

Symbol rule, USDT vs USD (:func:`polygon_ticker`): Polygon's crypto data is consolidated across exchanges and
quoted in fiat; its BTC market is ``X:BTCUSD``. A USDT-quoted symbol (``BTC/USDT``, Binance ``BTCUSDT``) maps to
the USD ticker by default (``usdt_as_usd=True``), treating USDT as the dollar it tracks: good for reference prices
and bars, not for a USDT/USD basis. The mapping back (:func:`unified_symbol`) always says ``USD`` (``X:BTCUSD`` ->
``BTC/USD``), never USDT: data from Polygon keeps Polygon's ticker in its instrument id, so a USD price is never
labelled USDT. With ``usdt_as_usd=False`` the USDT pair is asked for literally (``X:BTCUSDT``).

Errors: a message that is not valid JSON, not an array of objects, or has a mistyped or missing field raises
:class:`MalformedFrame` (never ``KeyError``); events of kinds not handled here (``XL2``, ``LULD``, ...) are skipped
and counted in :attr:`PolygonParser.unsupported`. REST error bodies become the project's error tree
(:func:`rest_error`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import msgspec

from actors.bars.bar import Bar
from actors.errors import (
    AuthenticationFailed,
    ConnectionLimit,
    MalformedFrame,
    PermanentVenueError,
    PrecisionError,
    RateLimited,
    VenueError,
    VenueUnavailable,
)
from actors.instruments import Venue, spec_for
from actors.messages import Quote, Trade

__all__ = [
    "PolygonParser",
    "PolygonStatus",
    "REST_BASE_URL",
    "TickerSnapshot",
    "WS_BASE_URL",
    "auth_frame",
    "channels_for",
    "interval_of",
    "polygon_pair",
    "polygon_ticker",
    "rest_error",
    "status_error",
    "subscribe_frame",
    "unified_symbol",
]

WS_BASE_URL = {"crypto": "wss://socket.polygon.io/crypto", "stocks": "wss://socket.polygon.io/stocks"}
REST_BASE_URL = "https://api.polygon.io"
VENUE = "polygon"
_MS = 1_000_000

CHANNELS = {
    "crypto": {"trades": "XT", "quotes": "XQ", "bars_1s": "XAS", "bars_1m": "XA"},
    "stocks": {"trades": "T", "quotes": "Q", "bars_1s": "A", "bars_1m": "AM"},
}
"""Polygon's channel prefix per market and data kind."""

_QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "JPY", "BTC", "ETH")
_TIMESPAN = {("1", "second"): "1s", ("1", "minute"): "1m", ("5", "minute"): "5m", ("15", "minute"): "15m",
             ("1", "hour"): "1h", ("4", "hour"): "4h", ("1", "day"): "1d"}  # fmt: skip


# -- symbols ---------------------------------------------------------------------------------------------------
def _split(symbol: str) -> tuple[str, str] | None:
    """``BTC/USDT``, ``BTC-USD``, ``BTCUSDT`` -> ``(base, quote)``; None for a stock ticker (no quote currency)."""
    text = symbol.strip().upper().removeprefix("X:")
    for sep in ("/", "-"):
        if sep in text:
            base, _, quote = text.partition(sep)
            return (base, quote) if base and quote else None
    for quote in _QUOTES:
        if text.endswith(quote) and len(text) > len(quote):
            return text[: -len(quote)], quote
    return None


def polygon_ticker(symbol: str, usdt_as_usd: bool = True) -> str:
    """The Polygon REST ticker of a symbol: ``BTC/USDT`` -> ``X:BTCUSD`` (see the USDT rule above), ``BTC-USD`` ->
    ``X:BTCUSD``, ``X:ETHUSD`` unchanged, a stock ``AAPL`` -> ``AAPL``.

    Raises:
        PermanentVenueError: an empty symbol.
    """
    if symbol.strip().upper().startswith("X:"):
        return symbol.strip().upper()
    pair = _split(symbol)
    if pair is None:
        if not symbol.strip():
            raise PermanentVenueError("polygon: empty symbol")
        return symbol.strip().upper()
    base, quote = pair
    if quote == "USDT" and usdt_as_usd:
        quote = "USD"
    return f"X:{base}{quote}"


def polygon_pair(symbol: str, usdt_as_usd: bool = True) -> str:
    """The WebSocket crypto pair: ``BTC/USDT`` -> ``BTC-USD``; a stock ticker is returned as is (``AAPL``)."""
    ticker = polygon_ticker(symbol, usdt_as_usd)
    pair = _split(ticker) if ticker.startswith("X:") else None
    return f"{pair[0]}-{pair[1]}" if pair else ticker


def unified_symbol(ticker_or_pair: str) -> str:
    """Back to the unified form: ``X:BTCUSD`` / ``BTC-USD`` -> ``BTC/USD`` (never USDT); ``AAPL`` -> ``AAPL``."""
    text = ticker_or_pair.strip().upper()
    pair = _split(text) if text.startswith("X:") or "-" in text or "/" in text else None
    return f"{pair[0]}/{pair[1]}" if pair else text


def instrument_id_of(ticker_or_pair: str) -> str:
    """``X:BTCUSD`` or ``BTC-USD`` -> ``X:BTCUSD.POLYGON``; ``AAPL`` -> ``AAPL.POLYGON``."""
    text = ticker_or_pair.strip().upper()
    ticker = polygon_ticker(text, usdt_as_usd=False) if ("-" in text or "/" in text) else text
    return f"{ticker}.POLYGON"


def market_of(symbol: str) -> str:
    """``crypto`` for a crypto pair or ``X:`` ticker, else ``stocks``."""
    return "crypto" if polygon_ticker(symbol).startswith("X:") else "stocks"


def channels_for(symbols: Sequence[str], kinds: Sequence[str] = ("trades", "quotes", "bars_1m"),
                 usdt_as_usd: bool = True) -> list[str]:  # fmt: skip
    """Subscription params: ``["XT.BTC-USD", "XQ.BTC-USD", "XA.BTC-USD", "T.AAPL", ...]``.

    Args:
        kinds: any of ``trades``, ``quotes``, ``bars_1s``, ``bars_1m`` (:data:`CHANNELS`).

    Raises:
        PermanentVenueError: an unknown kind.
    """
    out = []
    for symbol in symbols:
        market = market_of(symbol)
        for kind in kinds:
            prefix = CHANNELS[market].get(kind)
            if prefix is None:
                raise PermanentVenueError(f"polygon: unknown channel kind {kind!r} (one of {list(CHANNELS[market])})")
            out.append(f"{prefix}.{polygon_pair(symbol, usdt_as_usd)}")
    return out


def auth_frame(api_key: str) -> str:
    """``{"action":"auth","params":KEY}`` (send it first on every connection)."""
    return msgspec.json.encode({"action": "auth", "params": api_key}).decode()


def subscribe_frame(channels: Sequence[str], action: str = "subscribe") -> str:
    """``{"action":"subscribe","params":"XT.BTC-USD,XQ.BTC-USD"}`` (or ``unsubscribe``)."""
    return msgspec.json.encode({"action": action, "params": ",".join(channels)}).decode()


def interval_of(multiplier: int | str, timespan: str) -> str:
    """A REST ``(multiplier, timespan)`` as a bar interval: ``(1, "minute")`` -> ``"1m"``; others ``"2minute"``."""
    return _TIMESPAN.get((str(multiplier), timespan), f"{multiplier}{timespan}")


# -- wire structs (Polygon field names) ------------------------------------------------------------------------
class _Ev(msgspec.Struct):
    ev: str


class _Status(msgspec.Struct):
    ev: str
    status: str
    message: str = ""


class _CryptoTrade(msgspec.Struct):
    pair: str
    p: Decimal
    s: Decimal
    t: int
    i: str = ""
    x: int = 0
    c: list[int] = []
    r: int = 0


class _StockTrade(msgspec.Struct):
    sym: str
    p: Decimal
    s: Decimal
    t: int
    i: str = ""
    x: int = 0
    q: int = 0


class _CryptoQuote(msgspec.Struct):
    pair: str
    bp: Decimal
    bs: Decimal
    ap: Decimal
    as_: Decimal = msgspec.field(name="as")
    t: int = msgspec.field()
    x: int = 0
    r: int = 0


class _StockQuote(msgspec.Struct):
    sym: str
    bp: Decimal
    bs: Decimal
    ap: Decimal
    as_: Decimal = msgspec.field(name="as")
    t: int = msgspec.field()
    q: int = 0


class _Agg(msgspec.Struct):
    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - Polygon's name
    c: Decimal
    v: Decimal
    s: int
    e: int = 0
    vw: Decimal | None = None
    pair: str = ""
    sym: str = ""


class _RestAgg(msgspec.Struct):
    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741
    c: Decimal
    v: Decimal
    t: int
    vw: Decimal | None = None
    n: int = 0
    T: str = ""


class _AggsBody(msgspec.Struct):
    status: str = ""
    ticker: str = ""
    results: list[_RestAgg] = []
    resultsCount: int = 0
    next_url: str | None = None
    request_id: str = ""


class _LastTrade(msgspec.Struct):
    p: Decimal
    s: Decimal
    t: int
    i: str = ""
    c: list[int] = []


class _LastQuote(msgspec.Struct):
    p: Decimal  # bid price
    s: Decimal  # bid size
    P: Decimal  # ask price
    S: Decimal  # ask size
    t: int = 0


class _Ohlcv(msgspec.Struct):
    o: Decimal = Decimal(0)
    h: Decimal = Decimal(0)
    l: Decimal = Decimal(0)  # noqa: E741
    c: Decimal = Decimal(0)
    v: Decimal = Decimal(0)
    vw: Decimal | None = None
    t: int = 0


class _Snap(msgspec.Struct):
    ticker: str
    todaysChange: Decimal | None = None
    todaysChangePerc: Decimal | None = None
    updated: int = 0
    day: _Ohlcv | None = None
    min: _Ohlcv | None = None
    prevDay: _Ohlcv | None = None
    lastTrade: _LastTrade | None = None
    lastQuote: _LastQuote | None = None


class _SnapBody(msgspec.Struct):
    status: str = ""
    ticker: _Snap | None = None


class _ErrorBody(msgspec.Struct):
    status: str = ""
    error: str = ""
    message: str = ""
    request_id: str = ""


_EV = msgspec.json.Decoder(list[msgspec.Raw])
_DECODERS = {
    "XT": msgspec.json.Decoder(_CryptoTrade), "T": msgspec.json.Decoder(_StockTrade),
    "XQ": msgspec.json.Decoder(_CryptoQuote), "Q": msgspec.json.Decoder(_StockQuote),
    "XA": msgspec.json.Decoder(_Agg), "XAS": msgspec.json.Decoder(_Agg), "AM": msgspec.json.Decoder(_Agg),
    "A": msgspec.json.Decoder(_Agg), "status": msgspec.json.Decoder(_Status),
}  # fmt: skip
_ENVELOPE = msgspec.json.Decoder(_Ev)
_AGG_INTERVAL = {"XA": "1m", "AM": "1m", "XAS": "1s", "A": "1s"}


# -- domain types ----------------------------------------------------------------------------------------------
class PolygonStatus(msgspec.Struct, frozen=True):
    """A status event (``connected``, ``auth_success``, ``auth_failed``, ``max_connections``, ``success``, ...)."""

    status: str
    message: str
    ts_recv: int


class TickerSnapshot(msgspec.Struct, frozen=True):
    """A ticker snapshot (Polygon "Snapshot > Ticker").

    Attributes:
        instrument_id: ``X:BTCUSD.POLYGON``.
        updated: Polygon's ``updated`` (ns).
        todays_change, todays_change_pct: exact decimal strings, "" when absent.
        last_trade, last_quote: the latest trade and NBBO quote (stocks; crypto snapshots carry no quote), or None.
        day, minute, prev_day: today's, the latest minute's and the previous day's bars (``closed`` False for
            today and the current minute), or None.
    """

    instrument_id: str
    updated: int
    todays_change: str
    todays_change_pct: str
    last_trade: Trade | None
    last_quote: Quote | None
    day: Bar | None
    minute: Bar | None
    prev_day: Bar | None


# -- parsing ---------------------------------------------------------------------------------------------------
def _fixed(value: Decimal, decimals: int, what: str) -> int:
    """An exact Decimal -> fixed-point int; more non-zero decimals or a negative value: :class:`PrecisionError`."""
    try:
        scaled = value.scaleb(decimals)
        integral = scaled.to_integral_value()
        if scaled != integral or value < 0 or not value.is_finite():
            raise PrecisionError(VENUE, f"{what} {value} is negative or has more than {decimals} decimals", str(value))
        return int(integral)
    except (InvalidOperation, OverflowError, ValueError):
        raise PrecisionError(VENUE, f"{what} {value!r} is not an exact number", str(value)) from None


def _side(conditions: Sequence[int]) -> str:
    """Polygon crypto trade conditions: 1 = sell side, 2 = buy side (Polygon "Crypto conditions"); else unknown."""
    if 2 in conditions:
        return "buy"
    if 1 in conditions:
        return "sell"
    return "unknown"


class PolygonParser:
    """Translates Polygon WebSocket messages and REST bodies into raytrade messages.

    Args:
        price_decimals, size_decimals: override the ``POLYGON`` spec's scales (default: :func:`spec_for`).

    Attributes:
        unsupported: events of kinds not translated here, skipped so far.
    """

    def __init__(self, price_decimals: int | None = None, size_decimals: int | None = None) -> None:
        spec = spec_for(Venue.POLYGON, "X:BTCUSD")
        self.pd = spec.price_decimals if price_decimals is None else price_decimals
        self.sd = spec.size_decimals if size_decimals is None else size_decimals
        self.unsupported = 0

    # -- websocket -------------------------------------------------------------------------------------------
    def parse_message(self, frame: bytes | str, ts_recv: int) -> list[Trade | Quote | Bar | PolygonStatus]:
        """Every event of one WebSocket message, in order.

        Args:
            frame: the message as received (a JSON array of events).
            ts_recv: local receive time (ns).

        Returns:
            ``Trade`` (XT/T), ``Quote`` (XQ/Q), closed ``Bar`` (XA/AM ``"1m"``, XAS/A ``"1s"``, ``start`` = Polygon
            ``s``, ``ts_event`` = ``e``), ``PolygonStatus``; unsupported kinds skipped.

        Raises:
            MalformedFrame: not JSON, not an array of events, or a bad field (PrecisionError for inexact numbers).
        """
        try:
            items = _EV.decode(frame)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise MalformedFrame(VENUE, f"not an array of events: {exc}", frame) from None
        out = []
        for raw in items:
            try:
                ev = _ENVELOPE.decode(raw).ev
                decoder = _DECODERS.get(ev)
                if decoder is None:
                    self.unsupported += 1
                    continue
                out.append(self._event(ev, decoder.decode(raw), ts_recv))
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
                raise MalformedFrame(VENUE, f"bad event: {exc}", bytes(raw)) from None
        return out

    def _event(self, ev: str, w, ts_recv: int):
        pd, sd = self.pd, self.sd
        if ev == "status":
            return PolygonStatus(w.status, w.message, ts_recv)
        if ev in ("XT", "T"):
            iid = instrument_id_of(w.pair if ev == "XT" else w.sym)
            side = _side(w.c) if ev == "XT" else "unknown"
            return Trade(iid, w.i, _fixed(w.p, pd, "price"), _fixed(w.s, sd, "size"), side, pd, sd, w.t * _MS, ts_recv)
        if ev in ("XQ", "Q"):
            iid = instrument_id_of(w.pair if ev == "XQ" else w.sym)
            return Quote(iid, getattr(w, "q", 0), _fixed(w.bp, pd, "bid"), _fixed(w.bs, sd, "bid size"),
                         _fixed(w.ap, pd, "ask"), _fixed(w.as_, sd, "ask size"), pd, sd, w.t * _MS, ts_recv)  # fmt: skip
        symbol = w.pair or w.sym
        if not symbol:
            raise MalformedFrame(VENUE, f"{ev} aggregate without pair/sym", repr(w))
        return self._bar(instrument_id_of(symbol), _AGG_INTERVAL[ev], w, w.s * _MS, (w.e or w.s) * _MS, ts_recv, 0)

    def _bar(self, iid: str, interval: str, w, start: int, ts_event: int, ts_recv: int, trades: int,
             closed: bool = True) -> Bar:  # fmt: skip
        pd, sd = self.pd, self.sd
        vwap = "" if w.vw is None else str(w.vw)
        return Bar(iid, interval, start, _fixed(w.o, pd, "open"), _fixed(w.h, pd, "high"), _fixed(w.l, pd, "low"),
                   _fixed(w.c, pd, "close"), _fixed(w.v, sd, "volume"), -1, trades, pd, sd, closed, ts_event, ts_recv,
                   vwap)  # fmt: skip

    # -- REST ------------------------------------------------------------------------------------------------
    def parse_aggregates(self, body: bytes | str, interval: str, ts_recv: int) -> tuple[list[Bar], str | None]:
        """One page of ``/v2/aggs/ticker/...`` (or ``/prev``): its bars and its ``next_url`` (None on the last).

        Bars are closed, ``start`` = Polygon ``t`` (ms -> ns), ``trades`` = ``n``, ``vwap_override`` = ``vw``.

        Raises:
            MalformedFrame: not an aggregates body. VenueError: an error body (see :func:`rest_error`).
        """
        try:
            w = msgspec.json.decode(body, type=_AggsBody)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise MalformedFrame(VENUE, f"not an aggregates body: {exc}", body) from None
        if w.status.upper() not in ("OK", "DELAYED", ""):
            raise rest_error(200, body)
        bars = []
        for r in w.results:
            ticker = r.T or w.ticker
            if not ticker:
                raise MalformedFrame(VENUE, "aggregates without a ticker", body)
            bars.append(self._bar(instrument_id_of(ticker), interval, r, r.t * _MS, r.t * _MS, ts_recv, r.n))
        return bars, w.next_url or None

    def parse_snapshot(self, body: bytes | str, ts_recv: int) -> TickerSnapshot:
        """A ``/v2/snapshot/.../tickers/{ticker}`` body.

        Raises:
            MalformedFrame: not a snapshot body. VenueError: an error body.
        """
        try:
            w = msgspec.json.decode(body, type=_SnapBody)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise MalformedFrame(VENUE, f"not a snapshot body: {exc}", body) from None
        if w.ticker is None:
            raise rest_error(200, body) if w.status.upper() not in ("OK", "") else MalformedFrame(
                VENUE, "snapshot without ticker", body)
        s, pd, sd = w.ticker, self.pd, self.sd
        iid = instrument_id_of(s.ticker)
        trade = quote = None
        if s.lastTrade is not None:
            lt = s.lastTrade
            trade = Trade(iid, lt.i, _fixed(lt.p, pd, "price"), _fixed(lt.s, sd, "size"), _side(lt.c), pd, sd,
                          _ns(lt.t), ts_recv)  # fmt: skip
        if s.lastQuote is not None:
            q = s.lastQuote
            quote = Quote(iid, 0, _fixed(q.p, pd, "bid"), _fixed(q.s, sd, "bid size"), _fixed(q.P, pd, "ask"),
                          _fixed(q.S, sd, "ask size"), pd, sd, _ns(q.t), ts_recv)  # fmt: skip

        def bar(o: _Ohlcv | None, interval: str, closed: bool) -> Bar | None:
            if o is None or (o.o == 0 and o.c == 0 and o.v == 0):
                return None
            return self._bar(iid, interval, o, _ns(o.t), _ns(o.t), ts_recv, 0, closed)

        return TickerSnapshot(iid, _ns(s.updated), "" if s.todaysChange is None else str(s.todaysChange),
                              "" if s.todaysChangePerc is None else str(s.todaysChangePerc), trade, quote,
                              bar(s.day, "1d", False), bar(s.min, "1m", False), bar(s.prevDay, "1d", True))  # fmt: skip


def _ns(t: int) -> int:
    """A Polygon time of unknown unit -> ns by magnitude (snapshots mix ms and ns): >=1e17 ns, >=1e14 us, else ms."""
    if t >= 10**17:
        return t
    if t >= 10**14:
        return t * 1_000
    return t * _MS


# -- errors ----------------------------------------------------------------------------------------------------
def rest_error(status_code: int, body: bytes | str, retry_after_s: float | None = None) -> VenueError:
    """The project's error for a Polygon REST error reply.

    ``{"status":"ERROR","request_id":"...","error":"You've exceeded the maximum requests per minute..."}``:
    429 -> :class:`RateLimited` (``Retry-After`` when sent, else 60 s: Polygon's limits are per minute);
    401/403 or ``"Unknown API Key"`` / ``NOT_AUTHORIZED`` -> :class:`AuthenticationFailed`; 5xx ->
    :class:`VenueUnavailable`; other 4xx or an ``ERROR`` body -> :class:`PermanentVenueError`.
    """
    try:
        w = msgspec.json.decode(body, type=_ErrorBody)
        text = w.error or w.message or w.status
        status = w.status.upper()
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        text, status = (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body))[:200], ""
    message = f"polygon: HTTP {status_code}: {text}"
    if status_code == 429:
        return RateLimited(message, 60.0 if retry_after_s is None else retry_after_s)
    if status_code in (401, 403) or status == "NOT_AUTHORIZED" or "api key" in text.lower():
        return AuthenticationFailed(message, status_code)
    if status_code >= 500:
        return VenueUnavailable(message)
    return PermanentVenueError(message, status_code)


def status_error(status: PolygonStatus) -> VenueError | None:
    """The error a status event means, if any: ``auth_failed`` -> :class:`AuthenticationFailed`,
    ``max_connections`` -> :class:`ConnectionLimit`, ``error`` -> :class:`PermanentVenueError` (e.g. a bad
    subscription); None for the others (``connected``, ``auth_success``, ``success``, ...)."""
    if status.status == "auth_failed":
        return AuthenticationFailed(f"polygon: auth_failed: {status.message}")
    if status.status == "max_connections":
        return ConnectionLimit(f"polygon: max_connections: {status.message}")
    if status.status == "error":
        return PermanentVenueError(f"polygon: error: {status.message}")
    return None
