import { scrubSecrets } from "../lib/scrub";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import type { AppDeps } from "../context";
import type { Db } from "../db/client";
import { boardsBugs, boardsLinks, boardsReleases, boardsRequirements, boardsSprints, boardsSyncState } from "../db/schema";
import type { BoardsLinkConfig, EntityCounts, SyncSummary, Unmapped } from "../schemas/boards";
import { decide, latestPerItem, type Decision, type StoredWorkItem } from "./diff";
import { planIterations, type IterationPlan } from "./iterations";
import { configOf, type LinkRow } from "./links";
import { fieldsNeeded, mapRevision, typesNeeded, UnmappedTally, type MappedBug, type MappedRequirement, type Revision } from "./mapping";
import { iterationTree, teamIterations } from "./pickers";

/** ADO's page limit for reporting revisions (and workitemsbatch). */
export const PAGE_SIZE = 200;

const enc = encodeURIComponent;
const zero = (): EntityCounts => ({ created: 0, updated: 0, unchanged: 0, removed: 0 });

// ---------- reading from ADO ----------

/** The iteration plan (step 3) read from ADO: project tree + the team's iterations for the team board. */
export async function readIterationPlan(client: AdoClient, cfg: BoardsLinkConfig): Promise<IterationPlan> {
  const tree = await iterationTree(client, cfg.project.id);
  let teamIds: Set<string> | null = null;
  if (cfg.iterations.source === "teamBoard" && cfg.team) {
    const its = await teamIterations(client, cfg.project.id, cfg.team.id);
    teamIds = new Set(its.map((i) => i.id.toLowerCase()));
  }
  return planIterations(tree, cfg, teamIds);
}

interface RevisionsPage {
  values: Revision[];
  continuationToken?: string;
  nextLink?: string;
  isLastBatch: boolean;
}

/**
 * Streams the project's reporting work item revisions from `token` (undefined = from the beginning):
 * only the synced types and the fields the mapping reads, latest revision only, deleted items included.
 */
export async function* readRevisions(
  client: AdoClient,
  cfg: BoardsLinkConfig,
  token: string | null,
  signal?: AbortSignal,
  pageSize = PAGE_SIZE,
): AsyncGenerator<{ values: Revision[]; token: string; last: boolean }> {
  // The GET form: `$maxPageSize` is documented for it only (the POST does not list it; see docs/ado-fidelity.md).
  const filter = {
    fields: fieldsNeeded(cfg).join(","),
    types: typesNeeded(cfg).join(","),
    includeDeleted: true,
    includeLatestOnly: true,
  };
  let current = token ?? undefined;
  for (;;) {
    signal?.throwIfAborted();
    const page = await client.get<RevisionsPage>(`${enc(cfg.project.id)}/_apis/wit/reporting/workitemrevisions`, {
      query: { ...filter, continuationToken: current, $maxPageSize: Math.min(pageSize, PAGE_SIZE) },
      signal,
    });
    const next = page.continuationToken ?? (page.nextLink ? new URL(page.nextLink).searchParams.get("continuationToken") : null) ?? current;
    if (!next) throw new Error("Azure DevOps returned a revisions page without a continuation token");
    yield { values: page.values ?? [], token: next, last: page.isLastBatch !== false };
    if (page.isLastBatch !== false) return;
    current = next;
  }
}

// ---------- stored rows ----------

type ReqRow = typeof boardsRequirements.$inferSelect;
type BugRow = typeof boardsBugs.$inferSelect;
const storedOf = (r: ReqRow | BugRow): StoredWorkItem => ({
  adoId: r.adoId,
  adoRev: r.adoRev,
  configVersion: r.configVersion,
  workItemType: r.workItemType,
  title: r.title,
  adoState: r.adoState,
  status: r.status,
  priority: r.priority,
  iterationPath: r.iterationPath,
  removed: r.removed,
  releaseDate: "releaseDate" in r ? (r.releaseDate?.toISOString() ?? null) : undefined,
  severity: "severity" in r ? r.severity : undefined,
});

export async function storedWorkItems(db: Db, linkId: string, kind: "requirement" | "bug", ids: number[]) {
  const out = new Map<number, StoredWorkItem>();
  if (!ids.length) return out;
  const t = kind === "requirement" ? boardsRequirements : boardsBugs;
  const rows = (await db
    .select()
    .from(t)
    .where(and(eq(t.linkId, linkId), inArray(t.adoId, ids)))) as (ReqRow | BugRow)[];
  for (const r of rows) out.set(r.adoId, storedOf(r));
  return out;
}

