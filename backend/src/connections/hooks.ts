import { scrubSecrets } from "../lib/scrub";
import { and, eq, inArray } from "drizzle-orm";
import { AdoClient } from "../ado/client";
import { createWebhookSubscription, deleteWebhookSubscription, listWebhookSubscriptions } from "../ado/endpoints";
import { AdoError } from "../ado/errors";
import type { AppDeps } from "../context";
import { registerSecret } from "../log";
import { connectionHooks, connections } from "../db/schema";
import { clientOptions, newHookSecret, orgUrlOf, type ConnectionRow } from "./store";

/** What we subscribe to: work item changes for Boards links, pushes for Repos links. */
export const HOOK_EVENTS = ["workitem.created", "workitem.updated", "workitem.deleted", "workitem.restored", "git.push"] as const;

/** Azure DevOps authenticates its deliveries with this user name and the connection's secret. */
export const HOOK_USER = "testops";

export const hookUrl = (deps: AppDeps, connectionId: string) => `${deps.config.publicUrl}/hooks/ado/${connectionId}`;

/**
 * Azure DevOps Services delivers only to public addresses, and basic auth only over https
 * (docs/ado-fidelity.md); when our receiver URL is neither, say what to change.
 */
export function targetAdvice(url: string | undefined): string {
  if (!url) return "";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "";
  }
  const local =
    /^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|\[)/i.test(u.hostname) || u.hostname.endsWith(".localhost");
  if (!local && u.protocol === "https:") return "";
  return `. TestOps receives service hooks at ${u.origin} (PUBLIC_URL), which Azure DevOps Services cannot use: it delivers only to a public https address. Set PUBLIC_URL to the backend's public https URL (for local development, a tunnel to it)`;
}

function reasonOf(e: unknown, eventType?: string, url?: string): string {
  if (!(e instanceof AdoError)) return (e as Error)?.message ?? String(e);
  switch (e.kind) {
    case "missing_scope":
      return eventType === "git.push"
        ? "the PAT lacks the Code (Read) scope, vso.code"
        : "the PAT lacks the Work Items (Read) scope, vso.work";
    case "forbidden":
      return "the PAT's owner lacks the Edit subscriptions permission (Project Collection Administrators have it)";
    case "bad_request":
      return `Azure DevOps refused the subscription: ${e.details.adoMessage ?? e.message}${targetAdvice(url)}`;
    default:
      return e.message;
  }
}

async function setHooksError(deps: AppDeps, id: string, error: string | null) {
  await deps.database.db
    .update(connections)
    .set({ hooksError: error === null ? null : scrubSecrets(error) })
    .where(eq(connections.id, id));
}

/**
 * (Re)creates the connection's service hooks: org-wide subscriptions (no project filter, so projects
 * created later are covered too) pointing at our receiver with a fresh basic-auth secret. Leftovers of
 * earlier attempts are deleted first so deliveries are never doubled. A failure does not undo the
 * connection: it is recorded (hooksError) and syncs still pick changes up when they run.
 */
export async function ensureHooks(deps: AppDeps, row: ConnectionRow, pat: string): Promise<{ created: number; error: string | null }> {
  const client = new AdoClient(clientOptions(deps, orgUrlOf(row), pat, row.id));
  const url = hookUrl(deps, row.id);
  await deleteTracked(deps, client, row.id, url).catch(() => undefined);

  const secret = newHookSecret();
  registerSecret(secret);
  await deps.database.db
    .update(connections)
    .set({ hookSecretSealed: deps.secrets.encrypt(secret, `hook:${row.id}`) })
    .where(eq(connections.id, row.id));
  let created = 0;
  for (const eventType of HOOK_EVENTS) {
    try {
      const sub = await createWebhookSubscription(client, { eventType, url, basicAuthUsername: HOOK_USER, basicAuthPassword: secret });
      if (!sub?.id) throw new Error("Azure DevOps did not return the subscription id");
      // Azure DevOps answers with the new subscription's status (enabled): the hub shows it until the next check.
      await deps.database.db
        .insert(connectionHooks)
        .values({ connectionId: row.id, subscriptionId: sub.id, eventType, status: sub.status ?? "enabled", checkedAt: new Date() });
      created++;
    } catch (e) {
      const error = `Service hooks could not be set up for ${eventType} (${reasonOf(e, eventType, url)}); changes in Azure DevOps reach TestOps at the next sync instead of right away`;
      deps.log.warn("service hook setup failed", { connectionId: row.id, eventType, error });
      await setHooksError(deps, row.id, error);
      return { created, error };
    }
  }
  await setHooksError(deps, row.id, null);
  return { created, error: null };
}

/** Deletes the subscriptions we track, plus any other subscription aimed at this connection's receiver URL. */
async function deleteTracked(deps: AppDeps, client: AdoClient, connectionId: string, url: string): Promise<number> {
  const tracked = await deps.database.db
    .select({ id: connectionHooks.subscriptionId })
    .from(connectionHooks)
    .where(eq(connectionHooks.connectionId, connectionId));
  const ids = new Set(tracked.map((t) => t.id));
  try {
    for (const s of await listWebhookSubscriptions(client, url)) if (s.id && s.consumerInputs?.url === url) ids.add(s.id);
  } catch (e) {
    // Listing is a convenience for orphans; the tracked ids are still deleted below.
    if (ids.size === 0) throw e;
  }
  let removed = 0;
  for (const id of ids) {
    await deleteWebhookSubscription(client, id);
    await deps.database.db
      .delete(connectionHooks)
      .where(and(eq(connectionHooks.connectionId, connectionId), inArray(connectionHooks.subscriptionId, [id])));
    removed++;
  }
  return removed;
}

/** Disconnect: removes the hooks from Azure DevOps. A failure is recorded; deliveries to an Inactive connection are refused anyway. */
export async function removeHooks(
  deps: AppDeps,
  row: ConnectionRow,
  pat: () => string,
): Promise<{ removed: number; error: string | null }> {
  let removed = 0;
  try {
    const client = new AdoClient(clientOptions(deps, orgUrlOf(row), pat(), row.id));
    removed = await deleteTracked(deps, client, row.id, hookUrl(deps, row.id));
    await setHooksError(deps, row.id, null);
    return { removed, error: null };
  } catch (e) {
    const left = await deps.database.db
      .select({ id: connectionHooks.subscriptionId })
      .from(connectionHooks)
      .where(eq(connectionHooks.connectionId, row.id));
    const error = `${left.length} service hook(s) could not be removed from Azure DevOps (${reasonOf(e)}); their deliveries are refused while the connection is disconnected, and they are removed on reconnect`;
    deps.log.warn("service hook removal failed", { connectionId: row.id, error });
    await setHooksError(deps, row.id, error);
    return { removed, error };
  }
}
