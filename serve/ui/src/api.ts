// The HTTP client of the dashboard: the public API only (the same routes a script would use). The bearer token is
// kept in this module's memory only (never in storage, cookies or the URL): reloading the page forgets it.
import type { paths } from "./api/schema";

type Method = "get" | "post" | "patch" | "delete";
/** Routes of the OpenAPI document that accept `M` (so a typo in a path is a type error). */
type RouteFor<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, object> ? P : never }[keyof paths];

let token: string | null = null;

export function setToken(value: string | null): void {
  token = value && value.trim() ? value.trim() : null;
}

export function hasToken(): boolean {
  return token !== null;
}

export interface ApiResult<T> { ok: boolean; status: number; data: T | null; detail: string }

/** `route` with `{name}` placeholders filled from `params` (URI-encoded). */
export function fill(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ""));
}

export async function call<T, M extends Method>(
  method: M, route: RouteFor<M>, params: Record<string, string> = {}, body?: unknown, query = "",
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(fill(route, params) + query, {
      method: method.toUpperCase(), headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, status: 0, data: null, detail: `network error: ${String(err)}` };
  }
  let data: unknown = null;
  try { data = await res.json(); } catch { /* an empty or non-JSON body */ }
  const detail = res.ok ? "" : describe(res.status, data);
  return { ok: res.ok, status: res.status, data: res.ok ? (data as T) : null, detail };
}

/** FastAPI's error body (`{"detail": "..."}` or a 422 list of `{loc, msg}`) as one line. */
function describe(status: number, data: unknown): string {
  const d = (data as { detail?: unknown } | null)?.detail;
  let text: string;
  if (typeof d === "string") text = d;
  else if (Array.isArray(d)) text = d.map((e) => `${(e.loc ?? []).slice(1).join(".")}: ${e.msg}`).join("; ");
  else text = JSON.stringify(data);
  return `${status}${status === 401 ? " Unauthorized" : status === 422 ? " Invalid" : ""}: ${text}`;
}
