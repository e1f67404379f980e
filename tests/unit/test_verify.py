"""``raytrade verify`` on the real captures: the exact figures from shared/data/README.md, and fault cases."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from actors.errors import CaptureError, UnknownCaptureFormat
from actors.replay.captures import read_recordings
from actors.replay.rebuild import VERIFY_KEYS, BookRebuilder
from cluster.verify import verify_paths
from tests.conftest import COINM, FIXTURES, ROOT, SPOT, USDM


@pytest.fixture(scope="module")
def verified():
    results, notes = verify_paths(SPOT + USDM + COINM)
    assert notes == []
    return {r["instrument_id"]: r for r in results}


def test_spot_two_files_continue_one_session(verified):
    r = verified["BTCUSDT.BINANCE"]
    assert list(r) == list(VERIFY_KEYS)
    assert (r["diffs_applied"], r["diffs_dropped_stale"], r["gaps"], r["crossed"]) == (6493, 2, 0, 0)
    assert (r["bid_levels"], r["ask_levels"], r["ready"], r["snapshots"]) == (1971, 2962, True, 1)
    assert r["trades"] == 19904


def test_usdm_ticker_checks_match_the_rebuilt_book(verified):
    r = verified["BTCUSDT.BINANCE_USDM"]
    assert (r["diffs_applied"], r["diffs_dropped_stale"], r["gaps"], r["crossed"]) == (6547, 4, 0, 0)
    assert (r["ticker_checks"], r["ticker_mismatches"]) == (126, 0)
    assert (r["bid_levels"], r["ask_levels"]) == (5018, 4578)
    assert r["best_bid"] < r["best_ask"]


def test_coinm(verified):
    r = verified["BTCUSD_PERP.BINANCE_COINM"]
    assert (r["diffs_applied"], r["diffs_dropped_stale"], r["gaps"]) == (44772, 23, 0)
    assert (r["bid_levels"], r["ask_levels"]) == (1510, 1733)


def test_cryptofeed_v1_first_applied_diff_follows_the_rest_snapshot():
    paths = [FIXTURES / "cryptofeed_v1" / "BINANCE.ws.1.0", FIXTURES / "cryptofeed_v1" / "BINANCE.http.0.0"]
    (recording,) = read_recordings(paths)
    rebuilder = BookRebuilder(recording.venue)
    first_applied = None
    for record in recording.records():
        before = rebuilder.syncs.get("NKNUSDT.BINANCE")
        applied = before.diffs_applied if before else 0
        rebuilder.feed(record)
        sync = rebuilder.syncs.get("NKNUSDT.BINANCE")
        if first_applied is None and sync and sync.diffs_applied > applied:
            first_applied = rebuilder.parser.parse_frame(record.data, 0)[0].first_sequence
    assert first_applied == 499869753
    rows = {r["symbol"]: r for r in rebuilder.results()}
    assert rows["NKNUSDT"]["ready"] and rows["NKNUSDT"]["gaps"] == 0 and rows["NKNUSDT"]["snapshots"] == 1
    assert set(rows) >= {"NKNUSDT", "LRCBTC", "BLZETH"}


def _rewrite(src: Path, dst: Path, edit) -> Path:
    with gzip.open(src, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    with gzip.open(dst, "wb") as fh:
        fh.writelines(edit(lines))
    return dst


def test_one_removed_diff_is_a_gap_and_book_stays_not_ready_without_a_new_snapshot(tmp_path):
    def drop_one(lines):
        depth = [i for i, line in enumerate(lines) if b"depthUpdate" in line]
        return [line for i, line in enumerate(lines) if i != depth[len(depth) // 2]]

    (row,), _ = verify_paths([_rewrite(USDM[0], tmp_path / "usdm.gz", drop_one)])
    assert row["gaps"] == 1 and not row["ready"] and row["bid_levels"] == 0


def test_truncated_frame_is_counted_and_processing_continues(tmp_path):
    def truncate(lines):
        i = [i for i, line in enumerate(lines) if b"@trade" in line][100]
        lines[i] = lines[i][: len(lines[i]) // 2] + b"\n"
        return lines

    (row,), notes = verify_paths([_rewrite(SPOT[0], tmp_path / "spot.gz", truncate)])
    assert len(notes) == 1 and "1 malformed" in notes[0]
    assert row["ready"] and row["gaps"] == 0 and row["diffs_applied"] > 3000


def test_capture_without_snapshot_never_becomes_ready():
    (row,), _ = verify_paths(SPOT[1:])  # the 0809 file continues a session; its snapshot is in the 0808 file
    assert (row["ready"], row["diffs_applied"], row["snapshots"]) == (False, 0, 0)


def test_microsecond_timestamps_are_detected(tmp_path):
    def to_us(lines):
        return [line.split(b" ", 1)[0][:-3] + b" " + line.split(b" ", 1)[1] for line in lines[:50]]

    path = _rewrite(SPOT[0], tmp_path / "spot.dat.gz", to_us)
    (recording,) = read_recordings([path])
    first = next(recording.records())
    assert 1_723_161_253_000_000_000 < first.ts_recv < 1_723_161_254_000_000_000


def test_unknown_and_missing_files_raise_typed_errors(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    with pytest.raises(UnknownCaptureFormat):
        read_recordings([junk])
    with pytest.raises(CaptureError):
        read_recordings([tmp_path / "missing.gz"])


def test_cli_json_lines_and_one_line_error_naming_the_file(tmp_path):
    out = subprocess.run([sys.executable, "-m", "cluster.cli", "verify", "--json", *map(str, USDM)],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    (line,) = out.stdout.strip().splitlines()
    assert json.loads(line)["diffs_applied"] == 6547
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01garbage")
    bad = subprocess.run([sys.executable, "-m", "cluster.cli", "verify", "--json", str(junk)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "junk.bin" in bad.stderr


def test_a_capture_cut_short_reads_up_to_its_last_complete_line(tmp_path):
    # A recorder killed mid-write leaves a gzip member without its end marker: the complete lines stay readable.
    import gzip

    from actors.replay.captures import read_recordings
    from tests.conftest import SPOT

    with gzip.open(SPOT[0], "rb") as fh:
        lines = [next(fh) for _ in range(200)]
    whole = gzip.compress(b"".join(lines))
    cut = tmp_path / "btcusdt_20240808.gz"
    cut.write_bytes(whole[: len(whole) - 400])  # the trailer and the end of the stream are gone
    (recording,) = read_recordings([cut])
    records = list(recording.records())
    assert 0 < len(records) < 200
    assert [r.data for r in records] == [line.rstrip(b"\n").split(b" ", 1)[1] for line in lines[: len(records)]]


def test_cli_table_in_80_columns_keeps_every_instrument_id_distinguishable():
    import os

    out = subprocess.run([sys.executable, "-m", "cluster.cli", "verify", *map(str, [*SPOT, *USDM])],
                         capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "COLUMNS": "80"})  # fmt: skip
    lines = out.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    text = "".join(ch for ch in out.stdout if ch.isalnum() or ch in "._")  # folded header cells joined
    assert "BTCUSDT.BINANCE" in text and "BINANCE_U" in text and "SDM" in text and "6547" in text
