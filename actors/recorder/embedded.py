"""The embedded store (the default): SQLite (WAL) for the trading tables, a Parquet dataset for market data.

Layout under the run directory (``runs/<run_id>/``)::

    raytrade.sqlite                                   trading tables + market_keys + parquet_files (+ -wal/-shm)
    parquet/<table>/venue=<venue>/date=<YYYY-MM-DD>/part-<n>.parquet

SQLite runs in WAL mode with ``synchronous=FULL``, so a committed transaction survives a crash of the process and
of the machine (SQLite docs, "Write-Ahead Logging" and "PRAGMA synchronous"). Money is stored as the exact
decimal string (``TEXT``), never REAL; Parquet money columns are strings too (exact, readable by pandas and
DuckDB: ``CAST(price AS DECIMAL(38, 18))``). ``venue`` and ``date`` live only in the partition path.

Parquet files are immutable, so idempotence is kept in SQLite: the keys of the market rows already written sit in
``market_keys``. One market batch is one transaction: (1) rows whose key is known are dropped, (2) each partition's
rows are written to a hidden temp file and fsynced, (3) the new keys and the file names are inserted and committed,
(4) the temp files are renamed into place. A crash between (3) and (4) is repaired at the next open (a temp file
whose name was committed is renamed, any other temp file is deleted), so a row is in the dataset exactly once.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError

from actors.recorder.errors import StoreUnavailable
from actors.recorder.migrations import upgrade
from actors.recorder.rows import partition_of
from actors.recorder.schema import COLUMNS, MARKET_KEYS, MARKET_TABLES, PARQUET_FILES, TABLES

__all__ = ["EmbeddedStore", "SQLITE_NAME", "parquet_schema"]

SQLITE_NAME = "raytrade.sqlite"
_ARROW = {"key": pa.string(), "text": pa.string(), "json": pa.string(), "money": pa.string(), "ns": pa.int64(),
          "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}  # fmt: skip
_PARTITIONING = ds.partitioning(pa.schema([("venue", pa.string()), ("date", pa.string())]), flavor="hive")
_IN_CHUNK = 500


def parquet_schema(table: str) -> pa.Schema:
    """The Arrow schema of a market table's files (without the partition columns ``venue`` and ``date``)."""
    return pa.schema([(c, _ARROW[k]) for c, k in COLUMNS[table] if c != "venue"])


