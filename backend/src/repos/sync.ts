// The Repos link sync: resolve the version to a commit, learn which Katalon files changed (a tree
// listing the first time, a commit diff afterwards), read only the blobs whose content is new (one
// zip), derive the project, and write only the test cases and suites that actually changed.
import { createHash, randomUUID } from "node:crypto";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import type { Db } from "../db/client";
import { reposFiles, reposLinks, reposTestCases, reposTestSuites } from "../db/schema";
import {
  deriveProject,
  fileKind,
  findProjectRoots,
  listingRoot,
  needsContent,
  parseFile,
  type DerivedSuite,
  type DerivedTestCase,
  type FileRecord,
  type ReportEntry,
  type StoredParse,
} from "./discover";
import { diffCommits, fetchBlobs, listTree, resolveCommit, type GitChange, type RepoRef } from "./git";

export type ReposLink = typeof reposLinks.$inferSelect;

export interface SyncContext {
  db: Db;
  client: AdoClient;
  signal?: AbortSignal;
  progress?: (done: number, total: number, message: string) => Promise<void>;
  /** Ignore what is stored and list the whole folder again. */
  full?: boolean;
}

export interface EntityCounts {
  total: number;
  created: number;
  updated: number;
  removed: number;
}

export interface SyncSummary {
  [key: string]: unknown;
  commitId: string;
  mode: "full" | "incremental" | "unchanged";
  /** ADO requests this sync sent. */
  requests: number;
  blobsFetched: number;
  testCases: EntityCounts;
  suites: EntityCounts;
  skipped: number;
  warnings: number;
  /** First entries of the report (all of them up to REPORT_CAP). */
  report: ReportEntry[];
  reportTotal: number;
  /** NUL characters and lone surrogates (from Azure DevOps answers or files) stored as U+FFFD. */
  replacedCharacters: number;
  finishedAt: string;
}

export const REPORT_CAP = 500;
/** Progress steps: resolve, list, read, save, done. */
const STEPS = 4;

export class SyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SyncError";
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

const stable = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? sortKeys(x) : x));
function sortKeys(o: Record<string, unknown>) {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}
const fingerprint = (v: unknown) => createHash("sha1").update(stable(v)).digest("hex");

/** Applies diff changes to the tracked files; "relist" when the diff cannot be applied file by file. */
export function applyChanges(tracked: Map<string, string>, changes: GitChange[], root: string): Map<string, string> | "relist" {
  const next = new Map(tracked);
  const inRoot = (p: string) => root === "/" || p === root || p.startsWith(root + "/");
  for (const c of changes) {
    if (c.isFolder) {
      // Per-file entries describe folder moves too; a bare folder rename we cannot follow without a listing.
      if (c.types.has("rename") && c.originalPath) return "relist";
      if (c.types.has("delete")) for (const p of [...next.keys()]) if (p.startsWith(c.path + "/")) next.delete(p);
      continue;
    }
    if (c.originalPath && (c.types.has("rename") || c.types.has("sourcerename") || c.types.has("targetrename")))
      next.delete(c.originalPath);
    if (c.types.has("delete")) {
      next.delete(c.path);
      continue;
    }
    if (!inRoot(c.path) || !fileKind(c.path)) {
      next.delete(c.path);
      continue;
    }
    if (!c.objectId) return "relist";
    next.set(c.path, c.objectId.toLowerCase());
  }
  return next;
}

