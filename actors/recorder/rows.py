"""Pure conversion of messages (and plain dicts) into store rows, each with its idempotent key.

A row is a ``dict`` with every column of its table (:data:`actors.recorder.schema.COLUMNS`), values typed by the
column kind: ``Decimal`` for money (from the messages' fixed-point ints, exactly), ``int`` ns for times, ``str``,
``bool``, ``float`` (ratios only), JSON text. A money column refuses a ``float`` (``TypeError``): pass a Decimal.

Row sources: :class:`~actors.messages.Trade` -> ``trades``, :class:`~actors.messages.Quote` -> ``quotes``
(``spread = ask - bid``, ``mid = (bid + ask) / 2``), :class:`~actors.messages.BookView` -> ``book_snapshots``
(levels as JSON ``[["price", "size"], ...]`` in the venue's decimals), :class:`~actors.bars.bar.Bar` -> ``bars``
(``interval_s``, ``ts_open`` = the interval's start, VWAP exact at the price's decimals + 4), :class:`~actors.orders.OrderEvent` (or a
bare :class:`~actors.orders.Order`) -> ``orders`` (one row per state change), :class:`~actors.orders.Fill` ->
``fills``, :class:`~actors.orders.Signal` -> ``signals``, :class:`~actors.orders.PositionSnapshot` ->
``positions``; anything else (a ``dict``, or an object such as a ``RiskEvent`` with attributes named like the
columns) is read column by column, missing columns are None.

Idempotent key: ``row_key = "<run_id>:<table's key fields joined by ':'>"`` (:data:`KEY_FIELDS`), e.g. a trade
``run-1:BTCUSDT.BINANCE:3730458203``, an order state change ``run-1:<client_order_id>:partially_filled:<filled>:
<ts_event>``. A row that already carries ``row_key`` keeps it. The same message always gives the same key, so a
re-sent batch or a restarted recorder inserts nothing twice (stores insert with ``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from enum import Enum

from actors.bars.bar import INTERVALS, Bar
from actors.fixedpoint import fixed_to_decimal, fixed_to_str
from actors.messages import BookView, Quote, Trade
from actors.orders import Fill, Order, OrderEvent, OrderStatus, PositionSnapshot, Signal
from actors.recorder.schema import COLUMNS, TIME_COLUMN

__all__ = ["KEY_FIELDS", "coerce", "partition_of", "to_row", "to_rows", "venue_of"]

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "trades": ("instrument_id", "trade_id"), "quotes": ("instrument_id", "sequence", "ts_recv"),
    "book_snapshots": ("instrument_id", "sequence", "ts_published"), "bars": ("instrument_id", "interval_s", "ts_open"),
    "feed_events": ("feed_id", "instrument_id", "kind", "ts"),
    "orders": ("client_order_id", "event", "filled", "ts_event"), "fills": ("fill_id",),
    "positions": ("strategy_id", "instrument_id", "ts_updated"),
    "signals": ("strategy_id", "instrument_id", "action", "ts_event"), "strategy_state": ("strategy_id", "ts"),
    "account_balances": ("venue", "mode", "account", "asset", "ts"), "performance_metrics": ("strategy_id", "ts"),
    "risk_events": ("kind", "strategy_id", "client_order_id", "reason", "ts_event"),
    "system_alerts": ("source", "severity", "ts"), "system_health": ("actor", "ts"),
    "trading_sessions": ("phase",), "audit_log": ("token_id", "action", "target", "ts"),
}  # fmt: skip
"""Fields that identify a row within a run (with ``run_id`` in front they form ``row_key``)."""

_KINDS = {table: dict(cols) for table, cols in COLUMNS.items()}


def venue_of(instrument_id: str | None) -> str:
    """``"BTCUSDT.BINANCE_USDM"`` -> ``"binance_usdm"``; ``"unknown"`` without a venue part."""
    if not instrument_id or "." not in instrument_id:
        return "unknown"
    return instrument_id.rpartition(".")[2].lower()


def _money(value, column: str):
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{column}: money must be exact (Decimal, int or decimal str), got {value!r}")
    return Decimal(value)


def _json(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (dict, list, tuple)):
        return _json(value)
    return str(value)


def _int(value, column=None):
    return None if value is None else int(value)


_COERCE = {"key": lambda v, c: _text(v), "text": lambda v, c: _text(v), "json": lambda v, c: _json(v),
           "ns": _int, "int": _int, "money": _money, "float": lambda v, c: None if v is None else float(v),
           "bool": lambda v, c: None if v is None else bool(v)}  # fmt: skip


def coerce(table: str, row: dict) -> dict:
    """Return ``row`` with every column of ``table`` present and typed by its kind (see the module docstring).

    Raises:
        KeyError: unknown table. TypeError: a float in a money column.
    """
    return {column: _COERCE[kind](row.get(column), column) for column, kind in _KINDS[table].items()}


def _key(table: str, run_id: str, row: dict) -> str:
    return ":".join([run_id, *("" if row.get(f) is None else _text(row[f]) for f in KEY_FIELDS[table])])


def _levels(levels, pd: int, sd: int) -> list[list[str]]:
    return [[fixed_to_str(p, pd), fixed_to_str(s, sd)] for p, s in levels]


def _order_fields(order: Order) -> dict:
    pd, sd = order.price_decimals, order.size_decimals
    px = lambda v: None if v is None else fixed_to_decimal(v, pd)  # noqa: E731
    return {
        "client_order_id": order.client_order_id, "strategy_id": order.strategy_id,
        "instrument_id": order.instrument_id, "event": order.status.value, "status": order.status.value,
        "side": order.side.value, "order_type": order.order_type.value, "time_in_force": order.time_in_force.value,
        "reduce_only": order.reduce_only, "price": px(order.price), "trigger_price": px(order.trigger_price),
        "size": fixed_to_decimal(order.size, sd), "filled": fixed_to_decimal(order.filled, sd),
        "remaining": fixed_to_decimal(order.remaining, sd), "avg_fill_price": order.avg_fill_price,
        "fee": order.fee, "fee_currency": order.fee_currency, "venue_order_id": order.venue_order_id,
        "error_message": order.reason or None, "tag": order.tag, "ts_created": order.ts_created,
        "ts_filled": order.ts_updated if order.status is OrderStatus.FILLED else None,
        "ts_canceled": order.ts_updated if order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED) else None,
        "ts_event": order.ts_updated,
    }  # fmt: skip


def _fields(item) -> dict:
    """The column values of one message (not yet coerced)."""
    if isinstance(item, dict):
        return item
    if isinstance(item, Trade):
        d = lambda v: fixed_to_decimal(v, item.size_decimals)  # noqa: E731
        return {"venue": venue_of(item.instrument_id), "instrument_id": item.instrument_id,
                "trade_id": item.trade_id, "price": item.price_decimal(), "size": d(item.size),
                "aggressor_side": item.aggressor_side, "ts_event": item.ts_event, "ts_recv": item.ts_recv}
    if isinstance(item, Quote):
        pd, sd = item.price_decimals, item.size_decimals
        return {"venue": venue_of(item.instrument_id), "instrument_id": item.instrument_id,
                "sequence": item.sequence, "bid_price": fixed_to_decimal(item.bid_price, pd),
                "bid_size": fixed_to_decimal(item.bid_size, sd), "ask_price": fixed_to_decimal(item.ask_price, pd),
                "ask_size": fixed_to_decimal(item.ask_size, sd),
                "spread": fixed_to_decimal(item.ask_price - item.bid_price, pd),
                "mid": fixed_to_decimal(item.ask_price + item.bid_price, pd) / 2,
                "ts_event": item.ts_event, "ts_recv": item.ts_recv}
    if isinstance(item, Bar):
        pd, sd = item.price_decimals, item.size_decimals
        return {"venue": venue_of(item.instrument_id), "instrument_id": item.instrument_id,
                "interval_s": INTERVALS.get(item.interval, 0) // 1_000_000_000, "open": fixed_to_decimal(item.open, pd),
                "high": fixed_to_decimal(item.high, pd), "low": fixed_to_decimal(item.low, pd),
                "close": fixed_to_decimal(item.close, pd), "volume": fixed_to_decimal(item.volume, sd),
                "trades": item.trades, "ts_open": item.start, "vwap": item.vwap(), "ts_event": item.ts_event}
    if isinstance(item, BookView):
        pd, sd = item.price_decimals, item.size_decimals
        return {"venue": venue_of(item.instrument_id), "instrument_id": item.instrument_id,
                "sequence": item.sequence, "depth": max(len(item.bids), len(item.asks)), "ready": item.ready,
                "best_bid": fixed_to_decimal(item.bids[0][0], pd) if item.bids else None,
                "best_ask": fixed_to_decimal(item.asks[0][0], pd) if item.asks else None,
                "bids": _levels(item.bids, pd, sd), "asks": _levels(item.asks, pd, sd), "ts_event": item.ts_event,
                "ts_recv": item.ts_recv, "ts_published": item.ts_published}
    if isinstance(item, OrderEvent):
        return {**_order_fields(item.order), "event": item.kind.value, "ts_event": item.ts_event,
                "error_message": item.reason or item.order.reason or None}
    if isinstance(item, Order):
        return _order_fields(item)
    if isinstance(item, Fill):
        return {**item.to_json(), "price": item.price_decimal(), "size": item.size_decimal(), "fee": item.fee}
    if isinstance(item, Signal):
        return {**item.to_json(), "entry": item.entry, "stop_loss": item.stop_loss, "take_profit": item.take_profit,
                "size": item.size}
    if isinstance(item, PositionSnapshot):
        closed = item.status == "closed"
        return {"strategy_id": item.strategy_id, "instrument_id": item.instrument_id,
                "size": fixed_to_decimal(item.size, item.size_decimals), "entry_price": item.avg_entry_price,
                "status": item.status, "realized_pnl": item.realized_pnl, "unrealized_pnl": item.unrealized_pnl,
                "pnl": item.realized_pnl + item.unrealized_pnl, "fees": item.fees, "pnl_currency": item.pnl_currency,
                "ts_opened": item.ts_opened, "ts_updated": item.ts_updated,
                "ts_closed": item.ts_updated if closed else None}
    return {c: getattr(item, c) for c in ("row_key",) + tuple(_all_columns()) if hasattr(item, c)}


def _all_columns():
    seen = set()
    for cols in COLUMNS.values():
        for c, _ in cols:
            if c not in seen:
                seen.add(c)
                yield c


def to_row(table: str, item, run_id: str) -> dict:
    """One store row of ``table`` from a message, an attribute object or a dict (see the module docstring).

    Raises:
        KeyError: unknown table. TypeError: a float in a money column.
    """
    fields = _fields(item)
    row = coerce(table, {**fields, "run_id": run_id})
    if "venue" in row and row["venue"] is None:
        row["venue"] = venue_of(row.get("instrument_id"))
    if not row["row_key"]:
        row["row_key"] = _key(table, run_id, row)
    return row


def to_rows(table: str, items: Iterable, run_id: str) -> list[dict]:
    """:func:`to_row` over a batch."""
    return [to_row(table, item, run_id) for item in items]


def partition_of(table: str, row: dict) -> tuple[str, str]:
    """The Parquet partition of a market row: ``(venue, "YYYY-MM-DD")``, the UTC date of its time column."""
    ts = row.get(TIME_COLUMN[table]) or 0
    day = dt.datetime.fromtimestamp(ts // 1_000_000_000, tz=dt.UTC).date().isoformat()
    return row.get("venue") or "unknown", day
