import { randomBytes } from "node:crypto";
import { ThrottleState } from "../ado/client";
import { storedOrgUrl, type OrgUrl } from "../ado/urls";
import type { AppDeps } from "../context";
import { and, eq } from "drizzle-orm";
import { connections } from "../db/schema";
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
  return storedOrgUrl(row.organizationUrl);
}

/** A stored secret that cannot be opened: its key is no longer configured, or the envelope was altered. */
export class SealedSecretError extends Error {
  constructor(readonly what: "PAT" | "service hook secret") {
    super(
      `The stored ${what} cannot be decrypted (its encryption key is no longer configured, or the stored value was damaged): edit the connection and enter the PAT again`,
    );
    this.name = "SealedSecretError";
  }
}

export function openPat(deps: AppDeps, row: Pick<ConnectionRow, "id" | "patSealed">): string {
  let pat: string;
  try {
    pat = deps.secrets.decrypt(row.patSealed, `pat:${row.id}`);
  } catch {
    // Never fall back to whatever bytes came out: no garbage credential is ever sent.
    throw new SealedSecretError("PAT");
  }
  registerSecret(pat);
  return pat;
}

/** The hook secret, or null when it cannot be opened (the receiver then answers 401 like a wrong secret). */
export function openHookSecret(deps: AppDeps, row: Pick<ConnectionRow, "id" | "hookSecretSealed">): string | null {
  try {
    const secret = deps.secrets.decrypt(row.hookSecretSealed, `hook:${row.id}`);
    registerSecret(secret);
    return secret;
  } catch {
    return null;
  }
}

/**
 * After a key rotation (a new key first in ENCRYPTION_KEY), re-seals every stored secret under the
 * current key so that the old key can be removed. Secrets that cannot be opened put their connection
 * in Error with the reason (never a 500 later, never a garbage credential). Idempotent; runs at start.
 */
export async function resealSecrets(deps: AppDeps): Promise<{ resealed: number; broken: number }> {
  const rows = await deps.database.db.select().from(connections);
  let resealed = 0;
  let broken = 0;
  const current = (sealed: string) => {
    try {
      return deps.secrets.keyIdOf(sealed) === deps.secrets.currentKeyId;
    } catch {
      return false;
    }
  };
  for (const row of rows) {
    if (current(row.patSealed) && current(row.hookSecretSealed)) continue;
    const set: Partial<ConnectionRow> = {};
    let patOk = true;
    try {
      set.patSealed = deps.secrets.encrypt(openPat(deps, row), `pat:${row.id}`);
    } catch (e) {
      if (!(e instanceof SealedSecretError)) throw e;
      patOk = false;
    }
    const hook = openHookSecret(deps, row);
    // A hook secret that cannot be opened is replaced; the hooks get it at the next reconnect or PAT change.
    set.hookSecretSealed = deps.secrets.encrypt(hook ?? newHookSecret(), `hook:${row.id}`);
    if (!patOk && row.status !== "Inactive") {
      set.status = "Error";
      set.statusReason = new SealedSecretError("PAT").message;
      set.statusChangedAt = new Date();
    }
    if (!patOk) broken++;
    else resealed++;
    // Only if nobody changed the secrets meanwhile (an admin's new PAT must not be overwritten).
    await deps.database.db
      .update(connections)
      .set(set)
      .where(
        and(eq(connections.id, row.id), eq(connections.patSealed, row.patSealed), eq(connections.hookSecretSealed, row.hookSecretSealed)),
      );
  }
  return { resealed, broken };
}

export const newHookSecret = () => randomBytes(24).toString("base64url");
