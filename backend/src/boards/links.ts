import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, ne } from "drizzle-orm";
import type { AppDeps } from "../context";
import { boardsLinks, boardsSyncState } from "../db/schema";
import { recordAudit } from "../lib/audit";
import { ApiError } from "../lib/errors";
import type { JobRecord } from "../jobs";
import {
  BOARDS_SYNC_JOB,
  BoardsLinkConfigSchema,
  boardsResourceKey,
  type BoardsLink,
  type BoardsLinkConfig,
  type SyncSummary,
} from "../schemas/boards";

export type LinkRow = typeof boardsLinks.$inferSelect;
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Stored config → typed config (re-parsed so defaults added later apply to old rows). */
export const configOf = (row: LinkRow): BoardsLinkConfig => BoardsLinkConfigSchema.parse(row.config);

export async function loadLink(deps: AppDeps, orgId: string, id: string): Promise<LinkRow> {
  const [row] = await deps.database.db
    .select()
    .from(boardsLinks)
    .where(and(eq(boardsLinks.orgId, orgId), eq(boardsLinks.id, id)));
  if (!row) throw new ApiError(404, "not_found", "No such Boards link in this organization");
  return row;
}

async function activeJobs(deps: AppDeps, orgId: string, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!ids.length) return out;
  const rows = await deps.database.query<{ id: string; resource_key: string }>(
    `SELECT id, resource_key FROM jobs WHERE org_id = $1 AND kind = $2 AND status IN ('queued','running') AND resource_key = ANY($3::text[])`,
    [orgId, BOARDS_SYNC_JOB, ids.map(boardsResourceKey)],
  );
  for (const r of rows) out.set(r.resource_key.slice("boards:".length), r.id);
  return out;
}

