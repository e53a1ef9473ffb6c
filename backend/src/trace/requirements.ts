// Requirements ⇄ test cases: generate TestOps test cases (and optionally Azure DevOps Test Cases linked with the
// process' Tested By / Tests link type) from synced requirements, and read the Tested By links that exist in
// Azure DevOps during the Boards sync.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import { getWorkItemsBatch } from "../ado/endpoints";
import type { AppDeps } from "../context";
import { boardsLinks, boardsRequirements, traceBoardsState, traceRequirementLinks, traceTestCases } from "../db/schema";
import { ApiError, fieldError } from "../lib/errors";
import { TRACE_LIMITS, type GenerateInput, type GenerateResult } from "../schemas/trace";
import { createTestCase, TEST_CASE_TYPE, TESTED_BY, TESTS, workItemIdFromUrl } from "./ado";
import { relinkChain } from "./chain";
import { adoRefusal, traceClient } from "./katalon";

type Requirement = { adoId: number; title: string; linkId: string };

/** Live Boards links of the project that pull requirements. */
async function pullingLinks(deps: AppDeps, orgId: string, projectId: string) {
  const links = await deps.database.db
    .select()
    .from(boardsLinks)
    .where(and(eq(boardsLinks.orgId, orgId), eq(boardsLinks.projectId, projectId), eq(boardsLinks.archived, false)));
  return links.filter((l) => (l.config as { pullRequirements?: boolean }).pullRequirements !== false);
}

/** The synced requirements a generation request names. */
async function chosenRequirements(deps: AppDeps, client: AdoClient, orgId: string, input: GenerateInput) {
  const links = await pullingLinks(deps, orgId, input.projectId);
  if (!links.length)
    throw new ApiError(
      409,
      "no_boards_link",
      "This project has no live Boards link with Pull Requirements on: create one (Project settings → TestOps → Boards) first",
    );
  const linkIds = links.map((l) => l.id);
  const q = deps.database.query.bind(deps.database);
  const base = `SELECT q.ado_id, q.title, q.link_id FROM boards_requirements q WHERE q.org_id = $1 AND q.removed = false AND q.link_id = ANY($2::uuid[])`;
  let rows: { ado_id: number; title: string; link_id: string }[];
  let asked: number[] | null = null;
  if (input.sprintId) {
    rows = await q(
      `${base} AND lower(q.iteration_path) = (SELECT lower(s.path) FROM boards_sprints s WHERE s.id = $3 AND s.org_id = $1 AND s.link_id = q.link_id AND s.removed = false)`,
      [orgId, linkIds, input.sprintId],
    );
    if (
      !(
        await q(`SELECT 1 FROM boards_sprints WHERE id = $1 AND org_id = $2 AND link_id = ANY($3::uuid[])`, [
          input.sprintId,
          orgId,
          linkIds,
        ])
      ).length
    )
      throw fieldError("sprintId", "is not a sprint of this project's Boards link");
  } else if (input.releaseId) {
    if (
      !(
        await q(`SELECT 1 FROM boards_releases WHERE id = $1 AND org_id = $2 AND link_id = ANY($3::uuid[])`, [
          input.releaseId,
          orgId,
          linkIds,
        ])
      ).length
    )
      throw fieldError("releaseId", "is not a release of this project's Boards link");
    rows = await q(
      `${base} AND lower(q.iteration_path) IN (
         SELECT lower(r.path) FROM boards_releases r WHERE r.id = $3 AND r.link_id = q.link_id
         UNION SELECT lower(s.path) FROM boards_sprints s JOIN boards_releases r ON r.id = $3 AND s.link_id = r.link_id AND s.release_node_id = r.ado_node_id
         WHERE s.removed = false)`,
      [orgId, linkIds, input.releaseId],
    );
  } else {
    if (input.wiql) {
      const res = await client
        .post<{ workItems?: { id: number }[]; workItemRelations?: unknown[] }>(`${encodeURIComponent(input.projectId)}/_apis/wit/wiql`, {
          query: input.wiql,
        })
        .catch((e) => adoRefusal(e, "wiql"));
      if (!res.workItems) throw fieldError("wiql", "must be a flat list query (SELECT … FROM WorkItems)");
      asked = res.workItems.map((w) => w.id).slice(0, 20_000);
    } else asked = input.requirementIds!;
    rows = asked.length ? await q(`${base} AND q.ado_id = ANY($3::int[])`, [orgId, linkIds, asked]) : [];
  }
  const byId = new Map<number, Requirement>();
  for (const r of rows) if (!byId.has(r.ado_id)) byId.set(r.ado_id, { adoId: r.ado_id, title: r.title, linkId: r.link_id });
  const notSynced = asked ? asked.filter((id) => !byId.has(id)) : [];
  return { requirements: [...byId.values()].sort((a, b) => a.adoId - b.adoId), notSynced };
}

