"""Bitstamp WebSocket API v2: pure parsers for ``diff_order_book_<pair>``, ``live_trades_<pair>`` and the REST
``order_book/<pair>`` snapshot; symbols and frames.

Sources: Bitstamp "WebSocket API v2" (``wss://ws.bitstamp.net``; ``{"event":"bts:subscribe","data":{"channel":
"diff_order_book_btcusd"}}``; channels "Live trades" ``live_trades_[pair]`` (event ``trade``: ``id``, ``amount_str``,
``price_str``, ``type`` 0 buy / 1 sell, ``microtimestamp``) and "Full order book" ``diff_order_book_[pair]``
(event ``data``: ``bids``/``asks`` ``[price, amount]`` with the new amount, ``"0"`` removing the level,
``microtimestamp``); ``bts:request_reconnect`` asks the client to reconnect) and HTTP API "Order book"
``GET /api/v2/order_book/{pair}/`` (``timestamp``, ``microtimestamp``, ``bids``, ``asks``).

Sync rule (the ``microtimestamp`` rule): subscribe and buffer the diffs, fetch the REST order book, drop every diff
whose ``microtimestamp`` is not after the snapshot's, apply the rest in order. Book events therefore carry the
``microtimestamp`` as their ``sequence`` (a snapshot's too), and the Bitstamp policy compares on it.
**Gaps are undetectable**: diffs carry no update id, so a lost diff leaves a wrong book that only a crossed book
reveals; a reconnect (or ``bts:request_reconnect``) resyncs from a new REST snapshot.

Documentation examples (there is no Bitstamp recording here)::

    {"data":{"timestamp":"1605019478","microtimestamp":"1605019478446829","bids":[["15339.44","0.00000000"]],
     "asks":[["15342.63","0.60000000"]]},"channel":"diff_order_book_btcusd","event":"data"}
    {"data":{"id":127023460,"timestamp":"1605019489","amount":0.02,"amount_str":"0.02000000","price":15339.21,
     "price_str":"15339.21","type":1,"microtimestamp":"1605019489123000","buy_order_id":1,"sell_order_id":2},
     "channel":"live_trades_btcusd","event":"trade"}

Trades: ``type`` 0 means the taker bought, 1 sold; the float ``amount``/``price`` are ignored for the exact
``amount_str``/``price_str``. Symbols: ``btcusd`` on the wire, instrument id ``BTCUSD.BITSTAMP``, ccxt ``BTC/USD``.
Decimals: 8 price and 8 size decimals by default (Bitstamp writes at most 8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.symbols import join_spot, split_concatenated
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest
from actors.feed.venues.policies import NewerThanSnapshotPolicy, decimals_of, join_ws, market_decimal
from actors.feed.venues.wiretime import int_field
from actors.feed.venues.entries import InstrumentEntry, InstrumentTable
from actors.feed.venues.module_adapter import ModuleAdapter
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Trade

__all__ = [
    "ADAPTER",
    "BITSTAMP_POLICY",
    "BitstampAdapter",
    "BitstampParser",
    "REST_URL",
    "WS_URL",
    "ccxt_symbol",
    "default_spec",
    "order_book_pair",
    "order_book_path",
    "pair_from_ccxt",
    "subscribe_frames",
]

WS_URL = "wss://ws.bitstamp.net"
REST_URL = "https://www.bitstamp.net"
VENUE = "bitstamp"
_QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "BTC", "ETH", "PAX")
_FEES = (Decimal("0.003"), Decimal("0.004"))  # Bitstamp base tier: maker 0.30 %, taker 0.40 %
_GENERIC = msgspec.json.Decoder()
_DIFF, _TRADES = "diff_order_book_", "live_trades_"
DIFF_CHANNEL, TRADES_CHANNEL = _DIFF, _TRADES
ORDER_BOOK_PREFIX = "/api/v2/order_book/"
HEARTBEAT_FRAME = '{"event":"bts:heartbeat"}'


def _split(pair: str) -> tuple[str, str]:
    return split_concatenated(pair, _QUOTES, VENUE)


def ccxt_symbol(pair: str) -> str:
    """``"btcusd"`` -> ``"BTC/USD"`` (longest known quote suffix).

    Raises:
        ConfigError: no known quote suffix.
    """
    base, quote = _split(pair)
    return f"{base}/{quote}"


def pair_from_ccxt(unified: str) -> str:
    """``"BTC/USD"`` -> ``"btcusd"`` (Bitstamp's ``url_symbol``).

    Raises:
        ConfigError: not a spot ``BASE/QUOTE`` symbol.
    """
    return join_spot(unified, VENUE).lower()


def default_spec(pair: str) -> InstrumentSpec:
    """8 price and 8 size decimals (Bitstamp writes at most 8); the spec's symbol is the upper-case pair."""
    try:
        base, quote = _split(pair)
    except ConfigError:
        base, quote = pair.upper(), "?"
    return InstrumentSpec(Venue.BITSTAMP, pair.upper(), "spot", base, quote, quote, False, 8, 8, Decimal("1e-8"),
                          Decimal("1e-8"), Decimal(1), *_FEES)  # fmt: skip


def subscribe_frames(pairs: Sequence[str]) -> list[str]:
    """``bts:subscribe`` frames for ``diff_order_book_<pair>`` and ``live_trades_<pair>`` of each pair."""
    return [msgspec.json.encode({"event": "bts:subscribe", "data": {"channel": f"{ch}{p.lower()}"}}).decode()
            for p in pairs for ch in (_DIFF, _TRADES)]  # fmt: skip


def order_book_path(pair: str) -> str:
    """The REST snapshot path: ``/api/v2/order_book/btcusd/``."""
    return f"{ORDER_BOOK_PREFIX}{pair.lower()}/"


def order_book_pair(url: str) -> str | None:
    """``".../api/v2/order_book/btcusd/"`` (a URL or a path) -> ``"BTCUSD"``; None when it is not that route."""
    path = urlparse(url).path if "://" in url else url.split("?", 1)[0]
    head, sep, rest = path.partition(ORDER_BOOK_PREFIX)
    pair = rest.strip("/")
    return pair.upper() if sep and not head.strip("/") and pair.isalnum() else None




class BitstampParser:
    """Translate Bitstamp v2 frames and REST order books (module docstring). ``specs`` override the default."""

    def __init__(self, specs: Sequence[InstrumentSpec] = ()) -> None:
        self._pairs = InstrumentTable(Venue.BITSTAMP, specs, default_spec)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec used for ``symbol`` (``btcusd`` or ``BTCUSD``)."""
        return self._pair(symbol).spec

    def _pair(self, pair: object) -> InstrumentEntry:
        if not isinstance(pair, str) or not pair.isalnum():
            raise MalformedFrame(VENUE, f"pair {pair!r} is not alphanumeric", repr(pair))
        return self._pairs.get(pair.upper())

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """One v2 frame -> ``(BookDeltas,)``, ``(Trade,)`` or ``()``.

        Raises:
            MalformedFrame: not JSON or not the documented shape. UnsupportedFrame: another channel.
            VenueError: ``bts:error``, or ``bts:request_reconnect`` (the venue asks for a reconnect).
        """
        try:
            value = _GENERIC.decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"not JSON: {exc}", frame) from None
        if not isinstance(value, dict) or not isinstance(value.get("event"), str):
            raise MalformedFrame(VENUE, "frame is not an object with an event", frame)
        try:
            event, channel = value["event"], value.get("channel", "")
            if event == "data" and channel.startswith(_DIFF):
                return (self._diff(value["data"], channel[len(_DIFF):], frame, ts_recv),)
            if event == "trade" and channel.startswith(_TRADES):
                return (self._trade(value["data"], channel[len(_TRADES):], frame, ts_recv),)
            if event in ("bts:subscription_succeeded", "bts:unsubscription_succeeded", "bts:heartbeat"):
                return ()
            if event == "bts:request_reconnect":
                raise VenueError("bitstamp: the venue asked for a reconnect (bts:request_reconnect)")
            if event == "bts:error":
                raise VenueError(f"bitstamp: error: {value.get('data')}")
            raise UnsupportedFrame(VENUE, f"{event}:{channel}")
        except FeedError:
            raise
        except VenueError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame(VENUE, str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """``GET /api/v2/order_book/{pair}/`` body (raw or decoded) -> snapshot with ``sequence`` =
        ``microtimestamp`` and ``ts_event`` = ``microtimestamp`` in ns.

        Raises:
            MalformedFrame: not an order book body. VenueError: Bitstamp's error body (``{"status":"error",...}``).
        """
        try:
            value = body if isinstance(body, Mapping) else _GENERIC.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"order book body is not JSON: {exc}", body) from None
        if not isinstance(value, Mapping):
            raise MalformedFrame(VENUE, "order book body is not an object", body)
        if value.get("status") == "error" or ("code" in value and "bids" not in value):
            raise VenueError(f"bitstamp: order book refused: {value.get('reason') or value}")
        try:
            pair = self._pair(symbol)
            micro = int_field(value["microtimestamp"], "microtimestamp", VENUE)
            bids = sorted(pair.levels(_side(value["bids"], body)), key=lambda lv: -lv[0])
            asks = sorted(pair.levels(_side(value["asks"], body)))
        except FeedError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedFrame(VENUE, f"not an order book body: {exc!r}", body) from None
        return BookSnapshot(pair.instrument_id, micro, tuple(bids), tuple(asks), pair.pd, pair.sd, micro * 1000,
                            ts_recv)  # fmt: skip

    def _diff(self, data: dict, pair_name: str, frame: bytes | str, ts_recv: int) -> BookDeltas:
        pair = self._pair(pair_name)
        micro = int_field(data["microtimestamp"], "microtimestamp", VENUE)
        bids, asks = pair.levels(_side(data["bids"], frame)), pair.levels(_side(data["asks"], frame))
        return BookDeltas(pair.instrument_id, micro, micro, -1, bids, asks, pair.pd, pair.sd, micro * 1000, ts_recv)

    def _trade(self, data: dict, pair_name: str, frame: bytes | str, ts_recv: int) -> Trade:
        pair = self._pair(pair_name)
        kind, price, size = data["type"], data["price_str"], data["amount_str"]
        if kind not in (0, 1) or type(kind) is not int or not isinstance(price, str) or not isinstance(size, str):
            raise MalformedFrame(VENUE, "trade type is not 0/1 or price_str/amount_str not strings", frame)
        micro = int_field(data["microtimestamp"], "microtimestamp", VENUE)
        trade_id = int_field(data["id"], "id", VENUE)
        return Trade(pair.instrument_id, str(trade_id), pair.levels.prices[price], pair.levels.sizes[size],
                     "buy" if kind == 0 else "sell", pair.pd, pair.sd, micro * 1000, ts_recv)  # fmt: skip


def _side(levels: object, frame: object) -> list:
    if not isinstance(levels, list) or not all(isinstance(lv, list) and len(lv) >= 2 for lv in levels):
        raise MalformedFrame(VENUE, "book side is not a list of [price, amount]", frame)
    return levels


# -- the venue seam (actors.feed.venues.base) ------------------------------------------------------------------
BITSTAMP_POLICY = NewerThanSnapshotPolicy()
"""REST ``order_book`` at ``microtimestamp`` T; diffs at ``<= T`` are dropped, later ones applied in order; gaps
are undetectable (module docstring)."""


@dataclass(frozen=True)
class BitstampAdapter(ModuleAdapter):
    """The :class:`~actors.feed.venues.base.VenueAdapter` of Bitstamp (WebSocket API v2 + HTTP ``order_book``).

    Connections: one ``wss://ws.bitstamp.net`` with a ``bts:subscribe`` per channel (``diff_order_book_<pair>``,
    ``live_trades_<pair>``), app-level ``{"event":"bts:heartbeat"}`` every 20 s (Bitstamp answers it). Snapshots from
    ``GET /api/v2/order_book/{pair}/`` through ccxt's ``publicGetOrderBookPair``.
    """

    venue: Venue = Venue.BITSTAMP
    ccxt_id: str = "bitstamp"
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    parser_class = BitstampParser
    sequence_policy = BITSTAMP_POLICY
    default_spec = staticmethod(default_spec)
    from_ccxt = staticmethod(lambda unified: pair_from_ccxt(unified).upper())
    to_ccxt = staticmethod(ccxt_symbol)



    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        pairs = [s.lower() for s in symbols]
        frames = ([msgspec.json.encode({"event": "bts:subscribe", "data": {"channel": c}}).decode() for c in streams]
                  if streams else subscribe_frames(pairs))  # fmt: skip
        return [ConnectionPlan(join_ws(ws_base) if ws_base else self.ws_url, tuple(p.upper() for p in pairs),
                               tuple(frames), ping_frame=HEARTBEAT_FRAME, ping_interval_s=20.0)]  # fmt: skip

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        return ()  # snapshots come from REST


    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        """Bitstamp's order book has no depth parameter (``group=1``: aggregated by price, the default)."""
        return SnapshotRequest("publicGetOrderBookPair", {"pair": symbol.lower()}, order_book_path(symbol))

    def snapshot_symbol_of(self, url: str) -> str | None:
        """The pair (upper case) of a recorded REST ``order_book/<pair>/`` URL, None for any other URL."""
        return order_book_pair(url)

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        """ccxt ``urls["api"]`` entries pointing at ``rest_base`` (a replay venue); ccxt ``bitstamp``'s hosts end in
        ``/api`` (its paths are ``v2/...``)."""
        base = rest_base.rstrip("/")
        return {"public": base + "/api", "private": base + "/api"}


    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``bitstamp`` market (``precision`` ticks from ``trading-pairs-info``).

        Raises:
            ConfigError: not a spot market.
        """
        if market.get("type", "spot") != "spot":
            raise ConfigError(f"bitstamp: market {market.get('symbol')!r} is not spot")
        spec = default_spec(str(market["id"]))
        tick, lot = market_decimal(market, "price"), market_decimal(market, "amount")
        if tick is None or lot is None:
            return spec
        return replace(spec, base=str(market.get("base", spec.base)), quote=str(market.get("quote", spec.quote)),
                       settle=str(market.get("quote", spec.quote)), price_decimals=decimals_of(tick),
                       size_decimals=decimals_of(lot), tick_size=tick, lot_size=lot)  # fmt: skip




ADAPTER = BitstampAdapter()
