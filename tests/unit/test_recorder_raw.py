"""Raw-frame recording round-trips through the project's capture reader byte for byte."""

from __future__ import annotations

import itertools

import pytest

from actors.recorder.raw import RawFrameWriter, raw_path
from actors.replay.captures import read_recordings
from tests.conftest import SPOT


def _records(paths, n):
    (recording,) = read_recordings(paths)
    return recording, list(itertools.islice(recording.records(), n))


def test_frames_written_read_back_identical_with_the_same_reader(tmp_path):
    source, original = _records(SPOT[:1], 5000)  # websocket frames and the REST snapshot body
    path = raw_path(tmp_path, "binance", "BTCUSDT", original[0].ts_recv)
    with RawFrameWriter(path) as writer:
        for rec in original:
            writer.write(rec.ts_recv, rec.data)
    recording, back = _records([path], 10_000)
    assert path.name == "btcusdt_20240808.gz" and recording.venue == source.venue
    assert [(r.ts_recv, r.kind, r.data) for r in back] == [(r.ts_recv, r.kind, r.data) for r in original]
    assert {r.kind for r in back} == {"ws", "rest"}


def test_a_reopened_file_continues_the_same_capture(tmp_path):
    _, original = _records(SPOT[:1], 200)
    path = tmp_path / "cap.gz"
    for half in (original[:100], original[100:]):  # a restarted recorder appends
        with RawFrameWriter(path) as writer:
            for rec in half:
                writer.write(rec.ts_recv, rec.data)
    assert [r.data for r in _records([path], 1000)[1]] == [r.data for r in original]


def test_a_frame_with_a_newline_is_refused(tmp_path):
    with RawFrameWriter(tmp_path / "cap.gz") as writer, pytest.raises(ValueError, match="line"):
        writer.write(1, b'{"a":\n1}')