/** Tally of one batch: decisions per kind. */
export interface BatchPlan {
  requirements: { item: MappedRequirement; decision: Decision }[];
  bugs: { item: MappedBug; decision: Decision }[];
  outOfScope: { adoId: number; adoRev: number }[];
  tally: UnmappedTally;
}

/** Maps a page of revisions and decides, against what is stored, what each one would do. Writes nothing. */
export async function planBatch(
  db: Db,
  linkId: string | null,
  cfg: BoardsLinkConfig,
  configVersion: number,
  values: Revision[],
  tally: UnmappedTally,
): Promise<BatchPlan> {
  const reqs: MappedRequirement[] = [];
  const bugs: MappedBug[] = [];
  const outOfScope: { adoId: number; adoRev: number }[] = [];
  for (const r of values) {
    const m = mapRevision(cfg, r);
    if (m.kind === "outOfScope") outOfScope.push({ adoId: m.adoId, adoRev: m.adoRev });
    else {
      // Deleted items' notes are noise: they leave TestOps anyway.
      if (!m.entity.removed) tally.add(m.notes);
      if (m.kind === "requirement") reqs.push(m.entity);
      else bugs.push(m.entity);
    }
  }
  const r = latestPerItem(reqs);
  const b = latestPerItem(bugs);
  const [sr, sb] = linkId
    ? await Promise.all([
        storedWorkItems(
          db,
          linkId,
          "requirement",
          r.map((x) => x.adoId),
        ),
        storedWorkItems(
          db,
          linkId,
          "bug",
          b.map((x) => x.adoId),
        ),
      ])
    : [new Map<number, StoredWorkItem>(), new Map<number, StoredWorkItem>()];
  return {
    requirements: r.map((item) => ({ item, decision: decide(sr.get(item.adoId), item, configVersion) })),
    bugs: b.map((item) => ({ item, decision: decide(sb.get(item.adoId), item, configVersion) })),
    outOfScope,
    tally,
  };
}

const WRITE: Decision[] = ["create", "update", "remove", "touch"];

function count(c: EntityCounts, d: Decision) {
  if (d === "create") c.created++;
  else if (d === "update") c.updated++;
  else if (d === "remove") c.removed++;
  else c.unchanged++;
}

/** Writes one planned batch (inside the caller's transaction); revision-guarded so an older revision never wins. */
async function applyBatch(
  tx: Db,
  orgId: string,
  linkId: string,
  configVersion: number,
  plan: BatchPlan,
  counts: { requirements: EntityCounts; bugs: EntityCounts },
) {
  // One statement per page and table: the rows travel as one jsonb parameter (no ORM builder per row,
  // which was half of a full sync's CPU). Ids are made by the database.
  const row = (m: MappedRequirement | MappedBug, extra: string | null) => ({
    a: m.adoId,
    r: m.adoRev,
    w: m.workItemType,
    t: m.title,
    s: m.adoState,
    st: m.status,
    p: m.priority,
    i: m.iterationPath,
    rm: m.removed,
    e: extra,
  });
  const upsert = async (
    table: "boards_requirements" | "boards_bugs",
    extra: "release_date" | "severity",
    rows: ReturnType<typeof row>[],
  ) => {
    if (!rows.length) return;
    const extraType = sql.raw(extra === "release_date" ? "timestamptz" : "text");
    await tx.execute(sql`INSERT INTO ${sql.raw(table)} AS t
        (id, org_id, link_id, ado_id, ado_rev, config_version, work_item_type, title, ado_state, status, priority, iteration_path, removed, ${sql.raw(extra)})
      SELECT gen_random_uuid(), ${orgId}::text, ${linkId}::uuid, x.a, x.r, ${configVersion}::integer, x.w, x.t, x.s, x.st, x.p, x.i, x.rm, x.e
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS x(a integer, r integer, w text, t text, s text, st text, p text, i text, rm boolean, e ${extraType})
      ON CONFLICT (link_id, ado_id) DO UPDATE SET
        ado_rev = excluded.ado_rev, config_version = excluded.config_version, work_item_type = excluded.work_item_type,
        title = excluded.title, ado_state = excluded.ado_state, status = excluded.status, priority = excluded.priority,
        iteration_path = excluded.iteration_path, removed = excluded.removed, ${sql.raw(extra)} = excluded.${sql.raw(extra)}, updated_at = now()
      WHERE t.ado_rev < excluded.ado_rev OR (t.ado_rev = excluded.ado_rev AND (t.config_version < excluded.config_version OR t.removed <> excluded.removed))`);
  };
  await upsert(
    "boards_requirements",
    "release_date",
    plan.requirements
      .filter((x) => WRITE.includes(x.decision))
      .map(({ item }) => row(item, item.releaseDate ? new Date(item.releaseDate).toISOString() : null)),
  );
  await upsert(
    "boards_bugs",
    "severity",
    plan.bugs.filter((x) => WRITE.includes(x.decision)).map(({ item }) => row(item, item.severity)),
  );
  for (const x of plan.requirements) count(counts.requirements, x.decision);
  for (const x of plan.bugs) count(counts.bugs, x.decision);

  // A work item that left the synced types (or moved between requirement and bug types) leaves the other table.
  const markRemoved = async (
    t: typeof boardsRequirements | typeof boardsBugs,
    items: { adoId: number; adoRev: number }[],
    c: EntityCounts,
  ) => {
    if (!items.length) return;
    const rows = await tx
      .update(t)
      .set({ removed: true, updatedAt: new Date() })
      .where(
        and(
          eq(t.linkId, linkId),
          eq(t.removed, false),
          inArray(
            t.adoId,
            items.map((i) => i.adoId),
          ),
        ),
      )
      .returning({ id: t.id });
    c.removed += rows.length;
  };
  const asRef = (x: { item: { adoId: number; adoRev: number } }) => ({ adoId: x.item.adoId, adoRev: x.item.adoRev });
  await markRemoved(boardsRequirements, [...plan.outOfScope, ...plan.bugs.map(asRef)], counts.requirements);
  await markRemoved(boardsBugs, [...plan.outOfScope, ...plan.requirements.map(asRef)], counts.bugs);
}

