"""The operator walkthrough (cluster/README.md) on one machine: the on-prem YAML's own head `ray start` (token
auth, fixed metrics port, role resources), `raytrade run --address auto` joining it, Debian's Prometheus scraping
it through Ray's service-discovery file with cluster/monitoring/prometheus.yml, and the Ray CLI / dashboard API
used with the cluster's token. Ports are free ones instead of the YAML's fixed ones (other test runs share this
machine); every process is one this test started, stopped by its pid (never `ray stop`)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.e2e.support import free_port

pytestmark = pytest.mark.slow
VENV_BIN = Path(sys.executable).parent
TOKEN_FILE = Path.home() / ".ray" / "auth_token"


def head_start_command(gcs_port: int, dashboard_port: int, metrics_port: int, temp_dir: str) -> list[str]:
    """The on-prem YAML's head `ray start`, with this machine's venv, free ports, its own temp dir, blocking."""
    cfg = yaml.safe_load((ROOT / "cluster" / "ray-up" / "onprem.yaml").read_text())
    cmd = next(c for c in cfg["head_start_ray_commands"] if "ray start" in c)
    argv = shlex.split(cmd.split(";", 1)[1])
    assert argv[0] == "RAY_AUTH_MODE=token", "the YAML's head command enables token auth"
    swap = {"--port": gcs_port, "--dashboard-port": dashboard_port, "--metrics-export-port": metrics_port,
            "--dashboard-host": "127.0.0.1"}  # fmt: skip
    out = [str(VENV_BIN / "ray")]
    for arg in argv[2:]:
        key = arg.split("=", 1)[0]
        if key == "--autoscaling-config":  # written by `ray up`; no autoscaler here
            continue
        out.append(f"{key}={swap[key]}" if key in swap else arg)
    return [*out, f"--temp-dir={temp_dir}", "--num-cpus=2", "--block"]


def _until(fn, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            got = fn()
            if got:
                return got
        except Exception as exc:  # noqa: BLE001
            last = exc
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def _stop(proc: subprocess.Popen | None, sig=signal.SIGTERM, timeout_s: float = 60) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _every_instrument(prom: str, expr: str, instruments: set[str], timeout_s: float = 120) -> list[dict]:
    """Wait until ``expr`` has a result for every instrument; return the results."""

    def got():
        results = _query(prom, expr)
        return results if {r["metric"].get("instrument") for r in results} >= instruments else None

    return _until(got, timeout_s, f"{expr} for {sorted(instruments)}")


def _query(prom: str, expr: str) -> list[dict]:
    body = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed (.ci/run installs it)")
def test_operator_walkthrough_cluster_run_prometheus_and_ray_cli_with_the_token(tmp_path):
    gcs, dash, metrics, api, prom_port = (free_port() for _ in range(5))
    temp_dir = tempfile.mkdtemp(prefix="rt-", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_ADDRESS": f"127.0.0.1:{gcs}"}
    env.pop("RAYTRADE_RAY__METRICS_EXPORT_PORT", None)  # --address: the cluster's nodes own the metrics port
    logs = {n: (tmp_path / f"{n}.log").open("w") for n in ("ray", "run", "prometheus")}
    head = run = prom = None
    try:
        if not TOKEN_FILE.is_file():
            subprocess.run([str(VENV_BIN / "ray"), "get-auth-token", "--generate"], env=env, check=True,
                           capture_output=True)  # fmt: skip
        token = TOKEN_FILE.read_text().strip()
        head = subprocess.Popen(head_start_command(gcs, dash, metrics, temp_dir), env=env, stdout=logs["ray"],
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        dashboard = f"http://127.0.0.1:{dash}"
        _until(lambda: httpx.get(f"{dashboard}/api/version", headers={"Authorization": f"Bearer {token}"},
                                 timeout=2).status_code == 200, 240, "the head node's dashboard")  # fmt: skip

        run = subprocess.Popen([str(VENV_BIN / "raytrade"), "run", "--address", "auto", "--speed", "11",
                                "--keep-serving", "--api-port", str(api), "--run-dir", str(tmp_path / "run")],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=logs["run"], text=True)  # fmt: skip
        base = f"http://127.0.0.1:{api}"
        _until(lambda: httpx.get(f"{base}/health", timeout=2).status_code == 200, 300, "the raytrade API")

        # Prometheus with the repository's scrape config and rules, pointed at this cluster's discovery file
        sd_file = Path(temp_dir) / "prom_metrics_service_discovery.json"
        _until(lambda: json.loads(sd_file.read_text()), 60, "Ray's service-discovery file")
        prom_cfg = yaml.safe_load((ROOT / "cluster" / "monitoring" / "prometheus.yml").read_text())
        prom_cfg["scrape_configs"][0]["file_sd_configs"][0]["files"] = [str(sd_file)]
        prom_cfg["rule_files"] = [str(ROOT / "cluster" / "monitoring" / "alerts.yml")]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prom_cfg))
        prom = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=logs["prometheus"], stderr=subprocess.STDOUT)  # fmt: skip
        p = f"http://127.0.0.1:{prom_port}"

        instruments = {"BTCUSDT.BINANCE", "BTCUSDT.BINANCE_USDM", "BTCUSD_PERP.BINANCE_COINM"}
        frames = _every_instrument(p, "ray_raytrade_frames_total > 0", instruments)
        assert all(r["metric"]["role"] == "feed" and "WorkerId" not in r["metric"] for r in frames)
        _every_instrument(p, "ray_raytrade_book_ready == 1", instruments)
        # the gauge is exported once the risk gate has answered a status call (it may be busy in the first seconds)
        state = _until(lambda: _query(p, "ray_raytrade_trading_state"), 60, "ray_raytrade_trading_state")
        assert [r["value"][1] for r in state] == ["0"]  # active
        assert [r["value"][1] for r in _query(p, "ray_raytrade_cluster_nodes_alive")] == ["1"]
        # counters exist from the first export, at 0 before their first event, so rate() / increase() in the alert
        # rules count the first one: no restart and no strategy_down rejection has happened in this run
        restarts = _until(lambda: _query(p, "ray_raytrade_restarts_total"), 60, "ray_raytrade_restarts_total")
        assert {r["metric"]["role"] for r in restarts} >= {"supervisor", "risk", "feed", "book", "strategy"}
        assert all(r["value"][1] == "0" for r in restarts), restarts
        down = _until(lambda: _query(p, 'ray_raytrade_rejections_total{reason="strategy_down"}'), 60, "zeros")
        assert {r["metric"]["strategy"] for r in down} >= {"mm-1"} and all(r["value"][1] == "0" for r in down)
        _every_instrument(p, "sum by (instrument) (ray_raytrade_frame_to_book_ms_count) > 0", instruments)
        p99 = _query(p, "histogram_quantile(0.99, sum by (le) (ray_raytrade_frame_to_book_ms_bucket))")
        assert 0 < float(p99[0]["value"][1]) < 5000
        rules = httpx.get(f"{p}/api/v1/rules", timeout=5).json()["data"]["groups"]
        want = sum(len(g["rules"]) for g in yaml.safe_load((ROOT / "cluster" / "monitoring" / "alerts.yml").read_text())["groups"])
        assert sum(len(g["rules"]) for g in rules) == want and all(r["health"] != "err" for g in rules for r in g["rules"])

        # the Ray CLI and the dashboard's API with the cluster's token
        ray_cli = str(VENV_BIN / "ray")
        status = subprocess.run([ray_cli, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr[-2000:]
        assert "raytrade_core" in status.stdout and "raytrade_feed" in status.stdout  # the head node's roles
        plain = {k: v for k, v in env.items() if k != "RAY_AUTH_MODE"}
        refused = subprocess.run([ray_cli, "status"], env=plain, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0  # why the docs say RAY_AUTH_MODE=token
        actors = subprocess.run([ray_cli, "list", "actors", "--filter", "state=ALIVE", "--format", "json",
                                 "--limit", "200"], env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert actors.returncode == 0, actors.stderr[-2000:]
        names = {a.get("name") for a in json.loads(actors.stdout)}
        assert {"supervisor", "risk", "execution", "feed:binance-spot",
                "book:BTCUSDT.BINANCE", "strategy:mm-1"} <= names  # fmt: skip
        assert httpx.get(f"{dashboard}/nodes?view=summary", timeout=5).status_code == 401
        nodes = httpx.get(f"{dashboard}/nodes?view=summary", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert nodes.status_code == 200

        # the Serve API: every actor with its node; roles placed by the head node's resources
        st = httpx.get(f"{base}/status", timeout=10).json()
        node_ids = {e["node_id"] for e in st["supervision"].values()}
        assert len(node_ids) == 1 and None not in node_ids
        assert st["nodes"]["supervisor"]["node_id"] in node_ids

        run.send_signal(signal.SIGINT)  # --keep-serving: Ctrl-C ends it
        out, _ = run.communicate(timeout=300)
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["run_id"] and summary["frames"] > 0 and summary["interrupted"] is True
        assert run.returncode == 130
        assert head.poll() is None, "the run left the cluster it joined running"
    finally:
        _stop(run, signal.SIGINT)
        _stop(prom)
        _stop(head)  # `ray start --block` stops the node's processes when it ends
        for f in logs.values():
            f.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
