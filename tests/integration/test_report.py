"""``raytrade report`` over a recorded run, embedded and PostgreSQL: per-strategy analytics and PNG plots."""

from __future__ import annotations

import json
from decimal import Decimal

from actors.recorder.embedded import EmbeddedStore
from actors.recorder.postgres import PostgresStore
from actors.recorder.rows import to_rows
from cluster.report import build_report, report_command
from tests.unit.test_recorder_samples import RUN, sample_rows

T0 = 1_723_161_300_000_000_000
MINUTE = 60_000_000_000
EQUITY = ["10000", "10010", "9990", "10030", "10020"]  # peak 10010 -> 9990: drawdown 20


def _record(store) -> None:
    rows = sample_rows()
    for table in ("fills", "orders", "quotes"):
        store.write(table, rows[table])
    store.write("performance_metrics", to_rows("performance_metrics", [
        {"strategy_id": "mm-1", "equity": Decimal(e), "ts": T0 + i * MINUTE} for i, e in enumerate(EQUITY)], RUN))
    store.write("strategy_state", to_rows("strategy_state", [
        {"strategy_id": "mm-1", "trades": 3, "wins": 2, "losses": 1, "win_rate": 2 / 3, "realized_pnl": Decimal("25"),
         "unrealized_pnl": Decimal("-5"), "total_pnl": Decimal("20"), "ts": T0}], RUN))


def test_report_of_an_embedded_run_summarises_strategies_and_writes_the_plots(tmp_path, capsys):
    store = EmbeddedStore(tmp_path / "run")
    _record(store)
    store.close()
    assert report_command(str(tmp_path / "run"), None, as_json=True) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    mm = result["strategies"]["mm-1"]
    assert mm["fills"] == 2 and mm["buys"] == 2 and Decimal(mm["fees"]) == Decimal("0.030918815")
    assert Decimal(mm["volume"]) == Decimal("61837.63") * Decimal("0.5")
    assert mm["trades"] == 3 and Decimal(mm["total_pnl"]) == 20
    assert Decimal(mm["max_drawdown"]) == 20 and Decimal(mm["total_return"]) == 20 and mm["sharpe"] is not None
    assert set(result["plots"]) == {"equity", "pnl", "fills", "spread"}
    for path in result["plots"].values():
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_report_reads_postgres_the_same_as_the_embedded_store(tmp_path, pg_dsn):
    emb, pg = EmbeddedStore(tmp_path / "run"), PostgresStore(pg_dsn)
    _record(emb), _record(pg)
    emb.close(), pg.close()
    a = build_report(tmp_path / "run", out_dir=tmp_path / "a")
    b = build_report(dsn=pg_dsn, out_dir=tmp_path / "b")
    assert a["strategies"] == b["strategies"] and b["store"] == "postgres"


def test_report_of_a_missing_run_dir_exits_2_with_one_line(tmp_path, capsys):
    assert report_command(str(tmp_path / "nope"), None) == 2
    assert "no such run directory" in capsys.readouterr().out