/** Syncs one link. Throws SyncError (user-facing reason) or AdoError; stored data is untouched on failure. */
export async function syncLink(ctx: SyncContext, link: ReposLink): Promise<SyncSummary> {
  const { db, client } = ctx;
  const startRequests = client.requests;
  const step = async (done: number, message: string) => {
    ctx.signal?.throwIfAborted();
    await ctx.progress?.(done, STEPS, message);
  };
  // Once saved, a late cancel request must not turn a finished sync into a "cancelled" one.
  const finished = (message: string) => Promise.resolve(ctx.progress?.(STEPS, STEPS, message)).catch(() => undefined);
  const ref: RepoRef = { project: link.repoProjectId, repositoryId: link.repositoryId };

  await step(0, `Resolving ${link.versionType} ${link.version}`);
  const commit = await resolveCommit(client, ref, link.versionType, link.version);
  if (!commit) throw new SyncError(`The ${link.versionType} "${link.version}" no longer exists in ${link.repositoryName}`);

  const stored = await db
    .select({ path: reposFiles.path, objectId: reposFiles.objectId, parsed: reposFiles.parsed })
    .from(reposFiles)
    .where(eq(reposFiles.linkId, link.id));
  if (!ctx.full && link.lastCommit === commit && stored.length > 0) {
    const summary = await persist(ctx, link, commit, "unchanged", stored as FileRecord[], new Map(), startRequests, 0);
    await finished("Up to date");
    return summary;
  }

  // Which Katalon files exist at `commit` (path → blob id).
  await step(1, "Listing Katalon files");
  const root = listingRoot(link.path);
  let files: Map<string, string> | undefined;
  let mode: SyncSummary["mode"] = "full";
  if (!ctx.full && link.lastCommit && stored.length > 0) {
    const changes = await diffCommits(client, ref, link.lastCommit, commit);
    if (changes) {
      const applied = applyChanges(new Map(stored.map((f) => [f.path, f.objectId])), changes, root);
      if (applied !== "relist") {
        files = applied;
        mode = "incremental";
      }
    }
  }
  if (!files) {
    const items = await listTree(client, ref, root, commit);
    if (!items)
      throw new SyncError(`The folder ${link.path} no longer exists in ${link.repositoryName} at ${link.versionType} ${link.version}`);
    files = new Map(items.filter((i) => !i.isFolder && fileKind(i.path)).map((i) => [i.path, i.objectId.toLowerCase()]));
  }

  // Reuse parses of unchanged blobs (by kind + blob id, so a pure rename needs no download).
  const parseCache = new Map<string, StoredParse | null>();
  for (const f of stored) if (f.parsed) parseCache.set(`${fileKind(f.path)}:${f.objectId}`, f.parsed as StoredParse);
  const records: FileRecord[] = [...files].map(([path, objectId]) => ({
    path,
    objectId,
    parsed: parseCache.get(`${fileKind(path)}:${objectId}`) ?? null,
  }));
  const { roots } = findProjectRoots(records);
  const missing = records.filter((r) => r.parsed === null && needsContent(r.path, roots));

  await step(2, missing.length ? `Reading ${missing.length} changed file(s)` : "No file content to read");
  let blobsFetched = 0;
  if (missing.length) {
    const blobs = await fetchBlobs(client, ref, [...new Set(missing.map((m) => m.objectId))], ctx.signal);
    blobsFetched = blobs.size;
    for (const r of missing) {
      const bytes = blobs.get(r.objectId);
      const decoded = bytes ? decode(bytes) : undefined;
      // A NUL in a file cannot be stored: replaced (and counted with the answers' replacements).
      const text = decoded === undefined ? undefined : ctx.client.replaced.text(decoded);
      r.parsed =
        bytes === undefined
          ? { ok: false, reason: "could not be downloaded from Azure Repos" }
          : text === undefined
            ? { ok: false, reason: "is not UTF-8 text" }
            : parseFile(fileKind(r.path)!, text);
    }
  }

  await step(3, "Saving test cases and suites");
  const summary = await persist(ctx, link, commit, mode, records, new Map(stored.map((s) => [s.path, s])), startRequests, blobsFetched);
  await finished(`${summary.testCases.total} test cases, ${summary.suites.total} suites`);
  return summary;
}

type StoredFile = { path: string; objectId: string; parsed: unknown };

async function persist(
  ctx: SyncContext,
  link: ReposLink,
  commit: string,
  mode: SyncSummary["mode"],
  records: FileRecord[],
  previous: Map<string, StoredFile>,
  startRequests: number,
  blobsFetched: number,
): Promise<SyncSummary> {
  const derived = deriveProject(records, link.path);
  const now = new Date();
  const tcCounts: EntityCounts = { total: derived.testCases.length, created: 0, updated: 0, removed: 0 };
  const suiteCounts: EntityCounts = { total: derived.suites.length, created: 0, updated: 0, removed: 0 };

  await ctx.db.transaction(async (tx) => {
    const db = tx as unknown as Db;
    if (mode !== "unchanged") {
      // Tracked files: delete what left, write what is new or changed.
      const keep = new Set(records.map((r) => r.path));
      const gone = [...previous.keys()].filter((p) => !keep.has(p));
      for (let i = 0; i < gone.length; i += 500)
        await db.delete(reposFiles).where(and(eq(reposFiles.linkId, link.id), inArray(reposFiles.path, gone.slice(i, i + 500))));
      const changed = records.filter((r) => {
        const p = previous.get(r.path);
        return !p || p.objectId !== r.objectId || (p.parsed === null) !== (r.parsed === null);
      });
      for (let i = 0; i < changed.length; i += 500) {
        await db
          .insert(reposFiles)
          .values(
            changed
              .slice(i, i + 500)
              .map((r) => ({ linkId: link.id, orgId: link.orgId, path: r.path, objectId: r.objectId, parsed: r.parsed })),
          )
          .onConflictDoUpdate({
            target: [reposFiles.linkId, reposFiles.path],
            set: { objectId: sqlExcluded("object_id"), parsed: sqlExcluded("parsed") },
          });
      }
    }
    await upsertEntities(db, link, commit, now, derived.testCases, tcCounts, "testCase");
    await upsertEntities(db, link, commit, now, derived.suites, suiteCounts, "suite");
  });

  const report = derived.report;
  const summary: SyncSummary = {
    commitId: commit,
    mode,
    requests: ctx.client.requests - startRequests,
    blobsFetched,
    testCases: tcCounts,
    suites: suiteCounts,
    skipped: report.filter((r) => r.severity === "skipped").length,
    warnings: report.filter((r) => r.severity === "warning").length,
    report: report.slice(0, REPORT_CAP),
    reportTotal: report.length,
    replacedCharacters: ctx.client.replaced.count,
    finishedAt: now.toISOString(),
  };
  await ctx.db
    .update(reposLinks)
    .set({ lastCommit: commit, lastSyncedAt: now, lastSync: summary, status: "Active", statusReason: null })
    .where(eq(reposLinks.id, link.id));
  return summary;
}

