import { scrubSecrets } from "../lib/scrub";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { isAdoError } from "../ado/errors";
import { adoClientFor, getActiveConnection } from "../connections/service";
import type { AppDeps } from "../context";
import { reposLinks } from "../db/schema";
import { onAdoEvent, type AdoEvent } from "../hooks/dispatch";
import { JobCancelled } from "../jobs";
import { userFacingError } from "../jobs/transient";
import { ApiError } from "../lib/errors";
import { enqueueSync, loadLink, REPOS_SYNC_JOB } from "./service";
import { SyncError, syncLink } from "./sync";
import { refreshAssociations } from "../trace/katalon";

/** A reason a project admin can act on, for the link status and the failed job. */
export function failureReason(e: unknown): string {
  if (isAdoError(e)) {
    switch (e.kind) {
      case "bad_credentials":
        return "Azure DevOps rejected the organization connection's PAT (expired or revoked); update the connection";
      case "missing_scope":
        return `The organization connection's PAT cannot read code (Code (Read), vso.code): ${e.message}`;
      case "forbidden":
        return `Azure DevOps denied access to the repository: ${e.message}`;
      case "not_found":
        return `Not found in Azure DevOps (was the repository deleted?): ${e.message}`;
      case "throttled":
        return "Azure DevOps kept throttling the sync; it will catch up on the next run";
      default:
        return e.message;
    }
  }
  if (e instanceof SyncError || e instanceof ApiError) return e.message;
  return userFacingError(e);
}

let hooked = false;

/** Registers the Repos sync job kind and the git.push service-hook trigger. */
export function registerReposJobs(deps: AppDeps): void {
  deps.jobs.register<{ linkId: string; full?: boolean }>(REPOS_SYNC_JOB, async ({ orgId, payload, signal, progress, willRetry }) => {
    const link = await loadLink(deps, orgId, payload.linkId);
    if (link.archivedAt) throw new JobCancelled();
    const fail = async (reason: string, cause?: unknown): Promise<never> => {
      // A transient fault is retried by the queue; the link shows Error only once it gives up.
      if (!willRetry(cause))
        await deps.database.db
          .update(reposLinks)
          .set({ status: "Error", statusReason: scrubSecrets(reason) })
          .where(eq(reposLinks.id, link.id));
      throw new Error(reason, { cause });
    };
    // Links of a disconnected organization stop syncing until it is reconnected.
    if (!(await getActiveConnection(deps, orgId)))
      return fail("The organization's Azure DevOps connection is not active; reconnect it to resume syncing");
    const client = await adoClientFor(deps, orgId);
    try {
      const summary = await syncLink({ db: deps.database.db, client, signal, progress, full: payload.full }, link);
      const { report: _report, ...rest } = summary;
      // Traceability (issue 17): renamed Katalon test cases carry their new id to their Test Cases.
      const associations = await refreshAssociations(deps, client, orgId, link.id, signal);
      return { ...rest, associations };
    } catch (e) {
      if (signal.aborted || e instanceof JobCancelled) throw e;
      return fail(failureReason(e), e);
    }
  });

  if (!hooked) {
    hooked = true;
    onAdoEvent("git.push", onGitPush);
  }
}

interface PushResource {
  repository?: { id?: string };
  refUpdates?: { name?: string }[];
}

/** A push to a linked branch or tag: one incremental sync per live link (singleton: a burst of pushes queues one). */
export async function onGitPush(deps: AppDeps, event: AdoEvent): Promise<void> {
  const resource = event.resource as PushResource;
  const repositoryId = event.repositoryId ?? resource.repository?.id;
  if (!repositoryId) return;
  const refs = new Set((resource.refUpdates ?? []).map((r) => r.name).filter((n): n is string => !!n));
  const links = await deps.database.db
    .select()
    .from(reposLinks)
    .where(
      and(
        eq(reposLinks.orgId, event.orgId),
        sql`lower(${reposLinks.repositoryId}) = ${repositoryId.toLowerCase()}`,
        isNull(reposLinks.archivedAt),
        // Saved but never proceeded: the admin has not asked for syncing yet.
        ne(reposLinks.status, "Inactive"),
      ),
    );
  for (const link of links) {
    const ref =
      link.versionType === "branch" ? `refs/heads/${link.version}` : link.versionType === "tag" ? `refs/tags/${link.version}` : null;
    if (ref && refs.has(ref)) await enqueueSync(deps, link, "service-hook");
  }
}
