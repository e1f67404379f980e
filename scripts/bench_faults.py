"""The main job at ``--speed max``, clean and under injected faults, back to back (issue 8's acceptance run).

    .venv/bin/python scripts/bench_faults.py [--faults SPEC] [--seed N] [--runs 1]

Each run is ``raytrade run --speed max`` in its own process (its own local Ray, its own run dir in a temp dir).
Printed per run: wall time (start to summary), ok, gaps / resyncs / reconnects, whether every book is ready with
the final sequence and best bid/ask of ``raytrade verify`` on the same captures, and the basis statistics; then the
faulted/clean wall-time ratio (issue 8: within 3x) and whether the faulted basis mean lies in the clean run's
[min, max]. Gap detection per dropped diff is asserted by ``tests/e2e/test_faults_and_restarts.py`` (fault log vs
sync log); here the fault counts come from the replay venues' summary.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_FAULTS = "drop=0.002,dup=0.001,reorder=0.001:5,disconnect_every=20s,rest_429=0.2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _truth() -> dict[str, dict]:
    from actors.replay.captures import read_recordings
    from actors.replay.rebuild import BookRebuilder
    from cluster.config import load_config

    out = {}
    for paths in load_config().replay.captures.values():
        for recording in read_recordings(paths):
            rebuilder = BookRebuilder(recording.venue).feed_all(recording.records())
            for row in rebuilder.results():
                row["last_sequence"] = rebuilder.syncs[row["instrument_id"]].last_sequence
                out[row["instrument_id"]] = row
    return out


def _run(faults: str | None, seed: int, tmp: Path) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "cluster.cli", "run", "--speed", "max", "--api-port", str(_free_port()),
           "--metrics-port", str(_free_port()), "--run-dir", str(tmp / f"run-{'faults' if faults else 'clean'}")]
    if faults:
        cmd += ["--faults", faults, "--seed", str(seed)]
    t0 = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if not out.stdout.strip():
        raise SystemExit(f"no summary (exit {out.returncode}): {out.stderr[-2000:]}")
    return wall, json.loads(out.stdout.strip().splitlines()[-1])


def _report(label: str, wall: float, summary: dict, truth: dict[str, dict]) -> dict:
    inst = summary.get("instruments", {})
    correct = {iid: bool(s.get("ready")) and s.get("sequence") == t["last_sequence"]
               and s.get("best_bid") == t["best_bid"] and s.get("best_ask") == t["best_ask"]
               for iid, t in truth.items() for s in [inst.get(iid, {})]}  # fmt: skip
    row = {
        "run": label, "wall_s": round(wall, 1), "replay_wall_s": summary.get("wall_s"), "ok": summary.get("ok"),
        "gaps": sum(s.get("gaps", 0) for s in inst.values()),
        "resyncs": sum(s.get("resyncs", 0) for s in inst.values()),
        "reconnects": sum(f.get("reconnects") or 0 for f in summary.get("feeds", {}).values()),
        "faults": {v: r.get("faults_by_kind") for v, r in summary.get("replay", {}).items()},
        "books_equal_verify": correct,
        "basis": {k: {x: v.get(x) for x in ("samples", "mean", "min", "max")} for k, v in summary.get("basis", {}).items()},
    }
    print(json.dumps(row))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faults", default=DEFAULT_FAULTS)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    truth = _truth()
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as d:
        clean = _report("clean", *_run(None, args.seed, Path(d)), truth)
        faulted = _report(f"faults {args.faults}", *_run(args.faults, args.seed, Path(d)), truth)
    within = {}
    for pair, b in faulted["basis"].items():
        c = clean["basis"].get(pair, {})
        if b.get("mean") is not None and c.get("min") is not None:
            within[pair] = Decimal(c["min"]) <= Decimal(b["mean"]) <= Decimal(c["max"])
    print(json.dumps({"ratio_faulted_to_clean": round(faulted["wall_s"] / clean["wall_s"], 2),
                      "faulted_basis_mean_within_clean_range": within}))


if __name__ == "__main__":
    main()
