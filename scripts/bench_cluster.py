"""Cluster benchmarks (BENCHMARKS.md "Cluster"): throughput and tick-to-order latency with 1, 2, 4 and 8 strategy
actors on one Ray node and on a simulated three-node cluster (``ray.cluster_utils.Cluster``: a head with the
core, feed and book roles, two strategy nodes), book views fanned out by value and by ``ObjectRef``
(``[books] fanout``); the object store sampled over a long run; and the time from losing a strategy node to its
strategy quoting again, broken down.

    .venv/bin/python scripts/bench_cluster.py [--strategies 1,2,4,8] [--topologies one,three] [--fanout value,ref]
        [--duration 20] [--object-store-s 180] [--node-loss] [--out bench-cluster.json]

Every case is a real ``raytrade run --address <cluster> --speed max --duration D`` (the bundled capture, feeds
for spot, USD-M and COIN-M, N ``market_making`` strategies all on BTCUSDT.BINANCE, so every view goes to all N;
store and API off, so the numbers are the actors' own), in its own process, joined to a cluster this script
starts and stops. The script itself is a second driver on the cluster: it samples the object store
(bytes and objects in the object stores, what ``ray memory --stats-only`` prints) and reads the actors for
the node-loss breakdown. One row per case is printed as JSON with the load average before and after it.

Node loss (``--node-loss``): two strategies at ``--speed 5``, one per strategy node; once ``mm-1`` has orders,
its node is removed (``allow_graceful=False``). The breakdown, all on this machine's wall clock:
``detect`` (node removed -> the supervisor's ``death`` event), ``restart`` (death -> the ``restart`` event of the
incarnation that recovered: backoff, the creation call, and any incarnation that died first), ``recover`` (restart -> the risk gate's ``strategy_up``: the new process starts,
is subscribed and rebuilds its orders and positions), ``first_quote`` (``strategy_up`` -> the new incarnation's
first order that reached execution).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actors.naming import actor_name  # noqa: E402 - after the sys.path insert

NAMESPACE = "raytrade"  # the run's default [ray] namespace (and the default empty [ray] prefix)


def _config(n: int, fanout: str) -> str:
    lines = ["[store]", "enabled = false", "", "[api]", "enabled = false", "", "[books]", f'fanout = "{fanout}"', "",
             "[risk]", "max_open_positions = 100", "max_open_positions_per_strategy = 3", "max_open_orders = 1000",
             "max_open_orders_per_strategy = 20", ""]  # fmt: skip
    for i in range(1, n + 1):
        lines += ["[[strategies]]", f'id = "mm-{i}"', 'kind = "market_making"', 'instruments = ["BTCUSDT.BINANCE"]',
                  ""]  # fmt: skip
    return "\n".join(lines)


def start_cluster(topology: str, temp_dir: str):
    """``one``: a single node with every role's resource; ``three``: head (core, feed, book) + 2 strategy nodes."""
    from ray.cluster_utils import Cluster

    roles = {"raytrade_core": 100, "raytrade_feed": 100, "raytrade_book": 1000}
    if topology == "one":
        cluster = Cluster(initialize_head=True, connect=False, head_node_args={
            "num_cpus": 2, "include_dashboard": False, "temp_dir": temp_dir,
            "resources": {**roles, "raytrade_strategy": 100}})  # fmt: skip
        strategy_nodes = []
    else:
        cluster = Cluster(initialize_head=True, connect=False, head_node_args={
            "num_cpus": 2, "include_dashboard": False, "temp_dir": temp_dir, "resources": roles})  # fmt: skip
        strategy_nodes = [cluster.add_node(num_cpus=1, temp_dir=temp_dir, resources={"raytrade_strategy": 100})
                          for _ in range(2)]  # fmt: skip
    cluster.wait_for_nodes()
    return cluster, strategy_nodes