/** Maps and writes one page of revisions for a link (idempotent; older revisions never win). */
export async function writeRevisions(
  db: Db,
  link: LinkRow,
  cfg: BoardsLinkConfig,
  values: Revision[],
  tally = new UnmappedTally(),
  counts = { requirements: zero(), bugs: zero() },
) {
  const plan = await planBatch(db, link.id, cfg, link.configVersion, values, tally);
  await applyBatch(db, link.orgId, link.id, link.configVersion, plan, counts);
  return counts;
}

// ---------- iterations ----------

type IterRow = typeof boardsReleases.$inferSelect;
const dt = (s: string | null) => (s ? new Date(s) : null);
const sameIso = (a: Date | null, b: string | null) => (a ? a.toISOString() : null) === (b ? new Date(b).toISOString() : null);

export interface IterationDiff {
  releases: { item: IterationPlan["releases"][number]; action: "create" | "update" | "skip" }[];
  sprints: { item: IterationPlan["sprints"][number]; action: "create" | "update" | "skip" }[];
  removedReleases: number[];
  removedSprints: number[];
}

/** Plan vs stored releases/sprints (pure apart from the read). */
export async function diffIterations(db: Db, linkId: string | null, plan: IterationPlan): Promise<IterationDiff> {
  const [rel, spr] = linkId
    ? await Promise.all([
        db.select().from(boardsReleases).where(eq(boardsReleases.linkId, linkId)),
        db.select().from(boardsSprints).where(eq(boardsSprints.linkId, linkId)),
      ])
    : [[] as IterRow[], [] as (IterRow & { releaseNodeId: number })[]];
  const relBy = new Map(rel.map((r) => [r.adoNodeId, r]));
  const sprBy = new Map(spr.map((r) => [r.adoNodeId, r]));
  const act = (
    s: IterRow | undefined,
    p: { path: string; name: string; startDate: string | null; finishDate: string | null },
    extra = true,
  ) =>
    !s
      ? "create"
      : s.removed ||
          s.path !== p.path ||
          s.name !== p.name ||
          !sameIso(s.startDate, p.startDate) ||
          !sameIso(s.finishDate, p.finishDate) ||
          !extra
        ? "update"
        : "skip";
  const inRel = new Set(plan.releases.map((r) => r.adoNodeId));
  const inSpr = new Set(plan.sprints.map((r) => r.adoNodeId));
  return {
    releases: plan.releases.map((item) => ({ item, action: act(relBy.get(item.adoNodeId), item) })),
    sprints: plan.sprints.map((item) => {
      const s = sprBy.get(item.adoNodeId);
      return { item, action: act(s, item, !s || s.releaseNodeId === item.releaseNodeId) };
    }),
    removedReleases: rel.filter((r) => !r.removed && !inRel.has(r.adoNodeId)).map((r) => r.adoNodeId),
    removedSprints: spr.filter((r) => !r.removed && !inSpr.has(r.adoNodeId)).map((r) => r.adoNodeId),
  };
}

