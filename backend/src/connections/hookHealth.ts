import { and, eq, isNull, lt, or } from "drizzle-orm";
import { AdoClient } from "../ado/client";
import { AdoError, isAdoError } from "../ado/errors";
import type { AppDeps } from "../context";
import { connectionHooks, connections } from "../db/schema";
import { syncLiveLinks } from "../sync/safetynet";
import { ensureHooks, HOOK_EVENTS } from "./hooks";
import { clientOptions, openPat, orgUrlOf, type ConnectionRow } from "./store";
import { unref } from "../lib/timers";

/** One subscription as the org hub shows it. */
export interface HookHealth {
  eventType: string;
  subscriptionId: string;
  /** Azure DevOps' status (enabled, onProbation, disabledBySystem, disabledByUser, ...), "missing", or null before the first check. */
  status: string | null;
  checkedAt: string | null;
  lastDeliveryAt: string | null;
  lastAction: string | null;
  lastActionAt: string | null;
}

export interface HookCheck {
  connectionId: string;
  hooks: HookHealth[];
  /** Why the check itself could not be done (Azure DevOps unreachable, PAT rejected), else null. */
  error: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function hookHealth(deps: AppDeps, connectionId: string): Promise<HookHealth[]> {
  const rows = await deps.database.db.select().from(connectionHooks).where(eq(connectionHooks.connectionId, connectionId));
  return rows
    .map((r) => ({
      eventType: r.eventType,
      subscriptionId: r.subscriptionId,
      status: r.status,
      checkedAt: iso(r.checkedAt),
      lastDeliveryAt: iso(r.lastDeliveryAt),
      lastAction: r.lastAction,
      lastActionAt: iso(r.lastActionAt),
    }))
    .sort((a, b) => HOOK_EVENTS.indexOf(a.eventType as never) - HOOK_EVENTS.indexOf(b.eventType as never));
}

/**
 * Reads each tracked subscription's status from Azure DevOps. Any subscription that is not
 * `enabled` (Azure DevOps put it on probation or disabled it after failed deliveries, a user
 * disabled or deleted it) makes the backend recreate the connection's subscriptions, and queue a
 * catch-up sync of the organization's live links for the deliveries that were lost meanwhile.
 */
export async function checkHooks(deps: AppDeps, row: ConnectionRow): Promise<HookCheck> {
  if (row.status !== "Active") return { connectionId: row.id, hooks: await hookHealth(deps, row.id), error: null };
  const db = deps.database.db;
  const pat = openPat(deps, row);
  const client = new AdoClient(clientOptions(deps, orgUrlOf(row), pat, row.id, { maxRetries: 2 }));
  const tracked = await db.select().from(connectionHooks).where(eq(connectionHooks.connectionId, row.id));
  const now = new Date();
  const broken: string[] = [];
  try {
    for (const h of tracked) {
      let status: string;
      try {
        const sub = await client.get<{ status?: string }>(`_apis/hooks/subscriptions/${encodeURIComponent(h.subscriptionId)}`);
        status = sub?.status ?? "unknown";
      } catch (e) {
        if (!isAdoError(e, "not_found")) throw e;
        status = "missing";
      }
      await db
        .update(connectionHooks)
        .set({ status, checkedAt: now })
        .where(and(eq(connectionHooks.connectionId, row.id), eq(connectionHooks.subscriptionId, h.subscriptionId)));
      if (status !== "enabled") broken.push(`${h.eventType} ${status}`);
    }
  } catch (e) {
    const error = `Could not read the service hooks from Azure DevOps: ${e instanceof AdoError ? e.message : "unexpected error"}`;
    deps.log.warn("service hook check failed", { connectionId: row.id, err: e });
    return { connectionId: row.id, hooks: await hookHealth(deps, row.id), error };
  }
  const missingKinds = HOOK_EVENTS.filter((t) => !tracked.some((h) => h.eventType === t));
  if (broken.length === 0 && missingKinds.length === 0) return { connectionId: row.id, hooks: await hookHealth(deps, row.id), error: null };

  // Replicas check on their own timers: the first to mark the rows repairs, the others leave it for 2 minutes.
  if (tracked.length) {
    const claimed = await db
      .update(connectionHooks)
      .set({ lastActionAt: now })
      .where(
        and(
          eq(connectionHooks.connectionId, row.id),
          or(isNull(connectionHooks.lastActionAt), lt(connectionHooks.lastActionAt, new Date(now.getTime() - 120_000))),
        ),
      )
      .returning({ id: connectionHooks.subscriptionId });
    if (claimed.length === 0) return { connectionId: row.id, hooks: await hookHealth(deps, row.id), error: null };
  }
  const why = [...broken, ...missingKinds.map((t) => `${t} not set up`)].join(", ");
  deps.log.warn("repairing service hooks", { connectionId: row.id, why });
  const lastDelivery = new Map(tracked.map((h) => [h.eventType, h.lastDeliveryAt]));
  const result = await ensureHooks(deps, row, pat);
  const action = result.error
    ? `Tried to recreate the subscriptions (${why}) but failed: ${result.error}`
    : `Recreated the subscriptions (${why}) and queued a catch-up sync of the linked projects`;
  for (const h of await db.select().from(connectionHooks).where(eq(connectionHooks.connectionId, row.id)))
    await db
      .update(connectionHooks)
      .set({
        status: "enabled",
        checkedAt: now,
        lastAction: action,
        lastActionAt: now,
        lastDeliveryAt: lastDelivery.get(h.eventType) ?? null,
      })
      .where(and(eq(connectionHooks.connectionId, row.id), eq(connectionHooks.subscriptionId, h.subscriptionId)));
  // Deliveries that failed while the hooks were broken are not replayed: a sync covers them.
  await syncLiveLinks(deps, "hooks-repaired", 0, row.orgId);
  return { connectionId: row.id, hooks: await hookHealth(deps, row.id), error: result.error };
}

/** Checks every Active connection of an organization (the hub's refresh) or of all organizations (the timer). */
export async function checkAllHooks(deps: AppDeps, orgId?: string): Promise<HookCheck[]> {
  const rows = await deps.database.db
    .select()
    .from(connections)
    .where(and(eq(connections.status, "Active"), orgId ? eq(connections.orgId, orgId) : undefined));
  const out: HookCheck[] = [];
  for (const row of rows) out.push(await checkHooks(deps, row));
  return out;
}

/** The receiver saw a delivery of this event type for this connection. */
export async function recordDelivery(deps: AppDeps, connectionId: string, eventType: string): Promise<void> {
  await deps.database.db
    .update(connectionHooks)
    .set({ lastDeliveryAt: new Date() })
    .where(and(eq(connectionHooks.connectionId, connectionId), eq(connectionHooks.eventType, eventType)));
}

/** Periodic check (HOOK_CHECK_MINUTES); returns a stopper. Every replica checks; a repair is idempotent. */
export function startHookChecks(deps: AppDeps): () => void {
  const minutes = deps.config.hookCheckMinutes;
  if (minutes <= 0) return () => undefined;
  const timer = setInterval(
    () => void checkAllHooks(deps).catch((e) => deps.log.warn("service hook check could not run", { err: e })),
    minutes * 60_000,
  );
  unref(timer);
  return () => clearInterval(timer);
}
