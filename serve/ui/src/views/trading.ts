// Trading panels: strategies (state, start / stop, editable parameters validated by the API, signals), open
// orders, fills, positions, performance, and the equity curve with its drawdown.
import { call } from "../api";
import { TimeChart } from "../charts";
import { $, badge, clock, dec, esc, h, rows, setText, signClass, toast } from "../dom";
import type {
  Fill, IntentResult, Order, Performance, Portfolio, Position, Risk, Signal, Strategies, Strategy, StrategyPatch,
} from "../types";

const pnl = (v: string | null | undefined, dp = 2) => ({ html: `<span class="${signClass(v)}">${esc(dec(v, dp))}</span>` });

export class TradingView {
  private cards = new Map<string, HTMLElement>();
  private equity: TimeChart;
  private drawdown: TimeChart;
  private peak = 0;

  constructor(private strategiesEl: HTMLElement, equityEl: HTMLElement, drawdownEl: HTMLElement) {
    this.equity = new TimeChart(equityEl, ["equity USD"], { height: 170, fmt: (v) => v.toFixed(2), fill: true });
    this.drawdown = new TimeChart(drawdownEl, ["drawdown %"], { height: 110, fmt: (v) => v.toFixed(4), colors: ["#ef5350"], fill: true });
  }

  strategies(s: Strategies, signals: Record<string, Signal[]> | undefined): void {
    for (const st of s.strategies ?? []) {
      if (!st.strategy_id) continue; // a strategy still starting has no summary yet
      const card = this.cards.get(st.strategy_id) ?? this.card(st);
      const running = st.state === "running";
      $(".state", card).innerHTML = badge(st.state, running ? "active" : "halted");
      const btn = $(".toggle", card) as HTMLButtonElement;
      setText(btn, running ? "Stop" : "Start");
      btn.dataset.action = running ? "stop" : "start";
      btn.className = `toggle ${running ? "warn" : "go"}`;
      // Only a known state can be toggled: a strategy that did not answer the last status (``unreachable``,
      // restarting) offers no Start, which would be the wrong request for a strategy that is in fact running.
      btn.disabled = !running && st.state !== "stopped";
      const rejects = Object.entries(st.rejections ?? {}).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
      $(".counters", card).innerHTML = `<span>orders <b>${st.orders}</b></span><span>fills <b>${st.fills}</b></span>` +
        `<span>open <b>${st.open_orders}</b></span><span>signals <b>${st.signals}</b></span>` +
        `<span>rejections <b>${esc(rejects)}</b></span>` + (st.last_error ? `<span class="neg">${esc(st.last_error)}</span>` : "");
      this.params(card, st);
      const sigs = (signals?.[st.strategy_id] ?? []).slice(-5).reverse();
      $(".signals", card).innerHTML = sigs.length
        ? sigs.map((g) => `<li><time>${clock(g.ts_event)}</time> ${badge(g.action, "info")} ${esc(g.reasoning)}</li>`).join("")
        : `<li class="muted">no signals yet</li>`;
    }
  }

