import type { Context, MiddlewareHandler } from "hono";
import { findUnstorable, unstorableReason, type FieldProblem } from "./text";

/** Longest query string we read (Node's own header limit is raised above it so we can answer with a reason). */
export const MAX_QUERY_BYTES = 16 * 1024;

const refuse = (c: Context, status: 400 | 414, p: FieldProblem) =>
  c.json({ error: status === 414 ? "too_long" : "validation_failed", message: `${p.field}: ${p.message}`, fields: [p] }, status);

/** What is wrong with a request's path and query, before any route reads them. */
export function urlProblem(url: string): { status: 400 | 414; problem: FieldProblem } | null {
  const q = url.indexOf("?");
  const query = q < 0 ? "" : url.slice(q + 1).replace(/#.*$/, "");
  if (Buffer.byteLength(query) > MAX_QUERY_BYTES)
    return { status: 414, problem: { field: "query", message: `is longer than ${MAX_QUERY_BYTES / 1024} KB` } };
  const pathname = new URL(url).pathname;
  const segments = pathname.split("/");
  for (let i = 0; i < segments.length; i++) {
    let seg: string;
    try {
      seg = decodeURIComponent(segments[i]);
    } catch {
      return { status: 400, problem: { field: "path", message: `segment ${i} is not valid percent-encoding` } };
    }
    const why = unstorableReason(seg);
    if (why) return { status: 400, problem: { field: "path", message: `segment ${i} ${why}` } };
  }
  for (const part of query ? query.split("&") : []) {
    const eq = part.indexOf("=");
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, " "));
      value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, " "));
    } catch {
      return { status: 400, problem: { field: "query", message: "is not valid percent-encoding" } };
    }
    const why = unstorableReason(key) ?? unstorableReason(value);
    if (why) return { status: 400, problem: { field: key && !unstorableReason(key) ? key : "query", message: why } };
  }
  return null;
}

/** Where JSON.parse gave up, without echoing the body (it may hold a PAT). */
export function jsonErrorText(text: string, e: Error): string {
  const pos = /at position (\d+)/.exec(e.message);
  if (!pos) return /end of JSON/i.test(e.message) ? "is not valid JSON: it ends too early" : "is not valid JSON";
  const before = text.slice(0, Number(pos[1]));
  const line = before.split("\n").length;
  return `is not valid JSON (line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
}

/** Refuses, naming the field, NUL or lone surrogates in the path or the query, and over-long query strings. */
export function refuseUnstorableUrl(): MiddlewareHandler {
  return async (c, next) => {
    const bad = urlProblem(c.req.url);
    if (bad) return refuse(c, bad.status, bad.problem);
    await next();
  };
}

/**
 * Refuses, naming the field, what no route could store in a JSON body: NUL or lone surrogates in any
 * string or key, too-deep nesting, and malformed JSON (400 `body`, rather than the framework's
 * field-less 400). Runs before the routes' own validation.
 */
export function refuseUnstorableBody(): MiddlewareHandler {
  return async (c, next) => {
    const type = (c.req.header("content-type") ?? "").toLowerCase();
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && /^application\/([\w.+-]*\+)?json\b/.test(type)) {
      // Cached by Hono: the route's validator reads the same text again.
      const text = await c.req.text();
      if (text.trim()) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (e) {
          return refuse(c, 400, { field: "body", message: jsonErrorText(text, e as Error) });
        }
        const p = findUnstorable(body);
        if (p) return refuse(c, 400, p);
      }
      // Route middleware (bodyLimit) reads the raw stream again: hand it an unread copy.
      c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers: c.req.raw.headers, body: text, signal: c.req.raw.signal });
    }
    await next();
  };
}
