// Repos links: create/edit/archive, validation of the URL against Azure DevOps, and the API views.
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, isNull, ne, sql } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import { AdoError } from "../ado/errors";
import { adoClientFor, getActiveConnection } from "../connections/service";
import type { AppDeps } from "../context";
import { reposLinks, reposTestCases, reposTestSuites } from "../db/schema";
import type { JobRecord } from "../jobs";
import { recordAudit } from "../lib/audit";
import { ApiError, fieldError } from "../lib/errors";
import type {
  CreateReposLinkInput,
  ReposJob,
  ReposLink,
  RepoTarget,
  SyncSummary,
  TestCase,
  TestsView,
  TestSuite,
  UpdateReposLinkInput,
} from "../schemas/repos";
import { getRepository, itemKind, pathIgnoringCase, resolveCommit } from "./git";
import type { ReposLink as LinkRow } from "./sync";
import { sameOrganization } from "../ado/urls";
import { parseRepoUrl } from "./url";
import { visibleResult } from "../results/visible";

export const REPOS_SYNC_JOB = "repos.sync";
export const resourceKeyOf = (linkId: string) => `repos-link:${linkId}`;

export interface Actor {
  orgId: string;
  userId: string;
  /**
   * Whether the caller can read a repository with their own Azure DevOps token. The connection's PAT can
   * usually see every project; a link must not let a project admin read another project's code through it.
   */
  canReadRepository?: (projectId: string, repositoryId: string) => Promise<boolean>;
}

/** A link may point into another project only when the caller can read that repository themselves. */
export async function assertReadableTarget(actor: Actor, linkProjectId: string, target: RepoTarget): Promise<void> {
  const repo = target.repository;
  if (repo.projectId.toLowerCase() === linkProjectId.toLowerCase()) return;
  if (!actor.canReadRepository || !(await actor.canReadRepository(repo.projectId, repo.id)))
    throw fieldError(
      "url",
      `names the repository "${repo.name}" of project "${repo.projectName}", which you cannot read in Azure DevOps; only repositories you can read may be linked from another project`,
    );
}

/** Azure DevOps failures while checking a URL: never a 5xx for the user's input, a reason they can act on. */
export function adoProblem(e: unknown): never {
  if (e instanceof ApiError) throw e;
  if (!(e instanceof AdoError)) throw e;
  switch (e.kind) {
    case "bad_credentials":
      throw new ApiError(
        409,
        "connection_error",
        "Azure DevOps rejected the organization connection's PAT (expired or revoked); update the connection first",
      );
    case "missing_scope":
      throw new ApiError(
        409,
        "connection_error",
        `The organization connection's PAT cannot read code: ${e.message} (Code (Read), vso.code)`,
      );
    case "forbidden":
      throw fieldError("url", `cannot be read with the organization connection's PAT: ${e.message}`);
    case "throttled":
      throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests for this organization; try again in a minute");
    default:
      throw new ApiError(502, "ado_unavailable", `Azure DevOps could not answer: ${e.message}`);
  }
}

/**
 * Resolves a link URL with Azure DevOps: it must be in the connected organization, and its
 * repository, branch/tag/commit and folder must exist. Problems are field errors on `url`.
 */
