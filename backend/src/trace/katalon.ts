// Katalon test case ⇄ Azure DevOps Test Case: link to an existing Test Case or create them (one, a folder, a
// suite), writing the automation association Azure Test Plans uses; keep it current after Repos syncs.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import { isAdoError } from "../ado/errors";
import { adoClientFor, getActiveConnection } from "../connections/service";
import type { AppDeps } from "../context";
import { reposLinks, reposTestCases, reposTestSuites, traceTestCases } from "../db/schema";
import { ApiError, fieldError } from "../lib/errors";
import { scrubSecrets } from "../lib/scrub";
import type { CreateFromKatalonInput, KatalonTrace, LinkKatalonInput } from "../schemas/trace";
import { TRACE_LIMITS } from "../schemas/trace";
import {
  associationFor,
  createTestCase,
  getWorkItem,
  TEST_CASE_TYPE,
  testCasesByAutomatedId,
  writeAssociation,
  type Association,
} from "./ado";
import { relinkChain } from "./chain";

type TraceRow = typeof traceTestCases.$inferSelect;
type KatalonRow = typeof reposTestCases.$inferSelect;
type LinkRow = typeof reposLinks.$inferSelect;

export async function orgWebUrl(deps: AppDeps, orgId: string): Promise<string | null> {
  const rows = await deps.database.query<{ url: string }>(`SELECT url FROM organizations WHERE id = $1`, [orgId]);
  return rows[0]?.url?.replace(/\/+$/, "") ?? null;
}

export const workItemUrl = (orgUrl: string | null, id: number | null) => (orgUrl && id ? `${orgUrl}/_workitems/edit/${id}` : null);

export async function traceClient(deps: AppDeps, orgId: string): Promise<AdoClient> {
  if (!(await getActiveConnection(deps, orgId)))
    throw new ApiError(
      409,
      "no_connection",
      "This organization has no active Azure DevOps connection: connect the organization first (Organization settings → TestOps)",
    );
  return adoClientFor(deps, orgId);
}

/** Azure DevOps refusals a project admin can act on become 4xx with the reason, never 5xx. */
export function adoRefusal(e: unknown, field: string): never {
  if (isAdoError(e)) {
    if (e.kind === "not_found") throw fieldError(field, `Azure DevOps does not know it: ${scrubSecrets(e.message)}`);
    if (e.kind === "bad_request") throw fieldError(field, `Azure DevOps refused it: ${scrubSecrets(e.message)}`);
    if (e.kind === "missing_scope")
      throw new ApiError(
        409,
        "missing_scope",
        `The connection's PAT lacks a scope: ${scrubSecrets(e.message)} (Work Items Read & write is needed)`,
      );
    if (e.kind === "conflict")
      throw new ApiError(409, "conflict", `The work item changed in Azure DevOps meanwhile; try again (${scrubSecrets(e.message)})`);
  }
  throw e;
}

function toDto(orgUrl: string | null, t: TraceRow, k: KatalonRow): KatalonTrace {
  return {
    reposTestCaseId: k.id,
    linkId: k.linkId,
    katalonId: k.katalonId,
    name: k.name,
    removed: k.removedAt !== null,
    testCaseId: t.id,
    adoTestCaseId: t.adoTestCaseId,
    adoUrl: workItemUrl(orgUrl, t.adoTestCaseId),
    title: t.title,
    automatedTestName: t.automatedTestName,
    automatedTestStorage: t.automatedTestStorage,
    automatedTestId: t.automatedTestId,
    problem:
      t.automationProblem ??
      (k.removedAt
        ? `The Katalon test case "${k.katalonId}" was deleted from the repository; Test Case ${t.adoTestCaseId ?? ""} keeps its association until you link it to another one`
        : null),
  };
}

/** Katalon test cases of a project that are linked to a (TestOps / Azure DevOps) test case, deleted ones included. */
export async function katalonTraces(deps: AppDeps, orgId: string, projectId: string): Promise<KatalonTrace[]> {
  const rows = await deps.database.db
    .select({ t: traceTestCases, k: reposTestCases })
    .from(traceTestCases)
    .innerJoin(reposTestCases, eq(reposTestCases.id, traceTestCases.reposTestCaseId))
    .innerJoin(reposLinks, eq(reposLinks.id, reposTestCases.linkId))
    .where(and(eq(traceTestCases.orgId, orgId), eq(reposLinks.projectId, projectId), isNull(reposLinks.archivedAt)))
    .orderBy(reposTestCases.katalonId);
  const url = await orgWebUrl(deps, orgId);
  return rows.map((r) => toDto(url, r.t, r.k));
}

