"""Raw-frame recording in the hftbacktest line format, the capture format ``verify`` and ``replay`` read.

Each line is ``<ts_recv ns> <frame or REST body bytes>\\n`` in a gzip file (hftbacktest's Binance collector writes
the same: a local timestamp, one space, the raw message; :func:`actors.replay.captures._read_hftbacktest` reads it
back, detecting the timestamp unit from its magnitude). Frames are written byte for byte; a frame containing a
newline cannot be represented in a line format and is refused (``ValueError``) rather than corrupting the file.

Files: ``<run_dir>/raw/<venue>/<symbol>_<YYYYMMDD>.gz`` (:func:`raw_path`), the layout of ``data/sample``. The
writer appends gzip members, so a file reopened after a restart stays readable; ``flush()`` makes what was
written so far readable and durable (fsync).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

__all__ = ["RawFrameWriter", "raw_path"]


def raw_path(run_dir: str | Path, venue: str, symbol: str, ts_ns: int) -> Path:
    """``<run_dir>/raw/<venue>/<symbol lower>_<YYYYMMDD UTC>.gz``."""
    day = dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=dt.UTC).strftime("%Y%m%d")
    return Path(run_dir) / "raw" / venue / f"{symbol.lower()}_{day}.gz"


class RawFrameWriter:
    """Appends ``(ts_recv, frame)`` lines to one gzip capture file.

    Args:
        path: the capture file (directories are created; an existing file is appended to).
        compresslevel: gzip level (1 = fastest).
    """

    def __init__(self, path: str | Path, compresslevel: int = 1) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="ab", compresslevel=compresslevel)
        self.frames = 0

    def write(self, ts_recv: int, data: bytes) -> None:
        """Write one frame received at ``ts_recv`` (ns). Raises ValueError for a frame with a newline."""
        if b"\n" in data or b"\r" in data:
            raise ValueError("a frame with a line break cannot be written in the hftbacktest line format")
        self._gz.write(b"%d %s\n" % (ts_recv, data))
        self.frames += 1

    def flush(self) -> None:
        """Make every frame written so far readable and durable."""
        self._gz.flush(gzip.zlib.Z_SYNC_FLUSH)
        self._raw.flush()
        os.fsync(self._raw.fileno())

    def close(self) -> None:
        self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()

    def __enter__(self) -> RawFrameWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
