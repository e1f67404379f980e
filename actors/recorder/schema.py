"""The one logical schema of every store (SQLAlchemy Core), used by the migrations, the stores and ``report``.

Column kinds (the same in SQLite, PostgreSQL and Parquet, so rows read back equal):

======== ============================== ============================ ==================================
kind     Python value                   PostgreSQL                   SQLite / Parquet
======== ============================== ============================ ==================================
``key``  ``str`` idempotent row key     ``TEXT`` (primary key part)  ``TEXT`` / string
``text`` ``str`` or None                ``TEXT``                     ``TEXT`` / string
``ns``   ``int`` ns since the epoch     ``BIGINT``                   ``INTEGER`` / int64
``int``  ``int``                        ``BIGINT``                   ``INTEGER`` / int64
``money````Decimal`` (exact)            ``NUMERIC`` (no typmod:      ``TEXT`` holding the exact decimal
                                        keeps the scale given)       string (never REAL) / string
``float````float`` (ratios, never money) ``DOUBLE PRECISION``        ``REAL`` / double
``bool`` ``bool``                       ``BOOLEAN``                  ``INTEGER`` 0/1 / bool
``json`` ``str`` holding JSON           ``TEXT``                     ``TEXT`` / string
======== ============================== ============================ ==================================

Every table has ``row_key`` (the idempotent key, built in :mod:`actors.recorder.rows`; it starts with the run id)
and ``run_id``. Time-series tables name their time column in :data:`TIME_COLUMN`; their primary key is
``(row_key, <time column>)`` because a TimescaleDB hypertable's unique indexes must contain the partitioning
column; they also have an index on ``(run_id, <time column>)`` and the ones ``report`` and the API filter on.

Market-data tables (:data:`MARKET_TABLES`) also carry ``venue`` (the Parquet dataset is hive-partitioned by
``venue`` and the UTC ``date`` of the time column).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, Column, Float, Index, MetaData, Numeric, PrimaryKeyConstraint, Table,
                        Text, TypeDecorator)

__all__ = ["COLUMNS", "MARKET_TABLES", "METADATA", "Money", "TABLES", "TIME_COLUMN", "TRADING_TABLES", "WRITE_AHEAD"]


class Money(TypeDecorator):
    """Exact decimal money: ``NUMERIC`` in PostgreSQL, the exact decimal string as ``TEXT`` in SQLite.

    Binds ``Decimal``/``int``/``str`` (a ``float`` is refused: it is not exact); returns ``Decimal``.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError(f"money must be exact (Decimal, int or str), got float {value!r}")
        value = value if isinstance(value, Decimal) else Decimal(value)
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


_K, _T, _NS, _I, _M, _F, _B, _J = "key", "text", "ns", "int", "money", "float", "bool", "json"