async function loadKatalon(deps: AppDeps, orgId: string, projectId: string, ids: string[]): Promise<{ k: KatalonRow; link: LinkRow }[]> {
  if (!ids.length) return [];
  const rows = await deps.database.db
    .select({ k: reposTestCases, link: reposLinks })
    .from(reposTestCases)
    .innerJoin(reposLinks, eq(reposLinks.id, reposTestCases.linkId))
    .where(and(eq(reposTestCases.orgId, orgId), inArray(reposTestCases.id, ids), eq(reposLinks.projectId, projectId)));
  return rows;
}

/** Links one Katalon test case to an existing Test Case work item of the project and writes the association there. */
export async function linkToExisting(deps: AppDeps, orgId: string, userId: string, input: LinkKatalonInput): Promise<KatalonTrace> {
  const [hit] = await loadKatalon(deps, orgId, input.projectId, [input.reposTestCaseId]);
  if (!hit || hit.k.removedAt || hit.link.archivedAt)
    throw fieldError("reposTestCaseId", "is not a synced Katalon test case of a live Repos link of this project");
  const client = await traceClient(deps, orgId);
  const wi = await getWorkItem(client, input.adoTestCaseId).catch((e) => adoRefusal(e, "adoTestCaseId"));
  if (wi.fields["System.WorkItemType"] !== TEST_CASE_TYPE)
    throw fieldError("adoTestCaseId", `work item ${wi.id} is a ${String(wi.fields["System.WorkItemType"])}, not a Test Case`);
  // The Test Case must be in this project (ADO answers its name; the link stores the project id).
  const proj = await client.get<{ id: string; name: string }>(`_apis/projects/${encodeURIComponent(input.projectId)}`);
  if (String(wi.fields["System.TeamProject"] ?? "").toLowerCase() !== proj.name.toLowerCase())
    throw fieldError("adoTestCaseId", `Test Case ${wi.id} is in project "${String(wi.fields["System.TeamProject"])}", not in ${proj.name}`);
  const existingForKatalon = await deps.database.db.select().from(traceTestCases).where(eq(traceTestCases.reposTestCaseId, hit.k.id));
  if (existingForKatalon[0] && existingForKatalon[0].adoTestCaseId !== wi.id)
    throw new ApiError(
      409,
      "already_linked",
      `"${hit.k.katalonId}" is already linked to Test Case ${existingForKatalon[0].adoTestCaseId ?? "(TestOps only)"}`,
      [{ field: "reposTestCaseId", message: "is already linked to another Test Case" }],
    );
  const [forTc] = await deps.database.db
    .select()
    .from(traceTestCases)
    .where(and(eq(traceTestCases.orgId, orgId), eq(traceTestCases.adoTestCaseId, wi.id)));
  if (forTc?.reposTestCaseId && forTc.reposTestCaseId !== hit.k.id)
    throw new ApiError(409, "already_linked", `Test Case ${wi.id} is already automated by another Katalon test case`, [
      { field: "adoTestCaseId", message: "is already automated by another Katalon test case" },
    ]);
  const otherId = wi.fields["Microsoft.VSTS.TCM.AutomatedTestId"];
  const assoc = associationFor(hit.k, hit.link.repositoryName, forTc?.automatedTestId ?? randomUUID());
  if (otherId && String(otherId) !== assoc.id && !forTc?.automatedTestId)
    throw new ApiError(
      409,
      "already_automated",
      `Test Case ${wi.id} is already associated with another automated test ("${String(wi.fields["Microsoft.VSTS.TCM.AutomatedTestName"] ?? otherId)}"); remove that association in Azure Test Plans first`,
      [{ field: "adoTestCaseId", message: "is associated with another automated test" }],
    );
  await writeAssociation(client, wi.id, wi.rev, assoc).catch((e) => adoRefusal(e, "adoTestCaseId"));
  const title = String(wi.fields["System.Title"] ?? hit.k.name).slice(0, 255) || hit.k.name;
  const row = forTc
    ? (
        await deps.database.db
          .update(traceTestCases)
          .set({ reposTestCaseId: hit.k.id, ...assocColumns(assoc), title, automationProblem: null, updatedAt: new Date() })
          .where(eq(traceTestCases.id, forTc.id))
          .returning()
      )[0]
    : (
        await deps.database.db
          .insert(traceTestCases)
          .values({
            id: randomUUID(),
            orgId,
            projectId: input.projectId,
            title,
            origin: "katalon",
            adoTestCaseId: wi.id,
            reposTestCaseId: hit.k.id,
            ...assocColumns(assoc),
            createdBy: userId,
          })
          .returning()
      )[0];
  await relinkChain(deps, orgId, { testCaseIds: [row.id] });
  return toDto(await orgWebUrl(deps, orgId), row, hit.k);
}

