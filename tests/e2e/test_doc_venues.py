"""``raytrade run --config examples/{gemini,bitstamp,backpack}.toml`` end to end (real Ray, the replay venue as an
actor, the feed actor, book actors): each run ends ``ok`` with every book ready and equal (best bid/ask, levels) to
what ``raytrade verify`` rebuilds from the same recording. **The recordings are generated, not real traffic**
(``tests/data/venue_docs/``: no recording of these venues exists in ``../shared/data``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cluster.verify import verify_paths
from tests.conftest import ROOT
from tests.e2e.support import free_port


@pytest.mark.parametrize("venue", ["gemini", "bitstamp", "backpack"])
def test_the_example_finishes_ok_with_every_book_ready_and_equal_to_verify(tmp_path, venue):
    truth = {r["instrument_id"]: r for r in verify_paths([ROOT / "tests" / "data" / "venue_docs" / f"{venue.upper()}.jsonl"])[0]}
    out = subprocess.run(
        [sys.executable, "-m", "cluster.cli", "run", "--config", f"examples/{venue}.toml", "--duration", "300",
         "--api-port", str(free_port()), "--run-dir", str(tmp_path / "run")],
        cwd=ROOT, env={**os.environ, "RAY_ADDRESS": "local", "RAYTRADE_REPLAY__SPEED": "8"}, capture_output=True,
        text=True, timeout=700,
    )  # fmt: skip
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["ok"], out.stderr[-3000:]
    # compared with the captures' final books: the run ended because every replay finished, not by --duration
    assert all(r["finished"] for r in summary["replay"].values()), summary["replay"]
    books = summary["instruments"]
    assert set(books) == set(truth) and all(b["ready"] and b["gaps"] == 0 for b in books.values())
    for iid, book in books.items():
        row = truth[iid]
        assert (book["best_bid"], book["best_ask"]) == (row["best_bid"], row["best_ask"]), iid
        assert (book["bid_levels"], book["ask_levels"]) == (row["bid_levels"], row["ask_levels"]), iid