class EmbeddedStore:
    """SQLite + Parquet under ``run_dir``; migrations are applied when it opens.

    Args:
        run_dir: the run directory (created if missing).

    Raises:
        StoreUnavailable: the directory or the database cannot be opened or written (names the path).
    """

    kind = "embedded"

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.where = str(self.run_dir)
        self._seq = itertools.count()
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(f"sqlite:///{self.run_dir / SQLITE_NAME}")
            event.listen(self.engine, "connect", _pragmas)
            with self.engine.begin() as conn:
                upgrade(conn)
            self._recover()
        except (OSError, OperationalError, sqlite3.Error) as exc:
            raise StoreUnavailable(self.where, str(exc).splitlines()[0]) from None

    # -- writing ---------------------------------------------------------------------------------------------------
    def write(self, table: str, rows: list[dict]) -> int:
        """Insert rows (complete, coerced rows from :mod:`actors.recorder.rows`); return how many were new.

        Committed (fsynced) when it returns. Rows whose ``row_key`` is already stored are skipped.

        Raises:
            StoreUnavailable: the database or the disk refused the write.
        """
        if not rows:
            return 0
        try:
            if table in MARKET_TABLES:
                return self._write_market(table, rows)
            with self.engine.begin() as conn:
                result = conn.execute(sqlite_insert(TABLES[table]).on_conflict_do_nothing(), rows)
                return max(result.rowcount, 0)
        except (OSError, OperationalError, sqlite3.OperationalError) as exc:
            raise StoreUnavailable(self.where, str(exc).splitlines()[0]) from None

    def _write_market(self, table: str, rows: list[dict]) -> int:
        with self.engine.begin() as conn:
            known: set[str] = set()
            keys = list(dict.fromkeys(r["row_key"] for r in rows))
            for i in range(0, len(keys), _IN_CHUNK):
                chunk = keys[i : i + _IN_CHUNK]
                q = select(MARKET_KEYS.c.row_key).where(MARKET_KEYS.c.table_name == table,
                                                        MARKET_KEYS.c.row_key.in_(chunk))
                known.update(conn.execute(q).scalars())
            fresh: dict[str, dict] = {}
            for row in rows:
                if row["row_key"] not in known:
                    fresh.setdefault(row["row_key"], row)
            if not fresh:
                return 0
            parts: dict[tuple[str, str], list[dict]] = {}
            for row in fresh.values():
                parts.setdefault(partition_of(table, row), []).append(row)
            moves = []
            for (venue, day), part in parts.items():
                rel = Path("parquet", table, f"venue={venue}", f"date={day}",
                           f"part-{time.time_ns()}-{next(self._seq)}.parquet")
                tmp = self._write_file(table, rel, part)
                moves.append((tmp, self.run_dir / rel))
                conn.execute(PARQUET_FILES.insert().values(path=str(rel), table_name=table, rows=len(part)))
            conn.execute(MARKET_KEYS.insert(), [{"table_name": table, "row_key": k} for k in fresh])
        for tmp, final in moves:  # committed: make the files visible
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        return len(fresh)

    def _write_file(self, table: str, rel: Path, rows: list[dict]) -> Path:
        schema = parquet_schema(table)
        columns = {c: [_arrow_value(r[c]) for r in rows] for c in schema.names}
        final = self.run_dir / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp")
        pq.write_table(pa.table(columns, schema=schema), tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        return tmp

    def _recover(self) -> None:
        """Finish or undo a market batch a crash interrupted (see the module docstring)."""
        root = self.run_dir / "parquet"
        if not root.is_dir():
            return
        with self.engine.connect() as conn:
            committed = set(conn.execute(select(PARQUET_FILES.c.path)).scalars())
        for tmp in root.rglob(".*.tmp"):
            final = tmp.with_name(tmp.name[1:-4])
            if str(final.relative_to(self.run_dir)) in committed:
                os.replace(tmp, final)
            else:
                tmp.unlink()

    # -- reading ---------------------------------------------------------------------------------------------------
    def read(self, table: str, run_id: str | None = None) -> list[dict]:
        """Every row of ``table`` (of ``run_id`` when given), ordered by ``row_key``, typed as written."""
        if table in MARKET_TABLES:
            path = self.run_dir / "parquet" / table
            if not path.is_dir():
                return []
            data = ds.dataset(path, format="parquet", partitioning=_PARTITIONING).to_table().to_pylist()
            kinds = dict(COLUMNS[table])
            out = [{c: (Decimal(r[c]) if kinds[c] == "money" and r[c] is not None else r[c]) for c in kinds}
                   for r in data]
        else:
            with self.engine.connect() as conn:
                out = [dict(r._mapping) for r in conn.execute(select(TABLES[table]))]
        if run_id is not None:
            out = [r for r in out if r["run_id"] == run_id]
        return sorted(out, key=lambda r: r["row_key"])

    def count(self, table: str, run_id: str | None = None) -> int:
        """Rows stored in ``table`` (one run directory holds one run, so ``run_id`` changes nothing)."""
        with self.engine.connect() as conn:
            if table in MARKET_TABLES:
                q = select(func.coalesce(func.sum(PARQUET_FILES.c.rows), 0)).where(PARQUET_FILES.c.table_name == table)
                return int(conn.execute(q).scalar_one())
            return int(conn.execute(select(func.count()).select_from(TABLES[table])).scalar_one())

    def check(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError as exc:
            raise StoreUnavailable(self.where, str(exc).splitlines()[0]) from None

    def close(self) -> None:
        self.engine.dispose()


def _pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _arrow_value(value):
    return str(value) if isinstance(value, Decimal) else value


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
