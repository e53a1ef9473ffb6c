import { and, eq, gt, inArray, isNull, ne } from "drizzle-orm";
import { enqueueSync as enqueueBoards } from "../boards/links";
import type { AppDeps } from "../context";
import { boardsLinks, connections, jobs, reposLinks } from "../db/schema";
import { enqueueSync as enqueueRepos, resourceKeyOf as reposKey } from "../repos/service";
import { boardsResourceKey } from "../schemas/boards";
import { unref } from "../lib/timers";

/**
 * Service hooks make syncs fast, never correct: deliveries get lost while the backend is down and
 * Azure DevOps gives up on a failing subscription. So every live link (not archived, proceeded,
 * in an organization with an Active connection; links in Error included, which makes them retry
 * on their own) gets an incremental sync at start (catch-up) and then every `intervalMinutes`. An
 * incremental sync with nothing new is one revisions page (Boards) or one refs call (Repos).
 *
 * `skipRecentMs`: a link that had a job created that recently is left alone, so replicas ticking at
 * different times do not multiply the syncs. A running job is good enough (no follow-up is asked for).
 */
export async function syncLiveLinks(deps: AppDeps, reason: string, skipRecentMs = 0, onlyOrgId?: string): Promise<number> {
  const db = deps.database.db;
  const orgs = (
    await db
      .select({ orgId: connections.orgId })
      .from(connections)
      .where(and(eq(connections.status, "Active"), onlyOrgId ? eq(connections.orgId, onlyOrgId) : undefined))
  ).map((r) => r.orgId);
  if (orgs.length === 0) return 0;
  const boards = await db
    .select()
    .from(boardsLinks)
    .where(and(inArray(boardsLinks.orgId, orgs), eq(boardsLinks.archived, false), ne(boardsLinks.status, "Inactive")));
  const repos = await db
    .select()
    .from(reposLinks)
    .where(and(inArray(reposLinks.orgId, orgs), isNull(reposLinks.archivedAt), ne(reposLinks.status, "Inactive")));
  const recent = async (orgId: string, resourceKey: string) => {
    if (skipRecentMs <= 0) return false;
    const rows = await db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.orgId, orgId), eq(jobs.resourceKey, resourceKey), gt(jobs.createdAt, new Date(Date.now() - skipRecentMs))))
      .limit(1);
    return rows.length > 0;
  };
  let queued = 0;
  for (const l of boards) {
    if (await recent(l.orgId, boardsResourceKey(l.id))) continue;
    await enqueueBoards(deps, l.orgId, l, { reason, followUp: false });
    queued++;
  }
  for (const l of repos) {
    if (await recent(l.orgId, reposKey(l.id))) continue;
    await enqueueRepos(deps, l, reason, false, { followUp: false });
    queued++;
  }
  return queued;
}

/** Catch-up now, then the periodic safety net; returns a stopper. Failures (database away) are logged and retried next tick. */
export function startSafetyNet(deps: AppDeps): () => void {
  const run = (reason: string, skipRecentMs: number) =>
    syncLiveLinks(deps, reason, skipRecentMs).then(
      (n) => n && deps.log.info("safety-net syncs queued", { reason, links: n }),
      (e) => deps.log.warn("safety-net sync could not be queued", { reason, err: e }),
    );
  void run("catch-up", 0);
  const minutes = deps.config.syncIntervalMinutes;
  if (minutes <= 0) return () => undefined;
  const everyMs = minutes * 60_000;
  // Half the interval: a replica that synced a link recently spares the others a duplicate.
  const timer = setInterval(() => void run("periodic", everyMs / 2), everyMs);
  unref(timer);
  return () => clearInterval(timer);
}
