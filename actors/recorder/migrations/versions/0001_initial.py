"""Version-1 schema: every logical table, its time indexes, and hypertables where TimescaleDB exists.

PostgreSQL: every table of :data:`actors.recorder.schema.TABLES`; when the ``timescaledb`` extension is available
it is created and each time-series table becomes a hypertable on its (BIGINT ns) time column with one-day chunks
(``create_hypertable(..., chunk_time_interval => 86400000000000)``, TimescaleDB docs "create_hypertable",
integer time columns). Without it, plain tables with the ``(run_id, time)`` indexes.
SQLite (embedded store): the trading tables (market data lives in the Parquet dataset) plus the bookkeeping
tables ``market_keys`` and ``parquet_files``.

Revision ID: 0001
Revises:
"""

from alembic import op
from sqlalchemy import text

from actors.recorder.schema import EMBEDDED_METADATA, METADATA, TABLES, TIME_COLUMN, TRADING_TABLES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_DAY_NS = 86_400_000_000_000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        METADATA.create_all(bind, tables=[TABLES[t] for t in TRADING_TABLES])
        EMBEDDED_METADATA.create_all(bind)
        return
    METADATA.create_all(bind)
    available = bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).first()
    if available:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        for table, column in TIME_COLUMN.items():
            bind.execute(text(f"SELECT create_hypertable('{table}', '{column}', "
                              f"chunk_time_interval => {_DAY_NS}, if_not_exists => TRUE, migrate_data => TRUE)"))


def downgrade() -> None:
    bind = op.get_bind()
    METADATA.drop_all(bind)
    if bind.dialect.name == "sqlite":
        EMBEDDED_METADATA.drop_all(bind)