export async function toLinks(deps: AppDeps, rows: LinkRow[]): Promise<BoardsLink[]> {
  if (!rows.length) return [];
  const orgId = rows[0].orgId;
  const ids = rows.map((r) => r.id);
  const states = await deps.database.db
    .select()
    .from(boardsSyncState)
    .where(and(eq(boardsSyncState.orgId, orgId), inArray(boardsSyncState.linkId, ids)));
  const byId = new Map(states.map((s) => [s.linkId, s]));
  const jobs = await activeJobs(deps, orgId, ids);
  return rows.map((r) => {
    const s = byId.get(r.id);
    return {
      id: r.id,
      projectId: r.projectId,
      projectName: r.projectName,
      teamId: r.teamId,
      teamName: r.teamName,
      description: r.description,
      config: configOf(r),
      status: r.status,
      statusReason: r.statusReason,
      archived: r.archived,
      lastSyncAt: iso(s?.lastSuccessAt),
      lastSync: (s?.lastSummary as SyncSummary | null | undefined) ?? null,
      lastError: s?.lastError ?? null,
      lastErrorAt: iso(s?.lastErrorAt),
      activeJobId: jobs.get(r.id) ?? null,
      createdBy: r.createdBy,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  });
}

export async function toLink(deps: AppDeps, row: LinkRow): Promise<BoardsLink> {
  return (await toLinks(deps, [row]))[0];
}

export async function listLinks(deps: AppDeps, orgId: string, f: { projectId?: string; includeArchived?: boolean }) {
  const rows = await deps.database.db
    .select()
    .from(boardsLinks)
    .where(
      and(
        eq(boardsLinks.orgId, orgId),
        f.projectId ? eq(boardsLinks.projectId, f.projectId) : undefined,
        f.includeArchived ? undefined : eq(boardsLinks.archived, false),
      ),
    )
    .orderBy(desc(boardsLinks.createdAt));
  return toLinks(deps, rows);
}

/** One live link per project+team: two would sync the same work items into Plans twice. */
async function assertNoTwin(deps: AppDeps, orgId: string, cfg: BoardsLinkConfig, exceptId?: string) {
  const rows = await deps.database.db
    .select({ id: boardsLinks.id, teamId: boardsLinks.teamId })
    .from(boardsLinks)
    .where(
      and(
        eq(boardsLinks.orgId, orgId),
        eq(boardsLinks.projectId, cfg.project.id),
        eq(boardsLinks.archived, false),
        exceptId ? ne(boardsLinks.id, exceptId) : undefined,
      ),
    );
  if (rows.some((r) => (r.teamId ?? null) === (cfg.team?.id ?? null)))
    throw new ApiError(
      409,
      "link_exists",
      `Project ${cfg.project.name}${cfg.team ? ` (team ${cfg.team.name})` : ""} already has a Boards link; edit it or archive it first`,
    );
}

export async function createLink(deps: AppDeps, orgId: string, actorId: string, cfg: BoardsLinkConfig): Promise<LinkRow> {
  await assertNoTwin(deps, orgId, cfg);
  const id = randomUUID();
  const [row] = await deps.database.db
    .insert(boardsLinks)
    .values({
      id,
      orgId,
      projectId: cfg.project.id,
      projectName: cfg.project.name,
      teamId: cfg.team?.id ?? null,
      teamName: cfg.team?.name ?? null,
      description: cfg.description,
      config: cfg as unknown as Record<string, unknown>,
      status: "Inactive",
      statusReason: "Saved; not synced yet",
      createdBy: actorId,
    })
    .returning();
  await deps.database.db.insert(boardsSyncState).values({ linkId: id, orgId });
  await recordAudit(deps.database.db, {
    orgId,
    actorId,
    action: "boards.link.create",
    targetType: "boards_link",
    targetId: id,
    details: { project: cfg.project.name },
  });
  return row;
}

export async function updateLink(deps: AppDeps, orgId: string, actorId: string, id: string, cfg: BoardsLinkConfig): Promise<LinkRow> {
  const current = await loadLink(deps, orgId, id);
  if (current.projectId !== cfg.project.id)
    throw new ApiError(400, "validation_failed", "project: a link's project cannot change; create a new link", [
      { field: "config.project", message: "cannot change on an existing link" },
    ]);
  await assertNoTwin(deps, orgId, cfg, id);
  const [row] = await deps.database.db
    .update(boardsLinks)
    .set({
      projectName: cfg.project.name,
      teamId: cfg.team?.id ?? null,
      teamName: cfg.team?.name ?? null,
      description: cfg.description,
      config: cfg as unknown as Record<string, unknown>,
      configVersion: current.configVersion + 1,
      updatedAt: new Date(),
    })
    .where(and(eq(boardsLinks.orgId, orgId), eq(boardsLinks.id, id)))
    .returning();
  await recordAudit(deps.database.db, { orgId, actorId, action: "boards.link.update", targetType: "boards_link", targetId: id });
  return row;
}

export async function setArchived(deps: AppDeps, orgId: string, actorId: string, id: string, archived: boolean): Promise<LinkRow> {
  const current = await loadLink(deps, orgId, id);
  if (!archived) await assertNoTwin(deps, orgId, configOf(current), id);
  const [row] = await deps.database.db
    .update(boardsLinks)
    .set({ archived, updatedAt: new Date() })
    .where(and(eq(boardsLinks.orgId, orgId), eq(boardsLinks.id, id)))
    .returning();
  // Archive stops everything scheduled for this link (queued jobs never run, a running one is aborted).
  if (archived) await deps.jobs.cancelResource(orgId, boardsResourceKey(id));
  await recordAudit(deps.database.db, {
    orgId,
    actorId,
    action: archived ? "boards.link.archive" : "boards.link.unarchive",
    targetType: "boards_link",
    targetId: id,
  });
  return row;
}

/**
 * Enqueues a sync of the link (one queued/running sync per link). A sync asked for by a hook (`hook`) waits
 * `HOOK_SYNC_DELAY_SECONDS` so that a burst of edits joins one job, and reads the iteration tree and the
 * ids in scope only when the events may have changed them; every other sync reads both.
 */
export async function enqueueSync(
  deps: AppDeps,
  orgId: string,
  row: LinkRow,
  o: {
    actorId?: string;
    full?: boolean;
    reason?: string;
    followUp?: boolean;
    hook?: { iterations: boolean; scope: boolean; relations: boolean };
  } = {},
): Promise<JobRecord> {
  if (row.archived) throw new ApiError(409, "archived", "This Boards link is archived; unarchive it to sync");
  return deps.jobs.enqueue(
    orgId,
    BOARDS_SYNC_JOB,
    {
      linkId: row.id,
      full: o.full ?? false,
      reason: o.reason ?? "manual",
      // True flags stay true when requests are joined: one request that needs a re-read gets it.
      iterations: o.hook ? o.hook.iterations : true,
      scope: o.hook ? o.hook.scope : true,
      relations: o.hook ? o.hook.relations : true,
    },
    {
      resourceKey: boardsResourceKey(row.id),
      singleton: true,
      createdBy: o.actorId,
      followUp: o.followUp,
      delayMs: o.hook ? deps.config.hookSyncDelayMs : undefined,
    },
  );
}
