"""Trading end to end on the bundled recording, in-process on the session's Ray (the same code as `raytrade run`):
breakers, the kill switch over HTTP, a dead risk gate (fail closed) and a dead strategy (recovered from execution
and portfolio state)."""

from __future__ import annotations

import io
import threading
import time

import httpx
import ray
from rich.console import Console

from actors.naming import actor_name
from cluster.config import load_config
from cluster.run import run
from tests.e2e.support import free_port, until as _until

TOKEN = "trading-test-token"



def _actor(cfg, role: str, ident: str = ""):
    name = actor_name(role, ident, cfg.ray.prefix)
    return ray.get_actor(name, namespace=cfg.ray.namespace)


def test_a_tiny_daily_loss_limit_halts_trading_cancels_orders_and_rejects_later_intents(ray_session):
    port = free_port()
    cfg = load_config(replay__speed="30", api__port=port, api_token=TOKEN,
                      risk__daily_loss_limit_pct="0.0001", risk__reducing_at_pct=None)  # fmt: skip
    seen: dict = {}

    def grab(topo) -> None:
        seen["risk_api"] = httpx.get(f"http://127.0.0.1:{port}/risk", timeout=10).json()
        seen["open_orders"] = ray.get(_actor(cfg, "execution").open_orders.remote())
        seen["submits"] = ray.get(_actor(cfg, "execution").submits.remote())
        seen["events"] = ray.get(_actor(cfg, "risk").events.remote())
        seen["api"] = _exercise_api(f"http://127.0.0.1:{port}")

    summary = run(cfg, console=Console(file=io.StringIO()), before_teardown=grab)
    api = seen["api"]
    assert api["strategies"] == 200 and {"market_making", "basis_arbitrage", "scheduled_event"} <= set(api["kinds"])
    assert api["create_unauthorized"] == 401
    assert api["create_bad"][0] == 422 and "gamma" in api["create_bad"][1]
    assert api["create"] == 201 and api["get_new"][0] == 200 and api["get_new"][1]["kind"] == "market_making"
    assert api["get_unknown"] == 404
    assert api["patch_bad"][0] == 422 and "gamma" in api["patch_bad"][1]
    assert api["patch"] == (200, 0.02)
    assert api["order_bad_precision"][0] == 422 and "size" in api["order_bad_precision"][1]
    assert api["order_halted"] == (200, False, "halted")  # a manual order takes the same path through the gate
    assert api["cancel_unknown"] == 404
    assert all(code == 200 for code in api["reads"].values()), api["reads"]
    assert api["limits_bad"] == 422 and api["limits"] == (200, 5)
    assert api["reset"] == (200, "active")
    assert {"StrategyCreate", "OrderCreate", "LimitsPatch"} <= set(api["schemas"])
    # run history from the store, alerts, the audit log
    assert api["runs_listed"] and api["run_orders"][0] == 200 and 0 < api["run_orders"][1] <= 5
    assert api["run_unknown"] == 404 and api["run_bad_table"] == 404
    assert api["alerts"] >= 1  # the breaker trip raised one
    assert (api["ack_unauthorized"], api["ack"], api["acked"], api["ack_unknown"]) == (401, 200, True, 404)
    assert ("POST", "/strategies", "401") in api["audit"] and ("POST", "/strategies", "201") in api["audit"]
    assert ("PATCH", "/strategies/mm-1", "422") in api["audit"]
    assert TOKEN not in str(api["audit_token_ids"]) and "none" in api["audit_token_ids"]

    assert summary["risk"]["state"] == "halted"
    trips = [e for e in summary["risk"]["events"] if e["kind"] == "breaker"]
    assert trips and trips[0]["reason"] == "daily_loss_limit", summary["risk"]["events"]
    assert seen["risk_api"]["state"] == "halted"
    assert seen["open_orders"] == []  # every open order was canceled when the breaker tripped
    rejected = [e for e in seen["events"] if e["kind"] == "reject" and e["reason"] == "halted"]
    assert rejected, "intents after the trip must be rejected with the trading state as reason"
    trip = next(i for i, e in enumerate(seen["events"]) if e["kind"] == "breaker")
    after = seen["events"][trip + 1:]
    assert not [e for e in after if e["kind"] == "approve" and e["reason"] != "cancel"], after[:5]
    assert summary["strategies"]["mm-1"]["rejections"].get("halted", 0) > 0


