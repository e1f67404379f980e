// The raytrade dashboard: one page on the public API, live over GET /stream (server-sent events, conflated on the
// server). Rendering happens once per animation frame for the topics that changed since the last frame.
import "./style.css";
import { hasToken, setToken } from "./api";
import { $, clock, setText, toast } from "./dom";
import { Live, type Topic } from "./live";
import { MarketView } from "./views/market";
import { RiskView } from "./views/risk";
import { TradingView } from "./views/trading";

$("#app").innerHTML = `
<header class="top">
  <div class="brand">raytrade <span class="live" data-testid="live">connecting…</span></div>
  <div class="state" data-testid="risk-state">–</div>
  <div class="metric"><label>equity USD</label><b data-testid="equity">–</b></div>
  <div class="metric"><label>net PnL</label><b data-testid="net">–</b></div>
  <div class="metric"><label>realized</label><b data-testid="realized">–</b></div>
  <div class="metric"><label>unrealized</label><b data-testid="unrealized">–</b></div>
  <div class="metric"><label>fees</label><b data-testid="fees">–</b></div>
  <div class="metric"><label>venue time</label><b data-testid="market-time">–</b></div>
  <div class="metric small"><label>stream</label><b data-testid="rate">–</b></div>
  <div class="stream-errors neg" data-testid="stream-errors"></div>
  <form class="token" data-testid="token-form" autocomplete="off">
    <input type="password" autocomplete="new-password" placeholder="API token (kept in memory only)" data-testid="token-input" />
    <button type="submit" data-testid="token-set">Set token</button>
    <span class="tokstate" data-testid="token-state">no token</span>
  </form>
  <button class="danger" data-testid="kill">KILL SWITCH</button>
  <div class="confirm" data-testid="kill-confirm">Halt trading, cancel every open order and flatten?
    <button class="danger" data-testid="kill-go">Confirm kill</button><button data-testid="kill-cancel">Cancel</button></div>
  <button data-testid="reset">Reset</button>
</header>
<div id="toast" class="toast" role="alert" data-testid="toast"></div>
<main>
  <div class="row instruments" id="instruments"></div>
  <div class="row two">
    <section class="card"><header><h2>Basis <small>spot mid − perp mid, USD, as-of on venue time</small></h2></header><div id="basis"></div></section>
    <section class="card"><header><h2>Equity <small>USD, with drawdown from peak</small></h2></header><div id="equity"></div><div id="drawdown"></div></section>
  </div>
  <div class="row wide-right">
    <section class="card" id="risk"><header><h2>Risk</h2></header>
      <div class="usage"></div>
      <div class="cols">
        <table class="limits"><thead><tr><th>limit</th><th>value</th></tr></thead><tbody></tbody></table>
        <div><h4>Breaker history</h4>
          <table class="breakers"><thead><tr><th>time</th><th>kind</th><th>reason</th><th>state</th><th>detail</th></tr></thead><tbody></tbody></table>
          <h4>Rejections</h4>
          <table class="rejections"><thead><tr><th>strategy</th><th>rule</th><th>n</th></tr></thead><tbody></tbody></table></div>
      </div></section>
    <section class="card"><header><h2>Feeds</h2></header>
      <table><thead><tr><th>feed</th><th>instrument</th><th>state</th><th>circuit</th><th>gaps</th><th>resyncs</th><th>reconn.</th>
        <th>invalid</th><th>snap. fail</th><th>restarts</th><th>book age</th><th>frame age</th><th>frames</th></tr></thead><tbody id="feeds"></tbody></table>
      <h4>Alerts</h4>
      <table><thead><tr><th>time</th><th>severity</th><th>source</th><th>message</th><th></th></tr></thead><tbody id="alerts"></tbody></table>
    </section>
  </div>
  <h2 class="section">Strategies</h2>
  <div class="row strategies" id="strategies"></div>
  <div class="row two">
    <section class="card"><header><h2>Open orders</h2></header>
      <table><thead><tr><th>updated</th><th>strategy</th><th>instrument</th><th>side</th><th>type</th><th>price</th><th>size</th><th>filled</th><th>status</th><th>reason</th></tr></thead><tbody id="orders"></tbody></table>
      <h4>Recently closed</h4>
      <table><thead><tr><th>updated</th><th>strategy</th><th>instrument</th><th>side</th><th>type</th><th>price</th><th>size</th><th>filled</th><th>status</th><th>reason</th></tr></thead><tbody id="closed"></tbody></table></section>
    <section class="card"><header><h2>Fills</h2></header>
      <table><thead><tr><th>time</th><th>strategy</th><th>instrument</th><th>side</th><th>price</th><th>size</th><th>liq.</th><th>fee</th></tr></thead><tbody id="fills"></tbody></table>
      <h4>Positions</h4>
      <table><thead><tr><th>strategy</th><th>instrument</th><th>size</th><th>avg entry</th><th>realized</th><th>unrealized</th><th>fees</th><th>ccy</th></tr></thead><tbody id="positions"></tbody></table></section>
  </div>
  <section class="card"><header><h2>Performance</h2></header>
    <table><thead><tr><th>strategy</th><th>equity</th><th>net</th><th>realized</th><th>unrealized</th><th>fees</th><th>volume</th><th>return %</th><th>max DD %</th><th>sharpe</th><th>win rate</th><th>trades</th></tr></thead><tbody id="performance"></tbody></table></section>
</main>`;