/** Whether the project's process has the Tested By / Tests link type (every standard process does). */
async function requireTestedBy(client: AdoClient) {
  const types = await client.get<{ value?: { referenceName: string }[] }>("_apis/wit/workitemrelationtypes");
  const names = new Set((types.value ?? []).map((t) => t.referenceName));
  if (!names.has(TESTED_BY) || !names.has(TESTS))
    throw new ApiError(
      409,
      "no_tested_by",
      "This organization's processes have no Tested By / Tests link type; test cases cannot be linked to requirements",
    );
}

const htmlToText = (s: string) =>
  s
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|li)>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();

/** Generates one TestOps test case per chosen requirement (idempotent), optionally with an Azure DevOps Test Case. */
export async function generateFromRequirements(
  deps: AppDeps,
  orgId: string,
  userId: string,
  input: GenerateInput,
): Promise<GenerateResult> {
  const client = await traceClient(deps, orgId);
  const { requirements, notSynced } = await chosenRequirements(deps, client, orgId, input);
  if (requirements.length > TRACE_LIMITS.maxRequirements)
    throw fieldError(
      "sprintId",
      `covers ${requirements.length} requirements; generate for at most ${TRACE_LIMITS.maxRequirements} at a time`,
    );
  if (input.createAdoTestCases && requirements.length) await requireTestedBy(client);
  // Current title, acceptance criteria and Tested By links of each requirement, from Azure DevOps.
  const fresh = new Map(
    (
      await getWorkItemsBatch(
        client,
        requirements.map((r) => r.adoId),
        { expand: "all" },
      ).catch((e) => adoRefusal(e, "requirementIds"))
    ).map((w) => [Number(w.id), w]),
  );
  const existing = await deps.database.db
    .select({ requirementId: traceRequirementLinks.requirementId, t: traceTestCases })
    .from(traceRequirementLinks)
    .innerJoin(traceTestCases, eq(traceTestCases.id, traceRequirementLinks.testCaseId))
    .where(
      and(
        eq(traceRequirementLinks.orgId, orgId),
        eq(traceRequirementLinks.source, "generated"),
        inArray(traceRequirementLinks.requirementId, requirements.map((r) => r.adoId).concat(0)),
      ),
    );
  const generated = new Map(existing.map((e) => [e.requirementId, e.t]));
  let created = 0;
  let adoCreated = 0;
  let already = 0;
  for (const r of requirements) {
    const wi = fresh.get(r.adoId);
    if (!wi) continue; // deleted in Azure DevOps since the last sync
    const title = String(wi.fields?.["System.Title"] ?? r.title).slice(0, 255) || `Requirement ${r.adoId}`;
    const ac = htmlToText(String(wi.fields?.["Microsoft.VSTS.Common.AcceptanceCriteria"] ?? ""));
    let tc = generated.get(r.adoId);
    if (tc) already++;
    else {
      [tc] = await deps.database.db
        .insert(traceTestCases)
        .values({ id: randomUUID(), orgId, projectId: input.projectId, title, description: ac, origin: "requirement", createdBy: userId })
        .returning();
      await deps.database.db
        .insert(traceRequirementLinks)
        .values({ orgId, projectId: input.projectId, requirementId: r.adoId, testCaseId: tc.id, source: "generated" })
        .onConflictDoNothing();
      created++;
    }
    if (input.createAdoTestCases && !tc.adoTestCaseId) {
      // Idempotent in Azure DevOps too: a Test Case this requirement is already Tested By, with the same title, is adopted.
      const linkedIds = (wi.relations ?? [])
        .filter((x) => x.rel === TESTED_BY)
        .map((x) => workItemIdFromUrl(x.url))
        .filter((x): x is number => !!x);
      const linked = linkedIds.length
        ? await getWorkItemsBatch(client, linkedIds, { fields: ["System.Title", "System.WorkItemType"] })
        : [];
      const same = linked.find((x) => x.fields?.["System.WorkItemType"] === TEST_CASE_TYPE && x.fields?.["System.Title"] === tc!.title);
      const taken = same
        ? await deps.database.db
            .select({ id: traceTestCases.id })
            .from(traceTestCases)
            .where(and(eq(traceTestCases.orgId, orgId), eq(traceTestCases.adoTestCaseId, Number(same.id))))
        : [];
      let adoId = same && !taken.length ? Number(same.id) : null;
      if (!adoId) {
        const made = await createTestCase(client, input.projectId, {
          title: tc.title,
          description: tc.description ? String(wi.fields?.["Microsoft.VSTS.Common.AcceptanceCriteria"] ?? "") : undefined,
          testsUrl: wi.url,
        }).catch((e) => adoRefusal(e, "createAdoTestCases"));
        adoId = made.id;
        adoCreated++;
      }
      await deps.database.db
        .update(traceTestCases)
        .set({ adoTestCaseId: adoId, updatedAt: new Date() })
        .where(eq(traceTestCases.id, tc.id));
    }
  }
  await relinkChain(deps, orgId, { requirementIds: requirements.map((r) => r.adoId) });
  return { requirements: requirements.length, created, existing: already, adoCreated, notSynced };
}

