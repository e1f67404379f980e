"""Pure batching with back-pressure for the recorder's buffered (market-data) writes.

Rows are buffered per table; a table's buffer becomes a batch when it holds ``max_batch_rows`` rows or when its
oldest row is ``flush_interval_ns`` old. ``max_buffered_rows`` bounds the total: when an ``add`` reaches it,
``add`` returns ``True`` (*must flush*) and the actor awaits the flush before it answers the producer, so a slow
store slows the producers' (bounded, in-flight) calls instead of growing memory. No clock is read here: callers
pass ``now_ns``.
"""

from __future__ import annotations

__all__ = ["Batcher"]


class Batcher:
    """Per-table row buffers.

    Args:
        max_batch_rows: rows per batch at most.
        flush_interval_ns: how long a row may wait before its table is due (ns).
        max_buffered_rows: rows buffered over all tables before ``add`` asks for a flush.
    """

    def __init__(self, max_batch_rows: int = 5000, flush_interval_ns: int = 1_000_000_000,
                 max_buffered_rows: int | None = None) -> None:  # fmt: skip
        if max_batch_rows <= 0:
            raise ValueError("max_batch_rows must be > 0")
        self.max_batch_rows = max_batch_rows
        self.flush_interval_ns = flush_interval_ns
        self.max_buffered_rows = max_buffered_rows or 4 * max_batch_rows
        self._rows: dict[str, list] = {}
        self._since: dict[str, int] = {}
        self.buffered = 0

    def add(self, table: str, rows: list, now_ns: int) -> bool:
        """Buffer rows; return True when the buffers are full enough that the caller must flush before going on."""
        if rows:
            self._rows.setdefault(table, []).extend(rows)
            self._since.setdefault(table, now_ns)
            self.buffered += len(rows)
        return self.buffered >= self.max_buffered_rows or len(self._rows.get(table, ())) >= self.max_batch_rows

    def oldest_ns(self) -> int | None:
        """When the oldest buffered row arrived (ns), or None when empty."""
        return min(self._since.values(), default=None)

    def due(self, now_ns: int) -> list[str]:
        """Tables whose buffer is full or whose oldest row waited ``flush_interval_ns``."""
        return [t for t, rows in self._rows.items()
                if len(rows) >= self.max_batch_rows or now_ns - self._since[t] >= self.flush_interval_ns]

    def take(self, tables: list[str] | None = None) -> list[tuple[str, list]]:
        """Remove and return the buffered rows of ``tables`` (default: all) as batches of ``max_batch_rows``."""
        out = []
        for table in list(self._rows) if tables is None else tables:
            rows = self._rows.pop(table, [])
            self._since.pop(table, None)
            self.buffered -= len(rows)
            out.extend((table, rows[i : i + self.max_batch_rows]) for i in range(0, len(rows), self.max_batch_rows))
        return out

    def put_back(self, table: str, rows: list, now_ns: int) -> None:
        """Return a batch that could not be written to the front of its buffer (kept in order)."""
        if rows:
            self._rows[table] = rows + self._rows.get(table, [])
            self._since[table] = min(self._since.get(table, now_ns), now_ns)
            self.buffered += len(rows)