const assocColumns = (a: Association) => ({ automatedTestName: a.name, automatedTestStorage: a.storage, automatedTestId: a.id });

/** The Katalon test cases a bulk request names (chosen ids, a folder of a link, or a suite's members). */
async function bulkTargets(deps: AppDeps, orgId: string, input: CreateFromKatalonInput): Promise<string[]> {
  if (input.reposTestCaseIds) return input.reposTestCaseIds;
  if (input.folder) {
    const prefix = input.folder.folder.replace(/\/+$/, "");
    const rows = await deps.database.db
      .select({ id: reposTestCases.id })
      .from(reposTestCases)
      .where(
        and(
          eq(reposTestCases.orgId, orgId),
          eq(reposTestCases.linkId, input.folder.linkId),
          isNull(reposTestCases.removedAt),
          prefix ? sql`(${reposTestCases.folder} = ${prefix} OR starts_with(${reposTestCases.folder}, ${prefix + "/"}))` : sql`true`,
        ),
      );
    if (!rows.length) throw fieldError("folder", "holds no synced Katalon test case");
    return rows.map((r) => r.id);
  }
  const [suite] = await deps.database.db
    .select()
    .from(reposTestSuites)
    .where(and(eq(reposTestSuites.orgId, orgId), eq(reposTestSuites.id, input.suiteId!), isNull(reposTestSuites.removedAt)));
  if (!suite) throw fieldError("suiteId", "is not a synced Katalon test suite");
  const d = suite.details as { links?: { testCaseKey: string | null }[]; testCaseKeys?: string[] };
  const keys = suite.kind === "suite" ? (d.links ?? []).map((l) => l.testCaseKey).filter((k): k is string => !!k) : (d.testCaseKeys ?? []);
  if (suite.kind === "collection") throw fieldError("suiteId", "is a suite collection; pick one of its suites");
  if (!keys.length) throw fieldError("suiteId", "has no test case that resolves to a synced one");
  const rows = await deps.database.db
    .select({ id: reposTestCases.id })
    .from(reposTestCases)
    // One array parameter: a suite may list more test cases than a statement takes parameters.
    .where(
      and(
        eq(reposTestCases.linkId, suite.linkId),
        sql`${reposTestCases.identity} = ANY(${sql.param(keys)}::text[])`,
        isNull(reposTestCases.removedAt),
      ),
    );
  return rows.map((r) => r.id);
}

