"""Coinbase Advanced Trade market data (and the legacy Coinbase Pro feed): pure parsers, specs, symbols, frames.

Sources: Coinbase Developer Platform, Advanced Trade API, "WebSocket Overview" (``wss://advanced-trade-ws.coinbase.com``;
one ``subscribe`` per channel; "Sequence Numbers": ``sequence_num`` counts every message of the connection, a
jump means messages were lost) and "WebSocket Channels" (``level2`` -> ``l2_data`` snapshot then updates,
``market_trades``, ``ticker``, ``heartbeats``: "subscribe to heartbeats to keep all subscriptions open"); REST
``GET /api/v3/brokerage/market/products`` (``quote_increment``, ``base_increment``). Legacy feed: Coinbase Exchange
"WebSocket Feed" / "WebSocket Channels" (``wss://ws-feed.exchange.coinbase.com``, formerly ``ws-feed.pro``:
``level2`` -> ``snapshot`` + ``l2update``, ``matches`` -> ``match``/``last_match``, ``ticker``), handled by
:mod:`actors.feed.venues.coinbase_legacy`; :class:`CoinbaseParser` reads both (the first key tells them apart).

An Advanced Trade frame, as recorded (``cryptofeed/v3/COINBASE.jsonl``)::

    {"channel":"l2_data","timestamp":"2026-08-09T21:05:50.470488625Z","sequence_num":97,"events":[{"type":"update",
     "product_id":"ETH-USD","updates":[{"side":"bid","event_time":"2026-08-09T21:05:50.453897Z",
     "price_level":"1679.53","new_quantity":"0"}]}]}

What the parser emits per Advanced Trade frame, in order:

* always first a :class:`~actors.messages.StreamSequence` (``sequence_num``), for **every** channel, including
  those not translated (``candles``, ``status``, ``subscriptions``, ``heartbeats``): the continuity rule is per
  connection across channels (``connection_continues``: ``sequence == previous + 1``), so a lost candle message
  is a lost book update as far as anyone can tell;
* ``l2_data`` ``snapshot`` -> ``BookSnapshot`` (the full book), ``update`` -> ``BookDeltas`` (``new_quantity`` is
  absolute, ``"0"`` deletes; ``side`` ``bid``/``offer``); ``sequence`` of both is the frame's ``sequence_num``
  (increasing per instrument but not contiguous: continuity is checked on the connection), ``ts_event`` the newest
  ``event_time``;
* ``market_trades`` ``update`` -> ``Trade`` per trade. ``side`` is the **maker** order's side (as on the
  Exchange feed's ``match``: a ``SELL`` prints at the best ask), so the aggressor is the other side. The
  ``snapshot`` event (recent trades from before the subscription) is not emitted: those trades predate the book;
* ``ticker`` / ``ticker_batch`` -> ``Quote`` per ticker (``best_bid``/``best_ask`` and their quantities), with
  ``sequence`` -1 (it is not on the book's scale);
* ``{"type":"error"}`` -> :class:`~actors.errors.VenueError`.

Symbols: the venue symbol is the product id (``BTC-USD``), the instrument id ``BTC-USD.COINBASE``, ccxt's
``BTC/USD``. Decimals: from the products body when given (:func:`specs_from_products`), else 10/10, exact for every
Coinbase product (quote increments go down to 1e-8, base increments to 1e-8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues import coinbase_legacy
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest
from actors.feed.venues.policies import IncreasingStreamPolicy, decimals_of, join_ws, market_decimal
from actors.feed.venues.wiretime import iso8601_ns
from actors.feed.venues.entries import InstrumentEntry, InstrumentTable
from actors.feed.venues.module_adapter import ModuleAdapter
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Quote, StreamSequence, Trade

__all__ = [
    "ADAPTER",
    "COINBASE_POLICY",
    "CoinbaseAdapter",
    "CoinbaseParser",
    "REST_URL",
    "WS_URL",
    "ccxt_symbol",
    "default_spec",
    "product_from_ccxt",
    "spec_from_product",
    "specs_from_products",
    "subscribe_frames",
    "unsubscribe_frames",
]

WS_URL = "wss://advanced-trade-ws.coinbase.com"
REST_URL = "https://api.coinbase.com"
VENUE = "coinbase"
CHANNELS = ("level2", "market_trades", "ticker", "heartbeats")
_FEES = (Decimal("0.006"), Decimal("0.012"))  # Advanced Trade lowest tier: maker 0.60 %, taker 1.20 %
_GENERIC = msgspec.json.Decoder()
_UNTRANSLATED = frozenset({"candles", "status", "subscriptions", "heartbeats", "user", "futures_balance_summary"})


# -- symbols and specs -----------------------------------------------------------------------------------------
def ccxt_symbol(product_id: str) -> str:
    """``"BTC-USD"`` -> ``"BTC/USD"``.

    Raises:
        ConfigError: not ``BASE-QUOTE``.
    """
    base, dash, quote = product_id.upper().partition("-")
    if not dash or not base or not quote or "-" in quote:
        raise ConfigError(f"coinbase: {product_id!r} is not a BASE-QUOTE product id")
    return f"{base}/{quote}"


def product_from_ccxt(unified: str) -> str:
    """``"BTC/USD"`` -> ``"BTC-USD"``.

    Raises:
        ConfigError: not a spot ``BASE/QUOTE`` symbol.
    """
    base, slash, quote = unified.upper().partition("/")
    if not slash or not base or not quote or ":" in quote:
        raise ConfigError(f"coinbase: {unified!r} is not a spot BASE/QUOTE symbol")
    return f"{base}-{quote}"


def _decimals(increment: str) -> int:
    value = Decimal(increment).normalize()
    return max(0, -value.as_tuple().exponent)


def default_spec(product_id: str) -> InstrumentSpec:
    """A product with no products entry: 10 price and 10 size decimals (exact for every Coinbase product)."""
    base, _, quote = product_id.upper().partition("-")
    return InstrumentSpec(Venue.COINBASE, product_id.upper(), "spot", base, quote, quote, False, 10, 10,
                          Decimal("1e-10"), Decimal("1e-10"), Decimal(1), *_FEES)  # fmt: skip


def spec_from_product(entry: Mapping) -> InstrumentSpec:
    """One product (Advanced Trade ``products[]``: ``product_id``, ``quote_increment``/``price_increment``,
    ``base_increment``; or legacy ``/products``: ``id``, ``quote_increment``, ``base_increment``) -> spec.

    Raises:
        ConfigError: a field is missing or not a decimal.
    """
    try:
        product = str(entry.get("product_id") or entry["id"]).upper()
        tick = Decimal(str(entry.get("price_increment") or entry["quote_increment"]))
        lot = Decimal(str(entry["base_increment"]))
        base, _, quote = product.partition("-")
        return InstrumentSpec(Venue.COINBASE, product, "spot", base, quote, quote, False, _decimals(str(tick)),
                              _decimals(str(lot)), tick, lot, Decimal(1), *_FEES)  # fmt: skip
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ConfigError(f"coinbase: not a product entry: {exc!r}") from None


def specs_from_products(body: bytes | str | Mapping | Sequence) -> list[InstrumentSpec]:
    """A products body (Advanced Trade ``{"products": [...]}`` or the legacy list) -> specs of the spot products.

    Raises:
        ConfigError: not a products body.
    """
    value = body
    if isinstance(body, (bytes, str)):
        try:
            value = _GENERIC.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise ConfigError(f"coinbase: products body is not JSON: {exc}") from None
    if isinstance(value, Mapping):
        value = value.get("products")
    if not isinstance(value, list):
        raise ConfigError("coinbase: not a products body")
    return [spec_from_product(e) for e in value
            if isinstance(e, Mapping) and e.get("product_type", "SPOT") == "SPOT"]  # fmt: skip


def subscribe_frames(product_ids: Sequence[str], channels: Sequence[str] = CHANNELS) -> list[str]:
    """One Advanced Trade ``subscribe`` frame per channel ("you must send a unique subscription message for each
    channel"): ``{"type":"subscribe","product_ids":[...],"channel":"level2"}``. Public market data needs no JWT."""
    return [msgspec.json.encode({"type": "subscribe", "product_ids": list(product_ids), "channel": c}).decode()
            for c in channels]  # fmt: skip


def unsubscribe_frames(product_ids: Sequence[str], channels: Sequence[str] = ("level2",)) -> list[str]:
    """The matching ``unsubscribe`` frames (same shape, ``"type":"unsubscribe"``)."""
    return [msgspec.json.encode({"type": "unsubscribe", "product_ids": list(product_ids), "channel": c}).decode()
            for c in channels]  # fmt: skip


# -- parser ----------------------------------------------------------------------------------------------------


class CoinbaseParser:
    """Translate Coinbase Advanced Trade (and legacy Exchange) frames into domain messages (module docstring).

    Args:
        specs: product specs (:func:`specs_from_products`); others get :func:`default_spec`.
    """

    def __init__(self, specs: Sequence[InstrumentSpec] = ()) -> None:
        self._products = InstrumentTable(Venue.COINBASE, specs, default_spec)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec used for product ``symbol``."""
        return self.product(symbol).spec

    def product(self, product_id: object) -> InstrumentEntry:
        """The lookup entry of a product (created with the default spec on first sight)."""
        if not isinstance(product_id, str) or "-" not in product_id:
            raise MalformedFrame(VENUE, f"product_id {product_id!r} is not BASE-QUOTE", repr(product_id))
        return self._products.get(product_id)

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """Parse one text frame (Advanced Trade, or the legacy feed).

        Returns:
            Advanced Trade: ``StreamSequence`` first, then the frame's book, trade and quote events. Legacy: see
            :mod:`actors.feed.venues.coinbase_legacy`.

        Raises:
            MalformedFrame: not JSON, or not the documented shape. UnsupportedFrame: a legacy type not translated.
            VenueError: an ``error`` message.
        """
        try:
            value = _GENERIC.decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"not JSON: {exc}", frame) from None
        if not isinstance(value, dict):
            raise MalformedFrame(VENUE, "frame is not a JSON object", frame)
        try:
            if "channel" in value:
                return self._advanced(value, frame, ts_recv)
            if value.get("type") == "error":
                raise VenueError(f"coinbase: error: {value.get('message')}: {value.get('reason', '')}")
            return coinbase_legacy.translate(self, value, frame, ts_recv)
        except FeedError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame(VENUE, str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """Coinbase books are snapshotted on the stream (``l2_data`` ``snapshot``); there is no REST snapshot here.

        Raises:
            MalformedFrame: always.
        """
        raise MalformedFrame(VENUE, "Coinbase books are snapshotted on the stream, not over REST", b"")

    # -- Advanced Trade --------------------------------------------------------------------------------------
    def _advanced(self, value: dict, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        channel, seq, events = value["channel"], value["sequence_num"], value.get("events", [])
        if type(seq) is not int or seq < 0:
            raise MalformedFrame(VENUE, f"sequence_num {seq!r} is not a non-negative int", frame)
        if not isinstance(channel, str) or not isinstance(events, list):
            raise MalformedFrame(VENUE, "channel is not a string or events not an array", frame)
        out: list[MarketEvent] = [StreamSequence(VENUE, seq, ts_recv)]
        if channel == "l2_data":
            for event in events:
                out.append(self._l2(event, seq, frame, ts_recv))
        elif channel == "market_trades":
            for event in events:
                if event["type"] == "update":
                    out.extend(self._trade(t, frame, ts_recv) for t in event["trades"])
                elif event["type"] != "snapshot":
                    raise MalformedFrame(VENUE, f"market_trades event type {event['type']!r}", frame)
        elif channel in ("ticker", "ticker_batch"):
            for event in events:
                out.extend(self._ticker(t, frame, ts_recv) for t in event["tickers"])
        elif channel not in _UNTRANSLATED:
            raise MalformedFrame(VENUE, f"unknown channel {channel!r}", frame)
        return out

    def _l2(self, event: dict, seq: int, frame: bytes | str, ts_recv: int) -> BookSnapshot | BookDeltas:
        kind, product = event["type"], self.product(event["product_id"])
        updates = event["updates"]
        if kind not in ("snapshot", "update") or not isinstance(updates, list):
            raise MalformedFrame(VENUE, f"l2_data event type {kind!r}", frame)
        prices, sizes = product.levels.prices, product.levels.sizes
        bids, asks = [], []
        newest = 0
        for u in updates:
            side, price, size, t = u["side"], u["price_level"], u["new_quantity"], u["event_time"]
            if not isinstance(price, str) or not isinstance(size, str):
                raise MalformedFrame(VENUE, f"update {u!r} has non-string price/quantity", frame)
            level = (prices[price], sizes[size])
            if side == "bid":
                bids.append(level)
            elif side == "offer" or side == "ask":
                asks.append(level)
            else:
                raise MalformedFrame(VENUE, f"update side {side!r} is not bid/offer", frame)
            if t:
                newest = max(newest, iso8601_ns(t, VENUE))
        pd, sd = product.pd, product.sd
        if kind == "snapshot":
            bids.sort(key=lambda lv: -lv[0])
            asks.sort()
            return BookSnapshot(product.instrument_id, seq, tuple(bids), tuple(asks), pd, sd, newest, ts_recv)
        return BookDeltas(product.instrument_id, seq, seq, -1, tuple(bids), tuple(asks), pd, sd, newest, ts_recv)

    def _trade(self, t: dict, frame: bytes | str, ts_recv: int) -> Trade:
        product = self.product(t["product_id"])
        maker_side = t["side"]
        if maker_side not in ("BUY", "SELL") or not isinstance(t["trade_id"], str):
            raise MalformedFrame(VENUE, f"trade {t!r}: side is not BUY/SELL or trade_id not a string", frame)
        price, size = t["price"], t["size"]
        if not isinstance(price, str) or not isinstance(size, str):
            raise MalformedFrame(VENUE, f"trade {t!r} has non-string price/size", frame)
        aggressor = "sell" if maker_side == "BUY" else "buy"
        return Trade(product.instrument_id, t["trade_id"], product.levels.prices[price], product.levels.sizes[size],
                     aggressor, product.pd, product.sd, iso8601_ns(t["time"], VENUE), ts_recv)  # fmt: skip

    def _ticker(self, t: dict, frame: bytes | str, ts_recv: int) -> Quote:
        product = self.product(t["product_id"])
        fields = (t["best_bid"], t["best_bid_quantity"], t["best_ask"], t["best_ask_quantity"])
        if not all(isinstance(f, str) for f in fields):
            raise MalformedFrame(VENUE, f"ticker {t!r} has non-string best bid/ask", frame)
        prices, sizes = product.levels.prices, product.levels.sizes
        return Quote(product.instrument_id, -1, prices[fields[0]], sizes[fields[1]], prices[fields[2]],
                     sizes[fields[3]], product.pd, product.sd, 0, ts_recv)  # fmt: skip


# -- the venue seam (actors.feed.venues.base) ------------------------------------------------------------------
COINBASE_POLICY = IncreasingStreamPolicy()
"""Stream snapshots (``l2_data`` ``snapshot``); a diff not after the snapshot is stale, one older than the book's
last a late duplicate; continuity is per connection (:meth:`CoinbaseAdapter.connection_continues`). Legacy level2
diffs carry their receive time as sequence (arrival order): gaps there are undetectable."""


@dataclass(frozen=True)
class CoinbaseAdapter(ModuleAdapter):
    """The :class:`~actors.feed.venues.base.VenueAdapter` of Coinbase Advanced Trade.

    Connections: one per feed (Advanced Trade documents no per-connection product limit), a ``subscribe`` frame per
    channel (``level2``, ``market_trades``, ``ticker``, ``heartbeats``: heartbeats keep quiet subscriptions open, so
    no app-level ping). Resync of one product: ``unsubscribe`` + ``subscribe`` its ``level2`` (a fresh snapshot).
    """

    venue: Venue = Venue.COINBASE
    ccxt_id: str = "coinbase"
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    parser_class = CoinbaseParser
    sequence_policy = COINBASE_POLICY
    default_spec = staticmethod(default_spec)



    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        products = [s.upper() for s in symbols]
        channels = tuple(streams) if streams else CHANNELS
        return [ConnectionPlan(join_ws(ws_base) if ws_base else self.ws_url, tuple(products),
                               tuple(subscribe_frames(products, channels)))]  # fmt: skip

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        return (*unsubscribe_frames([symbol.upper()]), *subscribe_frames([symbol.upper()], ("level2",)))

    def connection_continues(self, previous: int, sequence: int) -> bool:
        """Advanced Trade "Sequence Numbers": each message is exactly one more than the previous on the connection;
        a reconnect starts again at 0 (the pipeline resets its counter on reconnect)."""
        return sequence == previous + 1

    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        raise ConfigError("coinbase: books are snapshotted on the stream (level2), not over REST")

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        """ccxt ``urls["api"]`` entries pointing at ``rest_base`` (a replay venue): ccxt ``coinbase``'s ``urls['api']`` has one host, ``rest``."""
        base = rest_base.rstrip("/")
        return {"rest": base}


    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``coinbase`` market (spot only): ``precision.price``/``amount`` are the increments.

        Raises:
            ConfigError: not a spot market.
        """
        if market.get("type", "spot") != "spot":
            raise ConfigError(f"coinbase: market {market.get('symbol')!r} is not spot")
        product = str(market["id"]).upper()
        tick, lot = market_decimal(market, "price"), market_decimal(market, "amount")
        if tick is None or lot is None:
            return default_spec(product)
        return replace(default_spec(product), price_decimals=decimals_of(tick), size_decimals=decimals_of(lot),
                       tick_size=tick, lot_size=lot)  # fmt: skip

    def symbol_from_ccxt(self, unified: str) -> str:
        return product_from_ccxt(unified)

    def ccxt_symbol(self, spec: InstrumentSpec) -> str:
        return ccxt_symbol(spec.symbol)


ADAPTER = CoinbaseAdapter()
