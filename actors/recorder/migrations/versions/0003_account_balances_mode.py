"""Venue balance snapshots: ``account_balances`` gets ``mode`` (paper / testnet / live) and ``account`` (the API
key's id: first 16 hex digits of its SHA-256, never the key), so testnet and live balances read from the venue
(``GET /api/v3/account``) sit beside the paper portfolio's.

Both stores keep ``account_balances`` in SQL (a trading table: SQLite in the embedded store, PostgreSQL). Revision
0001 creates tables from the current metadata, so a store created from scratch already has the columns; a store
created before this revision gets them added here (``ALTER TABLE ... ADD COLUMN`` in both dialects).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NEW = ("mode", "account")


def upgrade() -> None:
    bind = op.get_bind()
    have = {c["name"] for c in sa.inspect(bind).get_columns("account_balances")}
    for name in _NEW:
        if name not in have:
            op.add_column("account_balances", sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    have = {c["name"] for c in sa.inspect(bind).get_columns("account_balances")}
    with op.batch_alter_table("account_balances") as batch:
        for name in _NEW:
            if name in have:
                batch.drop_column(name)
