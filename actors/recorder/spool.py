"""The bounded local spool: batches the store could not take, made durable on disk until it can.

Format: one JSON line per batch, ``{"table": ..., "rows": [...]}``; money as exact decimal strings (re-typed by
:func:`actors.recorder.rows.coerce` on replay), so the file is readable with ``jq``. Every append is flushed and
``fsync``-ed before it returns: a spooled write-ahead record survives a crash like a committed one.

Bounded: an append that would take the file past ``max_bytes`` raises :class:`~actors.recorder.errors.SpoolFull`
(the recorder then fails loudly and trading halts; nothing is dropped silently). ``replay`` hands the batches back
in order; ``clear`` empties the file once they are all in the store. Rows carry idempotent keys, so replaying a
batch twice (a crash during catch-up) inserts nothing twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from actors.recorder.errors import SpoolFull
from actors.recorder.rows import coerce

__all__ = ["Spool"]


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot spool {type(value).__name__}")


class Spool:
    """An append-only spool file of at most ``max_bytes``.

    Args:
        path: the spool file (its directory is created).
        max_bytes: the bound, in bytes.
    """

    def __init__(self, path: str | Path, max_bytes: int = 64 << 20) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def __len__(self) -> int:
        """Batches in the spool."""
        with self.path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())

    def append(self, table: str, rows: list[dict], cause: str = "") -> int:
        """Durably append one batch; return the spool's new size in bytes.

        Raises:
            SpoolFull: the batch does not fit in ``max_bytes`` (nothing is written).
        """
        line = (json.dumps({"table": table, "rows": rows}, default=_default, separators=(",", ":")) + "\n").encode()
        size = self.size_bytes
        if size + len(line) > self.max_bytes:
            raise SpoolFull(str(self.path), size, self.max_bytes, cause)
        with self.path.open("ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        return size + len(line)

    def replay(self) -> Iterator[tuple[str, list[dict]]]:
        """The spooled batches ``(table, rows)`` in the order they were appended, rows typed again."""
        with self.path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    yield record["table"], [coerce(record["table"], r) for r in record["rows"]]

    def clear(self) -> None:
        """Empty the spool (after every batch reached the store)."""
        with self.path.open("wb") as fh:
            fh.flush()
            os.fsync(fh.fileno())
