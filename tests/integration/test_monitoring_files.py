"""cluster/monitoring/: Prometheus loads the config and the alert rules, and the rules and the Grafana dashboard
reference only series raytrade exports (actors/telemetry.py and the latency histograms)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from actors.telemetry import SERIES
from tests.conftest import ROOT

MONITORING = ROOT / "cluster" / "monitoring"
HISTOGRAMS = ("raytrade_frame_to_book_ms", "raytrade_book_to_subscriber_ms", "raytrade_frame_to_subscriber_ms",
              "raytrade_tick_to_order_ms")  # fmt: skip


def exported_names() -> set[str]:
    """Every scraped name: Ray adds ``ray_``; Prometheus counters end in ``_total``, histograms in _bucket/..."""
    names = {f"ray_{n}_total" if kind == "counter" else f"ray_{n}" for n, (kind, _, _) in SERIES.items()}
    for h in HISTOGRAMS:
        names |= {f"ray_{h}_bucket", f"ray_{h}_sum", f"ray_{h}_count"}
    return names


def referenced(expr: str) -> set[str]:
    return set(re.findall(r"\bray_raytrade_\w+", expr))


def _promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.skip("promtool is not installed: apt-get install prometheus (.ci/run does)")
    return found


def test_promtool_accepts_the_alert_rules_and_the_scrape_config():
    promtool = _promtool()
    rules = subprocess.run([promtool, "check", "rules", str(MONITORING / "alerts.yml")], capture_output=True, text=True)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 10 rules found" in rules.stdout
    config = subprocess.run([promtool, "check", "config", str(MONITORING / "prometheus.yml")], capture_output=True,
                            text=True)  # fmt: skip
    assert config.returncode == 0, config.stdout + config.stderr


def test_promtool_refuses_a_broken_rule(tmp_path):
    """The check above can fail: a rule with a PromQL syntax error is refused."""
    promtool = _promtool()
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "A", "expr": "rate(ray_x[5m]"}]}]}))
    assert subprocess.run([promtool, "check", "rules", str(bad)], capture_output=True).returncode != 0


def test_alert_rules_cover_the_issue_and_reference_only_exported_series():
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"][0]["rules"]
    names = {r["alert"] for r in rules}
    assert {"RaytradeFeedStale", "RaytradeCircuitOpen", "RaytradeBreakerTripped", "RaytradeTradingHalted",
            "RaytradeLatencyP99High", "RaytradeRecorderSpooling", "RaytradeNodeLost"} <= names  # fmt: skip
    for rule in rules:
        used = referenced(rule["expr"])
        assert used, rule["alert"]
        assert used <= exported_names(), (rule["alert"], used - exported_names())


def test_grafana_dashboard_is_valid_json_and_references_only_exported_series():
    dash = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    assert dash["uid"] == "raytrade" and dash["panels"]
    used: set[str] = set()
    for panel in dash["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = referenced(target["expr"])
            assert names, target["expr"]
            used |= names
    assert used <= exported_names(), used - exported_names()
    # every series the issue lists has a panel
    wanted = {"frames", "diffs", "gaps", "resyncs", "reconnects", "restarts", "circuit_open", "book_age_ms",
              "validation_failures", "frame_to_book_ms", "book_to_subscriber_ms", "tick_to_order_ms", "orders",
              "fills", "rejections", "pnl_usd", "drawdown_pct", "trading_state", "recorder_lag_s",
              "recorder_spool_bytes"}  # fmt: skip
    shown = {re.sub(r"^ray_raytrade_|_(total|bucket)$", "", n) for n in used}
    assert wanted <= shown, wanted - shown
