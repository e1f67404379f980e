// Shapes of the API routes that return free-form JSON objects (their OpenAPI schema is `object`), as the handlers
// in serve/app.py, serve/trading.py and the actors behind them build them. Routes with a pydantic response model
// are typed from the generated OpenAPI types instead (src/api/schema.d.ts, `npm run gen`).
import type { components } from "./api/schema";

export type Schemas = components["schemas"];
export type Book = Schemas["BookResponse"];
export type Bars = Schemas["BarsResponse"];
export type IntentResult = Schemas["IntentResult"];
export type StrategyPatch = Schemas["StrategyPatch"];
export type KillRequest = Schemas["KillRequest"];

export interface InstrumentFeedState {
  frames: number; state: string; ready: boolean; last_sequence: number; diffs_applied: number;
  diffs_dropped_stale: number; gaps: number; resyncs: number; snapshots: number; crossed: number; buffered: number;
}
export interface FeedStatus {
  role: string; state: string; restarts: number; deaths: number; circuit: string; feed_id: string; venue: string;
  connected: boolean; connects: number; reconnects: number; stale_disconnects: number; frames: number;
  last_frame_age_ms: number | null; last_error: string | null; malformed: number; unsupported: number;
  snapshot_failures: number; instruments: Record<string, InstrumentFeedState>; failed_reason: string | null;
}
export interface BookInstrumentStatus {
  ready: boolean; best_bid: string | null; best_ask: string | null; last_update_age_ms: number | null;
  bid_levels: number; ask_levels: number; ticker_mismatches: number; crossed: number; trades: number;
}
export interface Status {
  feeds: Record<string, FeedStatus>;
  books: Record<string, { name: string; instruments: Record<string, BookInstrumentStatus> }>;
  [role: string]: unknown;
}
export interface BasisStat { samples: number; mean: string | null; min: string | null; max: string | null; last: string | null }
export interface Strategy {
  strategy_id: string; kind: string; name: string; mode: string; state: string; instruments: string[];
  params: Record<string, unknown>; orders: number; fills: number; signals: number; open_orders: number;
  rejections: Record<string, number>; errors: number; last_error: string | null; allocated_capital: string;
  basis?: Record<string, BasisStat>;
}
export interface Strategies { strategies: Strategy[]; kinds: string[] }
export interface Order {
  client_order_id: string; strategy_id: string; instrument_id: string; side: string; order_type: string;
  time_in_force: string; size: string; price: string | null; status: string; filled: string; remaining: string;
  avg_fill_price: string | null; reason: string; ts_created: number; ts_updated: number; tag: string;
}
export interface Fill {
  fill_id: string; client_order_id: string; strategy_id: string; instrument_id: string; side: string; price: string;
  size: string; liquidity: string; fee: string; fee_currency: string; ts_event: number;
}
export interface Position {
  strategy_id: string; instrument_id: string; size: number; size_decimals: number; avg_entry_price: string;
  realized_pnl: string; unrealized_pnl: string; fees: string; pnl_currency: string; status: string;
}
export interface Portfolio {
  equity_usd: string; balances: Record<string, string>; realized: string; unrealized: string; fees: string;
  net: string; positions: number; open_orders: number;
}
export interface RiskEvent {
  ts_event: number; kind: string; reason: string; strategy_id: string; client_order_id: string; detail: string;
  state: string;
}
export interface Risk {
  state: string;
  limits: Record<string, unknown>;
  usage: Record<string, string | number | boolean | null> & { last_ts?: number; halt_reason?: string };
  approvals: Record<string, number>;
  rejections: Record<string, Record<string, number>>;
  recent_events: RiskEvent[];
}
export interface Perf {
  pnl: { realized: string; unrealized: string; fees: string; net: string; volume: string };
  performance: Record<string, string | number | null>;
  equity_usd: string;
}
export interface Performance { total: Perf; strategies: Record<string, Perf> }
export interface Signal {
  strategy_id: string; instrument_id: string; action: string; strength: number; ts_event: number; reasoning: string;
  entry: string | null; size: string | null;
}
export interface AlertRow {
  row_key: string; severity: string; source: string; message: string; acknowledged: boolean | number; ts: number;
}
export interface StreamMeta {
  ticks: number; published: number; sent: number; bytes_sent: number; conflated: number; errors: number;
  subscribers: number; interval_ms: number; uptime_s: number;
}
export interface StreamError { topic: string; status: number; detail: string }

export interface Topics {
  status: Status; books: Record<string, Book>; bars: Record<string, Bars>; risk: Risk; portfolio: Portfolio; positions: { positions: Position[] };
  orders: { orders: Order[] }; fills: { fills: Fill[] }; strategies: Strategies; signals: Record<string, Signal[]>;
  performance: Performance; alerts: { rows: AlertRow[]; total: number }; meta: StreamMeta; error: StreamError;
}