def _plasma(address: str) -> tuple[int, int]:
    """(bytes used, objects) in the object stores of the cluster at ``address`` (always explicit: without it Ray
    picks the newest cluster on this machine), the reply behind ``ray memory --stats-only``
    (``ray._private.internal_api``; its text rounds to whole MiB, too coarse for KB-sized views)."""
    from ray._private.internal_api import get_memory_info_reply, get_state_from_address

    stats = get_memory_info_reply(get_state_from_address(address)).store_stats
    return int(stats.object_store_bytes_used), int(stats.num_local_objects)


class _Sampler(threading.Thread):
    """Samples the object store every ``interval_s`` while a run lasts."""

    def __init__(self, address: str, interval_s: float) -> None:
        super().__init__(daemon=True)
        self.address, self.interval_s, self.samples, self.stop = address, interval_s, [], threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self.stop.wait(self.interval_s):
            try:
                used, objects = _plasma(self.address)
            except Exception as exc:  # noqa: BLE001 - a sample missed is reported, not fatal
                self.samples.append({"t_s": round(time.monotonic() - self.t0, 1), "error": str(exc)[:100]})
                continue
            self.samples.append({"t_s": round(time.monotonic() - self.t0, 1), "plasma_bytes": used, "objects": objects,
                                 "load1": round(os.getloadavg()[0], 2)})  # fmt: skip


def run_case(address: str, n: int, fanout: str, speed: str, duration_s: float, work: Path,
             sample_interval_s: float = 5.0, during=None) -> dict:
    """One ``raytrade run`` on the cluster; returns its summary's numbers, object-store samples and load."""
    cfg = work / f"mm{n}-{fanout}.toml"
    cfg.write_text(_config(n, fanout))
    load_before = os.getloadavg()
    sampler = _Sampler(address, sample_interval_s)
    sampler.start()
    cmd = [sys.executable, "-m", "cluster.cli", "run", "--address", address, "--config", str(cfg), "--speed", speed,
           "--duration", str(duration_s)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=(work / f"mm{n}-{fanout}.log").open("w"),
                            text=True)  # fmt: skip
    extra = during(proc) if during is not None else None
    out, _ = proc.communicate(timeout=duration_s + 300)
    sampler.stop.set()
    sampler.join()
    # the summary is the run's one JSON line; Ray's raylet may still print a warning to stdout after it
    summary = json.loads(next(line for line in reversed(out.strip().splitlines()) if line.startswith("{")))
    lat = summary.get("latency_ms", {})
    orders = sum(s.get("orders", 0) for s in summary.get("strategies", {}).values())
    row = {
        "strategies": n, "fanout": fanout, "speed": speed, "ok": summary.get("ok"), "wall_s": summary.get("wall_s"),
        "frames": summary.get("frames"), "frames_per_s": summary.get("frames_per_s"), "orders": orders,
        "orders_per_s": round(orders / summary["wall_s"], 1) if summary.get("wall_s") else None,
        "tick_to_order_ms": lat.get("tick_to_order"), "book_to_strategy_ms": lat.get("book_to_subscriber"),
        "frame_to_book_ms": lat.get("frame_to_book"),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
        "object_store": sampler.samples,
    }  # fmt: skip
    if extra is not None:
        row["node_loss"] = extra
    return row


def _node_of(name: str) -> str | None:
    from actors.remote import actor_nodes

    return actor_nodes(name, NAMESPACE).get(name, {}).get("node_id")