const header = $("header.top");
const market = new MarketView($("#instruments"), $("#basis"), $("#feeds"));
const trading = new TradingView($("#strategies"), $("#equity"), $("#drawdown"));
const risk = new RiskView($("#risk"), $("#alerts"), $("[data-testid=risk-state]"));

const topics: Topic[] = ["status", "books", "bars", "risk", "portfolio", "positions", "orders", "fills", "strategies", "signals",
  "performance", "alerts", "meta", "error"];
const live = new Live("/stream", topics);
live.start((up) => {
  const el = $("[data-testid=live]");
  setText(el, up ? "live" : "reconnecting…");
  el.className = up ? "live on" : "live";
});

const tokenForm = $("[data-testid=token-form]") as HTMLFormElement;
tokenForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("[data-testid=token-input]", tokenForm) as HTMLInputElement;
  setToken(input.value);
  input.value = ""; // the token lives in the API module's memory only
  setText($("[data-testid=token-state]"), hasToken() ? "token set" : "no token");
  toast(hasToken() ? "token set (in memory; reloading forgets it)" : "token cleared", "ok");
});

/** Measured in the page (benchmark + e2e): frames per second from requestAnimationFrame and events per second. */
const perf = { fps: 0, eventsPerS: 0, events: 0, frames: 0, renders: 0, renderMs: 0, since: performance.now(),
  meta: null as unknown, drops: 0, renderErrors: 0 };
(window as unknown as { __dash: typeof perf }).__dash = perf;
let windowStart = performance.now(), framesInWindow = 0, eventsAtWindow = 0;

/** The latest failure of each topic's route (e.g. a dead actor's 503), until that topic arrives again. */
const streamErrors = new Map<string, string>();

/** Run one panel update; a panel that throws (an unexpected shape) is reported and the others still render. */
function guarded(what: string, fn: () => void): boolean {
  try { fn(); } catch (err) { perf.renderErrors += 1; console.error(`render ${what}:`, err); }
  return true;
}

function render(): void {
  const L = live.latest;
  const t0 = performance.now();
  let did = false;
  const on = (topic: Topic, fn: () => void) => { if (live.take(topic) && L[topic]) did = guarded(topic, fn) || did; };
  on("books", () => market.books(L.books!, L.status));
  on("status", () => market.feeds(L.status!));
  on("bars", () => market.bars(L.bars!));
  on("strategies", () => { market.strategies(L.strategies!); trading.strategies(L.strategies!, L.signals); });
  on("signals", () => L.strategies && trading.strategies(L.strategies, L.signals));
  on("risk", () => risk.risk(L.risk!));
  on("portfolio", () => trading.portfolio(L.portfolio!, L.risk, market.lastEventNs, header));
  on("orders", () => trading.orders(L.orders!.orders ?? [], $("#orders"), $("#closed")));
  on("fills", () => trading.fills(L.fills!.fills ?? [], $("#fills")));
  on("positions", () => trading.positions(L.positions!.positions ?? [], $("#positions")));
  on("performance", () => trading.performance(L.performance!, $("#performance")));
  on("alerts", () => risk.alerts(L.alerts!.rows ?? []));
  if (live.take("error") && L.error) streamErrors.set(L.error.topic, `${L.error.status} ${L.error.detail}`);
  for (const t of [...streamErrors.keys()]) if (live.fresh.has(t as Topic)) streamErrors.delete(t);
  live.fresh.clear();
  setText($("[data-testid=stream-errors]"), [...streamErrors.values()].join(" · ").slice(0, 160));
  if (live.take("meta")) perf.meta = L.meta ?? null;
  if (did) {
    guarded("charts", () => { market.draw(); trading.draw(); });
    setText($("[data-testid=market-time]"), clock(market.lastEventNs));
    perf.renders += 1;
    perf.renderMs += performance.now() - t0;
  }
}

function frame(now: number): void {
  requestAnimationFrame(frame); // first: a failing render never stops the loop
  framesInWindow += 1;
  perf.frames += 1;
  if (now - windowStart >= 1000) {
    perf.fps = (framesInWindow * 1000) / (now - windowStart);
    perf.eventsPerS = ((live.received - eventsAtWindow) * 1000) / (now - windowStart);
    windowStart = now; framesInWindow = 0; eventsAtWindow = live.received;
    setText($("[data-testid=rate]"), `${perf.eventsPerS.toFixed(1)} ev/s · ${perf.fps.toFixed(0)} fps`);
  }
  perf.events = live.received;
  perf.drops = live.drops;
  render();
}
requestAnimationFrame(frame);
