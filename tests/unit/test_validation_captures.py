"""The default validation thresholds on every recorded capture: 0 hard failures; the soft ones are reported.

Runs each capture through the feed core (one ``FeedPipeline`` per recorded connection, as the feeds would) with
the default ``[validation]`` settings (``actors/validation/offline.py``). What fires on these files is printed
(``pytest -s``) and pinned below, so a threshold change that makes the defaults noisier fails here; the reading
of each is in BENCHMARKS.md ("Market-data validation").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.replay.captures import read_recordings
from actors.validation import ValidationSettings
from actors.validation.offline import validate_recording
from tests.conftest import COINM, SPOT, USDM

CRYPTOFEED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cryptofeed"
SHARED = [sorted((CRYPTOFEED / "v1").glob("BINANCE*")), sorted((CRYPTOFEED / "v1").glob("COINBASE*"))] + [
    [p] for p in sorted((CRYPTOFEED / "v3").glob("*.jsonl"))
]
# Soft failures the defaults raise on the captures (checked by hand: see BENCHMARKS.md): venue -> check -> n.
# Keyed by the first file's name: the USD-M trades are a sweep through the book (trade-to-trade jumps far beyond
# the usual one-tick returns), the legacy Coinbase BAND-GBP mid a +0.42% step of a thin book: real market moves.
EXPECTED_SOFT = {"btcusdt_20240808.gz:binance_usdm": {"outlier_trade": 3}, "COINBASE.0": {"outlier_mid": 1}}


def run(paths) -> list[tuple[str, dict]]:
    return [(rec.venue.value, validate_recording(rec, ValidationSettings())) for rec in read_recordings(paths)]


@pytest.mark.parametrize("paths", [SPOT, USDM, COINM], ids=["spot", "usdm", "coinm"])
def test_bundled_binance_samples_have_no_hard_failure(paths):
    for venue, out in run(paths):
        print(venue, out["hard_failures"], out["soft_failures"], [r["message"] for r in out["examples"]])
        assert out["hard_failures"] == 0
        soft = {k: n for counts in out["instruments"].values() for k, n in counts.items() if n}
        assert soft == EXPECTED_SOFT.get(f"{paths[0].name}:{venue}", {})


@pytest.mark.skipif(not CRYPTOFEED.is_dir(), reason="../shared/data is not here")
@pytest.mark.parametrize("paths", SHARED, ids=lambda p: p[0].name)
def test_cryptofeed_captures_have_no_hard_failure(paths):
    results = run(paths)
    assert results
    for venue, out in results:
        print(venue, out["hard_failures"], out["soft_failures"], [r["message"] for r in out["examples"]])
        assert out["instruments"], venue  # the checks saw its books
        assert out["hard_failures"] == 0
        soft = {k: n for counts in out["instruments"].values() for k, n in counts.items() if n}
        assert soft == EXPECTED_SOFT.get(paths[0].name, {})


def test_a_tight_spread_threshold_does_fire_on_real_data():
    """The check above can fail: the same run with a 0.01 bps spread limit reports the spot book as wide."""
    (recording,) = read_recordings(SPOT)
    out = validate_recording(recording, ValidationSettings(max_spread_bps=0.01))
    assert out["instruments"]["BTCUSDT.BINANCE"]["spread"] > 0
    assert out["hard_failures"] == 0