# table -> [(column, kind)]; row_key and run_id come first everywhere.
COLUMNS: dict[str, list[tuple[str, str]]] = {
    # -- market data ---------------------------------------------------------------------------------------------
    "trades": [("venue", _T), ("instrument_id", _T), ("trade_id", _T), ("price", _M), ("size", _M),
               ("aggressor_side", _T), ("ts_event", _NS), ("ts_recv", _NS)],
    "quotes": [("venue", _T), ("instrument_id", _T), ("sequence", _I), ("bid_price", _M), ("bid_size", _M),
               ("ask_price", _M), ("ask_size", _M), ("spread", _M), ("mid", _M), ("last", _M),
               ("ts_event", _NS), ("ts_recv", _NS)],
    "book_snapshots": [("venue", _T), ("instrument_id", _T), ("sequence", _I), ("depth", _I), ("ready", _B),
                       ("best_bid", _M), ("best_ask", _M), ("bids", _J), ("asks", _J), ("ts_event", _NS),
                       ("ts_recv", _NS), ("ts_published", _NS)],
    "bars": [("venue", _T), ("instrument_id", _T), ("interval_s", _I), ("open", _M), ("high", _M), ("low", _M),
             ("close", _M), ("volume", _M), ("trades", _I), ("ts_open", _NS), ("vwap", _M), ("ts_event", _NS)],
    "feed_events": [("venue", _T), ("feed_id", _T), ("instrument_id", _T), ("kind", _T), ("detail", _T),
                    ("ts", _NS)],
    # -- trading -------------------------------------------------------------------------------------------------
    "orders": [("client_order_id", _T), ("strategy_id", _T), ("instrument_id", _T), ("event", _T), ("status", _T),
               ("side", _T), ("order_type", _T), ("time_in_force", _T), ("reduce_only", _B), ("price", _M),
               ("trigger_price", _M), ("size", _M), ("filled", _M), ("remaining", _M), ("avg_fill_price", _M),
               ("fee", _M), ("fee_currency", _T), ("venue_order_id", _T), ("error_message", _T), ("tag", _T),
               ("ts_created", _NS), ("ts_filled", _NS), ("ts_canceled", _NS), ("ts_event", _NS)],
    "fills": [("fill_id", _T), ("client_order_id", _T), ("strategy_id", _T), ("instrument_id", _T), ("side", _T),
              ("price", _M), ("size", _M), ("liquidity", _T), ("fee", _M), ("fee_currency", _T), ("tag", _T),
              ("ts_event", _NS)],
    "positions": [("strategy_id", _T), ("instrument_id", _T), ("size", _M), ("entry_price", _M), ("status", _T),
                  ("realized_pnl", _M), ("unrealized_pnl", _M), ("pnl", _M), ("pnl_pct", _M), ("fees", _M),
                  ("pnl_currency", _T), ("stop_loss", _M), ("take_profit", _M), ("close_reason", _T),
                  ("ts_opened", _NS), ("ts_closed", _NS), ("ts_updated", _NS)],
    "signals": [("strategy_id", _T), ("instrument_id", _T), ("action", _T), ("strength", _F), ("entry", _M),
                ("stop_loss", _M), ("take_profit", _M), ("size", _M), ("reasoning", _T), ("executed", _B),
                ("client_order_id", _T), ("ts_event", _NS)],
    "strategy_state": [("strategy_id", _T), ("active", _B), ("mode", _T), ("allocated_capital", _M),
                       ("current_capital", _M), ("total_pnl", _M), ("realized_pnl", _M), ("unrealized_pnl", _M),
                       ("trades", _I), ("wins", _I), ("losses", _I), ("win_rate", _F), ("sharpe", _F),
                       ("max_drawdown", _F), ("daily_loss_limit", _M), ("daily_loss_used", _M),
                       ("max_position_size", _M), ("open_positions", _I), ("emergency_stop", _B),
                       ("emergency_reason", _T), ("ts", _NS)],
    "account_balances": [("venue", _T), ("asset", _T), ("free", _M), ("locked", _M), ("total", _M),
                         ("value_usd", _M), ("ts", _NS), ("mode", _T), ("account", _T)],
    "performance_metrics": [("strategy_id", _T), ("equity", _M), ("total_pnl", _M), ("realized_pnl", _M),
                            ("unrealized_pnl", _M), ("fees", _M), ("trades", _I), ("win_rate", _F),
                            ("sharpe", _F), ("sortino", _F), ("max_drawdown", _F), ("ts", _NS)],
    "risk_events": [("kind", _T), ("reason", _T), ("strategy_id", _T), ("client_order_id", _T),
                    ("instrument_id", _T), ("detail", _T), ("state", _T), ("ts_event", _NS)],
    "system_alerts": [("severity", _T), ("source", _T), ("message", _T), ("acknowledged", _B), ("ts", _NS)],
    "system_health": [("actor", _T), ("state", _T), ("restarts", _I), ("lag_ms", _F), ("memory_mb", _F),
                      ("ts", _NS)],
    "trading_sessions": [("phase", _T), ("config_digest", _T), ("config", _J), ("ts_start", _NS), ("ts_end", _NS),
                         ("outcome", _T)],
    "audit_log": [("token_id", _T), ("action", _T), ("target", _T), ("detail", _T), ("result", _T), ("ts", _NS)],
}  # fmt: skip
for _cols in COLUMNS.values():
    _cols[:0] = [("row_key", _K), ("run_id", _T)]

