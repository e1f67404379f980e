"""Errors of the persistence layer; they extend the tree in :mod:`actors.errors`::

    RaytradeError
    └── StoreError                 something about a store (embedded SQLite + Parquet, PostgreSQL)
        ├── StoreUnavailable       the store cannot be reached or refused a write (server down, bad DSN, disk):
        │                          at start-up fatal with one line naming host:port (never the password);
        │                          during a run the recorder spools and catches up when it returns
        └── SpoolFull              the store is down *and* the bounded local spool is full: nothing more can be
                                   made durable, so the caller must halt trading (never drop silently)
"""

from __future__ import annotations

from actors.errors import RaytradeError

__all__ = ["SpoolFull", "StoreError", "StoreUnavailable"]


class StoreError(RaytradeError):
    """A store failed."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or refused a write.

    Attributes:
        where: ``host:port`` (PostgreSQL) or the file path (embedded); never a password.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"store at {where} unavailable: {reason}")


class SpoolFull(StoreError):
    """The store is down and the local spool reached ``max_bytes``: halt trading.

    Attributes:
        spool_bytes: the spool's size; max_bytes: its bound.
    """

    def __init__(self, path: str, spool_bytes: int, max_bytes: int, cause: str = "") -> None:
        self.path = path
        self.spool_bytes = spool_bytes
        self.max_bytes = max_bytes
        super().__init__(f"spool {path} full ({spool_bytes} of {max_bytes} bytes) while the store is down"
                         + (f": {cause}" if cause else ""))
