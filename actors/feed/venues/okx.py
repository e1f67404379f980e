"""OKX v5 public channels (spot, swaps, futures: one venue ``okx``, the ``instId`` names the kind): pure parsers,
the sequence policy with the CRC32 checksum, connections, REST snapshots and instrument specs.

Sources (OKX API v5 docs):

* "WebSocket > Overview / Connect": ``wss://ws.okx.com:8443/ws/v5/public``; subscribe
  ``{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}``, reply
  ``{"event":"subscribe","arg":{...}}``, errors ``{"event":"error","code":"60012","msg":"..."}``; "If there's a
  network problem, the system will automatically disable the connection. The connection will break automatically
  if the subscription is not established or data has not been pushed for more than 30 seconds": send the text
  ``ping`` and expect ``pong``.
* "Public channel > Order book channel": ``books`` (400 levels: ``action`` ``snapshot`` then ``update``),
  ``books5`` (a 5-level snapshot on every push), ``bbo-tbt`` (a 1-level snapshot on every push); levels
  ``[price, size, "0" (deprecated), number of orders]``, absolute size, ``"0"`` deletes; ``seqId`` / ``prevSeqId``:
  "prevSeqId of the next message = seqId of the current one" normally; no update for a while: a message with empty
  ``asks``/``bids`` whose ``seqId`` equals the last one and ``prevSeqId`` equals ``seqId``; "the sequence number may
  be reset due to maintenance: seqId will be less than prevSeqId" (still continuous: prevSeqId = last seqId); the
  snapshot's ``prevSeqId`` is -1.
* "Checksum": "a CRC32 of the first 25 bids and asks: ``bid1[price]:bid1[size]:ask1[price]:ask1[size]:bid2...``;
  when one side has fewer than 25 levels, the missing entries are skipped (``bid1:ask1:bid2:ask2:bid3...``);
  the result is a signed 32-bit integer". Prices and sizes are the venue's strings: OKX writes them without
  trailing zeros (``"30261"`` for 30261.0), which :func:`okx_checksum` rebuilds from the exact fixed-point book.
* "Trades channel" (``trades``: ``tradeId``, ``px``, ``sz``, ``side`` = taker side, ``ts`` ms) and "Tickers
  channel" (``bidPx``, ``bidSz``, ``askPx``, ``askSz``, ``ts``).
* REST "Market Data > Get order book" (``GET /api/v5/market/books?instId=&sz=``, at most 400 per side) and
  "Public Data > Get instruments" (``tickSz``, ``lotSz``, ``ctVal``).

Sequence rule (:class:`OkxPolicy`): snapshots come on the stream; a new snapshot replaces the book; where the
frames carry ``seqId``/``prevSeqId`` every update must have ``prevSeqId`` == the last ``seqId`` (a duplicate or
late update, ``seqId`` <= last, is stale); the recorded 2022 capture predates those fields, so there gap
detection is by the checksum alone. The checksum is validated after every update that carries one (by default):
a mismatch clears the book and resubscribes.

A real update, as recorded (``cryptofeed/v3/OKX.jsonl``)::

    {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["30247.5","0.00406","0",
     "3"]],"bids":[["30247.4","0.34078301","0","3"]],"ts":"1652459228568","checksum":308193036}]}

Errors: :class:`MalformedFrame` for a frame not valid for its channel, :class:`UnsupportedFrame` for a channel
not translated here, :class:`VenueError` for an ``error`` event. Subscription events and ``pong`` parse to ``()``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.base import BookLevels, ConnectionPlan, SnapshotRequest, Verdict
from actors.feed.venues.entries import InstrumentEntry, InstrumentTable
from actors.feed.venues.module_adapter import ModuleAdapter
from actors.fixedpoint import fixed_to_plain
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, Level, MarketEvent, Quote, Trade

__all__ = ["OKX", "OkxAdapter", "OkxParser", "OkxPolicy", "okx_checksum", "subscribe_frame"]

WS_URL = "wss://ws.okx.com:8443/ws/v5/public"
WS_PATH = "/ws/v5/public"
REST_URL = "https://www.okx.com"
REST_BOOKS_PATH = "/api/v5/market/books"
INSTRUMENTS_PATH = "/api/v5/public/instruments"
PING_FRAME = "ping"
PING_INTERVAL_S = 25.0  # the connection breaks after 30 s without data
CHECKSUM_DEPTH = 25
BOOK_CHANNELS = ("books", "books5", "bbo-tbt")
DEFAULT_DECIMALS = 12  # exact for any instrument without its instrument info (OKX tick sizes go down to 1e-11)
_MS = 1_000_000
_Level4 = list[list[str]]


# -- wire structs (OKX field names) ----------------------------------------------------------------------------
class _Arg(msgspec.Struct):
    channel: str
    instId: str = ""


class _BookData(msgspec.Struct):
    asks: _Level4
    bids: _Level4
    ts: str
    checksum: int | None = None
    seqId: int | None = None
    prevSeqId: int | None = None
    instId: str = ""


class _Book(msgspec.Struct):
    arg: _Arg
    data: list[_BookData]
    action: str = "snapshot"  # books5 / bbo-tbt have no action: every push is a snapshot


class _TradeData(msgspec.Struct):
    instId: str
    tradeId: str
    px: str
    sz: str
    side: str
    ts: str


class _Trades(msgspec.Struct):
    arg: _Arg
    data: list[_TradeData]


class _TickerData(msgspec.Struct):
    instId: str
    bidPx: str
    bidSz: str
    askPx: str
    askSz: str
    ts: str


class _Tickers(msgspec.Struct):
    arg: _Arg
    data: list[_TickerData]


class _RestBooks(msgspec.Struct):
    code: str
    msg: str = ""
    data: list[_BookData] = []


_BOOK = msgspec.json.Decoder(_Book)
_TRADES = msgspec.json.Decoder(_Trades)
_TICKERS = msgspec.json.Decoder(_Tickers)
_REST = msgspec.json.Decoder(_RestBooks)
_GENERIC = msgspec.json.Decoder()
_ARG_B = b'{"arg":{"channel":"'




def _pairs(levels: _Level4) -> list[tuple[str, str]]:
    return [(level[0], level[1]) for level in levels]


class OkxParser:
    """Translate OKX v5 public frames into domain messages.

    Args:
        specs: instrument specs by ``instId``; others get :func:`default_spec`.
    """

    venue = Venue.OKX

    def __init__(self, specs: Sequence[InstrumentSpec] = ()) -> None:
        self._instruments = InstrumentTable(Venue.OKX, specs, default_spec, bound=4096)

    def instrument(self, symbol: str) -> InstrumentEntry:
        return self._instruments.get(symbol)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        return self.instrument(symbol.upper()).spec

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """Parse one text frame.

        Returns:
            ``(BookSnapshot,)`` / ``(BookDeltas,)`` per book push, one ``Trade`` per trade, one ``Quote`` per ticker,
            ``()`` for subscription events and ``pong``.

        Raises:
            MalformedFrame, UnsupportedFrame, VenueError: see the module docstring.
        """
        raw = frame if type(frame) is bytes else frame.encode()
        try:
            if raw == b"pong":
                return ()
            if raw[:19] == _ARG_B:
                channel = raw[19 : raw.find(b'"', 19)].decode("ascii", "replace")
                value = None
            else:
                value = _GENERIC.decode(raw)
                if not isinstance(value, dict):
                    raise MalformedFrame("okx", "frame is not a JSON object", raw)
                if "event" in value:
                    return self._event(value)
                arg = value.get("arg")
                channel = arg.get("channel") if isinstance(arg, dict) else None
                if not isinstance(channel, str):
                    raise MalformedFrame("okx", "unknown frame", raw)
            route = _ROUTES.get(channel)
            if route is None:
                raise UnsupportedFrame("okx", channel)
            decoder, struct, translate = route
            wire = decoder.decode(raw) if value is None else msgspec.convert(value, struct)
            return translate(self, wire, ts_recv)
        except FeedError:
            raise
        except (msgspec.DecodeError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame("okx", str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """Parse a ``GET /api/v5/market/books`` body (raw, or decoded by ccxt's implicit method) of ``symbol``.

        Raises:
            MalformedFrame: not a books body. VenueError: ``code`` != ``"0"``.
        """
        try:
            reply = msgspec.convert(body, _RestBooks) if isinstance(body, Mapping) else _REST.decode(body)
            if reply.code != "0":
                raise VenueError(f"okx: order book refused: code {reply.code}: {reply.msg}")
            (d,) = reply.data
            inst = self.instrument(symbol.upper())
            bids, asks = inst.levels(_pairs(d.bids)), inst.levels(_pairs(d.asks))
            ts = int(d.ts) * _MS
        except FeedError:
            raise
        except VenueError:
            raise
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError) as exc:
            raise MalformedFrame("okx", f"not an order book body: {exc}", body) from None
        return BookSnapshot(inst.instrument_id, -1 if d.seqId is None else d.seqId, bids, asks, inst.pd, inst.sd,
                            ts, ts_recv)  # fmt: skip

    # -- internals -------------------------------------------------------------------------------------------
    def _book(self, w: _Book, ts_recv: int) -> tuple:
        inst = self.instrument(w.arg.instId)
        out = []
        for d in w.data:
            bids, asks = inst.levels(_pairs(d.bids)), inst.levels(_pairs(d.asks))
            seq = -1 if d.seqId is None else d.seqId
            ts = int(d.ts) * _MS
            if w.action == "snapshot":
                out.append(BookSnapshot(inst.instrument_id, seq, bids, asks, inst.pd, inst.sd, ts, ts_recv, d.checksum))
            elif w.action == "update":
                prev = -1 if d.prevSeqId is None else d.prevSeqId
                out.append(BookDeltas(inst.instrument_id, seq, seq, prev, bids, asks, inst.pd, inst.sd, ts, ts_recv,
                                      d.checksum))  # fmt: skip
            else:
                raise MalformedFrame("okx", f"books action {w.action!r}", w.arg.instId)
        return tuple(out)

    def _trades(self, w: _Trades, ts_recv: int) -> tuple:
        out = []
        for t in w.data:
            inst = self.instrument(t.instId)
            if t.side not in ("buy", "sell"):
                raise MalformedFrame("okx", f"trade side {t.side!r}", t.instId)
            out.append(Trade(inst.instrument_id, t.tradeId, inst.levels.prices[t.px], inst.levels.sizes[t.sz], t.side,
                             inst.pd, inst.sd, int(t.ts) * _MS, ts_recv))  # fmt: skip
        return tuple(out)

    def _tickers(self, w: _Tickers, ts_recv: int) -> tuple:
        out = []
        for t in w.data:
            if not (t.bidPx and t.askPx and t.bidSz and t.askSz):
                continue  # an empty side (no bids or no asks): no top of book to report
            inst = self.instrument(t.instId)
            prices, sizes = inst.levels.prices, inst.levels.sizes
            ts = int(t.ts)
            # Quote.sequence: OKX tickers carry no book id; the ts (ms) is never a book seqId (no ticker check).
            out.append(Quote(inst.instrument_id, -ts, prices[t.bidPx], sizes[t.bidSz], prices[t.askPx],
                             sizes[t.askSz], inst.pd, inst.sd, ts * _MS, ts_recv))  # fmt: skip
        return tuple(out)

    def _event(self, value: dict) -> tuple:
        if value.get("event") == "error":
            raise VenueError(f"okx: error {value.get('code')}: {value.get('msg')}")
        return ()  # subscribe / unsubscribe / channel-conn-count events


_ROUTES = {
    "books": (_BOOK, _Book, OkxParser._book),
    "books5": (_BOOK, _Book, OkxParser._book),
    "bbo-tbt": (_BOOK, _Book, OkxParser._book),
    "trades": (_TRADES, _Trades, OkxParser._trades),
    "tickers": (_TICKERS, _Tickers, OkxParser._tickers),
}


_TEXT_CACHES: dict[int, dict[int, str]] = {}


def _texts(decimals: int) -> dict[int, str]:
    """A bounded cache of fixed-point value -> OKX spelling, per scale (book levels repeat between checksums)."""
    cache = _TEXT_CACHES.get(decimals)
    if cache is None or len(cache) > 100_000:
        cache = _TEXT_CACHES[decimals] = {}
    return cache


def okx_checksum(bids: Sequence[Level], asks: Sequence[Level], price_decimals: int, size_decimals: int) -> int:
    """OKX's book checksum ("Checksum" section): CRC32 of ``bid1px:bid1sz:ask1px:ask1sz:...`` over the best 25 per
    side (a shorter side's missing entries skipped), as a signed 32-bit int.

    Args:
        bids, asks: fixed-point levels, best first (at least the best 25).
    """
    parts: list[str] = []
    prices, sizes = _texts(price_decimals), _texts(size_decimals)
    for i in range(min(CHECKSUM_DEPTH, max(len(bids), len(asks)))):
        if i < len(bids):
            price, size = bids[i]
            parts.append(prices.get(price) or prices.setdefault(price, fixed_to_plain(price, price_decimals)))
            parts.append(sizes.get(size) or sizes.setdefault(size, fixed_to_plain(size, size_decimals)))
        if i < len(asks):
            price, size = asks[i]
            parts.append(prices.get(price) or prices.setdefault(price, fixed_to_plain(price, price_decimals)))
            parts.append(sizes.get(size) or sizes.setdefault(size, fixed_to_plain(size, size_decimals)))
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class OkxPolicy:
    """OKX book sequencing (module docstring): stream snapshots, ``prevSeqId`` == last ``seqId`` where present,
    the CRC32 checksum of the top 25 levels validated after each update."""

    name = "okx_v5"
    snapshot_source = "stream"
    has_checksum = True
    may_reset = False

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        return self.next_diff(diff, snapshot_sequence)

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        if diff.sequence < 0 or last_sequence < 0:
            return Verdict.APPLY  # no seqId on this channel or capture: the checksum is the only check
        if diff.prev_sequence == last_sequence:
            return Verdict.APPLY  # includes the empty keep-alive (seqId == prevSeqId) and a sequence reset
        if diff.sequence == last_sequence or diff.prev_sequence <= diff.sequence < last_sequence:
            return Verdict.STALE  # a duplicate of the last update, or a late one
        return Verdict.GAP

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]:
        return last_sequence, diff.prev_sequence

    def resets(self, diff: BookDeltas) -> bool:
        return False

    def checksum_ok(self, book: BookLevels, checksum: int) -> bool:
        bids, asks = book.depth(CHECKSUM_DEPTH)
        return okx_checksum(bids, asks, book.price_decimals, book.size_decimals) == checksum


_POLICY = OkxPolicy()


def subscribe_frame(args: Sequence[tuple[str, str]], op: str = "subscribe") -> str:
    """``{"op":"subscribe","args":[{"channel":..,"instId":..}, ...]}`` from ``(channel, instId)`` pairs."""
    return msgspec.json.encode({"op": op, "args": [{"channel": c, "instId": i} for c, i in args]}).decode()


def default_channels(inst_id: str) -> list[tuple[str, str]]:
    """What raytrade subscribes per instrument: ``books`` (400 levels, checksummed), ``trades``, ``tickers``."""
    return [("books", inst_id), ("trades", inst_id), ("tickers", inst_id)]


def default_spec(inst_id: str) -> InstrumentSpec:
    """An exact spec for any OKX ``instId`` without its instrument info (12/12 decimals).

    ``BTC-USDT`` spot; ``BTC-USDT-SWAP`` linear perpetual (settle USDT); ``BTC-USD-SWAP`` inverse (settle BTC);
    ``BTC-USD-220527`` an expiring future. Contract size 1 (unknown: check ``ctVal`` before trading).
    """
    inst_id = inst_id.upper()
    parts = inst_id.split("-")
    base, quote = (parts + ["?", "?"])[:2]
    kind = "spot" if len(parts) == 2 else ("perpetual" if parts[-1] == "SWAP" else "future")
    inverse = kind != "spot" and quote == "USD"
    settle = base if inverse else quote
    step = Decimal(1).scaleb(-DEFAULT_DECIMALS)
    # OKX regular-user fees: spot 0.08 % maker / 0.10 % taker; swaps 0.02 % / 0.05 % ("Fee rates").
    maker, taker = (Decimal("0.0008"), Decimal("0.001")) if kind == "spot" else (Decimal("0.0002"), Decimal("0.0005"))
    return InstrumentSpec(Venue.OKX, inst_id, kind, base, quote, settle, inverse, DEFAULT_DECIMALS, DEFAULT_DECIMALS,
                          step, step, Decimal(1), maker, taker)  # fmt: skip


def inst_type(inst_id: str) -> str:
    """The ``instType`` of an ``instId``: ``SPOT`` (``BTC-USDT``), ``SWAP`` (``*-SWAP``), ``OPTION``
    (``BTC-USD-220527-30000-C``) or ``FUTURES`` (``BTC-USD-220527``)."""
    parts = inst_id.upper().split("-")
    if len(parts) == 2:
        return "SPOT"
    if parts[-1] == "SWAP":
        return "SWAP"
    return "OPTION" if len(parts) >= 5 else "FUTURES"


def spec_from_instrument(entry: Mapping[str, Any]) -> InstrumentSpec:
    """A spec from one ``data`` entry of ``GET /api/v5/public/instruments`` (OKX v5 "Public Data > Get
    instruments": ``tickSz``, ``lotSz``, ``ctVal`` for derivatives). Decimals are those of the tick and the lot.

    Raises:
        KeyError / TypeError / decimal.InvalidOperation: not an instruments entry (callers wrap them).
    """
    base = default_spec(str(entry["instId"]))
    tick, lot = Decimal(str(entry["tickSz"])), Decimal(str(entry["lotSz"]))
    ct = Decimal(str(entry.get("ctVal") or 1)) if base.kind != "spot" else Decimal(1)
    return InstrumentSpec(Venue.OKX, base.symbol, base.kind, base.base, base.quote, base.settle, base.inverse,
                          _decimals(tick), _decimals(lot), tick, lot, ct, base.maker_fee, base.taker_fee)  # fmt: skip


def specs_from_instruments(body: bytes | str | Mapping) -> list[InstrumentSpec]:
    """Every spec of a ``GET /api/v5/public/instruments`` answer (raw or decoded).

    Raises:
        VenueError: a ``code`` other than ``"0"``. MalformedFrame: not an instruments answer.
    """
    try:
        value = body if isinstance(body, Mapping) else msgspec.json.decode(body)
        if str(value.get("code")) != "0":
            raise VenueError(f"okx: instruments refused: {value.get('code')} {value.get('msg')}")
        return [spec_from_instrument(entry) for entry in value["data"]]
    except FeedError:
        raise
    except (msgspec.DecodeError, KeyError, TypeError, AttributeError, ArithmeticError, ValueError) as exc:
        raise MalformedFrame("okx", f"not an instruments answer: {exc!r}", body) from None


@dataclass(frozen=True)
class OkxAdapter(ModuleAdapter):
    """The :class:`~actors.feed.venues.base.VenueAdapter` of OKX (public channels)."""

    venue: Venue = Venue.OKX
    ccxt_id: str = "okx"
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    parser_class = OkxParser
    sequence_policy = _POLICY
    default_spec = staticmethod(default_spec)



    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        """One connection; ``streams`` as ``"channel:instId"`` (e.g. ``"books5:BTC-USDT"``) replace the defaults."""
        if streams:
            args = [tuple(s.split(":", 1)) for s in streams]
        else:
            args = [a for s in symbols for a in default_channels(s.upper())]
        url = (ws_base.rstrip("/") + WS_PATH) if ws_base else WS_URL
        served = tuple(dict.fromkeys(i for _, i in args))
        return [ConnectionPlan(url, served, (subscribe_frame(args),), PING_FRAME, PING_INTERVAL_S)]

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        arg = [("books", symbol.upper())]
        return subscribe_frame(arg, "unsubscribe"), subscribe_frame(arg)


    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        return SnapshotRequest("publicGetMarketBooks", {"instId": symbol.upper(), "sz": min(limit, 400)},
                               REST_BOOKS_PATH)  # fmt: skip

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        base = rest_base.rstrip("/")
        return {"rest": base}


    def instruments_requests(self, symbols: Sequence[str]) -> list[SnapshotRequest]:
        """``GET /api/v5/public/instruments?instType=`` per instrument type among ``symbols`` (options also need
        ``uly``), through ccxt's implicit method."""
        out = []
        for kind in dict.fromkeys(inst_type(s) for s in symbols):
            if kind == "OPTION":
                for uly in dict.fromkeys("-".join(s.upper().split("-")[:2]) for s in symbols if inst_type(s) == kind):
                    out.append(SnapshotRequest("publicGetPublicInstruments", {"instType": kind, "uly": uly},
                                               INSTRUMENTS_PATH))  # fmt: skip
            else:
                out.append(SnapshotRequest("publicGetPublicInstruments", {"instType": kind}, INSTRUMENTS_PATH))
        return out

    def specs_from_instruments(self, body: bytes | str | Mapping) -> list[InstrumentSpec]:
        return specs_from_instruments(body)

    def is_instruments_url(self, url: str) -> bool:
        """A recorded REST URL of ``/api/v5/public/instruments``."""
        return INSTRUMENTS_PATH in url

    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``okx`` market (``info`` is the venue's instruments entry: ``tickSz``, ``lotSz``,
        ``ctVal`` as exact strings)."""
        info = market.get("info") or {}
        inst_id = str(info.get("instId") or market["id"]).upper()
        base = default_spec(inst_id)
        tick = Decimal(str(info.get("tickSz") or repr(market["precision"]["price"])))
        lot = Decimal(str(info.get("lotSz") or repr(market["precision"]["amount"])))
        ct = Decimal(str(info.get("ctVal") or 1)) if base.kind != "spot" else Decimal(1)
        return InstrumentSpec(Venue.OKX, inst_id, base.kind, base.base, base.quote, base.settle, base.inverse,
                              _decimals(tick), _decimals(lot), tick, lot, ct, base.maker_fee, base.taker_fee)  # fmt: skip

    def symbol_from_ccxt(self, unified: str) -> str:
        pair, _, tail = unified.partition(":")
        base, slash, quote = pair.partition("/")
        if not slash:
            raise ConfigError(f"okx: {unified!r} is not a ccxt symbol")
        if not tail:
            return f"{base}-{quote}"
        settle, _, expiry = tail.partition("-")
        return f"{base}-{quote}-{expiry}" if expiry else f"{base}-{quote}-SWAP"

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        if spec.kind == "spot":
            return f"{spec.base}/{spec.quote}"
        if spec.kind == "future":
            return f"{spec.base}/{spec.quote}:{spec.settle}-{spec.symbol.rsplit('-', 1)[-1]}"
        return f"{spec.base}/{spec.quote}:{spec.settle}"


def _decimals(step: Decimal) -> int:
    return max(0, -step.normalize().as_tuple().exponent)


OKX = OkxAdapter()