async function applyIterations(db: Db, orgId: string, linkId: string, d: IterationDiff) {
  const releases = zero();
  const sprints = { ...zero(), withoutDates: d.sprints.filter((s) => s.item.missingDates).length };
  await db.transaction(async (tx) => {
    for (const { item, action } of d.releases) {
      if (action === "skip") {
        releases.unchanged++;
        continue;
      }
      const v = {
        path: item.path,
        name: item.name,
        startDate: dt(item.startDate),
        finishDate: dt(item.finishDate),
        removed: false,
        updatedAt: new Date(),
      };
      await tx
        .insert(boardsReleases)
        .values({ id: randomUUID(), orgId, linkId, adoNodeId: item.adoNodeId, ...v })
        .onConflictDoUpdate({ target: [boardsReleases.linkId, boardsReleases.adoNodeId], set: v });
      if (action === "create") releases.created++;
      else releases.updated++;
    }
    for (const { item, action } of d.sprints) {
      if (action === "skip") {
        sprints.unchanged++;
        continue;
      }
      const v = {
        path: item.path,
        name: item.name,
        releaseNodeId: item.releaseNodeId,
        startDate: dt(item.startDate),
        finishDate: dt(item.finishDate),
        removed: false,
        updatedAt: new Date(),
      };
      await tx
        .insert(boardsSprints)
        .values({ id: randomUUID(), orgId, linkId, adoNodeId: item.adoNodeId, ...v })
        .onConflictDoUpdate({ target: [boardsSprints.linkId, boardsSprints.adoNodeId], set: v });
      if (action === "create") sprints.created++;
      else sprints.updated++;
    }
    if (d.removedReleases.length)
      await tx
        .update(boardsReleases)
        .set({ removed: true, updatedAt: new Date() })
        .where(and(eq(boardsReleases.linkId, linkId), inArray(boardsReleases.adoNodeId, d.removedReleases)));
    if (d.removedSprints.length)
      await tx
        .update(boardsSprints)
        .set({ removed: true, updatedAt: new Date() })
        .where(and(eq(boardsSprints.linkId, linkId), inArray(boardsSprints.adoNodeId, d.removedSprints)));
  });
  releases.removed = d.removedReleases.length;
  sprints.removed = d.removedSprints.length;
  return { releases, sprints };
}

// ---------- the sync ----------

/** Counts of the run in progress, saved with every committed batch so a resumed run reports the whole run. */
interface RunCounts {
  mode: "full" | "incremental";
  startedAt: string;
  iterationsDone: boolean;
  releases: EntityCounts;
  sprints: EntityCounts & { withoutDates: number };
  requirements: EntityCounts;
  bugs: EntityCounts;
  revisionsRead: number;
  adoRequests: number;
  unmapped: Unmapped[];
}

export interface SyncOptions {
  full?: boolean;
  signal?: AbortSignal;
  progress?: (done: number, total: number | null, message: string) => Promise<void>;
  /** Revisions per page (ADO's maximum, 200, unless a test wants more pages). */
  pageSize?: number;
  /**
   * Incremental only (a full sync reads both): false = skip reading the iteration tree / checking which
   * ids are still in scope, unless the last read is older than REFRESH_MAX_AGE_MS (default true).
   */
  iterations?: boolean;
  scope?: boolean;
}

/** An incremental sync that skips the iteration tree or the scope check still does it when the last one is this old. */
export const REFRESH_MAX_AGE_MS = 60 * 60_000;
const stale = (at: Date | null | undefined) => !at || Date.now() - new Date(at).getTime() > REFRESH_MAX_AGE_MS;

/**
 * One sync of a link. Full: from the beginning of the revisions stream (first run, after an edit, or on
 * request); incremental: from the stored continuation token. The token and the run's counts are committed
 * with each batch, so a killed run resumes where it stopped and ends in the same state as an uninterrupted one.
 */
