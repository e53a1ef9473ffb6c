import { and, eq, ne } from "drizzle-orm";
import { isAdoError } from "../ado/errors";
import type { AppDeps } from "../context";
import { boardsLinks } from "../db/schema";
import { onAdoEvent, type AdoEvent } from "../hooks/dispatch";
import { JobCancelled } from "../jobs";
import { userFacingError } from "../jobs/transient";
import { ApiError } from "../lib/errors";
import { BOARDS_SYNC_JOB } from "../schemas/boards";
import { boardsConnection, reportConnectionFailure } from "./ado";
import { recordSyncFailure, syncLink } from "./engine";
import { enqueueSync, loadLink } from "./links";
import { readTestedByLinks } from "../trace/requirements";

/** A reason a project admin can act on, for the link status and the failed job. */
export function failureReason(e: unknown): string {
  if (isAdoError(e)) {
    switch (e.kind) {
      case "bad_credentials":
        return "Azure DevOps rejected the connection's PAT (expired or revoked); update the organization connection";
      case "missing_scope":
        return `The connection's PAT lacks a scope Boards needs: ${e.message}`;
      case "forbidden":
        return `Azure DevOps denied access: ${e.message}`;
      case "not_found":
        return `Not found in Azure DevOps (was the project, team or iteration deleted?): ${e.message}`;
      case "throttled":
        return "Azure DevOps kept throttling the sync; it will catch up on the next run";
      default:
        return e.message;
    }
  }
  if (e instanceof ApiError) return e.message;
  return userFacingError(e);
}

let hooked = false;

/** Registers the Boards sync job kind and the service-hook trigger. */
export function registerBoardsJobs(deps: AppDeps): void {
  deps.jobs.register<{ linkId: string; full?: boolean; pageSize?: number; iterations?: boolean; scope?: boolean; relations?: boolean }>(
    BOARDS_SYNC_JOB,
    async ({ orgId, payload, signal, progress, willRetry }) => {
      const link = await loadLink(deps, orgId, payload.linkId);
      if (link.archived) throw new JobCancelled();
      let conn: Awaited<ReturnType<typeof boardsConnection>>;
      try {
        conn = await boardsConnection(deps, orgId);
      } catch (e) {
        const reason = failureReason(e);
        // A transient fault is retried by the queue; the link shows Error only once it gives up.
        if (!willRetry(e)) await recordSyncFailure(deps, link, reason);
        throw new Error(reason, { cause: e });
      }
      try {
        const summary = await syncLink(deps, conn.client, link, {
          full: payload.full,
          signal,
          progress,
          pageSize: payload.pageSize,
          // Jobs queued before these flags existed re-read both.
          iterations: payload.iterations !== false,
          scope: payload.scope !== false,
        });
        // Traceability (issue 17): the Tested By links of the requirements this sync changed, unless the
        // hooks that caused it said no links changed (an edit of fields costs the revisions page only).
        const testedBy = payload.relations !== false ? await readTestedByLinks(deps, conn.client, link, signal) : { read: 0, links: 0 };
        return { ...summary, testedBy } as unknown as Record<string, unknown>;
      } catch (e) {
        // Stopped or cancelled: not a failure; a restart resumes from the stored token.
        if (signal.aborted || e instanceof JobCancelled) throw e;
        if (isAdoError(e, "bad_credentials")) await reportConnectionFailure(deps, conn, e);
        const reason = failureReason(e);
        if (!willRetry(e)) await recordSyncFailure(deps, link, reason);
        throw new Error(reason, { cause: e });
      }
    },
  );

  if (!hooked) {
    hooked = true;
    onAdoEvent("workitem.", onWorkItemEvent);
  }
}

/** A work item changed in ADO: an incremental sync of every live link of that project (one queued per link). */
export async function onWorkItemEvent(deps: AppDeps, event: AdoEvent): Promise<void> {
  if (!event.projectId) return;
  const links = await deps.database.db
    .select()
    .from(boardsLinks)
    .where(
      and(
        eq(boardsLinks.orgId, event.orgId),
        eq(boardsLinks.projectId, event.projectId),
        eq(boardsLinks.archived, false),
        // Saved but never proceeded: the admin has not asked for syncing yet.
        ne(boardsLinks.status, "Inactive"),
      ),
    );
  for (const l of links) await enqueueSync(deps, event.orgId, l, { reason: event.eventType, hook: await hookNeeds(deps, l.id, event) });
}

/** Fields whose change can move a work item in or out of a link's scope (its project and types). */
const SCOPE_FIELDS = ["System.WorkItemType", "System.TeamProject"];

/**
 * What a sync for this event must re-read besides the revisions: the ids in scope when an item may have
 * left it (deleted, type or project changed), the iteration tree when an item names an iteration path
 * the link does not know (a new or renamed iteration). Unknown shapes re-read both.
 */
export async function hookNeeds(
  deps: AppDeps,
  linkId: string,
  event: AdoEvent,
): Promise<{ iterations: boolean; scope: boolean; relations: boolean }> {
  const fields = event.resource.fields;
  // Tested By links (traceability) are re-read only when the event says links changed: workitem.updated
  // lists them under resource.relations (added / removed); a created item may have some.
  const relations = event.eventType === "workitem.created" || (event.eventType === "workitem.updated" && event.resource.relations != null);
  if (event.eventType === "workitem.deleted" || event.eventType === "workitem.restored")
    return { iterations: false, scope: true, relations: false };
  if (event.eventType !== "workitem.updated" && event.eventType !== "workitem.created")
    return { iterations: false, scope: false, relations: false };
  if (!fields || typeof fields !== "object") return { iterations: true, scope: true, relations: true };
  const f = fields as Record<string, unknown>;
  // workitem.updated lists changes ({ oldValue, newValue }); workitem.created lists the values.
  const value = (k: string): unknown => {
    const v = f[k];
    if (event.eventType === "workitem.created") return v;
    return v && typeof v === "object" && "newValue" in v ? (v as { newValue: unknown }).newValue : undefined;
  };
  const scope = event.eventType === "workitem.updated" && SCOPE_FIELDS.some((k) => k in f);
  const path = value("System.IterationPath");
  const iterations = typeof path === "string" && path !== "" && !(await knownIterationPath(deps, linkId, path));
  return { iterations, scope, relations };
}

async function knownIterationPath(deps: AppDeps, linkId: string, path: string): Promise<boolean> {
  const rows = await deps.database.query(
    `SELECT 1 FROM boards_releases WHERE link_id = $1 AND path = $2 UNION ALL SELECT 1 FROM boards_sprints WHERE link_id = $1 AND path = $2 LIMIT 1`,
    [linkId, path],
  );
  return rows.length > 0;
}