MARKET_TABLES = ("trades", "quotes", "book_snapshots", "bars", "feed_events")
"""Buffered and flushed every flush interval; Parquet in the embedded store."""
TRADING_TABLES = tuple(t for t in COLUMNS if t not in MARKET_TABLES)
"""SQLite in the embedded store."""
WRITE_AHEAD = ("orders", "fills", "risk_events", "audit_log")
"""Committed before the action is acknowledged (``RecorderActor.write_now``)."""

TIME_COLUMN: dict[str, str] = {
    "trades": "ts_recv", "quotes": "ts_recv", "book_snapshots": "ts_recv", "bars": "ts_open", "feed_events": "ts",
    "orders": "ts_event", "fills": "ts_event", "positions": "ts_updated", "signals": "ts_event",
    "strategy_state": "ts", "account_balances": "ts", "performance_metrics": "ts", "risk_events": "ts_event",
    "system_alerts": "ts", "system_health": "ts", "audit_log": "ts",
}  # fmt: skip
"""Time column of each time-series table (hypertable partitioning column); ``trading_sessions`` has none."""

# Extra indexes for the API and report queries (beyond (run_id, time)).
_INDEXES = {
    "trades": [("instrument_id", "ts_recv")], "quotes": [("instrument_id", "ts_recv")],
    "book_snapshots": [("instrument_id", "ts_recv")], "orders": [("client_order_id",), ("strategy_id", "ts_event")],
    "fills": [("strategy_id", "ts_event"), ("client_order_id",)], "positions": [("strategy_id", "instrument_id")],
    "signals": [("strategy_id", "ts_event")], "strategy_state": [("strategy_id", "ts")],
    "performance_metrics": [("strategy_id", "ts")], "risk_events": [("kind", "ts_event")],
}  # fmt: skip

_SQL_TYPES = {_K: Text, _T: Text, _NS: BigInteger, _I: BigInteger, _M: Money, _F: Float, _B: Boolean, _J: Text}


def _build(metadata: MetaData) -> dict[str, Table]:
    tables = {}
    for name, cols in COLUMNS.items():
        time_col = TIME_COLUMN.get(name)
        pk = ("row_key", time_col) if time_col else ("row_key",)
        items: list = [Column(c, _SQL_TYPES[k](), nullable=c not in pk) for c, k in cols]
        items.append(PrimaryKeyConstraint(*pk, name=f"pk_{name}"))
        if time_col:
            items.append(Index(f"ix_{name}_run_{time_col}", "run_id", time_col))
        for idx in _INDEXES.get(name, []):
            items.append(Index(f"ix_{name}_{'_'.join(idx)}", *idx))
        tables[name] = Table(name, metadata, *items)
    return tables


METADATA = MetaData()
TABLES: dict[str, Table] = _build(METADATA)

# -- embedded-store bookkeeping (SQLite only) --------------------------------------------------------------------
EMBEDDED_METADATA = MetaData()
MARKET_KEYS = Table(
    "market_keys", EMBEDDED_METADATA, Column("table_name", Text(), nullable=False),
    Column("row_key", Text(), nullable=False), PrimaryKeyConstraint("table_name", "row_key", name="pk_market_keys"),
)
"""Idempotent keys of the market rows already in the Parquet dataset (files are append-only)."""
PARQUET_FILES = Table(
    "parquet_files", EMBEDDED_METADATA, Column("path", Text(), primary_key=True),
    Column("table_name", Text(), nullable=False), Column("rows", BigInteger(), nullable=False),
)
"""Committed Parquet files (relative to the run directory): a file not listed here was never committed."""