  private card(st: Strategy): HTMLElement {
    const card = h("section", { class: "card strategy", "data-testid": `strategy-${st.strategy_id}` });
    card.innerHTML = `
      <header><h3>${esc(st.strategy_id)} <small>${esc(st.kind)} · ${esc(st.mode)} · ${esc((st.instruments ?? []).join(", "))}</small></h3>
        <span class="state"></span>
        <button class="toggle" data-testid="strategy-${esc(st.strategy_id)}-toggle"></button></header>
      <div class="counters kv"></div>
      <form class="params"><div class="fields"></div>
        <button type="submit" data-testid="strategy-${esc(st.strategy_id)}-apply">Apply parameters</button>
        <span class="err"></span></form>
      <ul class="signals"></ul>`;
    this.strategiesEl.append(card);
    this.cards.set(st.strategy_id, card);
    const btn = $(".toggle", card) as HTMLButtonElement;
    btn.addEventListener("click", async () => {
      const action = btn.dataset.action as "stop" | "start";
      const res = await call<Record<string, unknown>, "post">("post", `/strategies/{strategy_id}/${action}` as
        "/strategies/{strategy_id}/stop", { strategy_id: st.strategy_id });
      if (res.ok) toast(`${st.strategy_id}: ${action} accepted`, "ok");
      else toast(`${action} ${st.strategy_id}: ${res.detail}`);
    });
    const form = $(".params", card) as HTMLFormElement;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const changed: Record<string, unknown> = {};
      form.querySelectorAll<HTMLInputElement>("input[data-key]").forEach((inp) => {
        if (inp.value !== inp.dataset.orig) changed[inp.dataset.key!] = inp.dataset.kind === "number" ? Number(inp.value) : inp.value;
      });
      const err = $(".err", form);
      if (!Object.keys(changed).length) { setText(err, "nothing changed"); return; }
      const body: StrategyPatch = { params: changed };
      const res = await call<{ params: Record<string, unknown> }, "patch">("patch", "/strategies/{strategy_id}", { strategy_id: st.strategy_id }, body);
      if (res.ok) {
        setText(err, "");
        toast(`${st.strategy_id}: parameters applied`, "ok");
        form.querySelectorAll<HTMLInputElement>("input[data-key]").forEach((inp) => { inp.dataset.orig = inp.value; });
      } else {
        setText(err, res.detail);
        toast(`parameters of ${st.strategy_id}: ${res.detail}`);
      }
    });
    return card;
  }

  /** Parameter inputs; a field the user is editing (focused or changed) is never overwritten by the stream. */
  private params(card: HTMLElement, st: Strategy): void {
    const fields = $(".fields", card);
    for (const [key, value] of Object.entries(st.params ?? {})) {
      let inp = fields.querySelector<HTMLInputElement>(`input[data-key="${CSS.escape(key)}"]`);
      if (!inp) {
        inp = h("input", { "data-key": key, "data-kind": typeof value === "number" ? "number" : "string",
          "data-testid": `param-${st.strategy_id}-${key}` }) as HTMLInputElement;
        inp.value = String(value);
        inp.dataset.orig = inp.value;
        fields.append(h("label", {}, h("span", {}, key), inp));
      } else if (document.activeElement !== inp && inp.value === inp.dataset.orig && String(value) !== inp.value) {
        inp.value = String(value);
        inp.dataset.orig = inp.value;
      }
    }
  }

  orders(orders: Order[], body: HTMLElement, closedBody: HTMLElement): void {
    const open = orders.filter((o) => ["new", "accepted", "partially_filled", "triggered"].includes(o.status)).reverse();
    const closed = orders.filter((o) => !open.includes(o)).slice(-15).reverse();
    const row = (o: Order) => [clock(o.ts_updated), o.strategy_id, o.instrument_id, { html: `<span class="${o.side === "buy" ? "pos" : "neg"}">${o.side}</span>` },
      o.order_type + " " + o.time_in_force, dec(o.price, 2), o.size, o.filled, { html: badge(o.status, o.status) }, o.reason];
    rows(body, open.map(row), "no open orders");
    rows(closedBody, closed.map(row), "no closed orders");
  }

  fills(fills: Fill[], body: HTMLElement): void {
    rows(body, fills.slice(-20).reverse().map((f) => [clock(f.ts_event), f.strategy_id, f.instrument_id,
      { html: `<span class="${f.side === "buy" ? "pos" : "neg"}">${f.side}</span>` }, dec(f.price, 2), f.size, f.liquidity,
      `${dec(f.fee, 4)} ${f.fee_currency}`]), "no fills yet");
  }

  positions(ps: Position[], body: HTMLElement): void {
    rows(body, ps.map((p) => [p.strategy_id, p.instrument_id, (p.size / 10 ** p.size_decimals).toFixed(p.size_decimals),
      dec(p.avg_entry_price, 2), pnl(p.realized_pnl, 4), pnl(p.unrealized_pnl, 4), dec(p.fees, 4), p.pnl_currency]), "flat");
  }

  performance(perf: Performance, body: HTMLElement): void {
    const row = (id: string, p: Performance["total"]) => {
      const m = p.performance ?? {};
      const n = (k: string, dp = 4) => (m[k] == null ? "–" : typeof m[k] === "number" ? (m[k] as number).toFixed(2) : dec(String(m[k]), dp));
      return [{ html: `<b>${esc(id)}</b>` }, dec(p.equity_usd, 2), pnl(p.pnl.net, 4), pnl(p.pnl.realized, 4), pnl(p.pnl.unrealized, 4),
        dec(p.pnl.fees, 4), dec(p.pnl.volume, 2), n("return_pct"), n("max_drawdown_pct"), n("sharpe"), n("win_rate"), String(m.trades ?? 0)];
    };
    rows(body, [row("total", perf.total), ...Object.entries(perf.strategies).map(([id, p]) => row(id, p))]);
  }

  /** Equity (from /portfolio) at the risk gate's market time (`/risk` usage.last_ts), and drawdown from its peak. */
  portfolio(p: Portfolio, risk: Risk | undefined, marketNs: number, header: HTMLElement): void {
    const eq = Number(p.equity_usd);
    const ts = Number(risk?.usage?.last_ts ?? 0) || marketNs;
    if (ts > 0 && Number.isFinite(eq)) {
      this.peak = Math.max(this.peak, eq);
      this.equity.push(ts / 1e9, [eq]);
      this.drawdown.push(ts / 1e9, [this.peak > 0 ? -((this.peak - eq) / this.peak) * 100 : 0]);
    }
    $("[data-testid=equity]", header).innerHTML = esc(dec(p.equity_usd, 2));
    $("[data-testid=net]", header).innerHTML = pnl(p.net, 4).html;
    $("[data-testid=realized]", header).innerHTML = pnl(p.realized, 4).html;
    $("[data-testid=unrealized]", header).innerHTML = pnl(p.unrealized, 4).html;
    setText($("[data-testid=fees]", header), dec(p.fees, 4));
  }

  draw(): void {
    this.equity.draw();
    this.drawdown.draw();
  }
}

export type { IntentResult };
