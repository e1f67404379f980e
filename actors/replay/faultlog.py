"""The fault log: every injected fault as one JSON object per line, so a test compares injected with detected.

Entries are written in the order the venue injects them (one replay pump decides every websocket fault, so two
runs with the same seed, subscribers and request order write identical files). Keys, in this order:

* ``ts``: replay time (recorder ns) of the frame, or of the REST request;
* ``kind``: ``drop``, ``dup``, ``reorder``, ``truncate``, ``corrupt``, ``delay``, ``disconnect``, ``rest_429``,
  ``rest_418``, ``rest_5xx``;
* websocket faults: ``conn`` (connection index, from 0 in connection order), ``frame`` (the frame's index on that
  connection, from 0: every frame the connection was subscribed to counts, dropped or not), ``stream``, and for
  depth frames ``U``/``u`` (and ``pu`` on futures) of the frame concerned;
* kind-specific: ``moved_by`` (reorder: frames it is held back by;
  fewer when a disconnect or the end of the replay releases it first), ``kept_bytes`` (truncate), ``offset``
  (corrupt), ``delay_ms`` (delay), ``after_ns`` (disconnect: replay ns since the connection opened);
* REST faults: ``request`` (index, from 0), ``path``, ``symbol``, ``status``, ``retry_after_s`` (429/418).
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import IO

__all__ = ["FaultLog", "read_fault_log"]


class FaultLog:
    """Append-only sink of fault entries: a JSON-lines file (optional) plus the latest entries in memory.

    Args:
        path: file to write (truncated on open); None to keep entries in memory only.
        keep: how many of the latest entries :attr:`entries` holds (memory stays bounded on long runs).

    Raises:
        OSError: the file cannot be opened.
    """

    def __init__(self, path: str | Path | None = None, keep: int = 100_000) -> None:
        self.path = Path(path) if path else None
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8") if self.path else None
        self._entries: deque[dict] = deque(maxlen=keep)
        self.count = 0
        self.by_kind: dict[str, int] = {}

    def write(self, entry: dict) -> None:
        """Record one fault entry (see the module docstring for its keys)."""
        self.count += 1
        kind = entry.get("kind", "?")
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self._entries.append(entry)
        if self._file is not None:
            self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")

    @property
    def entries(self) -> list[dict]:
        """The latest entries (up to ``keep``), oldest first."""
        return list(self._entries)

    def flush(self) -> None:
        """Flush the file."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Flush and close the file (entries stay readable)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def read_fault_log(path: str | Path) -> list[dict]:
    """Read a fault log file back: one dict per line, in file order."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