/** Creates a Test Case work item (with the association) for each named Katalon test case not linked yet. */
export async function createFromKatalon(deps: AppDeps, orgId: string, userId: string, input: CreateFromKatalonInput) {
  const ids = [...new Set(await bulkTargets(deps, orgId, input))];
  if (ids.length > TRACE_LIMITS.maxBulk)
    throw fieldError(
      "reposTestCaseIds",
      `names ${ids.length} test cases; create at most ${TRACE_LIMITS.maxBulk} at a time (pick a smaller folder)`,
    );
  const targets = (await loadKatalon(deps, orgId, input.projectId, ids)).filter((t) => !t.k.removedAt && !t.link.archivedAt);
  if (targets.length !== ids.length)
    throw fieldError("reposTestCaseIds", "names a test case that is not synced in a live Repos link of this project");
  const linked = await deps.database.db
    .select()
    .from(traceTestCases)
    .where(and(isNotNull(traceTestCases.reposTestCaseId), inArray(traceTestCases.reposTestCaseId, ids)));
  const linkedBy = new Map(linked.map((l) => [l.reposTestCaseId!, l]));
  const todo = targets.filter((t) => !linkedBy.get(t.k.id)?.adoTestCaseId);
  const client = await traceClient(deps, orgId);
  const url = await orgWebUrl(deps, orgId);
  // A create whose answer was lost may have been applied: adopt Test Cases already carrying our AutomatedTestId.
  const assocs = new Map(
    todo.map((t) => [t.k.id, associationFor(t.k, t.link.repositoryName, linkedBy.get(t.k.id)?.automatedTestId ?? randomUUID())]),
  );
  const adopted = await testCasesByAutomatedId(
    client,
    input.projectId,
    [...assocs.values()].map((a) => a.id),
  ).catch((e) => adoRefusal(e, "projectId"));
  const created: KatalonTrace[] = [];
  for (const t of todo) {
    const assoc = assocs.get(t.k.id)!;
    let adoId = adopted.get(assoc.id);
    if (!adoId) {
      const wi = await createTestCase(client, input.projectId, {
        title: t.k.name,
        description: t.k.description ? escapeHtml(t.k.description) : undefined,
        association: assoc,
      }).catch((e) => adoRefusal(e, "projectId"));
      adoId = wi.id;
    }
    const existing = linkedBy.get(t.k.id);
    const values = {
      adoTestCaseId: adoId,
      reposTestCaseId: t.k.id,
      ...assocColumns(assoc),
      automationProblem: null,
      updatedAt: new Date(),
    };
    const [row] = existing
      ? await deps.database.db.update(traceTestCases).set(values).where(eq(traceTestCases.id, existing.id)).returning()
      : await deps.database.db
          .insert(traceTestCases)
          .values({
            id: randomUUID(),
            orgId,
            projectId: input.projectId,
            title: t.k.name.slice(0, 255),
            origin: "katalon",
            createdBy: userId,
            ...values,
          })
          .returning();
    created.push(toDto(url, row, t.k));
  }
  await relinkChain(deps, orgId, { testCaseIds: created.map((c) => c.testCaseId) });
  const alreadyLinked = targets.filter((t) => linkedBy.get(t.k.id)?.adoTestCaseId).map((t) => toDto(url, linkedBy.get(t.k.id)!, t.k));
  return { created, alreadyLinked };
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, "<br>");

/**
 * After a Repos sync: a renamed or moved Katalon test case (same GUID, same row) gets its new id written to the
 * Test Case's association; a deleted one is reported on the link, never unlinked. Returns what it did.
 */
export async function refreshAssociations(deps: AppDeps, client: AdoClient, orgId: string, linkId: string, signal?: AbortSignal) {
  const rows = await deps.database.db
    .select({ t: traceTestCases, k: reposTestCases, link: reposLinks })
    .from(traceTestCases)
    .innerJoin(reposTestCases, eq(reposTestCases.id, traceTestCases.reposTestCaseId))
    .innerJoin(reposLinks, eq(reposLinks.id, reposTestCases.linkId))
    .where(and(eq(traceTestCases.orgId, orgId), eq(reposTestCases.linkId, linkId), isNotNull(traceTestCases.adoTestCaseId)));
  let updated = 0;
  let deleted = 0;
  // A new Katalon id changes which results reach the requirements (whatever Azure DevOps answers).
  const renamed: string[] = [];
  for (const { t, k, link } of rows) {
    if (k.removedAt) {
      deleted++;
      continue;
    }
    const assoc = associationFor(k, link.repositoryName, t.automatedTestId ?? randomUUID());
    if (assoc.name === t.automatedTestName && assoc.storage === t.automatedTestStorage && !t.automationProblem) continue;
    if (assoc.name !== t.automatedTestName) renamed.push(t.id);
    try {
      const wi = await getWorkItem(client, t.adoTestCaseId!, { signal });
      await writeAssociation(client, wi.id, wi.rev, assoc, signal);
      await deps.database.db
        .update(traceTestCases)
        .set({ ...assocColumns(assoc), automationProblem: null, updatedAt: new Date() })
        .where(eq(traceTestCases.id, t.id));
      updated++;
    } catch (e) {
      if (!isAdoError(e) || !["not_found", "bad_request", "conflict"].includes(e.kind)) throw e;
      // The Test Case was deleted or refuses the update: say so on the link instead of failing the sync.
      await deps.database.db
        .update(traceTestCases)
        .set({
          automationProblem: `Could not update Test Case ${t.adoTestCaseId} after "${k.katalonId}" changed: ${scrubSecrets(e.message)}`,
          updatedAt: new Date(),
        })
        .where(eq(traceTestCases.id, t.id));
    }
  }
  await relinkChain(deps, orgId, { testCaseIds: renamed });
  return { updated, deleted };
}
