"""Bybit v5 public streams, spot (``bybit``) and USDT/USDC linear contracts (``bybit_linear``): pure parsers, the
sequence policy, connections, REST snapshots and instrument specs.

Sources (Bybit API v5 docs):

* "WebSocket Stream > Connect": public hosts ``wss://stream.bybit.com/v5/public/spot`` and ``.../linear``;
  subscribe ``{"op":"subscribe","args":["orderbook.50.BTCUSDT"]}`` (reply ``{"success":true,"ret_msg":"",
  "op":"subscribe",...}``); "How to Send the Heartbeat Packet": send ``{"op":"ping"}`` every 20 s; the reply is
  ``{"success":true,"ret_msg":"pong",...,"op":"ping"}`` (spot) or ``{"op":"pong","args":[...]}`` (linear). Spot
  allows at most 10 args per subscribe request.
* "WebSocket Stream > Public > Orderbook" (``orderbook.{1,50,200,500}.{symbol}``): "Once you have subscribed
  successfully, you will receive a snapshot. The WebSocket will keep pushing delta messages every time the
  orderbook changes. If you receive a new snapshot message, you will have to reset your local orderbook."; levels
  ``[price, size]`` with the absolute size, ``"0"`` deletes; ``u`` "Update ID. Is a sequence. Occasionally, you'll
  receive "u"=1, which is a snapshot data due to the restart of the service. So please overwrite your local
  orderbook"; ``seq`` a cross sequence; level 1 re-sends a snapshot after 3 s without change.
* "Public > Trade" (``publicTrade.{symbol}``: ``data[]`` of ``T`` ms, ``s``, ``S`` taker side ``Buy``/``Sell``,
  ``v`` size, ``p`` price, ``i`` trade id); "Public > Ticker" (``tickers.{symbol}``: linear snapshot then deltas of
  the changed fields only; ``bid1Price``/``bid1Size``/``ask1Price``/``ask1Size``; ``cs`` cross sequence).
* "Market > Get Orderbook" (``GET /v5/market/orderbook?category=spot|linear&symbol=&limit=``: ``result`` with
  ``s``, ``b``, ``a``, ``ts``, ``u``, ``seq``); "Market > Get Instruments Info" (``priceFilter.tickSize``,
  ``lotSizeFilter.basePrecision`` (spot) / ``qtyStep`` (linear)).

Sequence rule (:class:`BybitPolicy`): snapshots come on the stream; a new snapshot always replaces the book;
after a snapshot with ``u`` = L the next delta must have ``u == L + 1``, and every later one ``u == previous u +
1`` (the data README checked this holds on all 6 recorded books); a delta with ``u == 1`` replaces the book. Bybit
sends no checksum. A resync is an unsubscribe + subscribe of the book topic (a fresh snapshot).

A real delta, as recorded (``cryptofeed/v3/BYBIT.jsonl``, linear)::

    {"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1786310846428,"data":{"s":"BTCUSDT","b":[],
     "a":[["65135.00","0.577"]],"u":15077219,"seq":753844622662},"cts":1786310846427}

Errors: a frame not valid for its topic raises :class:`MalformedFrame`; a topic not translated here (``kline``,
``allLiquidation``) :class:`UnsupportedFrame`; ``{"success":false,...}`` :class:`VenueError`. Control replies
(subscribe acks, pongs) and ticker updates without a full best bid/ask parse to ``()``.

Also read: Bybit's public history files (``<date>_<SYMBOL>_ob500.data``: one v5 orderbook message per line, no
local time; :mod:`actors.replay.captures`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest, Verdict
from actors.feed.venues.entries import InstrumentEntry, InstrumentTable
from actors.feed.venues.module_adapter import public_private_hosts
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Quote, Trade

__all__ = ["BybitAdapter", "BybitParser", "BybitPolicy", "LINEAR", "SPOT", "book_topic", "subscribe_frame"]

WS_URL = {Venue.BYBIT: "wss://stream.bybit.com/v5/public/spot", Venue.BYBIT_LINEAR: "wss://stream.bybit.com/v5/public/linear"}
WS_PATH = {Venue.BYBIT: "/v5/public/spot", Venue.BYBIT_LINEAR: "/v5/public/linear"}
REST_URL = "https://api.bybit.com"
REST_ORDERBOOK_PATH = "/v5/market/orderbook"
INSTRUMENTS_PATH = "/v5/market/instruments-info"
INSTRUMENTS_PAGE_LIMIT = 1000  # "Get Instruments Info": limit [1, 1000], default 500 (linear; spot has no pages)
CATEGORY = {Venue.BYBIT: "spot", Venue.BYBIT_LINEAR: "linear"}
BOOK_DEPTHS = (1, 50, 200, 500)  # "Orderbook": spot 1/50/200, linear 1/50/200/500 (1000 is RPI-only)
DEFAULT_DEPTH = 200
PING_FRAME = '{"op":"ping"}'
PING_INTERVAL_S = 20.0  # "How to Send the Heartbeat Packet": every 20 seconds
MAX_ARGS_SPOT = 10  # spot: at most 10 args per subscribe request
# Bybit writes at most 8 decimals for a spot price or size and fewer for linear contracts; 10/10 is exact for any
# symbol without its instrument info (only slower than the symbol's own scale).
DEFAULT_DECIMALS = 10
_MS = 1_000_000
_PairList = list[tuple[str, str]]


# -- wire structs (Bybit field names) --------------------------------------------------------------------------
class _BookData(msgspec.Struct):
    s: str
    b: _PairList
    a: _PairList
    u: int
    seq: int = 0


class _Book(msgspec.Struct):
    topic: str
    type: str
    ts: int
    data: _BookData
    cts: int = 0


class _TradeData(msgspec.Struct):
    T: int
    s: str
    S: str
    v: str
    p: str
    i: str


class _Trades(msgspec.Struct):
    topic: str
    ts: int
    data: list[_TradeData]
    type: str = "snapshot"


class _TickerData(msgspec.Struct):
    symbol: str
    bid1Price: str | None = None
    bid1Size: str | None = None
    ask1Price: str | None = None
    ask1Size: str | None = None


class _Ticker(msgspec.Struct):
    topic: str
    ts: int
    data: _TickerData
    type: str = "snapshot"
    cs: int = 0


class _RestBook(msgspec.Struct):
    s: str
    b: _PairList
    a: _PairList
    ts: int
    u: int
    seq: int = 0


class _RestReply(msgspec.Struct):
    retCode: int
    retMsg: str
    result: dict | None = None


_BOOK = msgspec.json.Decoder(_Book)
_TRADES = msgspec.json.Decoder(_Trades)
_TICKER = msgspec.json.Decoder(_Ticker)
_REST = msgspec.json.Decoder(_RestReply)
_GENERIC = msgspec.json.Decoder()
_TOPIC_B = b'{"topic":"'




class BybitParser:
    """Translate Bybit v5 public frames of one category (spot or linear) into domain messages.

    Args:
        venue: ``Venue.BYBIT`` (spot) or ``Venue.BYBIT_LINEAR``.
        specs: instrument specs by symbol; others get :func:`default_spec`.
    """

    def __init__(self, venue: Venue | str, specs: Sequence[InstrumentSpec] = ()) -> None:
        self.venue = Venue(venue)
        if self.venue not in WS_URL:
            raise ValueError(f"{self.venue} is not a Bybit venue")
        self._instruments = InstrumentTable(self.venue, specs, lambda s: default_spec(self.venue, s), bound=4096)

    def instrument(self, symbol: str) -> InstrumentEntry:
        return self._instruments.get(symbol)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        return self.instrument(symbol.upper()).spec

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """Parse one text frame.

        Returns:
            ``(BookSnapshot,)`` / ``(BookDeltas,)`` for ``orderbook.*``, one ``Trade`` per trade of ``publicTrade.*``,
            ``(Quote,)`` for a ``tickers.*`` frame with a full best bid/ask, ``()`` for control replies.

        Raises:
            MalformedFrame, UnsupportedFrame, VenueError: see the module docstring.
        """
        raw = frame if type(frame) is bytes else frame.encode()
        try:
            if raw[:10] == _TOPIC_B:  # the usual key order: route on the topic without decoding twice
                topic = raw[10 : raw.find(b'"', 10)].decode("ascii", "replace")
                value = None
            else:
                value = _GENERIC.decode(raw)
                topic = value.get("topic") if isinstance(value, dict) else None
                if not isinstance(topic, str):
                    return self._control(value, raw)
            kind = topic.partition(".")[0]
            route = _ROUTES.get(kind)
            if route is None:
                raise UnsupportedFrame(self.venue.value, kind)
            decoder, struct, translate = route
            wire = decoder.decode(raw) if value is None else msgspec.convert(value, struct)
            return translate(self, wire, ts_recv)
        except FeedError:
            raise
        except (msgspec.DecodeError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame(self.venue.value, str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """Parse a ``GET /v5/market/orderbook`` body (raw, or decoded by ccxt's implicit method).

        Raises:
            MalformedFrame: not an orderbook body. VenueError: ``retCode`` != 0.
        """
        try:
            reply = msgspec.convert(body, _RestReply) if isinstance(body, Mapping) else _REST.decode(body)
            if reply.retCode != 0:
                raise VenueError(f"{self.venue.value}: orderbook refused: retCode {reply.retCode}: {reply.retMsg}")
            book = msgspec.convert(reply.result, _RestBook)
            inst = self.instrument(book.s or symbol.upper())
            bids, asks = inst.levels(book.b), inst.levels(book.a)
        except FeedError:
            raise
        except VenueError:
            raise
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError) as exc:
            raise MalformedFrame(self.venue.value, f"not an orderbook body: {exc}", body) from None
        return BookSnapshot(inst.instrument_id, book.u, bids, asks, inst.pd, inst.sd, book.ts * _MS, ts_recv)

    # -- internals -------------------------------------------------------------------------------------------
    def _book(self, w: _Book, ts_recv: int) -> tuple[BookSnapshot | BookDeltas]:
        d = w.data
        inst = self.instrument(d.s)
        bids, asks = inst.levels(d.b), inst.levels(d.a)
        if w.type == "snapshot":
            return (BookSnapshot(inst.instrument_id, d.u, bids, asks, inst.pd, inst.sd, w.ts * _MS, ts_recv),)
        if w.type != "delta":
            raise MalformedFrame(self.venue.value, f"orderbook type {w.type!r}", w.topic)
        return (BookDeltas(inst.instrument_id, d.u, d.u, -1, bids, asks, inst.pd, inst.sd, w.ts * _MS, ts_recv),)

    def _trades(self, w: _Trades, ts_recv: int) -> tuple[Trade, ...]:
        out = []
        for t in w.data:
            inst = self.instrument(t.s)
            if t.S not in ("Buy", "Sell"):
                raise MalformedFrame(self.venue.value, f"trade side {t.S!r}", w.topic)
            out.append(Trade(inst.instrument_id, t.i, inst.levels.prices[t.p], inst.levels.sizes[t.v],
                             "buy" if t.S == "Buy" else "sell", inst.pd, inst.sd, t.T * _MS, ts_recv))  # fmt: skip
        return tuple(out)

    def _ticker(self, w: _Ticker, ts_recv: int) -> tuple[Quote, ...]:
        d = w.data
        if d.bid1Price is None or d.bid1Size is None or d.ask1Price is None or d.ask1Size is None:
            return ()  # spot tickers carry no best bid/ask; linear deltas only the fields that changed
        inst = self.instrument(d.symbol)
        prices, sizes = inst.levels.prices, inst.levels.sizes
        # Quote.sequence: Bybit's cross sequence ``cs`` (~1e11), never a book ``u``: no ticker cross-check applies.
        return (Quote(inst.instrument_id, w.cs, prices[d.bid1Price], sizes[d.bid1Size], prices[d.ask1Price],
                      sizes[d.ask1Size], inst.pd, inst.sd, w.ts * _MS, ts_recv),)  # fmt: skip

    def _control(self, value: object, raw: bytes) -> tuple:
        if not isinstance(value, dict):
            raise MalformedFrame(self.venue.value, "frame is not a JSON object", raw)
        if value.get("success") is False:
            raise VenueError(f"{self.venue.value}: request refused: {value.get('ret_msg')!r} ({value.get('op')})")
        if "op" in value or "success" in value:
            return ()  # subscribe ack, pong
        raise MalformedFrame(self.venue.value, "unknown frame", raw)


_ROUTES = {
    "orderbook": (_BOOK, _Book, BybitParser._book),
    "publicTrade": (_TRADES, _Trades, BybitParser._trades),
    "tickers": (_TICKER, _Ticker, BybitParser._ticker),
}


class BybitPolicy:
    """Bybit v5 orderbook sequencing (module docstring): stream snapshots, ``u`` + 1 per message, ``u == 1`` resets,
    no checksum."""

    name = "bybit_v5"
    snapshot_source = "stream"
    has_checksum = False
    may_reset = True

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        return self.next_diff(diff, snapshot_sequence)

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        if diff.sequence <= last_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.sequence == last_sequence + 1 else Verdict.GAP

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]:
        return last_sequence + 1, diff.sequence

    def resets(self, diff: BookDeltas) -> bool:
        return diff.sequence == 1

    def checksum_ok(self, book, checksum: int) -> bool:
        return True


_POLICY = BybitPolicy()


def book_topic(symbol: str, depth: int = DEFAULT_DEPTH) -> str:
    """``orderbook.<depth>.<SYMBOL>``.

    Raises:
        ConfigError: a depth Bybit does not publish.
    """
    if depth not in BOOK_DEPTHS:
        raise ConfigError(f"bybit: orderbook depth {depth} is not one of {BOOK_DEPTHS}")
    return f"orderbook.{depth}.{symbol.upper()}"


def default_topics(symbol: str) -> list[str]:
    """Topics raytrade subscribes per symbol: the 200-level book, trades and tickers."""
    s = symbol.upper()
    return [book_topic(s), f"publicTrade.{s}", f"tickers.{s}"]


def subscribe_frame(topics: Sequence[str], op: str = "subscribe") -> str:
    """``{"op":"subscribe","args":[...]}`` ("WebSocket Stream > Connect")."""
    return msgspec.json.encode({"op": op, "args": list(topics)}).decode()


def default_spec(venue: Venue | str, symbol: str) -> InstrumentSpec:
    """An exact spec for any Bybit symbol without its instrument info (10/10 decimals; ``BTCUSDT`` -> BTC/USDT)."""
    venue = Venue(venue)
    symbol = symbol.upper()
    base, quote = _split(symbol)
    step = Decimal(1).scaleb(-DEFAULT_DECIMALS)
    kind = "spot" if venue is Venue.BYBIT else "perpetual"
    # Bybit spot fee (VIP 0): 0.1 % maker and taker; linear: 0.02 % maker, 0.055 % taker ("Trading Fee Structure").
    maker, taker = (Decimal("0.001"), Decimal("0.001")) if kind == "spot" else (Decimal("0.0002"), Decimal("0.00055"))
    return InstrumentSpec(venue, symbol, kind, base, quote, quote, False, DEFAULT_DECIMALS, DEFAULT_DECIMALS, step,
                          step, Decimal(1), maker, taker)  # fmt: skip


def spec_from_instrument(venue: Venue | str, entry: Mapping[str, Any]) -> InstrumentSpec:
    """A spec from one ``result.list`` entry of ``GET /v5/market/instruments-info`` (Bybit v5 "Market > Get
    Instruments Info": ``priceFilter.tickSize``; spot ``lotSizeFilter.basePrecision``, linear ``qtyStep``; minimum
    order value in the quote coin: spot ``lotSizeFilter.minOrderAmt``, linear ``minNotionalValue``; ``baseCoin``,
    ``quoteCoin``, linear ``settleCoin``). Decimals are those of the tick and the lot (the wire may pad with zeros:
    ``"65135.00"`` at tick 0.10 parses as 651350 at 1 decimal).

    Raises:
        KeyError / TypeError / decimal.InvalidOperation: not an instruments entry (callers wrap them).
    """
    venue = Venue(venue)
    lots = entry["lotSizeFilter"]
    tick = Decimal(str(entry["priceFilter"]["tickSize"]))
    lot = Decimal(str(lots.get("basePrecision") or lots["qtyStep"]))
    base = default_spec(venue, str(entry["symbol"]))
    return InstrumentSpec(venue, base.symbol, base.kind, str(entry["baseCoin"]), str(entry["quoteCoin"]),
                          str(entry.get("settleCoin") or entry["quoteCoin"]), False, _decimals(tick), _decimals(lot),
                          tick, lot, Decimal(1), base.maker_fee, base.taker_fee, _min_notional(lots))  # fmt: skip


def _min_notional(lots: Mapping[str, Any]) -> Decimal | None:
    value = lots.get("minOrderAmt") or lots.get("minNotionalValue")  # spot / linear ("Get Instruments Info")
    return Decimal(str(value)) if value not in (None, "") else None


def specs_from_instruments(venue: Venue | str, body: bytes | str | Mapping) -> list[InstrumentSpec]:
    """Every spec of a ``GET /v5/market/instruments-info`` answer (raw or decoded) of ``venue``'s category; an
    answer of another category gives none.

    Raises:
        VenueError: a ``retCode`` other than 0. MalformedFrame: not an instruments answer.
    """
    venue = Venue(venue)
    try:
        value = body if isinstance(body, Mapping) else msgspec.json.decode(body)
        if value.get("retCode") != 0:
            raise VenueError(f"{venue.value}: instruments-info refused: {value.get('retCode')} {value.get('retMsg')}")
        result = value["result"]
        if result.get("category") != CATEGORY[venue]:
            return []
        return [spec_from_instrument(venue, entry) for entry in result["list"]]
    except FeedError:
        raise
    except (msgspec.DecodeError, KeyError, TypeError, AttributeError, ArithmeticError, ValueError) as exc:
        raise MalformedFrame(venue.value, f"not an instruments-info answer: {exc!r}", body) from None


def _split(symbol: str) -> tuple[str, str]:
    for quote in ("USDT", "USDC", "USD", "BTC", "ETH", "EUR", "DAI"):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol, "?"


@dataclass(frozen=True)
class BybitAdapter:
    """The :class:`~actors.feed.venues.base.VenueAdapter` of Bybit spot or linear."""

    venue: Venue
    ccxt_id: str = "bybit"

    @property
    def ws_url(self) -> str:
        return WS_URL[self.venue]

    @property
    def rest_url(self) -> str:
        return REST_URL

    def parser(self, specs: Sequence[InstrumentSpec] = ()) -> BybitParser:
        return BybitParser(self.venue, specs)

    def policy(self, spec: InstrumentSpec | None = None) -> BybitPolicy:
        return _POLICY

    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        topics = list(streams) if streams else [t for s in symbols for t in default_topics(s)]
        url = (ws_base.rstrip("/") + WS_PATH[self.venue]) if ws_base else self.ws_url
        per = MAX_ARGS_SPOT if self.venue is Venue.BYBIT else 50
        frames = tuple(subscribe_frame(topics[i : i + per]) for i in range(0, len(topics), per))
        served = tuple(dict.fromkeys(t.rsplit(".", 1)[-1] for t in topics))
        return [ConnectionPlan(url, served, frames, PING_FRAME, PING_INTERVAL_S)]

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        topic = book_topic(symbol)
        return subscribe_frame([topic], "unsubscribe"), subscribe_frame([topic])

    def connection_continues(self, previous: int, sequence: int) -> bool:
        return True

    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        limit = min(limit, 200 if self.venue is Venue.BYBIT else 500)  # "Get Orderbook": spot 1-200, linear 1-500
        return SnapshotRequest("publicGetV5MarketOrderbook",
                               {"category": CATEGORY[self.venue], "symbol": symbol.upper(), "limit": limit},
                               REST_ORDERBOOK_PATH)  # fmt: skip

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        return public_private_hosts(rest_base)

    def spec_for(self, symbol: str) -> InstrumentSpec:
        return default_spec(self.venue, symbol)

    def instruments_requests(self, symbols: Sequence[str]) -> list[SnapshotRequest]:
        """The first page of ``GET /v5/market/instruments-info?category=spot|linear`` through ccxt's implicit
        method; :meth:`next_instruments_request` gives the others. Linear pages hold up to ``limit`` = 1000 entries
        (default 500); spot is one answer ("Spot does not support pagination, so ``limit``, ``cursor`` are
        invalid": Bybit v5 "Get Instruments Info")."""
        params = {"category": CATEGORY[self.venue]}
        if self.venue is not Venue.BYBIT:
            params["limit"] = INSTRUMENTS_PAGE_LIMIT
        return [SnapshotRequest("publicGetV5MarketInstrumentsInfo", params, INSTRUMENTS_PATH)]

    def next_instruments_request(self, request: SnapshotRequest, body: bytes | str | Mapping) -> SnapshotRequest | None:
        """The request of the page after ``body`` (``cursor`` = its ``result.nextPageCursor``), None when the
        cursor is absent or empty (the last page). Bybit v5 "Get Instruments Info": "Use the ``nextPageCursor``
        token from the response to retrieve the next page of the result set".

        Raises:
            MalformedFrame: ``body`` is not a JSON object with a ``result`` object.
        """
        try:
            value = body if isinstance(body, Mapping) else msgspec.json.decode(body)
            cursor = value["result"].get("nextPageCursor")
        except (msgspec.DecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedFrame(self.venue.value, f"not an instruments-info answer: {exc!r}", body) from None
        if not cursor:
            return None
        return SnapshotRequest(request.ccxt_method, {**request.params, "cursor": str(cursor)}, request.path)

    def specs_from_instruments(self, body: bytes | str | Mapping) -> list[InstrumentSpec]:
        return specs_from_instruments(self.venue, body)

    def is_instruments_url(self, url: str) -> bool:
        """A recorded REST URL of ``instruments-info`` (any category: the body says which)."""
        return INSTRUMENTS_PATH in url

    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``bybit`` market (``info`` is the venue's instruments-info entry: exact strings).

        Raises:
            ConfigError: the market is not of this category (spot vs linear).
        """
        spot = market.get("type") == "spot"
        if spot != (self.venue is Venue.BYBIT) or (not spot and not market.get("linear")):
            raise ConfigError(f"{self.venue.value}: market {market.get('symbol')!r} is not {CATEGORY[self.venue]}")
        info = market.get("info") or {}
        tick = Decimal(str((info.get("priceFilter") or {}).get("tickSize") or repr(market["precision"]["price"])))
        lots = info.get("lotSizeFilter") or {}
        lot = Decimal(str(lots.get("basePrecision") or lots.get("qtyStep") or repr(market["precision"]["amount"])))
        base = default_spec(self.venue, str(market["id"]))
        return InstrumentSpec(self.venue, str(market["id"]).upper(), base.kind, str(market["base"]),
                              str(market["quote"]), str(market.get("settle") or market["quote"]), False,
                              _decimals(tick), _decimals(lot), tick, lot, Decimal(1), base.maker_fee,
                              base.taker_fee, _min_notional(lots))  # fmt: skip

    def symbol_from_ccxt(self, unified: str) -> str:
        pair, _, settle = unified.partition(":")
        base, slash, quote = pair.partition("/")
        if not slash or (self.venue is Venue.BYBIT) != (settle == "") or (settle and settle != quote):
            raise ConfigError(f"{self.venue.value}: {unified!r} is not a symbol of this venue")
        return f"{base}{quote}"

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        if spec.kind == "spot":
            return f"{spec.base}/{spec.quote}"
        return f"{spec.base}/{spec.quote}:{spec.settle}"


def _decimals(step: Decimal) -> int:
    return max(0, -step.normalize().as_tuple().exponent)


SPOT = BybitAdapter(Venue.BYBIT)
LINEAR = BybitAdapter(Venue.BYBIT_LINEAR)
