"""Versioned schema migrations (Alembic), applied at store start-up for SQLite and PostgreSQL alike.

``upgrade(connection)`` runs every pending revision in ``versions/`` on an open SQLAlchemy connection (inside its
transaction) and returns the head revision. Alembic records the applied revision in ``alembic_version``, so a
second start-up is a no-op. A schema change is a new revision file with ``op.*`` calls; revision ``0001`` builds
the version-1 tables from :mod:`actors.recorder.schema`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["HEAD", "current_revision", "upgrade"]

_HERE = Path(__file__).resolve().parent


def _config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


HEAD = ScriptDirectory.from_config(_config()).get_current_head()
"""The newest revision."""


def upgrade(connection) -> str:
    """Apply every pending revision on ``connection`` (a SQLAlchemy Connection); return the head revision."""
    command.upgrade(_config(connection), "head")
    return HEAD


def current_revision(connection) -> str | None:
    """The revision the database is at (None before the first migration)."""
    return MigrationContext.configure(connection).get_current_revision()