export async function resolveTarget(deps: AppDeps, orgId: string, url: string, client?: AdoClient): Promise<RepoTarget> {
  const parsed = parseRepoUrl(url, deps.config.adoServerHosts);
  if (!parsed.ok) throw fieldError("url", parsed.reason);
  const t = parsed.value;
  const conn = await getActiveConnection(deps, orgId);
  if (!conn)
    throw new ApiError(
      409,
      "no_connection",
      "This organization has no active Azure DevOps connection: connect the organization first (Organization settings → TestOps)",
    );
  if (!sameOrganization(t.org, conn.org))
    throw fieldError("url", `belongs to the organization "${t.org.name}", but this project's organization is "${conn.org.name}"`);
  const ado = client ?? (await adoClientFor(deps, orgId));
  try {
    const repo = await getRepository(ado, t.project, t.repo);
    if (!repo)
      throw fieldError(
        "url",
        `names the repository "${t.repo}" in project "${t.project}", which does not exist in ${conn.org.name} (or the connection cannot see it)`,
      );
    if (repo.isDisabled) throw fieldError("url", `names the repository "${repo.name}", which is disabled`);
    const ref = { project: repo.project.id, repositoryId: repo.id };
    let version = t.version;
    if (!version) {
      if (!repo.defaultBranch) throw fieldError("url", `names the repository "${repo.name}", which is empty (it has no branch yet)`);
      version = { type: "branch", value: repo.defaultBranch.replace(/^refs\/heads\//, "") };
    }
    const commitId = await resolveCommit(ado, ref, version.type, version.value);
    if (!commitId) throw fieldError("url", `names the ${version.type} "${version.value}", which does not exist in ${repo.name}`);
    if (t.path !== "/") {
      const kind = await itemKind(ado, ref, t.path, commitId);
      if (!kind) {
        const cased = await pathIgnoringCase(ado, ref, t.path, commitId);
        throw fieldError(
          "url",
          `names the folder "${t.path}", which does not exist in ${repo.name} at ${version.type} ${version.value}` +
            (cased ? ` (folder names are case-sensitive: did you mean "${cased}"?)` : ""),
        );
      }
      if (kind === "file") throw fieldError("url", `names "${t.path}", which is a file; link a repository, branch or folder`);
    }
    return {
      repository: { id: repo.id, name: repo.name, projectId: repo.project.id, projectName: repo.project.name },
      path: t.path,
      versionType: version.type,
      version: version.value,
      commitId,
    };
  } catch (e) {
    adoProblem(e);
  }
}

export async function loadLink(deps: AppDeps, orgId: string, id: string): Promise<LinkRow> {
  const [row] = await deps.database.db
    .select()
    .from(reposLinks)
    .where(and(eq(reposLinks.orgId, orgId), eq(reposLinks.id, id)))
    .limit(1);
  if (!row) throw new ApiError(404, "not_found", "No such Repos link in this organization");
  return row;
}

async function assertNameFree(deps: AppDeps, orgId: string, projectId: string, name: string, exceptId?: string) {
  const [clash] = await deps.database.db
    .select({ id: reposLinks.id })
    .from(reposLinks)
    .where(
      and(
        eq(reposLinks.orgId, orgId),
        eq(reposLinks.projectId, projectId),
        sql`lower(${reposLinks.name}) = lower(${name})`,
        exceptId ? ne(reposLinks.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  if (clash) throw nameTaken(name);
}
const nameTaken = (name: string) =>
  new ApiError(409, "conflict", `name: a Repos link named "${name}" already exists in this project`, [
    { field: "name", message: "is already used by another Repos link in this project" },
  ]);

function mapUnique(e: unknown, name: string): never {
  const msg = String((e as { message?: string })?.message ?? "") + String((e as { cause?: { message?: string } })?.cause?.message ?? "");
  if (msg.includes("repos_links_name")) throw nameTaken(name);
  throw e;
}

export async function enqueueSync(
  deps: AppDeps,
  link: LinkRow,
  createdBy: string,
  full = false,
  o: { followUp?: boolean } = {},
): Promise<JobRecord> {
  return deps.jobs.enqueue(
    link.orgId,
    REPOS_SYNC_JOB,
    { linkId: link.id, full },
    { resourceKey: resourceKeyOf(link.id), singleton: true, createdBy, followUp: o.followUp },
  );
}

export async function createLink(deps: AppDeps, actor: Actor, input: CreateReposLinkInput): Promise<LinkRow> {
  await assertNameFree(deps, actor.orgId, input.projectId, input.name);
  const target = await resolveTarget(deps, actor.orgId, input.url);
  await assertReadableTarget(actor, input.projectId, target);
  const id = randomUUID();
  let row: LinkRow;
  try {
    [row] = await deps.database.db
      .insert(reposLinks)
      .values({
        id,
        orgId: actor.orgId,
        projectId: input.projectId,
        name: input.name,
        description: input.description ?? "",
        url: input.url.trim(),
        repoProjectId: target.repository.projectId,
        repoProjectName: target.repository.projectName,
        repositoryId: target.repository.id,
        repositoryName: target.repository.name,
        path: target.path,
        versionType: target.versionType,
        version: target.version,
        linkResults: input.linkResults ?? false,
        createdBy: actor.userId,
        updatedBy: actor.userId,
      })
      .returning();
  } catch (e) {
    mapUnique(e, input.name);
  }
  await recordAudit(deps.database.db, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: "repos_link.created",
    targetType: "repos_link",
    targetId: id,
    details: { name: row.name, url: row.url, sync: !!input.sync },
  });
  if (input.sync) await enqueueSync(deps, row, actor.userId, true);
  return row;
}

export async function updateLink(deps: AppDeps, actor: Actor, link: LinkRow, input: UpdateReposLinkInput): Promise<LinkRow> {
  if (link.archivedAt) throw new ApiError(409, "archived", "This Repos link is archived; unarchive it before editing");
  if (input.name !== undefined && input.name.toLowerCase() !== link.name.toLowerCase())
    await assertNameFree(deps, actor.orgId, link.projectId, input.name, link.id);
  const set: Partial<typeof reposLinks.$inferInsert> = { updatedBy: actor.userId, updatedAt: new Date() };
  if (input.name !== undefined) set.name = input.name;
  if (input.description !== undefined) set.description = input.description;
  if (input.linkResults !== undefined) set.linkResults = input.linkResults;
  let retarget = false;
  if (input.url !== undefined && input.url.trim() !== link.url) {
    const t = await resolveTarget(deps, actor.orgId, input.url);
    await assertReadableTarget(actor, link.projectId, t);
    set.url = input.url.trim();
    retarget =
      t.repository.id !== link.repositoryId || t.path !== link.path || t.versionType !== link.versionType || t.version !== link.version;
    Object.assign(set, {
      repoProjectId: t.repository.projectId,
      repoProjectName: t.repository.projectName,
      repositoryId: t.repository.id,
      repositoryName: t.repository.name,
      path: t.path,
      versionType: t.versionType,
      version: t.version,
    });
    // Another folder or version: the next sync lists everything again (test cases keep their rows by GUID),
    // but the stored files stay: their parses are reused by blob id, so only new blobs are downloaded.
    if (retarget) set.lastCommit = null;
  }
  let row: LinkRow;
  try {
    [row] = await deps.database.db.update(reposLinks).set(set).where(eq(reposLinks.id, link.id)).returning();
  } catch (e) {
    mapUnique(e, input.name ?? link.name);
  }
  const changed = Object.keys(input).filter((k) => k !== "sync" && input[k as keyof UpdateReposLinkInput] !== undefined);
  await recordAudit(deps.database.db, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: "repos_link.updated",
    targetType: "repos_link",
    targetId: link.id,
    details: { changed, ...(set.url ? { url: set.url } : {}) },
  });
  if (input.sync) await enqueueSync(deps, row, actor.userId, retarget);
  return row;
}

/** Archive: out of the Tests views, queued/running syncs cancelled, pushes ignored until unarchived. */
export async function archiveLink(deps: AppDeps, actor: Actor, link: LinkRow, archived: boolean): Promise<LinkRow> {
  if (!!link.archivedAt === archived) return link;
  const [row] = await deps.database.db
    .update(reposLinks)
    .set({ archivedAt: archived ? new Date() : null, updatedBy: actor.userId, updatedAt: new Date() })
    .where(eq(reposLinks.id, link.id))
    .returning();
  const cancelled = archived ? await deps.jobs.cancelResource(actor.orgId, resourceKeyOf(link.id)) : 0;
  await recordAudit(deps.database.db, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: archived ? "repos_link.archived" : "repos_link.unarchived",
    targetType: "repos_link",
    targetId: link.id,
    details: archived ? { cancelledJobs: cancelled } : {},
  });
  // Pushes were ignored while archived: catch up, if the link was syncing before.
  if (!archived && row.status !== "Inactive") await enqueueSync(deps, row, actor.userId);
  return row;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function jobDto(j: JobRecord | undefined): ReposJob | null {
  if (!j) return null;
  return {
    id: j.id,
    status: j.status,
    progressDone: j.progressDone,
    progressTotal: j.progressTotal,
    message: j.message,
    error: j.error,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt,
  };
}

export async function linkDtos(deps: AppDeps, rows: LinkRow[]): Promise<ReposLink[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const inIds = <T extends typeof reposTestCases | typeof reposTestSuites>(t: T) =>
    sql`${t.linkId} IN (${sql.join(
      ids.map((i) => sql`${i}`),
      sql`, `,
    )})`;
  const tcCounts = await deps.database.db
    .select({ linkId: reposTestCases.linkId, n: count() })
    .from(reposTestCases)
    .where(and(inIds(reposTestCases), isNull(reposTestCases.removedAt)))
    .groupBy(reposTestCases.linkId);
  const suiteCounts = await deps.database.db
    .select({ linkId: reposTestSuites.linkId, n: count() })
    .from(reposTestSuites)
    .where(and(inIds(reposTestSuites), isNull(reposTestSuites.removedAt)))
    .groupBy(reposTestSuites.linkId);
  const tcs = new Map(tcCounts.map((r) => [r.linkId, Number(r.n)]));
  const sts = new Map(suiteCounts.map((r) => [r.linkId, Number(r.n)]));
  const jobs = await Promise.all(rows.map((r) => deps.jobs.list(r.orgId, { resourceKey: resourceKeyOf(r.id), limit: 1 })));
  return rows.map((r, i) => ({
    id: r.id,
    projectId: r.projectId,
    name: r.name,
    description: r.description,
    url: r.url,
    repository: { id: r.repositoryId, name: r.repositoryName, projectId: r.repoProjectId, projectName: r.repoProjectName },
    path: r.path,
    versionType: r.versionType,
    version: r.version,
    linkResults: r.linkResults,
    status: r.status,
    statusReason: r.statusReason,
    archived: !!r.archivedAt,
    archivedAt: iso(r.archivedAt),
    lastCommit: r.lastCommit,
    lastSyncedAt: iso(r.lastSyncedAt),
    lastSync: (r.lastSync as SyncSummary | null) ?? null,
    job: jobDto(jobs[i][0]),
    counts: { testCases: tcs.get(r.id) ?? 0, suites: sts.get(r.id) ?? 0 },
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export async function listLinks(deps: AppDeps, orgId: string, projectId: string): Promise<LinkRow[]> {
  return deps.database.db
    .select()
    .from(reposLinks)
    .where(and(eq(reposLinks.orgId, orgId), eq(reposLinks.projectId, projectId)))
    .orderBy(sql`${reposLinks.archivedAt} IS NOT NULL`, asc(reposLinks.createdAt));
}

/** Katalon reports a test case as path "Test Cases/<folders>" + name (see results/junit.ts). */
const resultKey = (t: { katalonId: string; name: string }) => `${t.katalonId.slice(0, t.katalonId.lastIndexOf("/"))}|${t.name}`;

/**
 * "Link existing test execution results with test cases having the exact same paths and names":
 * results of this project whose path and name equal a synced test case's, matched when read (so
 * results imported later link too), newest run first.
 */
async function matchingResults(
  deps: AppDeps,
  orgId: string,
  projectId: string,
  tcs: { katalonId: string; name: string }[],
): Promise<Map<string, NonNullable<TestCase["results"]>>> {
  const out = new Map<string, NonNullable<TestCase["results"]>>();
  if (tcs.length === 0) return out;
  const keys = tcs.map((t) => ({ path: t.katalonId.slice(0, t.katalonId.lastIndexOf("/")), name: t.name }));
  const rows = await deps.database.query<{
    path: string;
    name: string;
    outcome: string;
    run_id: string;
    at: Date | string;
    n: string | number;
  }>(
    `SELECT DISTINCT ON (r.path, r.name) r.path, r.name, r.outcome, r.run_id, t.created_at AS at,
            count(*) OVER (PARTITION BY r.path, r.name) AS n
       FROM test_results r JOIN test_runs t ON t.id = r.run_id AND ${visibleResult("r", "t")}
      WHERE r.org_id = $1 AND r.project_id = $2
        AND (r.path, r.name) IN (SELECT * FROM unnest($3::text[], $4::text[]))
      ORDER BY r.path, r.name, t.created_at DESC, r.seq DESC`,
    [orgId, projectId, keys.map((k) => k.path), keys.map((k) => k.name)],
  );
  for (const r of rows)
    out.set(`${r.path}|${r.name}`, {
      count: Number(r.n),
      lastOutcome: r.outcome as NonNullable<TestCase["results"]>["lastOutcome"],
      lastRunId: r.run_id,
      lastRunAt: new Date(r.at).toISOString(),
    });
  return out;
}

interface SuiteDetails {
  links?: { testCaseId: string; isRun: boolean; testCaseKey: string | null }[];
  runs?: { testSuiteId: string; runEnabled: boolean; runConfigurationId: string; profileName: string; suiteKey: string | null }[];
  executionMode?: "SEQUENTIAL" | "PARALLEL";
  filterText?: string;
  testCaseKeys?: string[];
}

/** The Tests views: test cases and suites of the project's live (not archived) links. */
export async function testsView(deps: AppDeps, orgId: string, projectId: string, linkId?: string): Promise<TestsView> {
  const links = (await listLinks(deps, orgId, projectId)).filter((l) => !l.archivedAt && (!linkId || l.id === linkId));
  if (links.length === 0) return { links: [], testCases: [], suites: [] };
  const linkIds = links.map((l) => l.id);
  const inLinks = <T extends typeof reposTestCases | typeof reposTestSuites>(t: T) =>
    and(
      eq(t.orgId, orgId),
      isNull(t.removedAt),
      sql`${t.linkId} IN (${sql.join(
        linkIds.map((i) => sql`${i}`),
        sql`, `,
      )})`,
    );
  const tcRows = await deps.database.db.select().from(reposTestCases).where(inLinks(reposTestCases)).orderBy(asc(reposTestCases.path));
  const suiteRows = await deps.database.db
    .select()
    .from(reposTestSuites)
    .where(inLinks(reposTestSuites))
    .orderBy(asc(reposTestSuites.path));
  const tcId = new Map(tcRows.map((t) => [`${t.linkId}|${t.identity}`, t.id]));
  const suiteId = new Map(suiteRows.map((s) => [`${s.linkId}|${s.identity}`, s.id]));
  const tcByKey = new Map(tcRows.map((t) => [`${t.linkId}|${t.identity}`, t]));

  const results = await matchingResults(
    deps,
    orgId,
    projectId,
    tcRows.filter((t) => links.find((l) => l.id === t.linkId)?.linkResults),
  );
  const testCases: TestCase[] = tcRows.map((t) => ({
    id: t.id,
    linkId: t.linkId,
    guid: t.guid,
    path: t.path,
    katalonId: t.katalonId,
    folder: t.folder,
    name: t.name,
    description: t.description,
    tags: t.tags,
    variables: (t.variables as { name: string; defaultValue: string; masked: boolean }[]).map((v) => ({
      name: v.name,
      defaultValue: v.defaultValue,
      masked: v.masked,
    })),
    scriptPath: t.scriptPath,
    warnings: t.warnings,
    results: results.get(resultKey(t)) ?? null,
    commitId: t.commitId,
    updatedAt: t.updatedAt.toISOString(),
  }));
  const suites: TestSuite[] = suiteRows.map((s) => {
    const d = s.details as SuiteDetails;
    const members =
      s.kind === "suite"
        ? (d.links ?? []).map((l) => ({
            ref: l.testCaseId,
            targetId: l.testCaseKey ? (tcId.get(`${s.linkId}|${l.testCaseKey}`) ?? null) : null,
            enabled: l.isRun,
            configuration: null,
          }))
        : s.kind === "collection"
          ? (d.runs ?? []).map((r) => ({
              ref: r.testSuiteId,
              targetId: r.suiteKey ? (suiteId.get(`${s.linkId}|${r.suiteKey}`) ?? null) : null,
              enabled: r.runEnabled,
              configuration: [r.runConfigurationId, r.profileName].filter(Boolean).join(" · ") || null,
            }))
          : (d.testCaseKeys ?? []).map((k) => {
              const tc = tcByKey.get(`${s.linkId}|${k}`);
              return { ref: tc?.katalonId ?? k, targetId: tc?.id ?? null, enabled: true, configuration: null };
            });
    return {
      id: s.id,
      linkId: s.linkId,
      kind: s.kind,
      guid: s.guid,
      path: s.path,
      katalonId: s.katalonId,
      folder: s.folder,
      name: s.name,
      description: s.description,
      tags: s.tags,
      filterText: s.kind === "dynamic" ? (d.filterText ?? "") : null,
      executionMode: s.kind === "collection" ? (d.executionMode ?? "SEQUENTIAL") : null,
      members,
      warnings: s.warnings,
      commitId: s.commitId,
      updatedAt: s.updatedAt.toISOString(),
    };
  });
  return {
    links: links.map((l) => ({ id: l.id, name: l.name, status: l.status, lastSyncedAt: iso(l.lastSyncedAt) })),
    testCases,
    suites,
  };
}
