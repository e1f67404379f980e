"""Reliability end to end (issue 8): a killed book actor and a killed Serve replica are recovered; a venue that
goes away ends the run, bounded and reported; SIGTERM ends with an interrupted summary and exit 143."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import ray
from rich.console import Console

from actors.naming import actor_name
from cluster.config import load_config
from cluster.run import run
from tests.conftest import ROOT
from tests.e2e.support import free_port, truth
from tests.e2e.support import until as _until

SPOT = "BTCUSDT.BINANCE"


def test_a_killed_book_and_a_killed_api_replica_are_recovered_and_the_book_resyncs_to_the_truth(ray_session):
    port = free_port()
    cfg = load_config(replay__speed="20", api__port=port)
    base = f"http://127.0.0.1:{port}"
    observed: dict = {}
    final: dict = {}

    def chaos() -> None:
        try:
            # counted from before run() starts Ray and every actor: minutes on a loaded 2-core machine
            _until(lambda: httpx.get(f"{base}/books/{SPOT}", timeout=2).json()["ready"], 300, "spot book ready")
            ray.kill(ray.get_actor(actor_name("book", SPOT, cfg.ray.prefix), namespace=cfg.ray.namespace), no_restart=True)
            sup = ray.get_actor(actor_name("supervisor", "", cfg.ray.prefix), namespace=cfg.ray.namespace)
            _until(lambda: ray.get(sup.supervision.remote())[actor_name("book", SPOT, cfg.ray.prefix)]["restarts"] >= 1, 30,
                   "book restart")  # fmt: skip
            observed["after_restart"] = httpx.get(f"{base}/books/{SPOT}", timeout=10).json()
            _until(lambda: httpx.get(f"{base}/books/{SPOT}", timeout=2).json()["ready"], 60, "book resynced")
            # the API replica dies: Serve's controller starts a new one
            replicas = [a for a in ray.util.list_named_actors(all_namespaces=True) if "SERVE_REPLICA" in a["name"].upper()]
            for entry in replicas:
                ray.kill(ray.get_actor(entry["name"], namespace=entry["namespace"]), no_restart=True)
            observed["replicas_killed"] = len(replicas)
            _until(lambda: httpx.get(f"{base}/health", timeout=2).status_code == 200, 60, "API back")
            observed["api_back"] = True
        except Exception as exc:  # noqa: BLE001 - reported below
            observed["error"] = repr(exc)

    def grab(topo) -> None:
        final[SPOT] = ray.get(topo.spawner.lookup(topo.book_routes[SPOT]).view.remote(SPOT, 100))

    thread = threading.Thread(target=chaos, daemon=True)
    thread.start()
    summary = run(cfg, console=Console(file=io.StringIO()), before_teardown=grab)
    thread.join(timeout=10)

    assert "error" not in observed, observed
    assert observed["replicas_killed"] >= 1 and observed["api_back"]
    assert summary["supervision"][actor_name("book", SPOT, cfg.ray.prefix)]["restarts"] >= 1
    t = truth()[SPOT]
    view = final[SPOT]
    assert view.ready and view.sequence == t["sequence"]
    assert (list(view.bids), list(view.asks)) == t["depth"]  # the restarted book resynced to the truth
    assert summary["dead_actors"] == []  # (other books may have been cut by a slow-consumer disconnect under load)


def test_a_killed_supervisor_comes_back_and_goes_on_supervising(ray_session):
    """The supervisor dies twice (once as a crash Ray restarts, once killed for good, which the driver replaces);
    each new incarnation rebuilds itself from its registry and the live actors, and a book killed afterwards is
    still restarted and resynced to the truth; the run ends ok with its summary."""
    # speed 10 (a ~66 s replay): the two supervisor deaths and the book's under a loaded CI machine happen while the
    # replay still runs; a book restarted after it ended is rebuilt before the run ends (``cluster/run.py``)
    cfg = load_config(api__enabled=False, replay__speed="10")
    sup_name, book_name = actor_name("supervisor", "", cfg.ray.prefix), actor_name("book", SPOT, cfg.ray.prefix)
    observed: dict = {}
    final: dict = {}

    def supervision() -> dict:
        return ray.get(ray.get_actor(sup_name, namespace=cfg.ray.namespace).supervision.remote(), timeout=5)

    def answers(predicate) -> bool:
        try:
            return predicate(supervision())
        except Exception:  # noqa: BLE001 - restarting
            return False

    def chaos() -> None:
        try:
            replay = actor_name("replay", "binance", cfg.ray.prefix)
            _until(lambda: ray.get(ray.get_actor(replay, namespace=cfg.ray.namespace).status.remote())["frames_sent"]
                   > 2000, 300, "replay running")  # fmt: skip
            # every actor of the run up first (its worker processes started: Ray starts num_cpus at a time, and a
            # restart queued behind a dozen of them on 2 cores is a slow start, not what this test is about)
            _until(lambda: answers(lambda s: all(a["state"] == "running" for a in s.values()) and len(s) > 8), 120,
                   "every actor running")  # fmt: skip
            observed["before"] = supervision()[sup_name]
            ray.kill(ray.get_actor(sup_name, namespace=cfg.ray.namespace), no_restart=False)  # a crash: Ray restarts
            observed["killed"] = time.monotonic()
            _until(lambda: answers(lambda s: s[sup_name]["restarts"] == 1), 60, "supervisor restarted by Ray")
            ray.kill(ray.get_actor(sup_name, namespace=cfg.ray.namespace), no_restart=True)  # for good
            _until(lambda: answers(lambda s: s[sup_name]["restarts"] == 2), 60, "supervisor replaced by the driver")
            observed["actors"] = sorted(supervision())
            ray.kill(ray.get_actor(book_name, namespace=cfg.ray.namespace), no_restart=True)
            _until(lambda: answers(lambda s: s[book_name]["restarts"] >= 1), 60, "book restarted by the new one")
        except Exception as exc:  # noqa: BLE001 - reported below
            observed["error"] = repr(exc)

    def grab(topo) -> None:
        final[SPOT] = ray.get(topo.spawner.lookup(topo.book_routes[SPOT]).view.remote(SPOT, 100))

    thread = threading.Thread(target=chaos, daemon=True)
    thread.start()
    summary = run(cfg, console=Console(file=io.StringIO()), before_teardown=grab)
    thread.join(timeout=10)

    assert "error" not in observed, observed
    assert summary["supervision"][sup_name]["restarts"] == 2, observed
    assert summary["supervision"][book_name]["restarts"] >= 1
    assert set(observed["actors"]) == set(summary["supervision"])  # nothing forgotten across incarnations
    t = truth()[SPOT]
    view = final[SPOT]
    assert view.ready and view.sequence == t["sequence"]
    assert (list(view.bids), list(view.asks)) == t["depth"]
    assert summary["dead_actors"] == [] and "ended" not in summary
    leftovers = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
                 if a["namespace"] == cfg.ray.namespace and a["name"].startswith(cfg.ray.prefix)]  # fmt: skip
    assert leftovers == []  # teardown removed every actor of the run, the replaced supervisor's too


def test_a_venue_that_goes_away_ends_the_run_bounded_and_reported(ray_session):
    cfg = load_config(api__enabled=False, replay__speed="20", supervisor__venue_unreachable_s=4)
    observed: dict = {}

    def chaos() -> None:
        try:
            name = actor_name("replay", "binance_coinm", cfg.ray.prefix)
            _until(lambda: ray.get(ray.get_actor(name, namespace=cfg.ray.namespace).status.remote())["frames_sent"]
                   > 2000, 300, "COIN-M replay running")  # fmt: skip
            ray.kill(ray.get_actor(name, namespace=cfg.ray.namespace), no_restart=True)
            observed["killed_at"] = time.monotonic()
        except Exception as exc:  # noqa: BLE001
            observed["error"] = repr(exc)

    thread = threading.Thread(target=chaos, daemon=True)
    thread.start()
    summary = run(cfg, console=Console(file=io.StringIO()))
    ended_at = time.monotonic()
    thread.join(timeout=10)

    assert "error" not in observed, observed
    assert summary["ok"] is False
    assert "binance-coinm" in summary["ended"] and "unreachable" in summary["ended"]["binance-coinm"]
    assert ended_at - observed["killed_at"] < 60  # bounded: the limit (4 s) plus reconnect attempts and teardown
    assert summary["instruments"]["BTCUSD_PERP.BINANCE_COINM"]["ready"] is False  # never served as ready


def test_sigterm_ends_the_run_with_an_interrupted_summary_and_exit_143(tmp_path):
    port = free_port()
    stderr = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "cluster.cli", "run", "--speed", "5", "--api-port", str(port), "--metrics-port", str(free_port()),
                             "--run-dir", str(tmp_path / "run")], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=stderr, text=True)  # fmt: skip
    try:
        _until(lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200, 300, "API up")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        stderr.close()
    assert proc.returncode == 143, (tmp_path / "stderr.txt").read_text()[-2000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["interrupted"] is True and summary["signal"] == "SIGTERM" and summary["ok"] is False
    assert summary["store"]["rows"]["trading_sessions"] == 2  # the session was closed in the store too
