"""Run history for the API: past and current runs read back from the store (``GET /runs``, ``GET /runs/{id}/...``,
``POST /alerts/{row_key}/ack``).

The embedded store keeps one run per directory (``<runs root>/<run_id>/raytrade.sqlite``), so runs are the
directories of the runs root that hold a database; PostgreSQL holds every run in the same tables, so runs are the
distinct ``run_id`` of ``trading_sessions``. Rows come back JSON-friendly: money as exact decimal strings, times as
ns integers, oldest first by the table's time column, paginated with ``limit`` / ``offset`` and filtered with
``since_ns`` / ``until_ns`` (inclusive). Stores are opened once per replica and kept.

Errors (translated by the route to HTTP): :class:`UnknownRun` (404), :class:`UnknownTable` (404),
``StoreUnavailable`` (503).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from actors.errors import RaytradeError

__all__ = ["HISTORY_TABLES", "History", "UnknownRun", "UnknownTable"]

HISTORY_TABLES = ("orders", "fills", "positions", "signals", "risk_events", "system_alerts", "feed_events",
                  "strategy_state", "performance_metrics", "account_balances", "trading_sessions", "audit_log",
                  "system_health")  # fmt: skip
"""Tables the history endpoints serve (market data stays in the Parquet dataset / report)."""


class UnknownRun(RaytradeError):
    """No run of that id in the store."""


class UnknownTable(RaytradeError):
    """Not one of :data:`HISTORY_TABLES`."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


class History:
    """Reads runs from the run's store.

    Args:
        kind: ``embedded`` or ``postgres``.
        runs_root: the directory holding run directories (embedded).
        dsn: the PostgreSQL DSN (a ``SecretStr``; postgres).
    """

    def __init__(self, kind: str, runs_root: str | None, dsn: Any = None) -> None:
        self.kind = kind
        self.runs_root = Path(runs_root) if runs_root else None
        self.dsn = dsn
        self._stores: dict[str, Any] = {}
        self._dirs: dict[str, Path] = {}

    def _store(self, run_id: str | None):
        """The store holding ``run_id`` (postgres: the one store). Raises :class:`UnknownRun` (embedded)."""
        if self.kind == "postgres":
            return self._open("postgres", None)
        return self._open_dir(self._dir_for(str(run_id)))

    def _open(self, key: str, run_dir: Path | None):
        from actors.recorder.store import StoreConfig, open_store

        store = self._stores.get(key)
        if store is None:
            config = (StoreConfig(kind="postgres", dsn=self.dsn) if run_dir is None
                      else StoreConfig(kind="embedded", run_dir=str(run_dir)))  # fmt: skip
            store = self._stores[key] = open_store(config)
        return store

    def _open_dir(self, run_dir: Path):
        return self._open(str(run_dir), run_dir)

    def _run_dirs(self) -> dict[str, Path]:
        """``run_id -> directory`` of every embedded run under the runs root. A run directory's name need not be
        its run id (``raytrade run --run-dir DIR``): the ids are the ``run_id`` values of its ``trading_sessions``
        (the directory name when it has none yet). Unreadable databases are skipped."""
        root = self.runs_root or Path("runs")
        out: dict[str, Path] = {}
        if not root.is_dir():
            return out
        for path in sorted(root.iterdir()):
            if not (path / "raytrade.sqlite").is_file():
                continue
            try:
                ids = {r["run_id"] for r in self._open_dir(path).read("trading_sessions")}
            except RaytradeError:
                continue
            for run_id in ids or {path.name}:
                out.setdefault(run_id, path)
        return out

    def _dir_for(self, run_id: str) -> Path:
        hit = self._dirs.get(run_id)
        if hit is None:
            self._dirs = self._run_dirs()
            hit = self._dirs.get(run_id)
        if hit is None:
            raise UnknownRun(f"unknown run {run_id!r}")
        return hit

    def runs(self) -> list[dict]:
        """Every run: ``{run_id, ts_start, ts_end, outcome}``, newest first."""
        if self.kind == "postgres":
            sessions = self._store(None).read("trading_sessions")
            ids = {r["run_id"] for r in sessions}
        else:
            self._dirs = self._run_dirs()
            ids = set(self._dirs)
            sessions = []
            for run_id, path in self._dirs.items():
                try:
                    sessions.extend(self._open_dir(path).read("trading_sessions", run_id))
                except RaytradeError:
                    continue
        out = {i: {"run_id": i, "ts_start": None, "ts_end": None, "outcome": None} for i in ids}
        for row in sessions:
            entry = out[row["run_id"]]
            if row.get("phase") == "start":
                entry["ts_start"] = row.get("ts_start")
            elif row.get("phase") == "end":
                entry["ts_end"], entry["outcome"] = row.get("ts_end"), row.get("outcome")
        return sorted(out.values(), key=lambda r: (r["ts_start"] or 0, r["run_id"]), reverse=True)

    def rows(self, run_id: str, table: str, limit: int = 100, offset: int = 0, since_ns: int | None = None,
             until_ns: int | None = None) -> dict:  # fmt: skip
        """One page of ``table`` of ``run_id``: ``{run_id, table, total, offset, rows}``.

        Raises:
            UnknownTable, UnknownRun, StoreUnavailable.
        """
        from actors.recorder.schema import TIME_COLUMN

        if table not in HISTORY_TABLES:
            raise UnknownTable(f"unknown table {table!r}; tables: {', '.join(HISTORY_TABLES)}")
        store = self._store(run_id)
        if self.kind == "postgres" and run_id not in {r["run_id"] for r in self.runs()}:
            raise UnknownRun(f"unknown run {run_id!r}")
        rows = store.read(table, run_id)
        col = TIME_COLUMN.get(table)
        if col:
            rows = [r for r in rows if (since_ns is None or (r[col] or 0) >= since_ns)
                    and (until_ns is None or (r[col] or 0) <= until_ns)]  # fmt: skip
            rows.sort(key=lambda r: (r[col] or 0, r["row_key"]))
        page = rows[offset: offset + limit]
        return {"run_id": run_id, "table": table, "total": len(rows), "offset": offset,
                "rows": [{k: _plain(v) for k, v in r.items()} for r in page]}  # fmt: skip

    def ack_alert(self, run_id: str, row_key: str) -> bool:
        """Mark one ``system_alerts`` row acknowledged. Returns False when there is no such alert."""
        from sqlalchemy import update

        from actors.recorder.schema import TABLES

        table = TABLES["system_alerts"]
        store = self._store(run_id)
        with store.engine.begin() as conn:
            result = conn.execute(update(table).where(table.c.row_key == row_key, table.c.run_id == run_id)
                                  .values(acknowledged=True))  # fmt: skip
            return bool(result.rowcount)