/**
 * Boards sync: the Tested By links of the requirements that changed since the last read (a link added in Azure
 * DevOps is a new revision of the requirement, so the sync has re-read it). Test Cases TestOps does not know yet
 * become TestOps test cases (origin "ado"). Links removed in Azure DevOps are removed here.
 */
export async function readTestedByLinks(
  deps: AppDeps,
  client: AdoClient,
  link: { id: string; orgId: string; projectId: string },
  signal?: AbortSignal,
  pageSize = TESTED_BY_PAGE,
) {
  const [state] = await deps.database.db.select().from(traceBoardsState).where(eq(traceBoardsState.linkId, link.id));
  const reqs = await deps.database.db
    .select({ adoId: boardsRequirements.adoId, updatedAt: boardsRequirements.updatedAt })
    .from(boardsRequirements)
    .where(
      and(
        eq(boardsRequirements.linkId, link.id),
        eq(boardsRequirements.removed, false),
        state ? sql`${boardsRequirements.updatedAt} > ${state.readUntil}` : sql`true`,
      ),
    );
  if (!reqs.length) return { read: 0, links: 0 };
  // A page of requirements at a time: a full sync's 100k work items with their relations held at once took
  // hundreds of MB (bench/sync-memory.ts). Each page is idempotent (its links are deleted and written again),
  // so a crash half way only means the next read redoes it: the read mark moves once every page is done.
  const changed = new Set<number>();
  let read = 0;
  let links = 0;
  for (let i = 0; i < reqs.length; i += pageSize) {
    const page = await readTestedByPage(deps, client, link, reqs.slice(i, i + pageSize), signal);
    for (const id of page.changed) changed.add(id);
    read += page.read;
    links += page.links;
  }
  const until = reqs.reduce((m, r) => (r.updatedAt > m ? r.updatedAt : m), reqs[0].updatedAt);
  await deps.database.db
    .insert(traceBoardsState)
    .values({ linkId: link.id, orgId: link.orgId, readUntil: until })
    .onConflictDoUpdate({ target: traceBoardsState.linkId, set: { readUntil: until } });
  await relinkChain(deps, link.orgId, { requirementIds: [...changed] });
  return { read, links };
}

/**
 * Requirements whose Tested By links are read and stored together: one workitemsbatch call (200 ids at most).
 * With 1,000 a 100k-item sync peaked at 258 MB on Postgres, with 200 at 162 MB (bench/sync-memory.ts).
 */
const TESTED_BY_PAGE = 200;