def node_loss(cluster, strategy_nodes, work: Path) -> dict:
    """Lose mm-1's node mid-run; return the breakdown (s) from the supervisor's, the gate's and execution's records."""
    import ray

    def during(proc) -> dict:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:  # mm-1 quoting on its node
            try:
                ex = ray.get_actor(actor_name("execution"), namespace=NAMESPACE)
                if ray.get(ex.orders.remote("mm-1"), timeout=10) and _node_of(actor_name("strategy", "mm-1")):
                    break
            except Exception:  # noqa: BLE001 - not started yet
                pass
            time.sleep(1)
        node_id = _node_of(actor_name("strategy", "mm-1"))
        lost = next(n for n in strategy_nodes if n.node_id == node_id)
        lost_ns = time.time_ns()
        cluster.remove_node(lost, allow_graceful=False)
        risk = ray.get_actor(actor_name("risk"), namespace=NAMESPACE)
        ex = ray.get_actor(actor_name("execution"), namespace=NAMESPACE)
        first = None
        while time.monotonic() < deadline and first is None:
            time.sleep(0.5)
            try:
                up = [e for e in ray.get(risk.status.remote(), timeout=10)["breaker_events"]
                      if e["kind"] == "strategy_up" and e["ts_event"] > lost_ns]  # fmt: skip
                if up:
                    later = [o.ts_created for o in ray.get(ex.orders.remote("mm-1"), timeout=10)
                             if o.ts_created > up[0]["ts_event"]]  # fmt: skip
                    first = min(later) if later else None
            except Exception:  # noqa: BLE001 - busy: ask again
                pass
        sup = ray.get_actor(actor_name("supervisor"), namespace=NAMESPACE)
        events = [e for e in ray.get(sup.supervision_events.remote(), timeout=20)
                  if e.get("actor") == actor_name("strategy", "mm-1") and e["ts"] > lost_ns]  # fmt: skip
        marks = {e["kind"]: e["ts_event"] for e in ray.get(risk.status.remote(), timeout=20)["breaker_events"]
                 if e["kind"].startswith("strategy_") and e["ts_event"] > lost_ns}  # fmt: skip
        up_ns = marks.get("strategy_up")
        death = next((e["ts"] for e in events if e["kind"] == "death"), None)
        restarts = [e["ts"] for e in events if e["kind"] == "restart" and (up_ns is None or e["ts"] <= up_ns)]
        restart = restarts[-1] if restarts else None  # the incarnation that recovered
        s = lambda a, b: None if a is None or b is None else round((b - a) / 1e9, 3)  # noqa: E731
        timeline = [(e["kind"], s(lost_ns, e["ts"]), (e.get("reason") or "")[:80]) for e in events]
        return {"timeline": timeline, "detect_s": s(lost_ns, death), "restart_s": s(death, restart),
                "recover_s": s(restart, marks.get("strategy_up")), "first_quote_s": s(marks.get("strategy_up"), first),
                "total_s": s(lost_ns, first), "down_s": s(marks.get("strategy_down"), marks.get("strategy_up")),
                "restarts": len(restarts),
                "load_at_loss": round(os.getloadavg()[0], 2)}  # fmt: skip

    return run_case(cluster.address, 2, "value", "5", 150, work, sample_interval_s=10, during=during)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="1,2,4,8")
    parser.add_argument("--topologies", default="one,three")
    parser.add_argument("--fanout", default="value,ref")
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds per throughput case (speed max)")
    parser.add_argument("--object-store-s", type=float, default=0.0,
                        help="A long run (three nodes, 4 strategies, fanout ref, speed 2) sampling the object store")
    parser.add_argument("--node-loss", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="Also write every row to this JSON file")
    args = parser.parse_args()
    import ray

    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    for topology in args.topologies.split(","):
        temp_dir = tempfile.mkdtemp(prefix="rt-bc-", dir="/tmp")
        cluster, strategy_nodes = start_cluster(topology, temp_dir)
        ray.init(address=cluster.address, namespace="bench-cluster", log_to_driver=False)
        try:
            for n in [int(x) for x in args.strategies.split(",") if x]:
                for fanout in args.fanout.split(","):
                    row = {"topology": topology, **run_case(cluster.address, n, fanout, "max", args.duration, work)}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
            if topology == "three" and args.object_store_s:
                row = {"topology": topology, "case": "object_store",
                       **run_case(cluster.address, 4, "ref", "2", args.object_store_s, work, sample_interval_s=10)}
                print(json.dumps(row), flush=True)
                rows.append(row)
            if topology == "three" and args.node_loss:
                row = {"topology": topology, "case": "node_loss", **node_loss(cluster, strategy_nodes, work)}
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            ray.shutdown()
            cluster.shutdown()
            shutil.rmtree(temp_dir, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    print(f"logs in {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
