"""Persistence: one schema (schema.py) and its migrations, the embedded (SQLite + Parquet) and PostgreSQL stores,
pure rows/batching/spool code, the raw-frame writer, and the thin RecorderActor. See actor.py for the durability
contract. Importing this package does not import psycopg (only ``postgres.py`` does, when configured)."""

from actors.recorder.errors import SpoolFull, StoreError, StoreUnavailable
from actors.recorder.store import Store, StoreConfig, open_store

__all__ = ["SpoolFull", "Store", "StoreConfig", "StoreError", "StoreUnavailable", "open_store"]
