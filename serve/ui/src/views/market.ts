// Market panels: one card per instrument (top of book, spread, depth chart, mid over time), basis between venues
// over time, and the feeds' health table.
import { BarChart, DepthChart, TimeChart } from "../charts";
import { $, badge, clock, dec, esc, h, rows, setText } from "../dom";
import type { Bars, Book, Status, Strategies } from "../types";

interface Card { root: HTMLElement; depth: DepthChart; mid: TimeChart; bars: BarChart }

export class MarketView {
  private cards = new Map<string, Card>();
  private basis: TimeChart | null = null;
  private basisKeys: string[] = [];
  lastEventNs = 0;
  private eventNs = new Map<string, number>();

  constructor(private grid: HTMLElement, private basisEl: HTMLElement, private feedsBody: HTMLElement) {}

  books(books: Record<string, Book>, status: Status | undefined): void {
    for (const [iid, book] of Object.entries(books)) {
      const card = this.cards.get(iid) ?? this.card(iid);
      const bid = book.bids[0], ask = book.asks[0];
      const bookStatus = status ? Object.values(status.books).find((b) => iid in b.instruments)?.instruments[iid] : undefined;
      setText($(".bid", card.root), bid ? dec(bid.price, 2) : "–");
      setText($(".ask", card.root), ask ? dec(ask.price, 2) : "–");
      setText($(".bidsz", card.root), bid ? dec(bid.size, 4) : "");
      setText($(".asksz", card.root), ask ? dec(ask.size, 4) : "");
      if (bid && ask) {
        const spread = Number(ask.price) - Number(bid.price);
        const mid = (Number(ask.price) + Number(bid.price)) / 2;
        setText($(".spread", card.root), `${spread.toFixed(2)} (${((spread / mid) * 1e4).toFixed(2)} bp)`);
        if (book.ts_event > 0) card.mid.push(book.ts_event / 1e9, [mid]);
      }
      if (book.ts_event > 0) this.eventNs.set(iid, book.ts_event);
      if (book.ts_event > this.lastEventNs) this.lastEventNs = book.ts_event;
      $(".ready", card.root).innerHTML = book.ready ? badge("ready") : badge("not ready", "halted");
      const age = bookStatus?.last_update_age_ms;
      setText($(".age", card.root), age == null ? "–" : `${Math.round(age)} ms`);
      setText($(".seq", card.root), String(book.sequence));
      setText($(".evt", card.root), clock(book.ts_event));
      card.depth.update(book);
    }
  }

  private card(iid: string): Card {
    const root = h("section", { class: "card instrument", "data-testid": `book-${iid}` });
    root.innerHTML = `
      <header><h2>${esc(iid)}</h2><span class="ready"></span></header>
      <div class="tob">
        <div><label>bid</label><b class="bid pos" data-testid="bid-${esc(iid)}"></b><small class="bidsz"></small></div>
        <div><label>ask</label><b class="ask neg" data-testid="ask-${esc(iid)}"></b><small class="asksz"></small></div>
        <div><label>spread</label><b class="spread"></b></div>
      </div>
      <div class="kv"><span>book age <b class="age"></b></span><span>sequence <b class="seq"></b></span>
        <span>venue time <b class="evt"></b></span></div>
      <div class="depth"></div><h4>mid</h4><div class="midchart"></div>
      <h4>1m bars <small class="barinfo"></small></h4><div class="barchart"></div>`;
    this.grid.append(root);
    const card = {
      root,
      depth: new DepthChart($(".depth", root)),
      mid: new TimeChart($(".midchart", root), ["mid"], { height: 110, fmt: (v) => v.toFixed(0), legend: false, axisSize: 54 }),
      bars: new BarChart($(".barchart", root)),
    };
    this.cards.set(iid, card);
    return card;
  }

  /** 1m bars of each instrument (GET /bars); the last one is the open bar. */
  bars(all: Record<string, Bars>): void {
    for (const [iid, bars] of Object.entries(all)) {
      const card = this.cards.get(iid);
      if (!card) continue;
      card.bars.update(bars);
      const last = bars.bars[bars.bars.length - 1];
      setText($(".barinfo", card.root), last ? `${bars.bars.length} bars · last O ${dec(last.open, 2)} H ${dec(last.high, 2)} ` +
        `L ${dec(last.low, 2)} C ${dec(last.close, 2)} · ${last.trades} trades` : "no trades yet");
    }
  }

  /** Basis (spot mid − perp mid, as-of joined on venue time by the basis monitor) at the latest venue time. */
  strategies(s: Strategies): void {
    const list = (s.strategies ?? []).filter((x) => x.strategy_id);
    const monitor = list.find((x) => x.kind === "basis_monitor") ?? list.find((x) => x.basis);
    if (!monitor?.basis) return;
    const keys = Object.keys(monitor.basis).sort();
    const spotNs = this.eventNs.get(keys[0]?.split(" - ")[0] ?? "") ?? 0; // the spot leg's venue time
    if (!spotNs) return;
    if (!this.basis) {
      this.basisKeys = keys;
      this.basis = new TimeChart(this.basisEl, keys.map((k) => k.replace(/\.BINANCE\w*/g, (m) => m.replace(".", " ")).replace(/ BINANCE_?/g, " ")),
        { height: 210, fmt: (v) => v.toFixed(2) });
    }
    this.basis.push(spotNs / 1e9, this.basisKeys.map((k) => {
      const last = monitor.basis?.[k]?.last;
      return last == null ? null : Number(last);
    }));
  }

  feeds(status: Status): void {
    const data = Object.values(status.feeds).flatMap((f) => {
      const insts = Object.entries(f.instruments ?? {});
      return (insts.length ? insts : [["", undefined] as const]).map(([iid, s]) => {
        const bookAge = Object.values(status.books).find((b) => iid in b.instruments)?.instruments[iid]?.last_update_age_ms;
        return [
          { html: `<b>${esc(f.feed_id)}</b>` }, iid,
          { html: badge(f.state, f.state) + " " + (s ? (s.ready ? badge("ready") : badge(s.state, "halted")) : "") },
          { html: badge(f.circuit, f.circuit === "closed" ? "ready" : "halted") },
          s?.gaps ?? 0, s?.resyncs ?? 0, f.reconnects, f.malformed + f.unsupported + (s?.crossed ?? 0),
          f.snapshot_failures, f.restarts,
          bookAge == null ? "–" : `${Math.round(bookAge)} ms`,
          f.last_frame_age_ms == null ? "–" : `${Math.round(f.last_frame_age_ms)} ms`, f.frames.toLocaleString(),
        ];
      });
    });
    rows(this.feedsBody, data, "no feeds");
  }

  draw(): void {
    for (const c of this.cards.values()) c.mid.draw();
    this.basis?.draw();
  }
}