/** One page of readTestedByLinks: reads, stores and says which requirements' set of test cases changed. */
async function readTestedByPage(
  deps: AppDeps,
  client: AdoClient,
  link: { id: string; orgId: string; projectId: string },
  reqs: { adoId: number }[],
  signal?: AbortSignal,
): Promise<{ read: number; links: number; changed: Set<number> }> {
  const items = await getWorkItemsBatch(
    client,
    reqs.map((r) => r.adoId),
    { expand: "relations", signal },
  );
  const pairs: { requirementId: number; testCaseAdoId: number }[] = [];
  for (const w of items)
    for (const rel of w.relations ?? [])
      if (rel.rel === TESTED_BY) {
        const id = workItemIdFromUrl(rel.url);
        if (id) pairs.push({ requirementId: Number(w.id), testCaseAdoId: id });
      }
  const targetIds = [...new Set(pairs.map((p) => p.testCaseAdoId))];
  const known = targetIds.length
    ? await deps.database.db
        .select()
        .from(traceTestCases)
        .where(and(eq(traceTestCases.orgId, link.orgId), sql`${traceTestCases.adoTestCaseId} = ANY(${sql.param(targetIds)}::integer[])`))
    : [];
  const byAdo = new Map(known.map((k) => [k.adoTestCaseId!, k.id]));
  const unknown = targetIds.filter((id) => !byAdo.has(id));
  if (unknown.length) {
    const tcs = await getWorkItemsBatch(client, unknown, { fields: ["System.Title", "System.WorkItemType"], signal });
    for (const t of tcs) {
      if (t.fields?.["System.WorkItemType"] !== TEST_CASE_TYPE) continue;
      const [row] = await deps.database.db
        .insert(traceTestCases)
        .values({
          id: randomUUID(),
          orgId: link.orgId,
          projectId: link.projectId,
          title: String(t.fields?.["System.Title"] ?? `Test Case ${t.id}`).slice(0, 255) || `Test Case ${t.id}`,
          origin: "ado",
          adoTestCaseId: Number(t.id),
          createdBy: "boards-sync",
        })
        .onConflictDoNothing()
        .returning();
      if (row) byAdo.set(Number(t.id), row.id);
    }
  }
  const readIds = items.map((w) => Number(w.id));
  // One array parameter, not one parameter per id: a full sync reads 100k requirements, and a statement
  // takes at most 65,535 parameters.
  const readIdsIn = sql`${traceRequirementLinks.requirementId} = ANY(${sql.param(readIds)}::integer[])`;
  // Only requirements whose set of Tested By test cases changed need their chain results recomputed.
  const before = readIds.length
    ? await deps.database.db
        .select({ r: traceRequirementLinks.requirementId, t: traceRequirementLinks.testCaseId })
        .from(traceRequirementLinks)
        .where(and(eq(traceRequirementLinks.orgId, link.orgId), eq(traceRequirementLinks.source, "ado"), readIdsIn))
    : [];
  const key = (r: number, t: string) => `${r}|${t}`;
  const old = new Set(before.map((b) => key(b.r, b.t)));
  const now = new Set(pairs.filter((p) => byAdo.has(p.testCaseAdoId)).map((p) => key(p.requirementId, byAdo.get(p.testCaseAdoId)!)));
  const changed = new Set<number>();
  for (const k of old) if (!now.has(k)) changed.add(Number(k.split("|")[0]));
  for (const k of now) if (!old.has(k)) changed.add(Number(k.split("|")[0]));
  await deps.database.db.transaction(async (tx) => {
    if (readIds.length)
      await tx
        .delete(traceRequirementLinks)
        .where(and(eq(traceRequirementLinks.orgId, link.orgId), eq(traceRequirementLinks.source, "ado"), readIdsIn));
    const values = pairs
      .filter((p) => byAdo.has(p.testCaseAdoId))
      .map((p) => ({
        orgId: link.orgId,
        projectId: link.projectId,
        requirementId: p.requirementId,
        testCaseId: byAdo.get(p.testCaseAdoId)!,
        source: "ado" as const,
      }));
    for (let i = 0; i < values.length; i += 1000)
      await tx
        .insert(traceRequirementLinks)
        .values(values.slice(i, i + 1000))
        .onConflictDoNothing();
  });
  return { read: items.length, links: pairs.length, changed };
}
