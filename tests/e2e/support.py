"""Helpers for end-to-end tests: ground truth from the bundled captures, free ports, HTTP polling."""

from __future__ import annotations

import gzip
import json
import socket
import time
from functools import cache
from pathlib import Path

from actors.replay.captures import read_recordings
from actors.replay.rebuild import BookRebuilder
from tests.conftest import COINM, SPOT, USDM

CAPTURES = {"binance": SPOT, "binance_usdm": USDM, "binance_coinm": COINM}
IDS = {"binance": "BTCUSDT.BINANCE", "binance_usdm": "BTCUSDT.BINANCE_USDM", "binance_coinm": "BTCUSD_PERP.BINANCE_COINM"}


@cache
def truth() -> dict[str, dict]:
    """Per instrument: the verify row, the final book's top levels and last sequence (ground truth)."""
    out = {}
    for venue, paths in CAPTURES.items():
        (recording,) = read_recordings(paths)
        rebuilder = BookRebuilder(recording.venue).feed_all(recording.records())
        (row,) = rebuilder.results()
        sync = rebuilder.syncs[row["instrument_id"]]
        out[row["instrument_id"]] = {"row": row, "depth": sync.book.depth(100), "sequence": sync.last_sequence}
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def independent_basis() -> dict[str, float]:
    """Mean spot - perp bookTicker mid at the same recorder time (100 ms grid), with the stdlib json only."""
    series = {}
    for venue, paths in CAPTURES.items():
        points = []
        for path in paths:
            with gzip.open(path, "rt") as fh:
                for line in fh:
                    if "@bookTicker" not in line:
                        continue
                    ts, _, body = line.partition(" ")
                    data = json.loads(body)["data"]
                    points.append((int(ts), (float(data["b"]) + float(data["a"])) / 2))
        series[venue] = points
    out = {}
    spot = series["binance"]
    for venue in ("binance_usdm", "binance_coinm"):
        perp = series[venue]
        start, end = max(spot[0][0], perp[0][0]), min(spot[-1][0], perp[-1][0])
        i = j = 0
        diffs = []
        for t in range(start, end, 100_000_000):
            while i + 1 < len(spot) and spot[i + 1][0] <= t:
                i += 1
            while j + 1 < len(perp) and perp[j + 1][0] <= t:
                j += 1
            diffs.append(spot[i][1] - perp[j][1])
        out[IDS[venue]] = sum(diffs) / len(diffs)
    return out


def until(condition, timeout_s: float = 60.0, what: str = "condition") -> None:
    """Poll ``condition()`` every 0.1 s until it is true; an actor not started yet, restarting or an HTTP error
    counts as "not yet". Raises TimeoutError naming ``what``."""
    import httpx
    import ray

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if condition():
                return
        except (httpx.HTTPError, KeyError, ValueError, ray.exceptions.RayError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout_s} s")
        time.sleep(0.1)


def wait_api_up(base: str, proc, stderr_path: Path, timeout_s: float = 300) -> None:
    """Poll ``{base}/health`` until it answers 200. Raises AssertionError when ``proc`` exits first (with the last
    lines of its stderr, ``stderr_path``: why the run gave up, e.g. ``startup failed: ...``) or after ``timeout_s``."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = "\n".join(stderr_path.read_text(errors="replace").splitlines()[-30:])
            raise AssertionError(f"raytrade run exited ({proc.returncode}) before its API came up; stderr:\n{tail}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the API at {base} did not come up within {timeout_s} s")
