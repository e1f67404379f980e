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

  start(onState: (connected: boolean) => void): void {
    const es = new EventSource(this.url);
    es.onopen = () => { this.connected = true; onState(true); };
    es.onerror = () => { this.connected = false; onState(false); }; // EventSource reconnects by itself
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
