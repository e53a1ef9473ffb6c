// Issue 17 in the browser: a project admin links the demo Katalon test cases to Azure DevOps Test Cases from the
// Repos Tests view (one existing, one created), generates test cases for a sprint's requirements from Plans →
// Traceability, a Katalon report is uploaded and pushed to Azure Test Plans, and the traceability view shows the
// outcomes — the same outcomes the simulator's Test Plans show on the same test points. Screenshots in both themes.
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { FrameLocator } from "playwright-core";
import { pageHeaders } from "../src/demo";
import type { Stack } from "../src/stack";
import { adminApi, bothThemes, button, HostPage, startConnected, type Browser } from "./harness";

const PROJECT = "Fabrikam Fiber";
const SPRINT = "Fabrikam Fiber\\Release 1\\Sprint 2";
const TC1 = "Test Cases/Main Test Cases/TC1_Verify Successful Login";
const TC2 = "Test Cases/Main Test Cases/TC2_Verify Successful Appointment";
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="TS_RegressionTest">
  <testsuite name="TS_RegressionTest" tests="2" failures="1" time="95.2" timestamp="${new Date(Date.now() - 3_600_000).toISOString()}">
    <testcase name="${TC1}" classname="${TC1}" time="24.7" status="PASSED"/>
    <testcase name="${TC2}" classname="${TC2}" time="70.5" status="FAILED"><failure message="Unable to click on object 'btn_Book'"/></testcase>
  </testsuite>
</testsuites>`;

let stack: Stack;
let browser: Browser;
const api = (path: string, init?: { method?: string; body?: unknown }) => adminApi(stack, path, init);

/** Azure DevOps REST on the simulator with the admin PAT (what a tester does in Azure Test Plans). */
async function ado<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.sim.fetch(`https://dev.azure.com/fabrikam/${path}${path.includes("?") ? "&" : "?"}api-version=7.1`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`:${DEMO_PATS.admin}`).toString("base64")}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text);
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** azure-devops-ui Dropdown: open it by its accessible name and pick an option. */
async function pick(hub: FrameLocator, label: string, option: string) {
  await hub.getByRole("button", { name: label, exact: true }).click();
  await hub.getByRole("option", { name: option }).first().click();
}

let story1: number;
let story2: number;
let existingTc: number;
let projectId: string;

