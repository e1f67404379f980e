"""RecorderActor: the thin actor around the pure batching, row and store code (made remote in actors/remote.py).

Durability contract (DESIGN.md §6; README "Persistence"):

* ``write_market`` (trades, quotes, book snapshots, bars, feed events) buffers rows and flushes every
  ``flush_interval_s`` (default 1 s) or at ``max_batch_rows``: a crash loses at most the last flush interval.
* ``write_now`` (orders, fills, risk events, audit records — any table) returns only once the rows are committed in
  the store, or, when the store is down, appended and fsynced to the local spool: the caller acknowledges the action
  after that (write-ahead).
* Every row has an idempotent key (:mod:`actors.recorder.rows`), so re-sent batches, a restarted recorder and a
  spool replayed twice never duplicate.
* Store down: batches go to the bounded spool (``spool_max_bytes``); every call first tries to catch up (at most once
  per ``retry_s``) and drains the spool in order once the store answers. Spool full: :class:`SpoolFull` is raised
  to the caller (trading must halt) and every later call raises it too — nothing is dropped silently.
* Back-pressure: when the buffers hold ``4 * max_batch_rows`` rows, ``write_market`` awaits the flush before it
  returns, so producers with bounded in-flight calls slow down instead of memory growing.

Store I/O is blocking (sqlite3, psycopg); it runs on one worker thread, in call order, so the actor's event loop
keeps answering ``status``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from actors.messages import Quote, Trade
from actors.recorder.batcher import Batcher
from actors.recorder.errors import SpoolFull, StoreUnavailable
from actors.recorder.rows import to_rows
from actors.recorder.schema import COLUMNS
from actors.recorder.spool import Spool
from actors.recorder.store import Store, StoreConfig, open_store

__all__ = ["RecorderActor"]


class RecorderActor:
    """Persists every batch it is given to the configured store.

    Args:
        store_config: :class:`StoreConfig` or its dict; opened (and migrated) here.
        run_id: the run; first part of every row key.
        flush_interval_s: market-data flush interval (s).
        max_batch_rows: rows per store batch.
        spool_dir: where the spool file lives (default ``<run_dir>/spool``, or ``runs/<run_id>/spool``).
        spool_max_bytes: the spool's bound.
        retry_s: while the store is down, how often a call may try it again (s).
        clock: ns clock (tests pass a fake one).
        store: an already open store (tests); then ``store_config`` is ignored.
        book_snapshot_interval_s: venue-clock interval between two ``book_snapshots`` rows of one instrument (s).

    Raises:
        StoreUnavailable: the store cannot be opened (bad DSN, unreachable server): one clear error at start-up.
    """

    def __init__(self, store_config: dict | StoreConfig | None, run_id: str, flush_interval_s: float = 1.0,
                 max_batch_rows: int = 5000, spool_dir: str | None = None, spool_max_bytes: int = 64 << 20,
                 retry_s: float = 1.0, clock: Callable[[], int] = time.time_ns, store: Store | None = None,
                 book_snapshot_interval_s: float = 10.0) -> None:  # fmt: skip
        if store is None:
            store_config = store_config if isinstance(store_config, StoreConfig) else StoreConfig.model_validate(
                store_config)
        self.store: Store = store or open_store(store_config)
        self.run_id = run_id
        self.flush_interval_s = flush_interval_s
        run_dir = getattr(store_config, "run_dir", None) or str(Path("runs") / run_id)
        self.spool = Spool(Path(spool_dir or Path(run_dir) / "spool") / f"{run_id}.spool", spool_max_bytes)
        self.batcher = Batcher(max_batch_rows, int(flush_interval_s * 1e9))
        self.retry_ns = int(retry_s * 1e9)
        self.clock = clock
        self._counts: Counter[str] = Counter()
        self._spooled_rows: Counter[str] = Counter()
        self._spool_batches = len(self.spool)
        self._retry_at = 0
        self.last_error: str | None = None
        self.errors = 0
        self.failed: SpoolFull | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recorder-io")
        self._flusher: asyncio.Task | None = None
        self.book_snapshot_interval_ns = int(book_snapshot_interval_s * 1e9)
        self._snapshot_at: dict[str, int] = {}

    # -- the API producers call ------------------------------------------------------------------------------------
    async def write_market(self, table: str, rows: list) -> int:
        """Buffer market rows (messages or dicts); flushed within ``flush_interval_s``. Returns rows accepted.

        Raises:
            SpoolFull: the recorder has failed (see the module docstring).
        """
        self._raise_if_failed()
        batch = self._rows(table, rows)
        self._ensure_flusher()
        if self.batcher.add(table, batch, self.clock()):
            await self._flush(self.batcher.due(self.clock()) or None)
        return len(batch)

    async def write_now(self, table: str, rows: list) -> int:
        """Write-ahead: commit the rows (or spool them durably) before returning; returns rows accepted.

        Raises:
            SpoolFull: the store is down and the spool is full: do not acknowledge the action; halt trading.
        """
        self._raise_if_failed()
        batch = self._rows(table, rows)
        await self._run(self._write_sync, table, batch)
        return len(batch)

    async def on_market(self, batch) -> list:
        """A feed batch (the same ObjectRef the book and execution get): its trades and venue quotes are buffered
        as market rows. Returns [] (the feed's acknowledgement protocol)."""
        trades = [e for e in batch.events if type(e) is Trade]
        quotes = [e for e in batch.events if type(e) is Quote]
        if trades:
            await self.write_market("trades", trades)
        if quotes:
            await self.write_market("quotes", quotes)
        return []

    async def on_views(self, views: list, trades: list = (), bars: list = ()) -> int:
        """Book views (a book subscription): one ``book_snapshots`` row per instrument every
        ``book_snapshot_interval_s`` of the venue clock; one ``bars`` row per closed bar."""
        if bars:
            await self.write_market("bars", [bar for bar in bars if bar.closed])
        keep = []
        for view in views:
            last = self._snapshot_at.get(view.instrument_id, 0)
            if view.ready and view.ts_event and view.ts_event - last >= self.book_snapshot_interval_ns:
                self._snapshot_at[view.instrument_id] = view.ts_event
                keep.append(view)
        if keep:
            await self.write_market("book_snapshots", keep)
        return len(views)

    def ping(self) -> str:
        return self.run_id

    async def flush(self) -> dict:
        """Write every buffered row now and try to drain the spool; returns :meth:`status`."""
        await self._flush(None)
        await self._run(self._catch_up)
        return self.status()

    def counts(self) -> dict[str, int]:
        """New rows committed to the store per table (duplicates skipped by the store are not counted)."""
        return dict(self._counts)

    def status(self) -> dict:
        """Store kind and place, whether it is up, lag of the oldest buffered row, spool size, last error, counts."""
        oldest = self.batcher.oldest_ns()
        return {"store": self.store.kind, "where": self.store.where, "store_up": self._spool_batches == 0,
                "lag_s": 0.0 if oldest is None else max(0, self.clock() - oldest) / 1e9,
                "buffered_rows": self.batcher.buffered, "spool_bytes": self.spool.size_bytes,
                "spool_batches": self._spool_batches, "spooled_rows": dict(self._spooled_rows),
                "last_error": self.last_error, "errors": self.errors,
                "failed": None if self.failed is None else str(self.failed), "counts": self.counts()}  # fmt: skip

    async def close(self) -> dict:
        """Stop the flusher, flush, try a last catch-up, close the store; returns the final :meth:`status`."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        try:
            await self.flush()
        finally:
            status = self.status()
            await self._run(self.store.close)
            self._io.shutdown(wait=True)
        return status

    # -- internals -------------------------------------------------------------------------------------------------
    def _rows(self, table: str, rows: list) -> list[dict]:
        if table not in COLUMNS:
            raise ValueError(f"unknown table {table!r}; tables: {', '.join(COLUMNS)}")
        return to_rows(table, rows, self.run_id)

    def _raise_if_failed(self) -> None:
        if self.failed is not None:
            raise self.failed

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval_s / 2)
            due = self.batcher.due(self.clock())
            if due:
                try:
                    await self._flush(due)
                except SpoolFull:
                    return  # self.failed is set: the next producer call raises it

    async def _flush(self, tables: list[str] | None) -> None:
        for table, rows in self.batcher.take(tables):
            await self._run(self._write_sync, table, rows)

    def _write_sync(self, table: str, rows: list[dict]) -> None:
        """One batch to the store, or to the spool while the store is down (worker thread)."""
        if not rows:
            return
        if self._spool_batches and not self._catch_up():
            self._spool(table, rows, self.last_error or "store down")
            return
        try:
            self._counts[table] += self.store.write(table, rows)
        except StoreUnavailable as exc:
            self._down(exc)
            self._spool(table, rows, str(exc))

    def _spool(self, table: str, rows: list[dict], cause: str) -> None:
        try:
            self.spool.append(table, rows, cause)
        except SpoolFull as exc:
            self.failed = exc
            raise
        self._spool_batches += 1
        self._spooled_rows[table] += len(rows)

    def _down(self, exc: StoreUnavailable) -> None:
        self.last_error = str(exc)
        self.errors += 1
        self._retry_at = self.clock() + self.retry_ns

    def _catch_up(self) -> bool:
        """Drain the spool into the store, in order; True when it is empty (worker thread)."""
        if not self._spool_batches:
            return True
        if self.clock() < self._retry_at:
            return False
        try:
            for table, rows in self.spool.replay():
                self._counts[table] += self.store.write(table, rows)
        except StoreUnavailable as exc:
            self._down(exc)
            return False
        self.spool.clear()
        self._spool_batches = 0
        return True
