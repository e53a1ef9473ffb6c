// Results follow the chain: a result of a Katalon test case (path + name = its id) counts for every requirement
// its test case is linked to. Those links live in test_result_links with source 'trace', so the work item form,
// Plans' coverage and everything else reading that table see them without knowing about the chain.
import { rebuildWorkItemLinks, rowsOf, writeResultLinks } from "../results/links";
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { AppDeps } from "../context";
import { traceRequirementLinks } from "../db/schema";
import { visibleResult } from "../results/visible";

/** Results reachable through requirement → test case → Katalon test case → (path, name), as (result, requirement). */
const chain = (orgId: string): SQL => sql`
  SELECT r.id AS result_id, l.org_id, l.requirement_id
  FROM trace_requirement_links l
  JOIN trace_test_cases t ON t.id = l.test_case_id AND t.org_id = l.org_id
  JOIN repos_test_cases k ON k.id = t.repos_test_case_id AND k.org_id = t.org_id
  JOIN repos_links rl ON rl.id = k.link_id
  CROSS JOIN LATERAL (SELECT COALESCE(substring(k.katalon_id from '^(.*)/[^/]*$'), '') AS p,
                             substring(k.katalon_id from '([^/]*)$') AS n) kid
  JOIN test_results r ON r.org_id = l.org_id AND r.project_id = rl.project_id
   AND md5(r.path) = md5(kid.p) AND md5(r.name) = md5(kid.n) AND r.path = kid.p AND r.name = kid.n
  JOIN test_runs run ON run.id = r.run_id AND ${sql.raw(visibleResult())}
  WHERE l.org_id = ${orgId}`;

/** What changed: the requirements whose chain links to recompute, or the TestOps test cases whose requirements to recompute. */
export interface ChainScope {
  requirementIds?: number[];
  testCaseIds?: string[];
}

const inList = <T>(xs: T[]) =>
  sql.join(
    xs.map((x) => sql`${x}`),
    sql`, `,
  );

/**
 * Recomputes the chain links of the requirements a change touched (after a link, a generation, a Boards or
 * Repos sync): those links are deleted and inserted again in one transaction, so a link that no longer holds
 * goes and a new one comes.
 */
export async function relinkChain(deps: AppDeps, orgId: string, scope: ChainScope): Promise<void> {
  const reqs = new Set(scope.requirementIds ?? []);
  if (scope.testCaseIds?.length) {
    const rows = await deps.database.db
      .select({ id: traceRequirementLinks.requirementId })
      .from(traceRequirementLinks)
      // One array parameter, not one per id: a Repos link's test cases may pass the 65,535 parameters a statement takes.
      .where(
        and(
          eq(traceRequirementLinks.orgId, orgId),
          sql`${traceRequirementLinks.testCaseId} = ANY(${sql.param(scope.testCaseIds)}::uuid[])`,
        ),
      );
    for (const r of rows) reqs.add(r.id);
  }
  if (!reqs.size) return;
  const ids = [...reqs];
  await deps.database.db.transaction(async (tx) => {
    for (let i = 0; i < ids.length; i += 500) {
      const part = inList(ids.slice(i, i + 500));
      const now = await tx.execute(
        sql`SELECT DISTINCT result_id, requirement_id FROM (${chain(orgId)} AND l.requirement_id IN (${part})) c`,
      );
      await tx.execute(sql`DELETE FROM test_result_links WHERE org_id = ${orgId} AND source = 'trace' AND work_item_id IN (${part})`);
      // Links taken away: the requirements' summaries are rebuilt (writeResultLinks keeps them on write).
      await rebuildWorkItemLinks(
        tx,
        orgId,
        ids.slice(i, i + 500),
        rowsOf<{ result_id: string | number; requirement_id: number }>(now).map((r) => ({
          resultId: Number(r.result_id),
          workItemId: Number(r.requirement_id),
          source: "trace" as const,
        })),
      );
    }
  });
}

/** Links the results of one uploaded run through the chain (through writeResultLinks, which keeps the summaries). */
export async function linkRunThroughChain(deps: AppDeps, orgId: string, runId: string): Promise<void> {
  const rows = rowsOf<{ result_id: string | number; requirement_id: number }>(
    await deps.database.db.execute(sql`SELECT DISTINCT c.result_id, c.requirement_id FROM (${chain(orgId)}) c
       JOIN test_results rr ON rr.id = c.result_id WHERE rr.run_id = ${runId}`),
  );
  await writeResultLinks(
    deps.database.db,
    orgId,
    rows.map((r) => ({ resultId: Number(r.result_id), workItemId: Number(r.requirement_id), source: "trace" as const })),
  );
}