beforeAll(async () => {
  ({ stack, browser } = await startConnected());
  const p = stack.sim.state.orgs.get("fabrikam")!.projects.find((x) => x.name === PROJECT)!;
  projectId = p.id;
  story1 = stack.sim.createWorkItem("fabrikam", PROJECT, "User Story", {
    "System.Title": "Sign in with a password",
    "System.IterationPath": SPRINT,
    "Microsoft.VSTS.Common.AcceptanceCriteria": "<p>Given a registered user, signing in with the right password opens the dashboard.</p>",
  }).id;
  story2 = stack.sim.createWorkItem("fabrikam", PROJECT, "User Story", {
    "System.Title": "Book an appointment",
    "System.IterationPath": SPRINT,
  }).id;
  // Traceability built in Azure DevOps before TestOps: a Test Case that tests story 2.
  existingTc = stack.sim.createWorkItem(
    "fabrikam",
    PROJECT,
    "Test Case",
    { "System.Title": "Appointment can be booked" },
    { relations: [{ rel: "Microsoft.VSTS.Common.TestedBy-Reverse", targetId: story2 }] },
  ).id;
  // The Boards and Repos links (their own journeys cover the wizard and the link panel).
  const states = { New: "Open", Active: "In Progress", Resolved: "Resolved", Closed: "Done", Removed: "Removed" };
  await api("/api/boards/links", {
    method: "POST",
    body: {
      proceed: true,
      config: {
        project: { id: p.id, name: p.name },
        pullRequirements: true,
        requirements: { workItemTypes: ["User Story"], stateMapping: { "User Story": states }, releaseDateFields: [] },
      },
    },
  });
  await api("/api/repos/links", {
    method: "POST",
    body: {
      projectId,
      name: "CI samples",
      url: `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples`,
      sync: true,
    },
  });
  await until("both links synced", async () => {
    const b = (await api(`/api/boards/links`)).links[0];
    const r = (await api(`/api/repos/links?projectId=${projectId}`)).links[0];
    return b.status === "Active" && !b.activeJobId && r.status === "Active" && r.lastSyncedAt;
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test("link Katalon test cases to Test Cases, generate test cases for a sprint, push a report, see the same outcomes in TestOps and Azure Test Plans", async () => {
  // 1. Repos Tests view: TC1 → the existing Test Case; TC2 → a new Test Case.
  const host = await HostPage.open(browser.context, stack, { contribution: "project-settings", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.settled();
  const hub = host.hub();
  await hub.getByRole("tab", { name: "Repos" }).click();
  const tree = hub.getByRole("tree", { name: "Synced tests" });
  await tree.getByRole("treeitem", { name: "TC1_Verify Successful Login", exact: true }).waitFor();

  await button(tree, "Link TC1_Verify Successful Login to a Test Case").click();
  let dialog = hub.getByRole("dialog");
  await dialog.getByLabel("Existing Test Case ID", { exact: true }).fill(String(existingTc));
  await bothThemes(host, "trace-link-dialog");
  await button(dialog, "Link").click();
  await dialog.waitFor({ state: "detached" });
  await tree.getByLabel(`Linked to Test Case ${existingTc}`).waitFor();

  await button(tree, "Link TC2_Verify Successful Appointment to a Test Case").click();
  dialog = hub.getByRole("dialog");
  await button(dialog, "Create new Test Case").click();
  await dialog.waitFor({ state: "detached" });
  const created = await until("TC2's Test Case", async () =>
    (await api(`/api/trace/katalon?projectId=${projectId}`)).links.find((l: { katalonId: string }) => l.katalonId === TC2),
  );
  await tree.getByLabel(`Linked to Test Case ${created.adoTestCaseId}`).waitFor();
  await host.assertNoErrorCards();
  await bothThemes(host, "trace-repos-linked");
  await host.close();
  // Both Test Cases carry the association Azure Test Plans uses.
  const tcs = await ado<{ value: { id: number; fields: Record<string, string> }[] }>(
    "GET",
    `_apis/wit/workitems?ids=${existingTc},${created.adoTestCaseId}&fields=Microsoft.VSTS.TCM.AutomatedTestName,Microsoft.VSTS.TCM.AutomatedTestType`,
  );
  expect(
    tcs.value.map((w) => [w.fields["Microsoft.VSTS.TCM.AutomatedTestName"], w.fields["Microsoft.VSTS.TCM.AutomatedTestType"]]),
  ).toEqual([
    [TC1, "Katalon"],
    [TC2, "Katalon"],
  ]);

  // 2. Plans → Traceability: generate test cases for Sprint 2's requirements (with Azure DevOps Test Cases).
  const plans = await HostPage.open(browser.context, stack, { contribution: "plans", user: DEMO_USERS.admin.id });
  await plans.waitLoaded();
  await plans.settled();
  const ph = plans.hub();
  await ph.getByRole("tab", { name: "Traceability" }).click();
  await pick(ph, "Release or sprint", "Release 1 › Sprint 2");
  const table = ph.getByRole("table", { name: "Traceability of Sprint 2" });
  await table.waitFor();
  await table
    .getByRole("row", { name: `${story1} Sign in with a password` })
    .getByText("Requirement without tests")
    .waitFor();
  await button(ph, "Generate test cases").click();
  const gen = ph.getByRole("dialog");
  await bothThemes(plans, "trace-generate-dialog");
  await button(gen, "Generate").click();
  await ph.getByText(/test cases? generated, 0 already existed, \d+ Test Cases? created in Azure DevOps/).waitFor();
  const story1Row = table.getByRole("row", { name: `${story1} Sign in with a password × Sign in with a password` });
  await story1Row.getByText("Generated by TestOps").waitFor();
  const generatedTc = Number((await story1Row.getByRole("link", { name: /^Test Case \d+$/ }).innerText()).replace(/\D/g, ""));
  // Linked in Azure DevOps with Tested By, so a requirement-based suite picks it up.
  const s1 = await ado<{ relations?: { rel: string; url: string }[] }>("GET", `_apis/wit/workitems/${story1}?$expand=relations`);
  expect(s1.relations?.some((r) => r.rel === "Microsoft.VSTS.Common.TestedBy-Forward" && r.url.endsWith(`/${generatedTc}`))).toBe(true);
  await plans.close();

  // 3. A tester's plan in Azure Test Plans: requirement-based suites for both stories.
  const plan = await ado<{ id: number }>("POST", `${projectId}/_apis/testplan/plans`, { name: "Sprint 2 regression" });
  const suite1 = await ado<{ id: number }>("POST", `${projectId}/_apis/testplan/Plans/${plan.id}/suites`, {
    suiteType: "requirementTestSuite",
    requirementId: story1,
  });
  const suite2 = await ado<{ id: number }>("POST", `${projectId}/_apis/testplan/Plans/${plan.id}/suites`, {
    suiteType: "requirementTestSuite",
    requirementId: story2,
  });

  // 4. CI uploads the Katalon report and pushes it to Azure Test Plans.
  const up = await stack.backend.app.request(`/api/results/junit?project=${encodeURIComponent(PROJECT)}`, {
    method: "POST",
    headers: { ...(await pageHeaders(stack, DEMO_USERS.admin.id)), "Content-Type": "application/xml" },
    body: REPORT,
  });
  expect(up.status).toBe(201);
  const runId = (await up.json()).run.id;
  const push = await api(`/api/results/runs/${runId}/push`, { method: "POST" });
  const job = await until("the push", async () => {
    const j = await api(`/api/jobs/${push.job.id}`);
    return j.status === "succeeded" || j.status === "failed" ? j : undefined;
  });
  expect(job.status).toBe("succeeded");

  // 5. The traceability view shows the outcomes.
  const again = await HostPage.open(browser.context, stack, { contribution: "plans", user: DEMO_USERS.admin.id });
  await again.waitLoaded();
  await again.settled();
  const ah = again.hub();
  await ah.getByRole("tab", { name: "Traceability" }).click();
  await pick(ah, "Release or sprint", "Release 1 › Sprint 2");
  const t2 = ah.getByRole("table", { name: "Traceability of Sprint 2" });
  const story2Row = t2.getByRole("row", { name: `${story2} Book an appointment × Appointment can be booked` });
  await story2Row.getByLabel("Latest result of Appointment can be booked: passed").waitFor();
  await story2Row.getByText(TC1).waitFor();
  await t2.getByLabel(`Requirement ${story2} outcome: passed`).waitFor();
  await ah.getByLabel("Traceability summary").getByText("1 passing").waitFor();
  await again.assertNoErrorCards();
  await bothThemes(again, "trace-view-outcomes");
  // CSV export.
  const [download] = await Promise.all([again.page.waitForEvent("download"), button(ah, "Export CSV").click()]);
  const csv = await download.createReadStream().then(
    (s) =>
      new Promise<string>((resolve, reject) => {
        const parts: Buffer[] = [];
        s.on("data", (b: Buffer) => parts.push(b));
        s.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
        s.on("error", reject);
      }),
  );
  expect(csv).toContain(
    `${story2},Book an appointment,Open,passed,Appointment can be booked,${existingTc},Tested By (Azure DevOps),${TC1},passed`,
  );
  await again.close();

  // 6. The simulator's Azure Test Plans show the same outcomes on the same test points.
  const point = async (suiteId: number, tc: number) =>
    (
      await ado<{ value: { id: number; outcome: string; testCase: { id: string } }[] }>(
        "GET",
        `${projectId}/_apis/test/Plans/${plan.id}/Suites/${suiteId}/points?testCaseId=${tc}`,
      )
    ).value[0];
  expect((await point(suite2.id, existingTc)).outcome).toBe("Passed");
  // The generated Test Case is not automated: its point has no result, and the view says so.
  expect((await point(suite1.id, generatedTc)).outcome).toBe("Unspecified");
  const view = await api(
    `/api/trace/view?sprintId=${(await api("/api/boards/plans")).releases[0].sprints.find((s: { path: string }) => s.path === SPRINT).id}`,
  );
  const r1 = view.requirements.find((r: { adoId: number }) => r.adoId === story1);
  expect(r1.testCases[0]).toMatchObject({ adoTestCaseId: generatedTc, automation: null, latest: null, gaps: ["not_automated"] });
});
