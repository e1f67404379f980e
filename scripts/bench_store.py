"""Persistence benchmark: rows/s into each store for trades and quotes, write-ahead latency of one order event.

Usage: ``.venv/bin/python scripts/bench_store.py`` (starts a throwaway PostgreSQL like the integration tests).
Rows are the bundled spot capture's trades and quotes, re-keyed per repetition so every row is new.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actors.recorder.actor import RecorderActor  # noqa: E402
from actors.recorder.embedded import EmbeddedStore  # noqa: E402
from actors.recorder.postgres import PostgresStore  # noqa: E402
from tests.integration.conftest import PgServer, _free_port, _pg_bin  # noqa: E402
from tests.unit.test_recorder_samples import sample_rows, trading_items  # noqa: E402


def rows_per_s(store, table: str, rows: list[dict], reps: int = 5, batch: int = 5000) -> float:
    total, t0 = 0, time.perf_counter()
    for rep in range(reps):
        keyed = [{**r, "row_key": f"{r['row_key']}#{rep}"} for r in rows]
        for i in range(0, len(keyed), batch):
            total += store.write(table, keyed[i : i + batch])
    return total / (time.perf_counter() - t0)


def write_ahead_ms(config: dict, n: int = 200) -> tuple[float, float]:
    event = trading_items()["orders"][0]

    async def go():
        rec = RecorderActor(config, "bench", spool_dir=tempfile.mkdtemp())
        lat = []
        for i in range(n):
            row = {**rec._rows("orders", [event])[0]}
            row["row_key"] += f"#{i}"
            t0 = time.perf_counter()
            await rec.write_now("orders", [row])
            lat.append((time.perf_counter() - t0) * 1e3)
        await rec.close()
        return lat

    lat = sorted(asyncio.run(go()))
    return statistics.median(lat), lat[int(0.99 * (len(lat) - 1))]


def main() -> None:
    import os
    import pwd

    rows = sample_rows()
    root = Path(tempfile.mkdtemp(prefix="raytrade-pg-"))
    run_as = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PgServer(_pg_bin(), root, _free_port(), run_as)
    server.init()
    server.start(durable=True)  # PostgreSQL defaults: fsync on
    try:
        emb_dir = tempfile.mkdtemp()
        stores = {"embedded": EmbeddedStore(emb_dir), "postgres": PostgresStore(server.dsn(server.createdb()))}
        configs = {"embedded": {"kind": "embedded", "run_dir": tempfile.mkdtemp()},
                   "postgres": {"kind": "postgres", "dsn": server.dsn(server.createdb())}}
        for name, store in stores.items():
            trades = rows_per_s(store, "trades", rows["trades"], reps=20)
            quotes = rows_per_s(store, "quotes", rows["quotes"], reps=5)
            p50, p99 = write_ahead_ms(configs[name])
            print(f"| {name} | {trades:,.0f} | {quotes:,.0f} | {p50:.2f} | {p99:.2f} |")
            store.close()
    finally:
        server.stop("immediate")


if __name__ == "__main__":
    main()