export async function syncLink(deps: AppDeps, client: AdoClient, link: LinkRow, o: SyncOptions = {}): Promise<SyncSummary> {
  const db = deps.database.db;
  const cfg = configOf(link);
  const version = link.configVersion;
  const requestsBefore = client.requests;
  let [state] = await db.select().from(boardsSyncState).where(eq(boardsSyncState.linkId, link.id));
  if (!state) [state] = await db.insert(boardsSyncState).values({ linkId: link.id, orgId: link.orgId }).returning();

  const resuming = state.runCounts !== null && state.tokenConfigVersion === version && (state.fullInProgress || !o.full);
  const needFull = o.full || !state.continuationToken || state.tokenConfigVersion !== version;
  let run: RunCounts;
  if (resuming) run = state.runCounts as unknown as RunCounts;
  else {
    const mode = needFull ? "full" : "incremental";
    run = {
      mode,
      startedAt: new Date().toISOString(),
      iterationsDone: false,
      releases: zero(),
      sprints: { ...zero(), withoutDates: 0 },
      requirements: zero(),
      bugs: zero(),
      revisionsRead: 0,
      adoRequests: 0,
      unmapped: [],
    };
    await db
      .update(boardsSyncState)
      .set({
        runCounts: run as unknown as Record<string, unknown>,
        runStartedAt: new Date(run.startedAt),
        fullInProgress: mode === "full",
        tokenConfigVersion: version,
        ...(mode === "full" ? { continuationToken: null } : {}),
      })
      .where(eq(boardsSyncState.linkId, link.id));
    state = { ...state, fullInProgress: mode === "full", continuationToken: mode === "full" ? null : state.continuationToken };
  }
  const requestsAtStart = run.adoRequests;
  const requestsNow = () => requestsAtStart + client.requests - requestsBefore;

  // Iterations change rarely: a hook-triggered incremental sync reads the tree only when asked or when due.
  const readIterations = run.mode === "full" || o.iterations !== false || stale(state.iterationsReadAt);
  if (!run.iterationsDone && readIterations) {
    await o.progress?.(0, null, "Reading the iteration tree");
    const plan = await readIterationPlan(client, cfg);
    o.signal?.throwIfAborted();
    const counts = await applyIterations(db, link.orgId, link.id, await diffIterations(db, link.id, plan));
    run = { ...run, ...counts, iterationsDone: true, adoRequests: requestsNow() };
    await db
      .update(boardsSyncState)
      .set({ runCounts: run as unknown as Record<string, unknown>, iterationsReadAt: new Date() })
      .where(eq(boardsSyncState.linkId, link.id));
  }

  const tally = new UnmappedTally(run.unmapped);
  for await (const page of readRevisions(client, cfg, state.continuationToken, o.signal, o.pageSize)) {
    const counts = { requirements: run.requirements, bugs: run.bugs };
    run.revisionsRead += page.values.length;
    // The batch and the token that follows it commit together: a restart never skips or half-applies a page.
    await db.transaction(async (tx) => {
      await writeRevisions(tx as unknown as Db, link, cfg, page.values, tally, counts);
      run = { ...run, ...counts, unmapped: tally.list().slice(0, 200), adoRequests: requestsNow() };
      await tx
        .update(boardsSyncState)
        .set({ continuationToken: page.token, runCounts: run as unknown as Record<string, unknown> })
        .where(eq(boardsSyncState.linkId, link.id));
    });
    const done =
      run.requirements.created +
      run.requirements.updated +
      run.requirements.unchanged +
      run.bugs.created +
      run.bugs.updated +
      run.bugs.unchanged;
    await o.progress?.(run.revisionsRead, null, `Synced ${done} work items (${run.revisionsRead} revisions read)`);
  }

  // Items whose type changed or that moved to another project never show in this project's (typed)
  // revisions stream again: ask which ids are in scope now and retire the stored ones that are not.
  // Hook-triggered incremental syncs skip it unless an event may have moved an item out (or it is due).
  if (run.mode === "full" || o.scope !== false || stale(state.scopeCheckedAt)) {
    await o.progress?.(run.revisionsRead, null, "Checking for work items that left the synced types or project");
    const gone = await reconcileScope(db, client, link, cfg, o.signal);
    run.requirements.removed += gone.requirements;
    run.bugs.removed += gone.bugs;
    await db.update(boardsSyncState).set({ scopeCheckedAt: new Date() }).where(eq(boardsSyncState.linkId, link.id));
  }

  // A full read saw every in-scope item under this config version: the rest left the scope.
  if (run.mode === "full") {
    for (const [t, c] of [
      [boardsRequirements, run.requirements],
      [boardsBugs, run.bugs],
    ] as const) {
      const rows = await db
        .update(t)
        .set({ removed: true, updatedAt: new Date() })
        .where(and(eq(t.linkId, link.id), eq(t.removed, false), lt(t.configVersion, version)))
        .returning({ id: t.id });
      c.removed += rows.length;
    }
  }

  const summary: SyncSummary = {
    mode: run.mode,
    releases: run.releases,
    sprints: run.sprints,
    requirements: run.requirements,
    bugs: run.bugs,
    revisionsRead: run.revisionsRead,
    adoRequests: requestsNow(),
    replacedCharacters: client.replaced.count,
    unmapped: run.unmapped,
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
  };
  await db.transaction(async (tx) => {
    await tx
      .update(boardsSyncState)
      .set({
        fullInProgress: false,
        runCounts: null,
        runStartedAt: null,
        lastSuccessAt: new Date(summary.finishedAt),
        lastSummary: summary as unknown as Record<string, unknown>,
        lastError: null,
        lastErrorAt: null,
      })
      .where(eq(boardsSyncState.linkId, link.id));
    await tx
      .update(boardsLinks)
      .set({ status: "Active", statusReason: null })
      .where(and(eq(boardsLinks.id, link.id), eq(boardsLinks.configVersion, version)));
  });
  return summary;
}

