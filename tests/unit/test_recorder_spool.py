"""The spool: durable, ordered, bounded, typed again on replay."""

from decimal import Decimal

import pytest

from actors.recorder.errors import SpoolFull
from actors.recorder.spool import Spool
from tests.unit.test_recorder_samples import sample_rows


def test_spooled_batches_replay_in_order_with_exact_types(tmp_path):
    rows = sample_rows()
    spool = Spool(tmp_path / "s.spool", max_bytes=1 << 20)
    spool.append("fills", rows["fills"])
    spool.append("orders", rows["orders"])
    replayed = list(Spool(tmp_path / "s.spool").replay())  # a new instance: what a restarted recorder sees
    assert replayed == [("fills", rows["fills"]), ("orders", rows["orders"])]
    assert isinstance(replayed[0][1][0]["fee"], Decimal)


def test_full_spool_raises_and_writes_nothing(tmp_path):
    rows = sample_rows()["orders"]
    spool = Spool(tmp_path / "s.spool", max_bytes=3000)
    spool.append("orders", rows[:1])
    size = spool.size_bytes
    with pytest.raises(SpoolFull, match="full"):
        spool.append("orders", rows * 4)
    assert spool.size_bytes == size and len(spool) == 1


def test_clear_empties_the_spool(tmp_path):
    spool = Spool(tmp_path / "s.spool")
    spool.append("orders", sample_rows()["orders"])
    spool.clear()
    assert len(spool) == 0 and list(spool.replay()) == []
