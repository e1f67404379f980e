// The live connection: one EventSource on GET /stream (server-side conflated; see serve/stream.py). Each event's
// data is a public GET route's JSON; the latest value of each topic is kept and marked dirty for the next frame.
import type { Topics } from "./types";

export type Topic = keyof Topics;

export class Live {
  latest: Partial<Topics> = {};
  dirty = new Set<Topic>();
  /** Topics that arrived since the page last cleared this (to retire their earlier errors). */
  fresh = new Set<Topic>();
  received = 0;
  connected = false;

  constructor(private url = "/stream", private topics: Topic[]) {}

  drops = 0;

  start(onState: (connected: boolean) => void): void {
    const es = new EventSource(this.url);
    es.onopen = () => { this.connected = true; onState(true); };
    es.onerror = () => {
      this.connected = false;
      this.drops += 1;
      onState(false);
      // EventSource retries a dropped connection by itself, but not after an HTTP error (e.g. a 503 while the API
      // replica restarts): then open a new one
      if (es.readyState === EventSource.CLOSED) window.setTimeout(() => this.start(onState), 2000);
    };
    for (const topic of this.topics) {
      es.addEventListener(topic, (ev) => {
        this.received += 1;
        (this.latest as Record<string, unknown>)[topic] = JSON.parse((ev as MessageEvent<string>).data);
        this.dirty.add(topic);
        this.fresh.add(topic);
      });
    }
  }

  take(topic: Topic): boolean {
    return this.dirty.delete(topic);
  }
}
