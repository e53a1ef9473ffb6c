// Results from CI, in the browser: a (simulated) pipeline run → the TestOpsPublishResults@1 task, run as
// the agent runs it, uploads its reports → the run appears in Project settings › TestOps › Test runs
// with its build → the work item form of a work item associated with the build shows the results.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { ensureTaskBuilt } from "../src/build";
import type { Stack } from "../src/stack";
import { bothThemes, button, HostPage, startConnected, type Browser } from "./harness";

const PROJECT = "Fabrikam Fiber";
let stack: Stack;
let browser: Browser;
let dir: string;
let task: string;
beforeAll(async () => {
  task = ensureTaskBuilt();
  ({ stack, browser } = await startConnected());
  dir = mkdtempSync(path.join(tmpdir(), "testops-agent-"));
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The first user story of the demo project: the host's work item picker lists it. */
async function firstStory(): Promise<number> {
  const res = await stack.sim.fetch(`${stack.sim.url}/fabrikam/${encodeURIComponent(PROJECT)}/_apis/wit/wiql?api-version=7.1`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`:${DEMO_PATS.admin}`).toString("base64")}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] = 'User Story' AND [System.State] <> 'Removed' ORDER BY [System.Id]`,
    }),
  });
  return ((await res.json()) as { workItems: { id: number }[] }).workItems[0].id;
}

function runAgentTask(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [task], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
}

test("pipeline run → task uploads → the run is in Test runs with its build → the build's work item shows the results", async () => {
  const story = await firstStory();
  const run = stack.sim.startPipelineRun("fabrikam", PROJECT, { pipeline: "Web CI", branch: "refs/heads/main", workItemIds: [story] });
  const ws = mkdtempSync(path.join(dir, "s-"));
  writeFileSync(
    path.join(ws, "TEST-Checkout.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="CheckoutSpec" tests="2" timestamp="2026-11-26T01:00:00" time="2.1">
  <testcase classname="CheckoutSpec" name="pays with a new card" time="1.2"/>
  <testcase classname="CheckoutSpec" name="refuses an expired card" time="0.9">
    <failure message="expected an error banner">AssertionError: expected an error banner
    at CheckoutSpec (checkout.spec.ts:31:5)</failure>
  </testcase>
</testsuite>`,
  );
  // A second report: the task adds it to the same run (runId=), written in chunks and shown once whole.
  writeFileSync(
    path.join(ws, "TEST-Cart.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="CartSpec" tests="1" timestamp="2026-11-26T01:00:03" time="0.4">
  <testcase classname="CartSpec" name="keeps the cart after sign-in" time="0.4"/>
</testsuite>`,
  );
  const out = await runAgentTask({
    INPUT_TESTOPSURL: stack.urls.backend,
    INPUT_TESTRESULTSFILES: "**/TEST-*.xml",
    INPUT_SEARCHFOLDER: ws,
    INPUT_LINKWORKITEMS: "build",
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: run.accessToken }, scheme: "OAuth" }),
    SYSTEM_COLLECTIONURI: "https://dev.azure.com/fabrikam/",
    SYSTEM_TEAMPROJECTID: run.variables.SYSTEM_TEAMPROJECTID,
    BUILD_BUILDID: run.variables.BUILD_BUILDID,
    AGENT_TEMPDIRECTORY: dir,
  });
  expect(out).toContain("TestOps run: 3 results — 2 passed, 1 failed");
  const runUrl = new URL(/See the run: (\S+)/.exec(out)![1]);
  expect(out).toMatch(/##vso\[task\.complete result=Succeeded;\]/);

  // The project administrator sees the run in the project settings hub, with its source and build.
  const host = await HostPage.open(browser.context, stack, { contribution: "project-settings", user: DEMO_USERS.projectAdmin.id });
  await host.waitLoaded();
  const hub = host.hub();
  await hub.getByRole("tab", { name: "Test runs" }).click();
  const row = hub.getByRole("list", { name: "Test runs" }).getByRole("listitem").first();
  await row.waitFor();
  await expect(row.textContent()).resolves.toContain("Pipeline task (Web CI)");
  await expect(row.textContent()).resolves.toContain(`Web CI ${run.buildNumber}`);
  await expect(row.textContent()).resolves.toContain("2 passed · 1 failed");
  const buildLink = row.getByRole("link");
  expect(await buildLink.getAttribute("href")).toBe(
    `https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=${run.buildId}`,
  );
  await bothThemes(host, "project-settings-test-runs");

  // The run's detail: results by outcome, the failure's details.
  await row.getByRole("button", { name: `Web CI ${run.buildNumber}` }).click();
  await hub.getByRole("tab", { name: "Failed (1)" }).click();
  const failed = hub.getByRole("list", { name: "Results" }).getByRole("listitem");
  await failed.first().getByText("refuses an expired card").waitFor();
  await expect(failed.count()).resolves.toBe(1);
  await expect(failed.first().textContent()).resolves.toContain("expected an error banner");
  // Push to Azure Test Plans, with progress, until it is there.
  await button(hub, "Push to Azure Test Plans").click();
  await hub.getByRole("link", { name: "Open in Azure Test Plans" }).waitFor({ timeout: 30_000 });
  await hub.getByText("Pipeline task (Web CI) · 2 passed · 1 failed · In Azure Test Plans").waitFor();
  await hub.getByText("TEST-Cart.xml and 1 more file").waitFor();
  await host.screenshot("project-settings-test-run-detail");
  await host.assertClean();
  await host.close();

  // The link the task printed opens the hub on that run (its query is the Azure DevOps page URL's), for any member.
  expect(runUrl.pathname).toBe("/fabrikam/Fabrikam%20Fiber/_settings/testops.testops-azure-devops.project-settings");
  const linked = await HostPage.open(browser.context, stack, {
    contribution: "project-settings",
    user: DEMO_USERS.member.id,
    navQuery: runUrl.searchParams.toString(),
  });
  await linked.waitLoaded();
  await linked
    .hub()
    .getByRole("heading", { name: `Web CI ${run.buildNumber}` })
    .waitFor();
  await linked.hub().getByRole("tab", { name: "Failed (1)" }).waitFor();
  await linked.assertClean();
  await linked.close();

  // The work item associated with the build shows the results on its form.
  const form = await HostPage.open(browser.context, stack, {
    contribution: "work-item-results",
    user: DEMO_USERS.admin.id,
    workItem: String(story),
  });
  await form.waitLoaded();
  const group = form.hub();
  await group.getByText("refuses an expired card").first().waitFor({ timeout: 30_000 });
  await group.getByText("pays with a new card").first().waitFor();
  await group.getByText("keeps the cart after sign-in").first().waitFor();
  await form.assertClean();
  await form.close();
});

test("upload keys: created in the hub and shown once, used by another CI with curl's request, revoked; the import brings pipeline runs in", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "project-settings", user: DEMO_USERS.projectAdmin.id });
  await host.waitLoaded();
  const hub = host.hub();
  await hub.getByRole("tab", { name: "Test runs" }).click();
  await hub.getByRole("textbox", { name: "New key name" }).fill("Jenkins");
  await button(hub, "Create key").click();
  // The dialog is the only place the secret is ever shown.
  const secret = (await hub.getByLabel("New key", { exact: true }).textContent())!.trim();
  expect(secret).toMatch(/^tok_[A-Za-z0-9_-]{43}$/);
  await host.screenshot("project-settings-upload-key-created");
  await button(hub, "Done").click();
  const keyRow = hub.getByRole("list", { name: "Upload keys" }).getByRole("listitem").filter({ hasText: "Jenkins" });
  await keyRow.waitFor();
  expect(await keyRow.textContent()).toContain(secret.slice(0, 10));
  expect(await keyRow.textContent()).not.toContain(secret);

  // What `curl -H "Authorization: Bearer tok_…" --data-binary @report.xml "$API/api/results/junit?runName=…"` sends.
  const send = () =>
    fetch(`${stack.urls.backend}/api/results/junit?runName=${encodeURIComponent("Jenkins #41")}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/xml" },
      body: `<testsuite name="api"><testcase classname="Api" name="lists invoices"/></testsuite>`,
    });
  expect((await send()).status).toBe(201);
  await hub.getByRole("menuitem", { name: "Refresh" }).click();
  const row = hub.getByRole("list", { name: "Test runs" }).getByRole("listitem").filter({ hasText: "Jenkins #41" });
  await row.waitFor();
  expect(await row.textContent()).toContain('Upload key "Jenkins"');

  await keyRow.getByRole("button", { name: "Revoke Jenkins" }).click();
  await keyRow.getByText(/revoked/).waitFor();
  expect((await send()).status).toBe(401);

  // A run the pipeline already published to Azure Test Plans comes in when the import is turned on.
  const build = stack.sim.startPipelineRun("fabrikam", PROJECT, { pipeline: "Nightly" });
  stack.sim.publishPipelineTestRun("fabrikam", build.buildId, {
    title: "Nightly published by PublishTestResults",
    at: new Date(Date.now() - 86_400_000),
    results: [
      { name: "exports a PDF", className: "com.fabrikam.ReportsTest", outcome: "Passed" },
      { name: "emails the report", className: "com.fabrikam.ReportsTest", outcome: "Failed", errorMessage: "SMTP refused" },
    ],
  });
  await hub.getByRole("switch", { name: "Import pipeline test runs" }).click();
  await hub.getByText(/1 imported/).waitFor({ timeout: 30_000 });
  await hub.getByRole("menuitem", { name: "Refresh" }).click();
  const imported = hub
    .getByRole("list", { name: "Test runs" })
    .getByRole("listitem")
    .filter({ hasText: "Nightly published by PublishTestResults" });
  await imported.waitFor();
  expect(await imported.textContent()).toContain("Imported from Azure Test Plans");
  expect(await imported.textContent()).toContain("1 passed · 1 failed");
  await host.assertClean();
  await host.close();
});
