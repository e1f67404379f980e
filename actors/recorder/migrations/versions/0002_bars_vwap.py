"""Bars get their VWAP and the venue time of their last trade (``bars.vwap``, ``bars.ts_event``).

Only PostgreSQL stores ``bars`` in SQL (the embedded store writes market tables to Parquet, whose schema comes
from :data:`actors.recorder.schema.COLUMNS`). Revision 0001 creates tables from the current metadata, so a store
created from scratch already has the columns; a store created before this revision gets them added here.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from actors.recorder.schema import Money

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NEW = (("vwap", Money), ("ts_event", sa.BigInteger))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    have = {c["name"] for c in sa.inspect(bind).get_columns("bars")}
    for name, kind in _NEW:
        if name not in have:
            op.add_column("bars", sa.Column(name, kind(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    for name, _ in _NEW:
        op.drop_column("bars", name)
