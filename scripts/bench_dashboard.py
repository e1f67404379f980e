"""Dashboard benchmark (BENCHMARKS.md "Dashboard"): ``raytrade run --speed max --keep-serving`` with ``/ui`` open in
headless Chromium; while the replay runs, sample once a second what the page measures itself (``window.__dash``:
frames per second from requestAnimationFrame, stream events received per second, render time) and what the server
says it pushed (the stream's ``meta`` event: events sent, topic changes published, values conflated).

    .venv/bin/python scripts/bench_dashboard.py [--speed max] [--chromium /usr/bin/chromium]

Prints one JSON line: the machine, the replay's frames/s, per-second samples and their summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _frames(base: str) -> int:
    status = httpx.get(f"{base}/status", timeout=10).json()
    return sum(f.get("frames", 0) for f in status["feeds"].values())


def _machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    return {"cpu": model, "cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version()}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", default="max")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--max-s", type=float, default=240.0, help="stop sampling after this long")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = _port()
    base = f"http://127.0.0.1:{port}"
    machine = _machine()
    env = {**os.environ, "RAY_ADDRESS": "local"}  # a Ray of its own even if a `ray start` cluster runs here
    proc = subprocess.Popen([sys.executable, "-m", "cluster.cli", "run", "--speed", args.speed, "--keep-serving",
                             "--api-port", str(port), "--metrics-port", str(_port())], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    samples: list[dict] = []
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "the run did not come up"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(tempfile.mkdtemp(), executable_path=args.chromium,
                                                            headless=True, args=FLAGS, viewport={"width": 1600, "height": 1000})  # fmt: skip
            page = browser.new_page()
            page.goto(f"{base}/ui/")
            page.wait_for_function("window.__dash && window.__dash.events > 0", timeout=60_000)
            started = time.monotonic()
            last_frames, idle, last_t = _frames(base), 0, time.monotonic()
            prev = page.evaluate("JSON.stringify(window.__dash)")
            while time.monotonic() - started < args.max_s:
                time.sleep(1.0)
                now = json.loads(page.evaluate("JSON.stringify(window.__dash)"))
                before = json.loads(prev)
                prev = json.dumps(now)
                frames, t = _frames(base), time.monotonic()
                dt, last_t = t - last_t, t
                renders = now["renders"] - before["renders"]
                samples.append({"t_s": round(time.monotonic() - started, 1), "fps": round(now["fps"], 1),
                                "events_per_s": round(now["eventsPerS"], 1), "frames_per_s": round((frames - last_frames) / dt),
                                "render_ms": round((now["renderMs"] - before["renderMs"]) / renders, 2) if renders else None,
                                "meta": now.get("meta")})  # fmt: skip
                idle = idle + 1 if frames == last_frames else 0
                last_frames = frames
                if idle >= 5:  # the replay ended
                    break
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
    live = [s for s in samples if s["frames_per_s"] > 0]
    metas = [s["meta"] for s in live if s["meta"]]
    span = (metas[-1]["uptime_s"] - metas[0]["uptime_s"]) if len(metas) > 1 else 0
    machine["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    out = {"machine": machine, "speed": args.speed, "samples_while_replaying": len(live),
           "replay_frames_per_s_mean": round(statistics.mean(s["frames_per_s"] for s in live), 1) if live else None,
           "page_fps_mean": round(statistics.mean(s["fps"] for s in live), 1) if live else None,
           "page_fps_min": min((s["fps"] for s in live), default=None),
           "page_events_per_s_mean": round(statistics.mean(s["events_per_s"] for s in live), 1) if live else None,
           "render_ms_mean": round(statistics.mean(s["render_ms"] for s in live if s["render_ms"]), 2) if live else None,
           "server_sent_per_s": round((metas[-1]["sent"] - metas[0]["sent"]) / span, 1) if span else None,
           "server_published_per_s": round((metas[-1]["published"] - metas[0]["published"]) / span, 1) if span else None,
           "server_conflated": metas[-1]["conflated"] if metas else None,
           "samples": samples}  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