def test_kill_switch_dead_risk_gate_and_dead_strategy(ray_session):
    port = free_port()
    cfg = load_config(replay__speed="12", api__port=port, api_token=TOKEN, supervisor__base_backoff_s=2.0)
    base = f"http://127.0.0.1:{port}"
    observed: dict = {}

    def chaos() -> None:
        try:
            execution = None
            _until(lambda: httpx.get(f"{base}/health", timeout=2).status_code == 200, 120, "API up")
            execution = _actor(cfg, "execution")
            _until(lambda: ray.get(execution.fills.remote("mm-1")), 120, "a first market-making fill")

            # 1. The strategy actor dies: the supervisor restarts it; it recovers open orders and positions.
            ray.kill(_actor(cfg, "strategy", "mm-1"), no_restart=True)
            sup = _actor(cfg, "supervisor")
            _until(lambda: ray.get(sup.supervision.remote())["strategy:mm-1"]["restarts"] >= 1, 30,
                   "strategy restart")  # fmt: skip

            def recovered() -> bool:
                state = ray.get(_actor(cfg, "strategy", "mm-1").context_state.remote())
                orders = {o.client_order_id for o in ray.get(execution.open_orders.remote("mm-1"))}
                positions = {p.instrument_id: p.size for p in ray.get(_actor(cfg, "risk").positions.remote("mm-1"))}
                observed["recovered"] = (state, orders, positions)
                return set(state["open_orders"]) == orders and {
                    i: s for i, s in state["positions"].items() if s} == {i: s for i, s in positions.items() if s}

            _until(recovered, 60, "strategy state equal to execution and portfolio state")

            # 2. The risk gate dies: nothing reaches execution until it is back; strategies fail closed.
            killed_at = time.time_ns()
            ray.kill(_actor(cfg, "risk"), no_restart=True)
            _until(lambda: ray.get(sup.supervision.remote())["risk"]["restarts"] >= 1, 30, "risk restart")
            _until(lambda: ray.get(_actor(cfg, "risk").ping.remote()), 30, "risk answers")
            back_at = time.time_ns()
            respawned_at = max(e["ts"] for e in ray.get(sup.supervision_events.remote())
                               if e["kind"] == "restart" and e["role"] == "risk")  # fmt: skip
            observed["outage"] = (killed_at, respawned_at, back_at)
            observed["submits_in_outage"] = [s for s in ray.get(execution.submits.remote())
                                             if killed_at + 50_000_000 < s[0] < respawned_at]  # fmt: skip
            _until(lambda: ray.get(execution.submits.remote())[-1][0] > back_at, 60, "orders flow again")

            # 3. The kill switch over HTTP: 401 without the token; with it, halted and nothing new is executed.
            observed["kill_unauthorized"] = httpx.post(f"{base}/risk/kill", timeout=10).status_code
            killed = httpx.post(f"{base}/risk/kill", timeout=10, headers={"Authorization": f"Bearer {TOKEN}"})
            kill_at = time.time_ns()  # acknowledged: from here on nothing new may reach execution
            observed["kill"] = (killed.status_code, killed.json().get("state"))
            time.sleep(1.0)
            observed["after_kill"] = [s for s in ray.get(execution.submits.remote()) if s[0] > kill_at]
            observed["open_after_kill"] = ray.get(execution.open_orders.remote())
            observed["risk_after_kill"] = httpx.get(f"{base}/risk", timeout=10).json()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            observed["error"] = repr(exc)

    thread = threading.Thread(target=chaos, daemon=True)
    thread.start()
    summary = run(cfg, console=Console(file=io.StringIO()))
    thread.join(timeout=10)

    assert "error" not in observed, observed
    # dead strategy: restarted, its view of orders and positions equals execution's and the portfolio's
    assert summary["supervision"]["strategy:mm-1"]["restarts"] >= 1
    # dead risk gate: no order executed during the outage, the strategies saw risk_unavailable, summary shows it
    assert observed["submits_in_outage"] == [], observed["submits_in_outage"][:5]
    risk_sup = summary["supervision"]["risk"]
    assert risk_sup["restarts"] >= 1 and risk_sup["downtime_s"] >= 1.5, risk_sup
    assert summary["strategies"]["mm-1"]["rejections"].get("risk_unavailable", 0) > 0, summary["strategies"]
    # kill switch
    assert observed["kill_unauthorized"] == 401
    assert observed["kill"] == (200, "halted")
    assert all(action == "cancel" or "-flatten-" in cid for _, cid, action in observed["after_kill"]), \
        observed["after_kill"][:5]
    assert observed["open_after_kill"] == []
    assert observed["risk_after_kill"]["state"] == "halted"
    assert any(e["kind"] == "kill" for e in observed["risk_after_kill"]["breaker_events"])
    assert summary["risk"]["state"] == "halted"


