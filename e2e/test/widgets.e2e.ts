// Issue #20 in the browser: the three dashboard widgets on the fake host's dashboard. Each is configured in
// its own configuration panel (options picked as a person does, the live preview following every change),
// saved, rendered on the dashboard, reconfigured and rendered again, in both themes. The figures the
// widgets show are checked against the results uploaded through the real API in this journey (and against
// the widgets' own data call). Empty states: no connection, nothing linked.
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { FrameLocator } from "playwright-core";
import { summariesIdle } from "@testops/backend/widgets/summaries";
import { pageHeaders } from "../src/demo";
import { startStack, type Stack } from "../src/stack";
import { adminApi, ARTIFACTS, bothThemes, button, HostPage, launchBrowser, type Browser } from "./harness";

const PROJECT = "Fabrikam Fiber";
const SPRINT = "Fabrikam Fiber\\Release 1\\Sprint 2";
let stack: Stack;
let browser: Browser;
let projectId: string;
const api = (path: string, init?: { method?: string; body?: unknown }) => adminApi(stack, path, init);

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Uploads one JUnit run; `fails` are the failing test names. Origin "upload" (the page's own upload path). */
async function upload(runName: string, at: Date, tests: string[], fails: string[], workItemIds: number[] = [], suite = "Checkout") {
  const cases = tests
    .map((t) =>
      fails.includes(t)
        ? `<testcase classname="${suite}" name="${t}" time="0.5"><failure message="boom">at ${t}</failure></testcase>`
        : `<testcase classname="${suite}" name="${t}" time="0.3"/>`,
    )
    .join("");
  const res = await stack.backend.app.request(
    `/api/results/junit?${new URLSearchParams({ project: PROJECT, runName, ...(workItemIds.length ? { workItemIds: workItemIds.join(",") } : {}) })}`,
    {
      method: "POST",
      headers: { ...(await pageHeaders(stack)), "Content-Type": "application/xml" },
      body: `<testsuite name="${suite}" timestamp="${at.toISOString()}">${cases}</testsuite>`,
    },
  );
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
}

/** The user stories of an iteration, asked of the simulator's WIQL with the admin PAT. */
async function storiesIn(iteration: string): Promise<number[]> {
  const res = await stack.sim.fetch(`${stack.sim.url}/fabrikam/${encodeURIComponent(PROJECT)}/_apis/wit/wiql?api-version=7.1`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`:${DEMO_PATS.admin}`).toString("base64")}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] = 'User Story' AND [System.IterationPath] = '${iteration.replace(/'/g, "''")}'`,
    }),
  });
  if (!res.ok) throw new Error(`wiql answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { workItems: { id: number }[] }).workItems.map((w) => w.id);
}

/** Waits until the host's n-th load/reload of a widget frame has been answered (the widget settled). */
async function widgetSettled(host: HostPage, frame: string, count: number) {
  await host.page.waitForFunction(
    ([f, n]) => {
      const loads = window.__host.widget.loads().filter((l) => l.frame === f);
      return loads.length >= (n as number) && loads.slice(-1).every((l) => l.status !== undefined || l.error !== undefined);
    },
    [frame, count] as const,
    { timeout: 60_000 },
  );
  const last = (await host.page.evaluate((f) => window.__host.widget.loads().filter((l) => l.frame === f), frame)).slice(-1)[0];
  if (last.error) throw new Error(`${frame}: ${last.method} failed: ${last.error}`);
  return last;
}
const loadsOf = (host: HostPage, frame: string) =>
  host.page.evaluate((f) => window.__host.widget.loads().filter((l) => l.frame === f).length, frame);

/** azure-devops-ui Dropdown in the configuration frame: open it by its label and pick an option. */
async function pick(hub: FrameLocator, label: string, option: string) {
  await hub.getByRole("button", { name: label, exact: true }).click();
  await hub.getByRole("option", { name: option, exact: true }).first().click();
}

/** Picks an option and waits for the preview's reload that follows the configuration's notify. */
async function change(host: HostPage, what: () => Promise<void>) {
  const before = await loadsOf(host, "preview");
  await what();
  return widgetSettled(host, "preview", before + 1);
}

async function openDashboard(host: HostPage, widget: string) {
  await host.choose("contribution", { label: `Dashboards › ${widget}` });
}

async function configure(host: HostPage, name: string) {
  await button(host.page, `Configure ${name}`).click();
  await host.waitLoaded("main");
  await host.waitLoaded("preview");
  await host.hub("main").getByRole("button", { name: "Boards link", exact: true }).waitFor();
}

async function save(host: HostPage) {
  const before = await loadsOf(host, "main");
  await button(host.page, "Save").click();
  await host.page.waitForFunction(() => window.__host.widget.view() === "dashboard");
  await host.waitLoaded("main");
  return widgetSettled(host, "main", before + 1);
}

/** Clicks and waits for the widget's navigation call (it goes through the SDK's service asynchronously). */
async function navigationAfter(host: HostPage, click: () => Promise<void>): Promise<URL> {
  const navigations = () =>
    host.page.evaluate(() => window.__host.navigation.records.filter((r) => r.method === "navigate").map((r) => String(r.args[0])));
  const before = (await navigations()).length;
  await click();
  return until(
    "the widget's navigation",
    async () => {
      const after = await navigations();
      return after.length > before ? new URL(after[after.length - 1]) : undefined;
    },
    10_000,
  );
}

/** Saves a screenshot of just the widget's frame (the catalog previews in extension/images come from these). */
async function widgetShot(host: HostPage, name: string) {
  await host.page.locator('iframe[data-frame="main"]').screenshot({ path: `${ARTIFACTS}/${name}.png` });
}

beforeAll(async () => {
  stack = await startStack({ allowBackendPortFallback: true });
  browser = await launchBrowser(stack);
  projectId = stack.sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!.id;
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test("empty states: no connection, then connected but nothing linked", async () => {
  const host = await HostPage.open(browser.context, stack, {
    contribution: "pass-rate-widget",
    user: DEMO_USERS.admin.id,
    project: PROJECT,
  });
  await host.waitLoaded();
  await widgetSettled(host, "main", 1);
  const w = host.hub();
  await w.locator('[data-state="no-connection"]').getByText("No Azure DevOps connection").waitFor();
  await host.screenshot("widget-no-connection-light");

  await api("/api/connections", {
    method: "POST",
    body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin },
  });
  await openDashboard(host, "Requirement coverage");
  await host.waitLoaded();
  await widgetSettled(host, "main", 1);
  await host.hub().locator('[data-state="not-linked"]').getByText("This project is not linked to TestOps").waitFor();
  // The configuration says so too, instead of an empty picker.
  await button(host.page, "Configure Requirement coverage").click();
  await host.waitLoaded("main");
  await host
    .hub("main")
    .getByText(/This project has no Boards link yet/)
    .waitFor();
  await bothThemes(host, "widget-not-linked");
  await button(host.page, "Cancel").click();
  await host.close();
}, 300_000);

describe("with results and a Boards link", () => {
  const stories: number[] = [];
  const runs: { name: string; fails: string[] }[] = [];
  const TESTS = ["login", "logout", "pay", "refund", "search"];
  let linkId: string;

  beforeAll(async () => {
    // Three requirements in Sprint 2: one with a passing test, one with a failing test, one untested.
    for (const title of ["Pay by card", "Refund an order", "Export invoices"])
      stories.push(
        stack.sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": title, "System.IterationPath": SPRINT }).id,
      );
    const states = { New: "Open", Active: "In Progress", Resolved: "Resolved", Closed: "Done", Removed: "Removed" };
    const created = await api("/api/boards/links", {
      method: "POST",
      body: {
        proceed: true,
        config: {
          project: { id: projectId, name: PROJECT },
          pullRequirements: true,
          requirements: { workItemTypes: ["User Story"], stateMapping: { "User Story": states }, releaseDateFields: [] },
        },
      },
    });
    linkId = created.link?.id ?? created.id;
    await until("the Boards link synced", async () => {
      const l = (await api(`/api/boards/links?projectId=${projectId}`)).links.find((x: { id: string }) => x.id === linkId);
      return l && l.status === "Active" && !l.activeJobId;
    });
    // Eight nightly runs of five tests: "pay" fails from run 7 on, "refund" flips every other run, "search" always fails.
    for (let i = 0; i < 8; i++) {
      const fails = ["search", ...(i >= 6 ? ["pay"] : []), ...(i % 2 ? ["refund"] : [])];
      runs.push({ name: `Nightly ${i + 1}`, fails });
      await upload(`Nightly ${i + 1}`, new Date(Date.UTC(2026, 10, 1 + i, 2)), TESTS, fails);
    }
    // The requirements' tests (run before the nightlies): "Pay by card" passing, "Refund an order" failing.
    await upload("Story checks", new Date(Date.UTC(2026, 9, 20, 2)), ["card-ok"], [], [stories[0]], "Stories");
    await upload("Story checks 2", new Date(Date.UTC(2026, 9, 20, 3)), ["refund-ok"], ["refund-ok"], [stories[1]], "Stories");
    // The widgets read summaries the backend writes in the background after each upload.
    await summariesIdle(stack.backend.deps.database);
  }, 400_000);

  test("pass rate trend: configure → render → change settings → re-render, both themes", async () => {
    const host = await HostPage.open(browser.context, stack, {
      contribution: "pass-rate-widget",
      user: DEMO_USERS.admin.id,
      project: PROJECT,
    });
    await host.waitLoaded();
    await widgetSettled(host, "main", 1);
    // Unconfigured: the whole project, the last 10 runs (here: all 11 runs less the oldest ones).
    const all = await api(`/api/widgets/pass-rate?project=${encodeURIComponent(PROJECT)}&runs=10`);
    expect(await host.hub().locator("rect.tc-bar-hit").count()).toBe(all.points.length);

    await configure(host, "Test pass rate trend");
    const cfg = host.hub("main");
    const preview = host.hub("preview");
    await change(host, () => pick(cfg, "Runs", "5"));
    await preview.locator("rect.tc-bar-hit").nth(4).waitFor();
    expect(await preview.locator("rect.tc-bar-hit").count()).toBe(5);
    // Only the nightly suite: tests under "Checkout".
    await change(host, async () => {
      await cfg.getByLabel("Test path prefix").fill("Checkout");
    });
    const saved = await save(host);
    expect(JSON.parse(saved.settings.customSettings.data!)).toEqual({ runs: 5, pathPrefix: "Checkout" });

    // The five newest nightly runs, figures from what was uploaded: 5 tests, its failures.
    const last5 = runs.slice(-5);
    const w = host.hub();
    const bars = w.locator("rect.tc-bar-hit");
    await bars.nth(4).waitFor();
    expect(await bars.count()).toBe(5);
    for (let i = 0; i < 5; i++) {
      const passed = TESTS.length - last5[i].fails.length;
      expect(await bars.nth(i).getAttribute("aria-label")).toContain(`${last5[i].name} · `);
      expect(await bars.nth(i).getAttribute("aria-label")).toContain(
        `${passed} of ${TESTS.length} passed (${Math.round((passed / TESTS.length) * 100)}%)`,
      );
    }
    const latest = Math.round(((TESTS.length - last5[4].fails.length) / TESTS.length) * 100);
    expect(await w.locator('[data-figure="latest"]').innerText()).toBe(`${latest}%`);
    // And the same as the widget's data call says.
    const data = await api(`/api/widgets/pass-rate?project=${encodeURIComponent(PROJECT)}&runs=5&pathPrefix=Checkout`);
    expect(data.points.map((p: { name: string }) => p.name)).toEqual(last5.map((r) => r.name));
    await widgetShot(host, "pass-rate-widget-preview");
    await bothThemes(host, "widget-pass-rate");

    // Click-through: a bar opens that run in Project settings → TestOps → Test runs.
    const url = await navigationAfter(host, () => bars.nth(4).click());
    expect(url.pathname).toBe(`/fabrikam/${encodeURIComponent(PROJECT)}/_settings/testops.testops-azure-devops.project-settings`);
    expect(url.searchParams.get("tab")).toBe("runs");
    expect(url.searchParams.get("runId")).toBe(data.points[4].runId);

    // Change settings: 3 runs and a wider size; the widget renders again with them.
    await configure(host, "Test pass rate trend");
    await change(host, () => pick(host.hub("main"), "Runs", "3"));
    await host.page.locator('select[name="widget-size"]').selectOption("4x2");
    await save(host);
    await w.locator("rect.tc-bar-hit").nth(2).waitFor();
    expect(await w.locator("rect.tc-bar-hit").count()).toBe(3);
    expect(
      await host.page.locator('iframe[data-frame="main"]').evaluate((f) => (f as HTMLIFrameElement).getBoundingClientRect().width),
    ).toBe(670);
    await bothThemes(host, "widget-pass-rate-changed");
    await host.close();
  }, 400_000);

  test("requirement coverage: configure a sprint → render → donut → re-render, both themes; click-through to Plans", async () => {
    const host = await HostPage.open(browser.context, stack, {
      contribution: "coverage-widget",
      user: DEMO_USERS.admin.id,
      project: PROJECT,
    });
    await host.waitLoaded();
    await widgetSettled(host, "main", 1);
    await host.assertNoErrorCards();

    await configure(host, "Requirement coverage");
    const cfg = host.hub("main");
    await change(host, () => pick(cfg, "Sprint or release", "Release 1 › Sprint 2"));
    const preview = host.hub("preview");
    await preview.locator('[data-figure="summary"]').waitFor();
    const saved = await save(host);
    const settings = JSON.parse(saved.settings.customSettings.data!);
    // The sprint is kept with the link it belongs to (here the project's only one, shown by default).
    expect(settings).toMatchObject({ linkId, scope: "sprint", chart: "bar" });

    const c = await api(`/api/widgets/coverage?linkId=${linkId}&scope=sprint&iterationId=${settings.iterationId}`);
    expect(c.iteration.name).toBe("Sprint 2");
    // What was uploaded: "Pay by card" passing, "Refund an order" failing without a defect; every other user
    // story of the sprint (the demo project has some) has no results.
    const inSprint = await storiesIn(SPRINT);
    expect(inSprint).toEqual(expect.arrayContaining(stories));
    const n = inSprint.length;
    expect([c.requirements, c.tested, c.passing, c.failing, c.notTested, c.failingWithoutDefect]).toEqual([n, 2, 1, 1, n - 2, 1]);
    const w = host.hub();
    expect(await w.locator('[data-figure="summary"]').innerText()).toBe(`2 of ${n} requirements tested (${Math.round((2 / n) * 100)}%)`);
    for (const [row, v] of Object.entries({ passing: 1, failing: 1, notTested: n - 2, failingWithoutDefect: 1 }))
      expect(await w.locator(`tr[data-row="${row}"] .widget-count`).innerText()).toBe(String(v));
    await widgetShot(host, "coverage-widget-preview");
    await bothThemes(host, "widget-coverage");

    // Click-through: Plans → Traceability of that sprint.
    const url = await navigationAfter(host, () => w.getByRole("button", { name: "Sprint 2", exact: true }).click());
    expect(url.pathname).toBe(`/fabrikam/${encodeURIComponent(PROJECT)}/_apps/hub/testops.testops-azure-devops.plans`);
    expect(Object.fromEntries(url.searchParams)).toEqual({ tab: "traceability", scope: settings.iterationId });
    // The Plans hub opens on that view from the link's query.
    const plans = await HostPage.open(browser.context, stack, {
      contribution: "plans",
      user: DEMO_USERS.admin.id,
      project: PROJECT,
      navQuery: url.searchParams.toString(),
    });
    await plans.waitLoaded();
    await plans.hub().getByRole("table", { name: "Traceability of Sprint 2" }).waitFor();
    await plans.close();

    // Change settings: a donut.
    await configure(host, "Requirement coverage");
    await change(host, () => pick(host.hub("main"), "Chart", "Donut"));
    await save(host);
    await w.locator("svg.tc-donut").waitFor();
    expect(await w.locator("svg.tc-donut text").textContent()).toBe(`${Math.round((c.passing / c.requirements) * 100)}%`);
    expect(await w.locator("svg.tc-donut path").count()).toBe([c.passing, c.failing, c.notTested].filter((n) => n > 0).length);
    await bothThemes(host, "widget-coverage-donut");
    await host.close();
  }, 400_000);

  test("flaky and failing tests: configure → render → rank by flips → re-render, both themes", async () => {
    const host = await HostPage.open(browser.context, stack, { contribution: "flaky-widget", user: DEMO_USERS.admin.id, project: PROJECT });
    await host.waitLoaded();
    await widgetSettled(host, "main", 1);

    await configure(host, "Flaky and failing tests");
    const cfg = host.hub("main");
    await change(host, () => pick(cfg, "Tests", "3"));
    await change(host, () => pick(cfg, "Window", "5"));
    await save(host);
    const w = host.hub();
    const rows = w.locator("li.widget-test");
    await rows.first().waitFor();
    // By failures in each test's last 5 results: search (5), refund (3: runs 4, 6, 8), pay (2: runs 7, 8).
    const failuresIn = (t: string, n: number) => runs.slice(-n).filter((r) => r.fails.includes(t)).length;
    expect(await rows.count()).toBe(3);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-name")))).toEqual(["search", "refund", "pay"]);
    expect(await rows.nth(0).locator('[data-figure="failures"]').innerText()).toBe(`${failuresIn("search", 5)} failures in 5 results`);
    expect(await rows.nth(1).locator('[data-figure="failures"]').innerText()).toBe(`${failuresIn("refund", 5)} failures in 5 results`);
    expect(await rows.nth(2).locator('[data-figure="failures"]').innerText()).toBe(`${failuresIn("pay", 5)} failures in 5 results`);
    await widgetShot(host, "flaky-widget-preview");
    await bothThemes(host, "widget-flaky");

    // Click-through: the test's latest run.
    const data = await api(`/api/widgets/flaky?project=${encodeURIComponent(PROJECT)}&top=3&runs=5`);
    const url = await navigationAfter(host, () => rows.nth(0).getByRole("button").click());
    expect(url.searchParams.get("runId")).toBe(data.tests[0].latestRunId);

    // Change settings: rank by flips; "refund" flips every run.
    await configure(host, "Flaky and failing tests");
    await change(host, () => pick(host.hub("main"), "Rank by", "Most flaky (pass ⇄ fail flips)"));
    await save(host);
    await w.locator('[data-figure="flakiness"]').first().waitFor();
    expect(await rows.first().getAttribute("data-name")).toBe("refund");
    const flips = await api(`/api/widgets/flaky?project=${encodeURIComponent(PROJECT)}&top=3&runs=5&by=flakiness`);
    expect(await rows.first().locator('[data-figure="flakiness"]').innerText()).toBe(`${flips.tests[0].flips} flips in 5 results`);
    expect(flips.tests[0].flips).toBe(4);
    await bothThemes(host, "widget-flaky-flips");
    await host.close();
  }, 400_000);

  test("hostile stored settings do not break a widget", async () => {
    const host = await HostPage.open(browser.context, stack, { contribution: "flaky-widget", user: DEMO_USERS.admin.id, project: PROJECT });
    await host.waitLoaded();
    await host.page.evaluate(() =>
      window.__host.widget.setSettings("flaky-widget", {
        name: "Flaky\u0000",
        size: { rowSpan: "x", columnSpan: 99 },
        customSettings: { data: '{"top": 1e9, "by": {"$ne": 1}, "linkId": "../../etc", "runs": "\u0000"}' },
      }),
    );
    await button(host.page, "Reload page").click();
    await host.waitLoaded();
    await widgetSettled(host, "main", 1);
    // Defaults instead: top 10 by failures over 20 results.
    await host.hub().getByText("Top 10 by failures in each test's last 20 results").waitFor();
    await host.close();
  }, 300_000);
});
