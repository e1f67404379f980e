// Risk and alerts: the trading state, each limit with its usage, breaker history, the kill switch and reset
// (token-protected by the API), and the run's alerts with acknowledge.
import { call } from "../api";
import { $, badge, clock, dec, esc, rows, toast } from "../dom";
import type { AlertRow, KillRequest, Risk } from "../types";

/** Limits with a usage figure in /risk `usage`: [label, limit key, used-% key or value key]. */
const GAUGES: [string, string, string][] = [
  ["daily loss", "daily_loss_limit_pct", "daily_loss_used_pct"],
  ["drawdown", "max_drawdown_pct", "drawdown_used_pct"],
];

export class RiskView {
  constructor(private root: HTMLElement, private alertsBody: HTMLElement, private stateEl: HTMLElement) {
    // The kill switch asks once (an inline confirm, no timer): it should not fire on a stray click.
    const confirmBox = $("[data-testid=kill-confirm]");
    $("[data-testid=kill]").addEventListener("click", () => confirmBox.classList.add("show"));
    $("[data-testid=kill-cancel]").addEventListener("click", () => confirmBox.classList.remove("show"));
    $("[data-testid=kill-go]").addEventListener("click", async () => {
      confirmBox.classList.remove("show");
      const body: KillRequest = { reason: "dashboard" };
      const res = await call("post", "/risk/kill", {}, body);
      if (res.ok) toast("kill switch: trading halted, orders canceled", "ok");
      else toast(`kill switch: ${res.detail}`);
    });
    $("[data-testid=reset]").addEventListener("click", async () => {
      const res = await call("post", "/risk/reset");
      if (res.ok) toast("risk reset: trading active", "ok");
      else toast(`reset: ${res.detail}`);
    });
    alertsBody.addEventListener("click", async (ev) => {
      const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>("button[data-ack]");
      if (!btn) return;
      const res = await call("post", "/alerts/{row_key}/ack", { row_key: btn.dataset.ack! });
      if (res.ok) toast("alert acknowledged", "ok");
      else toast(`acknowledge: ${res.detail}`);
    });
  }

  risk(r: Risk): void {
    this.stateEl.innerHTML = badge(r.state.toUpperCase(), r.state);
    this.stateEl.dataset.state = r.state;
    const u = r.usage ?? {};
    const gauges = GAUGES.map(([label, limitKey, usedKey]) => {
      const used = Number(u[usedKey] ?? 0);
      const pct = Math.max(0, Math.min(100, used));
      const cls = pct >= Number(u.reducing_at_pct ?? 80) ? "hot" : pct >= 50 ? "warm" : "";
      return `<div class="gauge"><span>${esc(label)}</span><div class="bar"><i class="${cls}" style="width:${pct}%"></i></div>
        <b>${esc(dec(String(u[usedKey] ?? "0"), 2))}% of ${esc(String(r.limits[limitKey] ?? "–"))}%</b></div>`;
    }).join("");
    const counts = `<span>approved <b>${Object.values(r.approvals ?? {}).reduce((a, b) => a + b, 0)}</b></span>` +
      `<span>rejected <b>${Object.values(r.rejections ?? {}).flatMap((x) => Object.values(x)).reduce((a, b) => a + b, 0)}</b></span>` +
      `<span>equity peak <b>${esc(dec(String(u.peak_equity ?? ""), 2))}</b></span>` +
      (u.halt_reason ? `<span class="neg">halt: <b>${esc(String(u.halt_reason))}</b></span>` : "");
    const html = gauges + `<div class="kv">${counts}</div>`;
    const box = $(".usage", this.root);
    if (box.dataset.html !== html) { box.innerHTML = html; box.dataset.html = html; }
    const limits = Object.entries(r.limits).filter(([k]) => k !== "strategies").map(([k, v]) => [k.replace(/_/g, " "), String(v)]);
    rows($(".limits tbody", this.root), limits);
    const events = (r.recent_events ?? []).filter((e) => !["approve", "reject"].includes(e.kind)).slice(-12).reverse();
    rows($(".breakers tbody", this.root), events.map((e) => [clock(e.ts_event), { html: badge(e.kind, e.kind) }, e.reason,
      { html: badge(e.state, e.state) }, e.detail]), "no breaker events");
    const rejected = Object.entries(r.rejections ?? {}).flatMap(([sid, m]) => Object.entries(m).map(([why, n]) => [sid, why, n]));
    rows($(".rejections tbody", this.root), rejected, "no rejections");
  }

  alerts(list: AlertRow[]): void {
    rows(this.alertsBody, [...list].reverse().map((a) => [clock(a.ts), { html: badge(a.severity, a.severity) }, a.source,
      a.message, { html: a.acknowledged ? badge("acknowledged", "ready")
        : `<button data-ack="${esc(a.row_key)}" data-testid="ack">Acknowledge</button>` }]), "no alerts");
  }
}