def _exercise_api(base: str) -> dict:
    """Every trading endpoint once, with good and bad input; returns what it saw."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    out: dict = {}
    r = httpx.get(f"{base}/strategies", timeout=10)
    out["strategies"], out["kinds"] = r.status_code, r.json()["kinds"]
    new = {"id": "mm-2", "kind": "market_making", "instruments": ["BTCUSDT.BINANCE"], "allocated_capital": "5000"}
    out["create_unauthorized"] = httpx.post(f"{base}/strategies", json=new, timeout=10).status_code
    bad = httpx.post(f"{base}/strategies", json={**new, "params": {"gamma": -1}}, headers=auth, timeout=10)
    out["create_bad"] = (bad.status_code, bad.text)
    out["create"] = httpx.post(f"{base}/strategies", json=new, headers=auth, timeout=30).status_code
    got = httpx.get(f"{base}/strategies/mm-2", timeout=10)
    out["get_new"] = (got.status_code, got.json())
    out["get_unknown"] = httpx.get(f"{base}/strategies/nope", timeout=10).status_code
    bad = httpx.patch(f"{base}/strategies/mm-1", json={"params": {"gamma": -1}}, headers=auth, timeout=10)
    out["patch_bad"] = (bad.status_code, bad.text)
    ok = httpx.patch(f"{base}/strategies/mm-1", json={"params": {"gamma": 0.02}}, headers=auth, timeout=10)
    out["patch"] = (ok.status_code, ok.json()["params"]["gamma"])
    order = {"instrument_id": "BTCUSDT.BINANCE", "side": "buy", "order_type": "limit", "size": "0.001",
             "price": "61000.00"}
    bad = httpx.post(f"{base}/orders", json={**order, "size": "0.0000000001"}, headers=auth, timeout=10)
    out["order_bad_precision"] = (bad.status_code, bad.text)
    placed = httpx.post(f"{base}/orders", json=order, headers=auth, timeout=10).json()
    out["order_halted"] = (200, placed["approved"], placed["reason"])
    out["cancel_unknown"] = httpx.delete(f"{base}/orders/nope", headers=auth, timeout=10).status_code
    out["reads"] = {path: httpx.get(f"{base}{path}", timeout=10).status_code
                    for path in ("/orders?status=closed&strategy=mm-1", "/fills?limit=5", "/positions", "/portfolio",
                                 "/performance", "/strategies/mm-1/signals?limit=5", "/risk")}  # fmt: skip
    out["limits_bad"] = httpx.patch(f"{base}/risk/limits", json={"max_orders_per_s": 0}, headers=auth,
                                    timeout=10).status_code  # fmt: skip
    ok = httpx.patch(f"{base}/risk/limits", json={"max_orders_per_s": 5}, headers=auth, timeout=10)
    out["limits"] = (ok.status_code, ok.json().get("max_orders_per_s"))
    runs = httpx.get(f"{base}/runs", timeout=10).json()
    current = runs["current"]
    out["runs_listed"] = current in {r["run_id"] for r in runs["runs"]}
    orders = httpx.get(f"{base}/runs/{current}/orders", params={"limit": 5}, timeout=30)
    out["run_orders"] = (orders.status_code, len(orders.json()["rows"]), orders.json()["total"])
    out["run_unknown"] = httpx.get(f"{base}/runs/nope/orders", timeout=10).status_code
    out["run_bad_table"] = httpx.get(f"{base}/runs/{current}/passwords", timeout=10).status_code
    alerts = httpx.get(f"{base}/runs/{current}/system_alerts", timeout=30).json()["rows"]
    out["alerts"] = len(alerts)
    key = alerts[0]["row_key"] if alerts else "none"
    out["ack_unauthorized"] = httpx.post(f"{base}/alerts/{key}/ack", timeout=10).status_code
    out["ack"] = httpx.post(f"{base}/alerts/{key}/ack", headers=auth, timeout=10).status_code
    out["acked"] = httpx.get(f"{base}/runs/{current}/system_alerts", timeout=30).json()["rows"][0]["acknowledged"]
    out["ack_unknown"] = httpx.post(f"{base}/alerts/nope/ack", headers=auth, timeout=10).status_code
    audit = httpx.get(f"{base}/runs/{current}/audit_log", params={"limit": 1000}, timeout=30).json()["rows"]
    out["audit"] = {(r["action"], r["target"], r["result"]) for r in audit}
    out["audit_token_ids"] = {r["token_id"] for r in audit}
    reset = httpx.post(f"{base}/risk/reset", headers=auth, timeout=10)
    out["reset"] = (reset.status_code, reset.json().get("state"))
    out["schemas"] = list(httpx.get(f"{base}/openapi.json", timeout=10).json()["components"]["schemas"])
    return out
