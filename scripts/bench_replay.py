"""Benchmark the replay venue end to end: ``raytrade replay`` in a subprocess, a plain websockets client here.

Measures, for one recording at one speed:

* wall time of the whole replay (SIGUSR1 start -> the command exits after draining), and first -> last frame;
* frame pacing end to end (server, loopback, client): each frame's lateness against its schedule, ``(recv_i - recv_0) - (ts_i - ts_0) / speed``, where
  ``ts`` is the recorder timestamp of the capture line the frame came from (the client reads the capture itself)
  and frame 0 is the reference. Reported as p50 / p99 / max (ms);
* the server's own dispatch lateness (the venue's ``dispatch_lateness`` status: each record's dispatch time against
  its schedule, 0.1 ms bins), from the command's final JSON line.

Usage::

    .venv/bin/python scripts/bench_replay.py --speed 60                 # the whole 11-minute spot capture
    .venv/bin/python scripts/bench_replay.py --speed 1 --seconds 60     # pacing over 60 s of replay

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import resource
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPOT = [ROOT / "data/sample/hftbacktest/binance_spot/btcusdt_20240808.gz",
        ROOT / "data/sample/hftbacktest/binance_spot/btcusdt_20240809.gz"]  # fmt: skip


def frame_times(paths: list[Path]) -> list[int]:
    """Recorder timestamps (ns) of the websocket frames of the capture, in order."""
    out = []
    for path in paths:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                ts, _, body = line.partition(b" ")
                if body.startswith(b'{"stream":"'):
                    out.append(int(ts))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


async def bench(paths: list[Path], speed: str, seconds: float | None) -> dict:
    times = frame_times(paths)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cluster.cli", "replay", *map(str, paths), "--speed", speed, "--paused", cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    from websockets.asyncio.client import connect

    url = None
    while url is None:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise RuntimeError("raytrade replay exited before printing its URLs")
        if line.strip().startswith("ws ") and "/stream?" in line:
            url = line.split()[1]
    recv: list[int] = []
    async with connect(url, max_size=None) as ws:
        start = time.monotonic_ns()
        proc.send_signal(signal.SIGUSR1)
        deadline = None if seconds is None else start + int(seconds * 1e9)
        try:
            while deadline is None or time.monotonic_ns() < deadline:
                await asyncio.wait_for(ws.recv(decode=False), None if deadline is None else seconds + 5)
                recv.append(time.monotonic_ns())
                if len(recv) == len(times):
                    break
        except Exception:  # noqa: BLE001 - the command closes the connection when it exits
            pass
    if seconds is not None and proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    out = (await proc.stdout.read()).decode().strip().splitlines()
    await proc.wait()
    summary = json.loads(out[-1]) if out else {}
    server = summary.get("venues", [{}])[0].get("dispatch_lateness")
    wall_s = (time.monotonic_ns() - start) / 1e9
    factor = float("inf") if speed == "max" else float(speed)
    lateness_ms = [((r - recv[0]) - (times[i] - times[0]) / factor) / 1e6 for i, r in enumerate(recv)]
    return {
        "speed": speed, "frames": len(recv), "frames_in_capture": len(times),
        "recorder_span_s": round((times[len(recv) - 1] - times[0]) / 1e9, 3),
        "command_wall_s": round(wall_s, 3), "first_to_last_frame_s": round((recv[-1] - recv[0]) / 1e9, 3),
        "lateness_ms": {"p50": round(percentile(lateness_ms, 0.50), 3), "p99": round(percentile(lateness_ms, 0.99), 3),
                        "max": round(max(lateness_ms), 3), "min": round(min(lateness_ms), 3)},
        "server_dispatch_lateness": server,
        "server_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "worst": [{"frame": i, "at_s": round((times[i] - times[0]) / 1e9, 3), "late_ms": round(lateness_ms[i], 3)}
                  for i in sorted(range(len(recv)), key=lateness_ms.__getitem__)[-3:]],
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", default="60")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this much wall time")
    parser.add_argument("paths", nargs="*", type=Path, default=SPOT)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(bench(args.paths, args.speed, args.seconds))))


if __name__ == "__main__":
    main()
