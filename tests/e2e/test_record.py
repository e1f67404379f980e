"""Raw-frame recording: `raytrade record` of a replayed run writes the frames byte for byte; the recording reads
back as a capture that `verify` rebuilds into the same books."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from actors.replay.captures import read_recordings
from tests.conftest import ROOT
from tests.e2e.support import CAPTURES, IDS, free_port, truth


def _frames(paths) -> list[bytes]:
    (recording,) = read_recordings(paths)
    return [r.data for r in recording.records() if r.kind == "ws"]


def test_recording_a_replay_gives_identical_frames_and_the_same_books(tmp_path):
    run_dir = tmp_path / "rec"
    proc = subprocess.run([sys.executable, "-m", "cluster.cli", "record", "--speed", "max", "--run-dir", str(run_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "RAYTRADE_API__PORT": str(free_port())})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for venue, paths in CAPTURES.items():
        recorded = sorted((run_dir / "raw" / venue).glob("*.gz"))
        assert recorded, venue
        assert _frames(recorded) == _frames(paths), venue  # every websocket frame, byte for byte, in order
    files = [str(p) for p in sorted((run_dir / "raw").rglob("*.gz"))]
    out = subprocess.run([sys.executable, "-m", "cluster.cli", "verify", "--json", *files], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    rows = {r["instrument_id"]: r for r in map(json.loads, out.stdout.strip().splitlines())}
    for iid in IDS.values():
        row, t = rows[iid], truth()[iid]
        assert row["gaps"] == 0 and row["crossed"] == 0 and row["snapshots"] >= 1, row
        assert (row["best_bid"], row["best_ask"]) == (t["row"]["best_bid"], t["row"]["best_ask"]), iid
        assert row["trades"] == t["row"]["trades"], iid