import { sql } from "drizzle-orm";
const sqlExcluded = (col: string) => sql.raw(`excluded.${col}`);

function testCaseRow(tc: DerivedTestCase) {
  return {
    guid: tc.guid,
    path: tc.path,
    projectDir: tc.projectDir,
    katalonId: tc.katalonId,
    folder: tc.folder,
    name: tc.name,
    description: tc.description,
    comment: tc.comment,
    tags: tc.tags,
    variables: tc.variables,
    scriptPath: tc.scriptPath,
    objectId: tc.objectId,
    warnings: tc.warnings,
  };
}

function suiteRow(s: DerivedSuite) {
  const details =
    s.kind === "suite"
      ? { links: s.links }
      : s.kind === "collection"
        ? { executionMode: s.executionMode, maxConcurrentInstances: s.maxConcurrentInstances, runs: s.runs }
        : { filterText: s.filterText, testCaseKeys: s.testCaseKeys };
  return {
    guid: s.guid,
    kind: s.kind,
    path: s.path,
    projectDir: s.projectDir,
    katalonId: s.katalonId,
    folder: s.folder,
    name: s.name,
    description: s.description,
    tags: s.tags,
    details,
    objectId: s.objectId,
    warnings: s.warnings,
  };
}

/** Inserts new, updates changed (by fingerprint) and marks removed entities; unchanged rows are not written. */
async function upsertEntities(
  db: Db,
  link: ReposLink,
  commit: string,
  now: Date,
  items: (DerivedTestCase | DerivedSuite)[],
  counts: EntityCounts,
  what: "testCase" | "suite",
): Promise<void> {
  const table = what === "testCase" ? reposTestCases : reposTestSuites;
  const existing = await db
    .select({ id: table.id, identity: table.identity, fingerprint: table.fingerprint, removedAt: table.removedAt })
    .from(table)
    .where(eq(table.linkId, link.id));
  const byIdentity = new Map(existing.map((e) => [e.identity, e]));
  const seen = new Set<string>();
  const inserts: Record<string, unknown>[] = [];
  for (const item of items) {
    seen.add(item.key);
    const row = what === "testCase" ? testCaseRow(item as DerivedTestCase) : suiteRow(item as DerivedSuite);
    const fp = fingerprint(row);
    const prev = byIdentity.get(item.key);
    if (!prev) {
      inserts.push({ id: randomUUID(), orgId: link.orgId, linkId: link.id, identity: item.key, ...row, fingerprint: fp, commitId: commit });
      counts.created++;
    } else if (prev.fingerprint !== fp || prev.removedAt) {
      await db
        .update(table)
        .set({ ...row, fingerprint: fp, commitId: commit, removedAt: null, updatedAt: now } as never)
        .where(eq(table.id, prev.id));
      counts.updated++;
    }
  }
  for (let i = 0; i < inserts.length; i += 200) await db.insert(table).values(inserts.slice(i, i + 200) as never);
  const gone = existing.filter((e) => !seen.has(e.identity) && !e.removedAt).map((e) => e.id);
  for (let i = 0; i < gone.length; i += 500) {
    await db
      .update(table)
      .set({ removedAt: now, updatedAt: now, commitId: commit } as never)
      .where(and(inArray(table.id, gone.slice(i, i + 500)), isNull(table.removedAt)));
  }
  counts.removed = gone.length;
}
