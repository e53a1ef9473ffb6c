import { isAdoError } from "../ado/errors";

/** Attempts of one job before it is recorded as failed (the first run included). */
export const MAX_ATTEMPTS = 5;

/** Backoff before attempt `attempt + 1`: 5 s, 20 s, 80 s, 5 min (+ up to 20% jitter). */
export function retryDelayMs(attempt: number): number {
  const base = Math.min(5_000 * 4 ** (attempt - 1), 300_000);
  return base + Math.floor(Math.random() * base * 0.2);
}

// Postgres error classes that say "the database was briefly unavailable or busy", not "your query is wrong".
// 08P01 (protocol violation: e.g. more than 65,535 bind parameters) is in the connection class but fails
// the same way every time.
const TRANSIENT_SQLSTATE = /^(08(?!P01)|53|57P0[1-3]|40001|40P01|55P03)/;
const TRANSIENT_NODE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);
const TRANSIENT_MESSAGES =
  /connection terminated|terminating connection|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error|database system is (starting up|shutting down)/i;

/**
 * Whether a failure may succeed on a later try without anyone changing anything: Azure DevOps
 * throttling, 5xx or a broken connection after the client's own retries, or a database that went
 * away (restart, failover). Walks the `cause` chain because handlers wrap errors with a reason.
 */
export function isTransient(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (isAdoError(c)) return c.kind === "throttled" || c.kind === "server" || c.kind === "unreachable";
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code))) return true;
    if (c instanceof Error && TRANSIENT_MESSAGES.test(c.message)) return true;
  }
  return false;
}

/** Whether a failure is the database being unreachable or out of connections (not Azure DevOps, not a bad query). */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) if (isAdoError(c)) return false;
  return isTransient(e);
}

/**
 * The text a user sees for a failure (job error, link status): Azure DevOps and product errors speak
 * for themselves; database errors and programming errors ("Failed query: select …", stack traces)
 * stay in the logs.
 */
export function userFacingError(e: unknown, jobId?: string): string {
  if (isInternal(e))
    return isTransient(e)
      ? "The backend lost a connection (database or network) while working; it retries on its own"
      : `The backend hit an internal error${jobId ? ` (job ${jobId})` : ""}; the details are in its logs`;
  return e instanceof Error ? e.message : String(e);
}

function isInternal(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (isAdoError(c)) return false;
    if (!(c instanceof Error)) continue;
    // pg's DatabaseError (severity + code), drizzle's query wrapper, and JS runtime errors.
    if ("severity" in c && "code" in c) return true;
    if (/^Failed query:/.test(c.message) || c.name === "DrizzleQueryError") return true;
    if (c instanceof TypeError || c instanceof ReferenceError || c instanceof RangeError || c instanceof SyntaxError) return true;
    if (TRANSIENT_MESSAGES.test(c.message)) return true;
  }
  return false;
}
