"""The PostgreSQL store (psycopg 3): batches by ``COPY`` into a staging table, then insert-on-conflict.

The same logical schema as the embedded store (:mod:`actors.recorder.schema`), created by the same Alembic
migrations at open; TimescaleDB hypertables on the time-series tables when the extension is available, plain
tables with ``(run_id, time)`` indexes otherwise (``hypertables`` says which). Money is ``NUMERIC``, times
``BIGINT`` ns.

One batch is one transaction (PostgreSQL docs, "COPY" and "INSERT ... ON CONFLICT")::

    CREATE TEMP TABLE stg (LIKE <table> INCLUDING DEFAULTS) ON COMMIT DROP;
    COPY stg (<columns>) FROM STDIN;                           -- psycopg Cursor.copy, rows in text format
    INSERT INTO <table> SELECT ... FROM stg ON CONFLICT DO NOTHING;
    COMMIT;

so a re-sent batch inserts nothing and the count returned is the number of new rows. Batches of at most
``_SMALL_BATCH`` rows (write-ahead order events) skip the staging table: ``INSERT ... ON CONFLICT DO NOTHING``.

Errors: every connection-level failure (refused, server stopped mid-write, bad password, unknown database) is a
:class:`~actors.recorder.errors.StoreUnavailable` naming ``host:port`` (never the password). After one, the next
call reconnects.
"""

from __future__ import annotations

import psycopg
from psycopg import conninfo
from pydantic import SecretStr
from sqlalchemy import NullPool, create_engine, func, select

from actors.recorder.errors import StoreUnavailable
from actors.recorder.migrations import upgrade
from actors.recorder.schema import COLUMNS, TABLES

__all__ = ["PostgresStore", "describe_dsn"]

_SMALL_BATCH = 16
"""Batches up to this many rows (write-ahead events) use a plain multi-row insert instead of COPY."""


def describe_dsn(dsn: str) -> str:
    """``host:port/dbname`` of a libpq DSN (key=value or URL form), without user or password."""
    try:
        info = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparsable dsn>"
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


class PostgresStore:
    """A PostgreSQL database reached through ``dsn``; migrations are applied when it opens.

    Args:
        dsn: libpq connection string (``SecretStr``; may hold a password).
        connect_timeout_s: how long a connection attempt may take.

    Raises:
        StoreUnavailable: bad DSN, unreachable server, authentication failure (names host:port, not the password).
    """

    kind = "postgres"

    def __init__(self, dsn: SecretStr | str, connect_timeout_s: float = 5.0) -> None:
        self._dsn = dsn if isinstance(dsn, SecretStr) else SecretStr(dsn)
        self.where = describe_dsn(self._dsn.get_secret_value())
        self.connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection | None = None
        self.engine = create_engine("postgresql+psycopg://", creator=self._connect, poolclass=NullPool)
        try:
            with self.engine.begin() as conn:
                upgrade(conn)
                self.hypertables = bool(conn.exec_driver_sql(
                    "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").first())
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy wraps the psycopg error; translate it once, here
            raise self._unavailable(exc) from None

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self._dsn.get_secret_value(), connect_timeout=max(1, int(self.connect_timeout_s)))
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        if isinstance(exc, StoreUnavailable):
            return exc
        exc = getattr(exc, "orig", None) or exc  # SQLAlchemy's DBAPIError wraps the psycopg error
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        try:
            password = conninfo.conninfo_to_dict(self._dsn.get_secret_value()).get("password")
        except psycopg.Error:
            password = None
        if password:
            text = text.replace(password, "***")
        return StoreUnavailable(self.where, text)

    # -- writing ---------------------------------------------------------------------------------------------------
    def write(self, table: str, rows: list[dict]) -> int:
        """COPY a batch in and insert the new rows; return how many were new. Committed when it returns.

        Raises:
            StoreUnavailable: the server cannot be reached or dropped the connection (the batch is not written).
        """
        if not rows:
            return 0
        cols = [c for c, _ in COLUMNS[table]]
        names = ", ".join(cols)
        try:
            conn = self._conn = self._conn if self._conn and not self._conn.closed else self._connect()
            with conn.transaction(), conn.cursor() as cur:
                if len(rows) <= _SMALL_BATCH:  # one order event: a plain insert beats a staging table
                    marks = ", ".join(["%s"] * len(cols))
                    cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                                    [[row[c] for c in cols] for row in rows])
                    return max(cur.rowcount, 0)
                cur.execute(f"CREATE TEMP TABLE stg_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
                with cur.copy(f"COPY stg_{table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in cols])
                cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM stg_{table} ON CONFLICT DO NOTHING")
                return max(cur.rowcount, 0)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self._drop()
            raise self._unavailable(exc) from None

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    # -- reading ---------------------------------------------------------------------------------------------------
    def read(self, table: str, run_id: str | None = None) -> list[dict]:
        """Every row of ``table`` (of ``run_id`` when given), ordered by ``row_key``."""
        q = select(TABLES[table]).order_by(TABLES[table].c.row_key)
        if run_id is not None:
            q = q.where(TABLES[table].c.run_id == run_id)
        try:
            with self.engine.connect() as conn:
                return [dict(r._mapping) for r in conn.execute(q)]
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc) from None

    def count(self, table: str, run_id: str | None = None) -> int:
        """Rows stored in ``table`` (of ``run_id`` when given: the server holds every run)."""
        query = select(func.count()).select_from(TABLES[table])
        if run_id is not None:
            query = query.where(TABLES[table].c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def check(self) -> None:
        """Raise :class:`StoreUnavailable` unless the server answers."""
        try:
            with self._connect() as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None

    def close(self) -> None:
        self._drop()
        self.engine.dispose()
