"""Seeded fault decisions: reproducible per (seed, connection, frame), faithful to the spec, and fully logged."""

from __future__ import annotations

import json
from itertools import islice

import pytest

from actors.replay.captures import read_recordings
from actors.replay.faultlog import FaultLog, read_fault_log
from actors.replay.faults import parse_fault_spec
from actors.replay.injector import FaultInjector
from actors.replay.streams import stream_of
from tests.conftest import SPOT

S = 1_000_000_000


@pytest.fixture(scope="module")
def frames():
    """The first 4,000 websocket frames of the spot capture: (ts, stream, bytes)."""
    (recording,) = read_recordings(SPOT[:1])
    out = []
    for rec in islice(recording.records(), 4100):
        stream = stream_of(rec.data)
        if rec.kind == "ws" and stream:
            out.append((rec.ts_recv, stream, rec.data))
    return out[:4000]


def run(frames, spec_text, seed, conn=0, log=None):
    """Push frames through one connection's pipeline; returns (sent frames, disconnected, log)."""
    log = log or FaultLog()
    pipeline = FaultInjector(parse_fault_spec(spec_text), seed, log).connection(conn, frames[0][0])
    sent, disconnected = [], False
    for index, (ts, stream, data) in enumerate(frames):
        outs, disconnected = pipeline.on_frame(index, ts, stream, data)
        sent.extend(out.data for out in outs)
        if disconnected:
            break
    sent.extend(out.data for out in pipeline.flush())
    return sent, disconnected, log


SPEC = "drop=0.01,dup=0.01,reorder=0.01:5,truncate=0.005,corrupt=0.005,delay_ms=50@0.01"


def test_same_seed_gives_identical_fault_logs(frames, tmp_path):
    first, second = FaultLog(tmp_path / "a.jsonl"), FaultLog(tmp_path / "b.jsonl")
    run(frames, SPEC, seed=7, log=first)
    run(frames, SPEC, seed=7, log=second)
    first.close()
    second.close()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert len(read_fault_log(tmp_path / "a.jsonl")) == first.count > 100


def test_other_seed_or_connection_gives_other_faults(frames):
    base = run(frames, SPEC, seed=7)[2].entries
    assert run(frames, SPEC, seed=8)[2].entries != base
    assert [(e["kind"], e["frame"]) for e in run(frames, SPEC, seed=7, conn=1)[2].entries] != [
        (e["kind"], e["frame"]) for e in base
    ]


def test_drop_rate_follows_the_spec_and_dropped_frames_are_missing(frames):
    sent, _, log = run(frames, "drop=0.05", seed=1)
    dropped = {e["frame"] for e in log.entries}
    assert 120 <= len(dropped) <= 280  # 5 % of 4,000 = 200
    assert sent == [data for i, (_, _, data) in enumerate(frames) if i not in dropped]


def test_dup_sends_the_same_frame_twice_in_a_row(frames):
    sent, _, log = run(frames, "dup=0.02", seed=3)
    assert len(sent) == len(frames) + log.count
    for entry in log.entries:
        data = frames[entry["frame"]][2]
        at = sent.index(data)
        assert sent[at + 1] == data


def test_reorder_delivers_every_frame_once_within_the_window(frames):
    sent, _, log = run(frames, "reorder=0.02:5", seed=4)
    assert sorted(sent) == sorted(data for _, _, data in frames)
    position = {data: i for i, data in enumerate(sent)}  # frames are unique byte strings
    moved = 0
    for index, (_, _, data) in enumerate(frames):
        shift = position[data] - index
        assert -5 <= shift <= 5
        moved += shift > 0
    assert log.count > 40
    assert moved >= 0.9 * log.count  # a held frame released while its successor is held too keeps its slot


def test_truncated_and_corrupted_frames_are_invalid_json_and_logged_with_update_ids(frames):
    sent, _, log = run(frames, "truncate=0.02,corrupt=0.02", seed=5)
    originals = {data for _, _, data in frames}
    damaged = [data for data in sent if data not in originals]
    assert len(damaged) == log.count > 80
    for data in damaged:
        with pytest.raises(ValueError):
            json.loads(data)
        data.decode("utf-8")  # still a valid text frame
    depth = [e for e in log.entries if "@depth" in e["stream"]]
    assert depth and all(e["u"] >= e["U"] > 0 for e in depth)
    assert all(("U" in e) == ("@depth" in e["stream"]) for e in log.entries)


def test_delay_spikes_mark_frames_with_the_spec_delay(frames):
    log = FaultLog()
    pipeline = FaultInjector(parse_fault_spec("delay_ms=50@0.05"), 9, log).connection(0, 0)
    delays = [out.delay_ms for i, (ts, s, d) in enumerate(frames) for out in pipeline.on_frame(i, ts, s, d)[0]]
    assert set(delays) == {0, 50}
    assert delays.count(50) == log.count == log.by_kind["delay"]


def test_disconnect_after_the_replay_interval_flushes_held_frames_first(frames):
    span = frames[-1][0] - frames[0][0]
    sent, disconnected, log = run(frames, f"disconnect_every={span // 2}ns,reorder=0.05:5", seed=2)
    assert disconnected
    (entry,) = [e for e in log.entries if e["kind"] == "disconnect"]
    assert entry["after_ns"] >= span // 2
    cut = entry["frame"]
    assert sorted(sent) == sorted(data for _, _, data in frames[:cut])


def test_log_entries_say_when_what_where():
    (recording,) = read_recordings(SPOT[:1])
    depth = next(r for r in recording.records() if b"@depth" in r.data[:40])
    log = FaultLog()
    FaultInjector(parse_fault_spec("drop=1"), 0, log).connection(3, 0).on_frame(12, depth.ts_recv,
                                                                               stream_of(depth.data), depth.data)
    assert log.entries == [{"ts": depth.ts_recv, "kind": "drop", "conn": 3, "frame": 12,
                            "stream": "btcusdt@depth@100ms", "U": 50093239189, "u": 50093239202}]  # fmt: skip


def test_rest_faults_are_seeded_per_request_and_carry_retry_after():
    spec = parse_fault_spec("rest_429=0.2,rest_418=0.05,rest_5xx=0.1,retry_after=3s")
    first, second = FaultLog(), FaultLog()
    a = [FaultInjector(spec, 11, first).rest(i, i * S, "/api/v3/depth", "BTCUSDT") for i in range(2000)]
    b = [FaultInjector(spec, 11, second).rest(i, i * S, "/api/v3/depth", "BTCUSDT") for i in range(2000)]
    assert a == b and first.entries == second.entries
    statuses = [f.status for f in a if f is not None]
    assert 300 <= statuses.count(429) <= 500
    assert 50 <= statuses.count(418) <= 150
    assert {s for s in statuses if s >= 500} == {500, 502, 503, 504}
    assert all(f.retry_after_s == 3 for f in a if f is not None and f.status in (418, 429))
    assert all(f.retry_after_s is None for f in a if f is not None and f.status >= 500)
    assert first.by_kind["rest_429"] == statuses.count(429)


def test_no_ws_faults_means_no_pipeline():
    injector = FaultInjector(parse_fault_spec("rest_429=0.5"), 0, FaultLog())
    assert injector.connection(0, 0) is None
