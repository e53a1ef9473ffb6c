// Azure DevOps calls of traceability: Test Case work items, their automation association and Tested By links.
// The association fields are the ones Azure Test Plans itself reads to run and report automated tests
// ("Associate automated tests with test cases": Microsoft.VSTS.TCM.AutomatedTestName/Storage/Type/Id).
import type { AdoClient } from "../ado/client";
import { KATALON_TEST_TYPE } from "../schemas/trace";

export const TESTED_BY = "Microsoft.VSTS.Common.TestedBy-Forward";
export const TESTS = "Microsoft.VSTS.Common.TestedBy-Reverse";
export const TEST_CASE_TYPE = "Test Case";

export interface Association {
  name: string;
  storage: string;
  id: string;
}

/** The association of a Katalon test case (pure; table-tested). */
export function associationFor(
  tc: { katalonId: string; guid: string | null; projectDir: string },
  repositoryName: string,
  fallbackId: string,
): Association {
  const dir = tc.projectDir.replace(/^\/+|\/+$/g, "");
  return {
    // Katalon runs a test case by its id ("Test Cases/Login/TC1"), the name its JUnit report gives the result.
    name: tc.katalonId.slice(0, 255),
    storage: (dir ? `${repositoryName}/${dir}` : repositoryName).slice(0, 255),
    // The Katalon GUID survives renames and moves, so the association does too.
    id: tc.guid ?? fallbackId,
  };
}

/** JSON Patch ops writing an association (pure; table-tested). */
export function associationOps(a: Association, op: "add" | "replace" = "add") {
  return [
    { op, path: "/fields/Microsoft.VSTS.TCM.AutomatedTestName", value: a.name },
    { op, path: "/fields/Microsoft.VSTS.TCM.AutomatedTestStorage", value: a.storage },
    { op, path: "/fields/Microsoft.VSTS.TCM.AutomatedTestType", value: KATALON_TEST_TYPE },
    { op, path: "/fields/Microsoft.VSTS.TCM.AutomatedTestId", value: a.id },
    { op, path: "/fields/Microsoft.VSTS.TCM.AutomationStatus", value: "Automated" },
  ];
}

/** ".../_apis/wit/workItems/123" → 123. */
export function workItemIdFromUrl(url: string | undefined): number | null {
  const m = /\/workitems\/(\d+)$/i.exec(url ?? "");
  return m ? Number(m[1]) : null;
}

export interface AdoWorkItem {
  id: number;
  rev: number;
  url: string;
  fields: Record<string, unknown>;
  relations?: { rel: string; url: string; attributes?: Record<string, unknown> }[];
}

export function getWorkItem(client: AdoClient, id: number, o: { expand?: "relations"; signal?: AbortSignal } = {}) {
  return client.get<AdoWorkItem>(`_apis/wit/workitems/${id}`, { query: o.expand ? { $expand: o.expand } : {}, signal: o.signal });
}

/** Creates a Test Case work item in `project` (JSON Patch; a create is not retried blindly by the client). */
export function createTestCase(
  client: AdoClient,
  project: string,
  t: { title: string; description?: string; association?: Association; testsUrl?: string },
  signal?: AbortSignal,
) {
  const ops: unknown[] = [{ op: "add", path: "/fields/System.Title", value: t.title.slice(0, 255) }];
  if (t.description) ops.push({ op: "add", path: "/fields/System.Description", value: t.description });
  if (t.association) ops.push(...associationOps(t.association));
  if (t.testsUrl)
    ops.push({ op: "add", path: "/relations/-", value: { rel: TESTS, url: t.testsUrl, attributes: { comment: "Created by TestOps" } } });
  return client.post<AdoWorkItem>(`${encodeURIComponent(project)}/_apis/wit/workitems/$${encodeURIComponent(TEST_CASE_TYPE)}`, ops, {
    contentType: "application/json-patch+json",
    signal,
  });
}

/** Writes the association on an existing Test Case, guarded by its revision (a concurrent edit fails instead of being overwritten). */
export function writeAssociation(client: AdoClient, id: number, rev: number, a: Association, signal?: AbortSignal) {
  return client.patch<AdoWorkItem>(`_apis/wit/workitems/${id}`, [{ op: "test", path: "/rev", value: rev }, ...associationOps(a)], {
    contentType: "application/json-patch+json",
    signal,
  });
}

/** Ids of Test Cases of a project already carrying one of these AutomatedTestIds (finds creates whose answer was lost). */
export async function testCasesByAutomatedId(
  client: AdoClient,
  project: string,
  ids: string[],
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!ids.length) return out;
  const quoted = ids.map((i) => `'${i.replace(/'/g, "''")}'`).join(", ");
  const res = await client.post<{ workItems?: { id: number }[] }>(
    `${encodeURIComponent(project)}/_apis/wit/wiql`,
    {
      query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] = '${TEST_CASE_TYPE}' AND [Microsoft.VSTS.TCM.AutomatedTestId] IN (${quoted})`,
    },
    { signal },
  );
  const found = (res.workItems ?? []).map((w) => w.id);
  if (!found.length) return out;
  const items = await client.post<{ value: (AdoWorkItem | null)[] }>(
    `_apis/wit/workitemsbatch`,
    { ids: found.slice(0, 200), fields: ["System.Id", "Microsoft.VSTS.TCM.AutomatedTestId"], errorPolicy: "omit" },
    { signal },
  );
  for (const w of items.value ?? []) if (w) out.set(String(w.fields["Microsoft.VSTS.TCM.AutomatedTestId"]), w.id);
  return out;
}
