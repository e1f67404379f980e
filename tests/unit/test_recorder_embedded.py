"""The embedded store: SQLite (WAL) + hive-partitioned Parquet, idempotent, readable by pandas and DuckDB."""

from __future__ import annotations

import sqlite3

import duckdb
import pandas as pd
import pytest

from actors.recorder.embedded import SQLITE_NAME, EmbeddedStore
from actors.recorder.errors import StoreUnavailable
from tests.unit.test_recorder_samples import sample_rows


@pytest.fixture
def filled(tmp_path):
    store = EmbeddedStore(tmp_path)
    rows = sample_rows()
    written = {table: store.write(table, batch) for table, batch in rows.items()}
    yield store, rows, written
    store.close()


def test_rows_read_back_equal_to_what_was_written(filled):
    store, rows, written = filled
    for table, batch in rows.items():
        assert written[table] == len(batch)
        assert store.read(table) == sorted(batch, key=lambda r: r["row_key"]), table


def test_resent_batches_and_a_reopened_store_insert_nothing_twice(filled, tmp_path):
    store, rows, _ = filled
    assert all(store.write(table, batch) == 0 for table, batch in rows.items())
    reopened = EmbeddedStore(tmp_path)  # a restarted recorder: migrations are a no-op, keys are remembered
    assert all(reopened.write(table, batch) == 0 for table, batch in rows.items())
    assert reopened.count("trades") == len(rows["trades"]) and reopened.count("orders") == 4


def test_sqlite_is_in_wal_mode_and_money_is_text(filled, tmp_path):
    con = sqlite3.connect(tmp_path / SQLITE_NAME)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT typeof(price), price FROM fills LIMIT 1").fetchone() == ("text", "61837.63")


def test_parquet_dataset_loads_with_pandas_and_duckdb_partitioned_by_venue_and_date(filled, tmp_path):
    _, rows, _ = filled
    frame = pd.read_parquet(tmp_path / "parquet" / "trades")
    assert len(frame) == len(rows["trades"]) and set(frame["venue"].astype(str)) == {"binance"}
    glob = str(tmp_path / "parquet" / "quotes" / "**" / "*.parquet")
    con = duckdb.connect()
    n, day = con.execute(f"SELECT count(*), min(date)::VARCHAR FROM read_parquet('{glob}', hive_partitioning=true)"
                         ).fetchone()
    assert n == len(rows["quotes"]) and day == "2024-08-08"
    total = con.execute(f"SELECT sum(CAST(bid_size AS DECIMAL(38, 8))) FROM read_parquet('{glob}')").fetchone()[0]
    assert total == sum(r["bid_size"] for r in rows["quotes"])


def test_an_uncommitted_parquet_temp_file_is_removed_at_open(filled, tmp_path):
    store, rows, _ = filled
    part = next((tmp_path / "parquet" / "trades").rglob("*.parquet"))
    orphan = part.with_name(".part-orphan.parquet.tmp")
    orphan.write_bytes(part.read_bytes())  # a crash after the temp write, before the commit
    reopened = EmbeddedStore(tmp_path)
    assert not orphan.exists() and len(reopened.read("trades")) == len(rows["trades"])


def test_an_unwritable_run_dir_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable, match=str(blocker)):
        EmbeddedStore(blocker / "run")