/** WIQL answers at most 20,000 ids (VS402337); larger scopes are read in id order, 20,000 at a time. */
const WIQL_PAGE = 20_000;
const wiqlString = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** Ids of the project's work items of the synced types, right now (one WIQL per 20,000 ids). */
export async function idsInScope(client: AdoClient, cfg: BoardsLinkConfig, signal?: AbortSignal): Promise<Set<number>> {
  const types = typesNeeded(cfg);
  const ids = new Set<number>();
  if (!types.length) return ids;
  let after = 0;
  for (;;) {
    const query =
      `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project ` +
      `AND [System.WorkItemType] IN (${types.map(wiqlString).join(", ")}) AND [System.Id] > ${after} ORDER BY [System.Id]`;
    const res = await client.post<{ workItems?: { id: number }[] }>(
      `${enc(cfg.project.id)}/_apis/wit/wiql`,
      { query },
      {
        query: { $top: WIQL_PAGE },
        signal,
      },
    );
    const page = res.workItems ?? [];
    for (const w of page) ids.add(w.id);
    if (page.length < WIQL_PAGE) return ids;
    after = page[page.length - 1].id;
  }
}

/** Marks removed the stored live items that are no longer in the link's project and types. */
async function reconcileScope(
  db: Db,
  client: AdoClient,
  link: LinkRow,
  cfg: BoardsLinkConfig,
  signal?: AbortSignal,
): Promise<{ requirements: number; bugs: number }> {
  const inScope = await idsInScope(client, cfg, signal);
  const out = { requirements: 0, bugs: 0 };
  for (const [t, key] of [
    [boardsRequirements, "requirements"],
    [boardsBugs, "bugs"],
  ] as const) {
    const stored = await db
      .select({ adoId: t.adoId })
      .from(t)
      .where(and(eq(t.linkId, link.id), eq(t.removed, false)));
    const left = stored.map((r) => r.adoId).filter((id) => !inScope.has(id));
    for (let i = 0; i < left.length; i += 500) {
      const rows = await db
        .update(t)
        .set({ removed: true, updatedAt: new Date() })
        .where(and(eq(t.linkId, link.id), eq(t.removed, false), inArray(t.adoId, left.slice(i, i + 500))))
        .returning({ id: t.id });
      out[key] += rows.length;
    }
  }
  return out;
}

/** A failed sync: the stored entities stay as they are (last good sync + committed batches); the link says why. */
export async function recordSyncFailure(deps: AppDeps, link: LinkRow, why: string): Promise<void> {
  const reason = scrubSecrets(why);
  await deps.database.db.transaction(async (tx) => {
    await tx.update(boardsSyncState).set({ lastError: reason, lastErrorAt: new Date() }).where(eq(boardsSyncState.linkId, link.id));
    await tx.update(boardsLinks).set({ status: "Error", statusReason: reason }).where(eq(boardsLinks.id, link.id));
  });
}
