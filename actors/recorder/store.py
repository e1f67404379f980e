"""Store configuration and ``open_store``: the one way a recorder (or ``report``) gets a store.

A store has ``kind``, ``where`` (path or ``host:port/db``), ``write(table, rows) -> int`` (new rows, committed when
it returns; raises :class:`~actors.recorder.errors.StoreUnavailable`), ``read(table, run_id=None) -> list[dict]``,
``count(table) -> int``, ``check()`` and ``close()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from actors.recorder.embedded import EmbeddedStore

__all__ = ["Store", "StoreConfig", "open_store"]


class Store(Protocol):
    kind: str
    where: str

    def write(self, table: str, rows: list[dict]) -> int: ...
    def read(self, table: str, run_id: str | None = None) -> list[dict]: ...
    def count(self, table: str, run_id: str | None = None) -> int: ...
    def check(self) -> None: ...
    def close(self) -> None: ...


class StoreConfig(BaseModel):
    """Where a run's records go.

    Attributes:
        kind: ``embedded`` (default: SQLite + Parquet under ``run_dir``) or ``postgres``.
        run_dir: the run directory (``runs/<run_id>``); required for ``embedded``.
        dsn: libpq DSN for ``postgres`` (secret: never logged or returned).
        connect_timeout_s: PostgreSQL connection timeout (s).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["embedded", "postgres"] = "embedded"
    run_dir: str | None = None
    dsn: SecretStr | None = None
    connect_timeout_s: float = 5.0

    @model_validator(mode="after")
    def _needs(self) -> StoreConfig:
        if self.kind == "embedded" and not self.run_dir:
            raise ValueError("the embedded store needs run_dir")
        if self.kind == "postgres" and not self.dsn:
            raise ValueError("the postgres store needs dsn")
        return self


def open_store(config: StoreConfig | dict) -> Store:
    """Open (and migrate) the configured store.

    Raises:
        pydantic.ValidationError: bad config. StoreUnavailable: the store cannot be opened (one line naming the
            path or host:port, never a password).
    """
    config = config if isinstance(config, StoreConfig) else StoreConfig.model_validate(config)
    if config.kind == "embedded":
        return EmbeddedStore(Path(config.run_dir))
    from actors.recorder.postgres import PostgresStore  # psycopg only when PostgreSQL is configured

    return PostgresStore(config.dsn, connect_timeout_s=config.connect_timeout_s)
