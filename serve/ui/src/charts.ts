// Charts (uPlot, from the npm registry, bundled): a depth chart per instrument and time series over market time.
// Chart values are floats for drawing only; every number shown as text is the API's exact decimal string.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Bars, Book } from "./types";

export const COLORS = {
  bid: "#26a69a", ask: "#ef5350", text: "#c9d1d9", grid: "rgba(139,148,158,0.15)", axis: "#8b949e",
  series: ["#58a6ff", "#d2a8ff", "#f0883e", "#3fb950", "#ffa657"],
};

const axis = (extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
  stroke: COLORS.axis, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid, width: 1 },
  font: "11px ui-monospace, SFMono-Regular, Menlo, monospace", ...extra,
});

function fit(el: HTMLElement, plot: uPlot, height: number): void {
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height })).observe(el);
}

/** Cumulative size per price on both sides of the book (bids left of the mid, asks right). */
export class DepthChart {
  private plot: uPlot;

  constructor(el: HTMLElement, height = 170) {
    const stepped = uPlot.paths.stepped!({ align: 1 });
    this.plot = new uPlot({
      width: Math.max(200, el.clientWidth), height, legend: { show: false }, cursor: { y: false },
      scales: { x: { time: false } },
      axes: [axis({ values: (_u, v) => v.map((x) => x.toFixed(1)) }), axis({ size: 46 })],
      series: [
        {},
        { label: "bids", stroke: COLORS.bid, fill: "rgba(38,166,154,0.25)", width: 1.5, paths: stepped, points: { show: false } },
        { label: "asks", stroke: COLORS.ask, fill: "rgba(239,83,80,0.25)", width: 1.5, paths: stepped, points: { show: false } },
      ],
    }, [[], [], []], el);
    fit(el, this.plot, height);
  }

  update(book: Book): void {
    const xs: number[] = [], bids: (number | null)[] = [], asks: (number | null)[] = [];
    const cumBids: [number, number][] = [];
    let cum = 0;
    for (const lv of book.bids) { cum += Number(lv.size); cumBids.push([Number(lv.price), cum]); }
    for (const [p, c] of cumBids.reverse()) { xs.push(p); bids.push(c); asks.push(null); }
    cum = 0;
    for (const lv of book.asks) { cum += Number(lv.size); xs.push(Number(lv.price)); bids.push(null); asks.push(cum); }
    this.plot.setData([xs, bids, asks]);
  }
}

/** A jump of venue time this large starts the series afresh (e.g. a book rebuilt from a snapshot stamped with a
 * different clock after its recording ended) instead of squeezing both clocks onto one axis. */
const CLOCK_JUMP_S = 3600;

/** Series over market time (seconds), a bounded window of points; `push` only buffers, `draw` renders. */
export class TimeChart {
  private plot: uPlot;
  private data: number[][];
  private dirty = false;

  constructor(el: HTMLElement, labels: string[], opts: { height?: number; max?: number; fmt?: (v: number) => string;
    colors?: string[]; fill?: boolean; legend?: boolean; axisSize?: number } = {}) {
    const height = opts.height ?? 190;
    this.max = opts.max ?? 3000;
    const colors = opts.colors ?? COLORS.series;
    this.data = [[], ...labels.map(() => [])];
    this.plot = new uPlot({
      width: Math.max(200, el.clientWidth), height,
      legend: { show: opts.legend ?? true, live: true },
      scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 30, max + 1] : [min, max]) } },
      axes: [axis(), axis({ size: opts.axisSize ?? 60, values: (_u, v) => v.map((x) => (opts.fmt ? opts.fmt(x) : String(x))) })],
      series: [{ label: "time (UTC)", value: (_u, v) => (v == null ? "" : new Date(v * 1000).toISOString().slice(11, 19)) },
        ...labels.map((label, i) => ({
          label, stroke: colors[i % colors.length], width: 1.5, points: { show: false }, spanGaps: true,
          fill: opts.fill ? colors[i % colors.length] + "22" : undefined,
          value: (_u: uPlot, v: number | null) => (v == null ? "" : opts.fmt ? opts.fmt(v) : String(v)),
        }))],
    }, this.data as uPlot.AlignedData, el);
    fit(el, this.plot, height);
  }

  private max: number;

  push(x: number, ys: (number | null)[]): void {
    const xs = this.data[0];
    if (xs.length && Math.abs(x - xs[xs.length - 1]) > CLOCK_JUMP_S) this.data.forEach((s) => (s.length = 0)); // a new clock
    if (xs.length && x < xs[xs.length - 1]) return; // market time never goes back; ignore a late sample
    if (xs.length && x === xs[xs.length - 1]) {
      ys.forEach((y, i) => { if (y !== null) this.data[i + 1][xs.length - 1] = y; });
    } else {
      xs.push(x);
      ys.forEach((y, i) => this.data[i + 1].push(y as number));
      if (xs.length > this.max) this.data.forEach((s) => s.splice(0, s.length - this.max));
    }
    this.dirty = true;
  }

  draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  get points(): number { return this.data[0].length; }
}

/** 1-minute bars: the high-low range as a band and the close as a line, over venue time. */
export class BarChart {
  private plot: uPlot;

  constructor(el: HTMLElement, height = 110) {
    this.plot = new uPlot({
      width: Math.max(200, el.clientWidth), height, legend: { show: false },
      scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max]) } },
      axes: [axis(), axis({ size: 54, values: (_u, v) => v.map((x) => x.toFixed(0)) })],
      bands: [{ series: [1, 2], fill: "rgba(88,166,255,0.18)" }],
      series: [{},
        { label: "high", stroke: "rgba(88,166,255,0.5)", width: 1, points: { show: false } },
        { label: "low", stroke: "rgba(88,166,255,0.5)", width: 1, points: { show: false } },
        { label: "close", stroke: "#f0883e", width: 2, points: { show: true, size: 4 } }],
    }, [[], [], [], []], el);
    fit(el, this.plot, height);
  }

  update(bars: Bars): void {
    const bs = bars.bars.filter((b) => b.trades > 0);
    this.plot.setData([bs.map((b) => b.start / 1e9), bs.map((b) => Number(b.high)), bs.map((b) => Number(b.low)),
      bs.map((b) => Number(b.close))]);
  }
}
