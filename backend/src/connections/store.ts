import { randomBytes } from "node:crypto";
import { ThrottleState } from "../ado/client";
import { parseOrganizationUrl, type OrgUrl } from "../ado/urls";
import type { AppDeps } from "../context";
import type { connections } from "../db/schema";
import { registerSecret } from "../log";

export type ConnectionRow = typeof connections.$inferSelect;

/** One throttle state per credential so concurrent jobs of an org slow down together. */
const throttles = new Map<string, ThrottleState>();
function throttleFor(key: string): ThrottleState {
  let t = throttles.get(key);
  if (!t) {
    if (throttles.size > 5000) throttles.clear();
    t = new ThrottleState();
    throttles.set(key, t);
  }
  return t;
}

export function clientOptions(deps: AppDeps, org: OrgUrl, pat: string, throttleKey?: string, extra: { maxRetries?: number } = {}) {
  return {
    org,
    auth: { type: "pat" as const, pat },
    ...deps.ado,
    logger: deps.log,
    ...(throttleKey ? { throttle: throttleFor(throttleKey) } : {}),
    ...extra,
  };
}

export function orgUrlOf(row: Pick<ConnectionRow, "organizationUrl">): OrgUrl {
  // Validated (with the operator's host allowlist) when saved; the client's SSRF guard still checks at call time.
  const parsed = parseOrganizationUrl(row.organizationUrl, [new URL(row.organizationUrl).hostname.toLowerCase()]);
  if (!parsed.ok) throw new Error(`stored organization URL is invalid: ${parsed.reason}`);
  return parsed.value;
}

export function openPat(deps: AppDeps, row: Pick<ConnectionRow, "id" | "patSealed">): string {
  const pat = deps.secrets.decrypt(row.patSealed, `pat:${row.id}`);
  registerSecret(pat);
  return pat;
}

export function openHookSecret(deps: AppDeps, row: Pick<ConnectionRow, "id" | "hookSecretSealed">): string {
  return deps.secrets.decrypt(row.hookSecretSealed, `hook:${row.id}`);
}

export const newHookSecret = () => randomBytes(24).toString("base64url");
