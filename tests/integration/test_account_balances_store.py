"""Migration 0003 (``account_balances.mode`` / ``account``) on SQLite and PostgreSQL: a store created before it
gets the columns, and venue balance snapshots read back exactly beside the paper portfolio's."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import command

from actors.recorder.embedded import SQLITE_NAME, EmbeddedStore
from actors.recorder.migrations import HEAD, _config, current_revision
from actors.recorder.postgres import PostgresStore
from actors.recorder.rows import to_rows

RUN = "run-balances"
ROWS = [
    {"venue": "binance", "mode": "testnet", "account": "3f2a9c0d1e4b5a6c", "asset": "USDT", "free": "9938.99990000",
     "locked": "61.00000000", "total": "9999.99990000", "value_usd": None, "ts": 1_723_161_600_000_000_000},
    {"venue": "binance", "mode": "testnet", "account": "3f2a9c0d1e4b5a6c", "asset": "BTC", "free": "1.00100000",
     "locked": "0", "total": "1.00100000", "value_usd": None, "ts": 1_723_161_600_000_000_000},
    {"venue": "paper", "mode": "paper", "account": None, "asset": "USDT", "free": "10000", "locked": "0",
     "total": "10000", "value_usd": "10000", "ts": 1_723_161_600_000_000_000},
]  # fmt: skip


def _old_store(engine) -> None:
    """A store at revision 0002 without the new columns (as one created before 0003)."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0002")
        for col in ("mode", "account"):
            conn.execute(sa.text(f"ALTER TABLE account_balances DROP COLUMN {col}"))


def _check(store) -> None:
    assert store.write("account_balances", to_rows("account_balances", ROWS, RUN)) == 3
    assert store.write("account_balances", to_rows("account_balances", ROWS, RUN)) == 0  # idempotent
    back = sorted(store.read("account_balances", RUN), key=lambda r: (r["mode"], r["asset"]))
    assert [(r["mode"], r["venue"], r["asset"], r["account"]) for r in back] == [
        ("paper", "paper", "USDT", None), ("testnet", "binance", "BTC", "3f2a9c0d1e4b5a6c"),
        ("testnet", "binance", "USDT", "3f2a9c0d1e4b5a6c")]  # fmt: skip
    assert Decimal(back[2]["free"]) == Decimal("9938.9999") and Decimal(back[2]["locked"]) == Decimal(61)


def test_sqlite_store_from_before_0003_is_migrated_and_reads_balances_back(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / SQLITE_NAME}")
    _old_store(engine)
    assert "mode" not in {c["name"] for c in sa.inspect(engine).get_columns("account_balances")}
    engine.dispose()
    store = EmbeddedStore(tmp_path)
    with store.engine.connect() as conn:
        assert current_revision(conn) == HEAD == "0003"
    assert {"mode", "account"} <= {c["name"] for c in sa.inspect(store.engine).get_columns("account_balances")}
    _check(store)
    store.close()


def test_postgres_store_from_before_0003_is_migrated_and_reads_balances_back(pg_dsn):
    import psycopg
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(pg_dsn), poolclass=NullPool)
    _old_store(engine)
    engine.dispose()
    store = PostgresStore(pg_dsn)
    _check(store)
    store.close()
