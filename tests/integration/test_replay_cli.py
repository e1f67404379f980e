"""``raytrade replay`` in the foreground: prints its URLs, starts on SIGUSR1 when paused, exits 0 with a JSON line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

from websockets.asyncio.client import connect

from tests.conftest import ROOT, SPOT, USDM
from tests.integration.replay_support import capture_lines, recv_frames, stream_frames

RAYTRADE = [sys.executable, "-m", "cluster.cli"]


def test_paused_replay_starts_on_sigusr1_serves_the_frames_and_exits_0_with_a_summary():
    expected = stream_frames(capture_lines(SPOT[:1], limit=3000))

    async def main():
        proc = await asyncio.create_subprocess_exec(
            *RAYTRADE, "replay", *map(str, SPOT), "--speed", "max", "--paused", "--max-records", "3000",
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        lines = []
        async with asyncio.timeout(30):
            while not lines or not lines[-1].startswith("paused:"):
                lines.append((await proc.stdout.readline()).decode().strip())
        url = next(line.split()[1] for line in lines if line.startswith("ws ") and "/stream?" in line)
        async with connect(url) as ws:
            proc.send_signal(signal.SIGUSR1)
            got = await recv_frames(ws, len(expected))
            async with asyncio.timeout(30):
                out, err = await proc.communicate()
        return lines, got, proc.returncode, out.decode().strip().splitlines(), err.decode()

    lines, got, code, tail, err = asyncio.run(main())
    assert lines[0].startswith("binance: btcusdt_20240808.gz, btcusdt_20240809.gz: 3000 records")
    assert any(line.startswith("rest  http://127.0.0.1:") and "/api/v3/depth?symbol=BTCUSDT" in line for line in lines)
    assert got == expected
    assert code == 0, err
    summary = json.loads(tail[-1])
    (venue,) = summary["venues"]
    assert venue["finished"] and venue["frames_sent"] == len(expected)


def test_several_recordings_get_one_venue_each_sharing_one_origin(tmp_path):
    async def main():
        proc = await asyncio.create_subprocess_exec(
            *RAYTRADE, "replay", *map(str, SPOT + USDM), "--speed", "5000", "--max-records", "2000",
            "--faults", "rest_429=0.5", "--fault-log", str(tmp_path / "faults.jsonl"),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
        return proc.returncode, out.decode().splitlines(), err.decode()

    code, lines, err = asyncio.run(main())
    assert code == 0, err
    summary = json.loads(lines[-1])
    assert [v["venue"] for v in summary["venues"]] == ["binance", "binance_usdm"]
    assert len({v["origin_ns"] for v in summary["venues"]}) == 1  # one shared replay-time origin
    assert all(v["finished"] for v in summary["venues"])
    assert (tmp_path / "faults.binance.jsonl").exists() and (tmp_path / "faults.binance_usdm.jsonl").exists()


def test_a_bad_fault_spec_exits_2_with_one_line():
    async def main():
        proc = await asyncio.create_subprocess_exec(
            *RAYTRADE, "replay", str(SPOT[0]), "--faults", "explode=1", cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        return proc.returncode, err.decode()

    code, err = asyncio.run(main())
    assert code == 2
    assert "unknown fault 'explode'" in err
