"""PostgreSQL store on a real throwaway server: same contents as the embedded store, idempotent, survives a
server stopped mid-run (spool + catch-up), fails loudly with a tiny spool, one clear error for a bad DSN."""

from __future__ import annotations

import asyncio

import pytest

from actors.recorder.actor import RecorderActor
from actors.recorder.embedded import EmbeddedStore
from actors.recorder.errors import SpoolFull, StoreUnavailable
from actors.recorder.postgres import PostgresStore
from actors.recorder.store import open_store
from tests.integration.conftest import PG_PASSWORD
from tests.unit.test_recorder_samples import RUN, market_events, sample_rows, trading_items


def test_same_batches_in_embedded_and_postgres_read_back_equal(pg_dsn, tmp_path):
    rows = sample_rows()
    pg, emb = open_store({"kind": "postgres", "dsn": pg_dsn}), open_store({"kind": "embedded", "run_dir": str(tmp_path)})
    for table, batch in rows.items():
        assert pg.write(table, batch) == emb.write(table, batch) == len(batch)
    for table in rows:
        assert pg.count(table) == emb.count(table)
        assert pg.read(table) == emb.read(table), table
    pg.close()


def test_resent_batch_inserts_nothing_and_reopening_does_not_migrate_twice(pg_dsn):
    rows = sample_rows()
    store = PostgresStore(pg_dsn)
    assert store.write("trades", rows["trades"]) == len(rows["trades"])
    store.close()
    again = PostgresStore(pg_dsn)
    assert again.write("trades", rows["trades"]) == 0 and again.write("trades", rows["trades"][:10] * 2) == 0
    assert again.count("trades") == len(rows["trades"])
    again.close()


def test_plain_tables_have_the_time_indexes_without_timescaledb(pg_dsn):
    import psycopg

    store = PostgresStore(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'orders'")}
    assert store.hypertables is False and {"ix_orders_run_ts_event", "ix_orders_client_order_id"} <= names
    store.close()


def test_server_stopped_mid_write_spools_then_catches_up_without_duplicates(pg_server, pg_dsn, tmp_path):
    items = trading_items()
    trades = market_events()[0]

    async def go():
        rec = RecorderActor({"kind": "postgres", "dsn": pg_dsn}, RUN, spool_dir=str(tmp_path), retry_s=0)
        await rec.write_now("orders", items["orders"][:2])
        await rec.write_market("trades", trades[:200])
        pg_server.stop()  # really stop the server
        try:
            await rec.write_now("orders", items["orders"][2:])  # acknowledged: durable in the spool
            await rec.write_now("fills", items["fills"])
            await rec.write_market("trades", trades[100:])  # overlaps the first 200: must not duplicate
            await rec.flush()
            down = rec.status()
            # orders, fills, and one trades batch (the two write_market calls were buffered together)
            assert down["spool_batches"] == 3 and down["store_up"] is False
            assert "127.0.0.1" in down["last_error"] and PG_PASSWORD not in down["last_error"]
        finally:
            pg_server.start()
        up = await rec.flush()
        assert up["spool_batches"] == 0 and up["spool_bytes"] == 0
        await rec.close()

    asyncio.run(go())
    store = PostgresStore(pg_dsn)
    assert store.count("orders") == 4 and store.count("fills") == 2 and store.count("trades") == len(trades)
    assert len({r["row_key"] for r in store.read("trades")}) == len(trades)
    store.close()


def test_tiny_spool_while_the_server_is_down_is_a_typed_error_that_stays(pg_server, pg_dsn, tmp_path):
    async def go():
        rec = RecorderActor({"kind": "postgres", "dsn": pg_dsn}, RUN, spool_dir=str(tmp_path),
                            spool_max_bytes=2_000, retry_s=0)
        pg_server.stop()
        try:
            with pytest.raises(SpoolFull):
                await rec.write_now("orders", trading_items()["orders"])
            with pytest.raises(SpoolFull):  # the recorder has failed: trading must halt, nothing is accepted
                await rec.write_now("risk_events", trading_items()["risk_events"])
            assert rec.status()["failed"]
        finally:
            pg_server.start()

    asyncio.run(go())


def test_bad_password_and_unreachable_server_are_one_clear_error_without_the_password(pg_server):
    with pytest.raises(StoreUnavailable) as bad:
        open_store({"kind": "postgres", "dsn": pg_server.dsn(password="wrong-Pa55")})
    assert f"127.0.0.1:{pg_server.port}" in str(bad.value) and "wrong-Pa55" not in str(bad.value)
    with pytest.raises(StoreUnavailable) as down:
        RecorderActor({"kind": "postgres", "dsn": "host=127.0.0.1 port=1 user=u password=hunter2 dbname=x"}, RUN)
    assert "127.0.0.1:1/x" in str(down.value) and "hunter2" not in str(down.value)


def test_embedded_and_postgres_agree_after_the_same_recorder_calls(pg_dsn, tmp_path):
    async def record(config) -> dict:
        rec = RecorderActor(config, RUN, spool_dir=str(tmp_path / "spool"))
        for table, items in trading_items().items():
            await rec.write_now(table, items)
        trades, quotes, views = market_events()
        await rec.write_market("trades", trades)
        await rec.write_market("quotes", quotes)
        await rec.write_market("book_snapshots", views)
        return (await rec.close())["counts"]

    emb_counts = asyncio.run(record({"kind": "embedded", "run_dir": str(tmp_path / "run")}))
    pg_counts = asyncio.run(record({"kind": "postgres", "dsn": pg_dsn}))
    assert emb_counts == pg_counts
    emb, pg = EmbeddedStore(tmp_path / "run"), PostgresStore(pg_dsn)
    assert all(emb.read(t) == pg.read(t) for t in emb_counts)
    pg.close()
