// Small DOM and formatting helpers (no framework: the page is a handful of live panels).

export function $(sel: string, root: ParentNode = document): HTMLElement {
  const found = root.querySelector<HTMLElement>(sel);
  if (!found) throw new Error(`no element ${sel}`);
  return found;
}

export function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (v: unknown): string => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

/** Replace `tbody`'s rows (cells are escaped unless given as `{html}`), only when they changed. */
export function rows(tbody: HTMLElement, data: (string | number | null | { html: string })[][], empty = "none"): void {
  const cols = tbody.closest("table")?.querySelectorAll("th").length ?? 1;
  const html = data.length
    ? data.map((r) => `<tr>${r.map((c) => `<td>${c !== null && typeof c === "object" ? c.html : esc(c)}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${cols}" class="muted">${esc(empty)}</td></tr>`;
  if (tbody.dataset.html !== html) { tbody.innerHTML = html; tbody.dataset.html = html; }
}

export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** An exact decimal string cut to `dp` decimals for display (no float rounding of the value itself). */
export function dec(v: string | null | undefined, dp = 2): string {
  if (v === null || v === undefined || v === "") return "–";
  const neg = v.startsWith("-");
  const [i, f = ""] = (neg ? v.slice(1) : v).split(".");
  const int = i.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = dp > 0 ? "." + (f + "0".repeat(dp)).slice(0, dp) : "";
  return (neg ? "-" : "") + int + frac;
}

export function signClass(v: string | number | null | undefined): string {
  const n = Number(v ?? 0);
  return n > 0 ? "pos" : n < 0 ? "neg" : "";
}

/** ns since the epoch -> HH:MM:SS.mmm (UTC). */
export function clock(ns: number | null | undefined): string {
  if (!ns) return "–";
  return new Date(ns / 1e6).toISOString().slice(11, 23);
}

export function badge(text: string, kind = text): string {
  return `<span class="badge b-${esc(kind)}">${esc(text)}</span>`;
}

let toastTimer = 0;
/** Show a message to the user (an API error, e.g. the 401 of a mutation without a token). */
export function toast(text: string, kind: "error" | "ok" = "error"): void {
  const box = $("#toast");
  box.textContent = text;
  box.className = `toast show ${kind}`;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (box.className = "toast"), kind === "error" ? 9000 : 3000);
}
