"""The dashboard end to end: ``raytrade run --speed 10 --keep-serving`` as a user runs it, ``/ui`` in headless
Chromium (Debian's ``chromium``, driven by Playwright): live numbers change, mutations without the token show the
API's 401, with the token a strategy stops and the kill switch halts trading (checked through the API).
Screenshots are saved under ``test-artifacts/dashboard/`` (gitignored; the path is printed)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.support import free_port, wait_api_up

TOKEN = "dashboard-e2e-token"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(os.environ.get("RAYTRADE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "dashboard"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is absent (.ci/run installs it)")]  # fmt: skip



def _api(base: str, path: str) -> dict:
    return httpx.get(f"{base}{path}", timeout=10).json()


def _kill(page, expect, outcome: str) -> None:
    """The kill switch asks for a confirmation; the page then shows ``outcome``."""
    page.get_by_test_id("kill").click()
    page.get_by_test_id("kill-go").click()
    expect(page.get_by_test_id("toast")).to_contain_text(outcome, timeout=30_000)


def _eventually(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout_s} s")
        time.sleep(0.2)


def test_dashboard_shows_live_data_and_drives_the_api_with_and_without_the_token(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # RAY_ADDRESS=local: a Ray of its own, even when a `ray start` cluster runs on this machine (ray.init() would
    # join that one otherwise)
    env = {**os.environ, "RAYTRADE_API_TOKEN": TOKEN, "RAY_ADDRESS": "local"}
    stderr = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "cluster.cli", "run", "--speed", "10", "--keep-serving",
                             "--api-port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    try:
        with sync_playwright() as pw:  # the browser starts while the run does (the replay runs ~70 s at speed 10)
            browser = pw.chromium.launch_persistent_context(
                tempfile.mkdtemp(dir=tmp_path), executable_path=CHROMIUM, headless=True, args=FLAGS,
                viewport={"width": 1600, "height": 1000})  # fmt: skip
            page = browser.new_page()
            wait_api_up(base, proc, tmp_path / "stderr.txt", 360)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/ui/")
            try:
                _drive(page, expect, base, errors)
            except Exception:
                page.screenshot(path=ARTIFACTS / "failed.png", full_page=True)
                print(f"dashboard screenshot of the failure: {ARTIFACTS / 'failed.png'}")
                raise
            browser.close()
        print(f"dashboard screenshots: {ARTIFACTS}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
        stderr.close()
    assert TOKEN not in (tmp_path / "stderr.txt").read_text()


def _drive(page, expect, base: str, errors: list[str]) -> None:
    """The user's path through the page, asserting what the page shows and what the API then says."""
    expect(page.get_by_test_id("live")).to_have_text("live", timeout=30_000)

    # live numbers change without a reload (the top of book of each instrument, the equity)
    expect(page.get_by_test_id("bid-BTCUSDT.BINANCE")).to_have_text(re.compile(r"^\d[\d,]*\.\d\d$"), timeout=60_000)
    numbers = page.locator("[data-testid^=bid-], [data-testid^=ask-]")
    first = numbers.all_inner_texts()
    _eventually(lambda: numbers.all_inner_texts() != first, 60, f"the top of book to change from {first}")
    expect(page.get_by_test_id("equity")).to_have_text(re.compile(r"^\d[\d,]*\.\d\d$"), timeout=30_000)
    expect(page.get_by_test_id("risk-state")).to_have_text("ACTIVE")
    expect(page.locator("[data-testid='book-BTCUSDT.BINANCE'] .barinfo")).to_contain_text(" trades", timeout=30_000)
    assert page.evaluate("window.__dash.events") > 10
    page.screenshot(path=ARTIFACTS / "1-live.png", full_page=True)

    # without a token: the mutating controls show the API's 401 and change nothing
    assert _api(base, "/strategies/mm-1")["state"] == "running"
    # the page shows the state of the last status it was streamed (a strategy that did not answer one in time is
    # ``unreachable`` there, its toggle disabled): the user clicks Stop once the page says running
    toggle = page.get_by_test_id("strategy-mm-1-toggle")
    expect(toggle).to_have_text("Stop", timeout=30_000)
    toggle.click()
    expect(page.get_by_test_id("toast")).to_contain_text("stop mm-1: 401 Unauthorized", timeout=30_000)
    _kill(page, expect, "kill switch: 401 Unauthorized")
    page.screenshot(path=ARTIFACTS / "2-no-token-401.png")
    assert _api(base, "/strategies/mm-1")["state"] == "running"
    assert _api(base, "/risk")["state"] == "active"

    # with the token (typed into the page, kept in memory only): stop mm-1, then the kill switch
    page.get_by_test_id("token-input").fill(TOKEN)
    page.get_by_test_id("token-set").click()
    expect(page.get_by_test_id("token-state")).to_have_text("token set")
    expect(toggle).to_have_text("Stop", timeout=30_000)
    toggle.click()
    _eventually(lambda: _api(base, "/strategies/mm-1")["state"] == "stopped", 20, "mm-1 stopped via the API")
    expect(page.get_by_test_id("strategy-mm-1").locator(".state")).to_have_text("stopped", timeout=15_000)
    _kill(page, expect, "kill switch: trading halted")
    _eventually(lambda: _api(base, "/risk")["state"] == "halted", 20, "/risk halted")
    expect(page.get_by_test_id("risk-state")).to_have_text("HALTED", timeout=15_000)
    kill = [e for e in _api(base, "/risk")["recent_events"] if e["kind"] == "kill"]
    assert kill and kill[-1]["reason"] == "dashboard", kill
    page.screenshot(path=ARTIFACTS / "3-stopped-and-killed.png", full_page=True)

    stored = page.evaluate("JSON.stringify([localStorage, sessionStorage, document.cookie, location.href])")
    assert TOKEN not in stored
    assert errors == [], errors
    print("page counters:", page.evaluate("JSON.stringify(window.__dash)"))
