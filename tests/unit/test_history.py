"""Run history over embedded stores: runs are found by the run ids their stores hold, not by directory names."""

from __future__ import annotations

import pytest

from actors.recorder.embedded import EmbeddedStore
from actors.recorder.rows import to_rows
from serve.history import History, UnknownRun, UnknownTable


def _session(run_dir, run_id: str, ts: int) -> None:
    store = EmbeddedStore(run_dir)
    rows = [{"phase": "start", "config_digest": "d", "config": {}, "ts_start": ts, "ts_end": None, "outcome": ""},
            {"phase": "end", "config_digest": "d", "config": {}, "ts_start": None, "ts_end": ts + 5, "outcome": "ok"}]
    store.write("trading_sessions", to_rows("trading_sessions", rows, run_id))
    store.close()


def test_a_run_dir_named_otherwise_than_its_run_id_is_found_by_the_id(tmp_path):
    _session(tmp_path / "my-run", "20261202T000000-abc", 100)   # raytrade run --run-dir runs/my-run
    _session(tmp_path / "20261201T000000-def", "20261201T000000-def", 50)
    history = History("embedded", str(tmp_path))
    runs = history.runs()
    assert [r["run_id"] for r in runs] == ["20261202T000000-abc", "20261201T000000-def"]
    assert runs[0] == {"run_id": "20261202T000000-abc", "ts_start": 100, "ts_end": 105, "outcome": "ok"}
    page = history.rows("20261202T000000-abc", "trading_sessions")
    assert page["total"] == 2 and {r["run_id"] for r in page["rows"]} == {"20261202T000000-abc"}
    with pytest.raises(UnknownRun):
        history.rows("my-run", "orders")            # the directory name is not a run id
    with pytest.raises(UnknownTable):
        history.rows("20261202T000000-abc", "passwords")


def test_a_run_that_starts_after_the_history_was_opened_is_found(tmp_path):
    history = History("embedded", str(tmp_path))
    assert history.runs() == []
    with pytest.raises(UnknownRun):
        history.rows("late", "orders")
    _session(tmp_path / "elsewhere", "late", 7)
    assert history.rows("late", "orders")["total"] == 0
