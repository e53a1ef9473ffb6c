/**
 * The widget pages on the SDK's widget protocol (through the SDK mock): what load/reload render for the
 * backend's answers (stubbed here with the contract's shapes; the browser journey uses the real API),
 * the empty and problem states, click-through, and the configuration's notify/onSave.
 */
import "./nodeGlobals";
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import type { Coverage, Flaky, PassRate } from "@testops/backend/schemas/widgets";
import { sdkMock } from "./sdkMock";

const { startWidget, startConfiguration, CONFIGURATION_CHANGE } =
  require("../src/common/widgets/runtime") as typeof import("../src/common/widgets/runtime");
const { PassRateWidget } = require("../src/pass-rate-widget/PassRateWidget") as typeof import("../src/pass-rate-widget/PassRateWidget");
const { CoverageWidget } = require("../src/coverage-widget/CoverageWidget") as typeof import("../src/coverage-widget/CoverageWidget");
const { FlakyWidget } = require("../src/flaky-widget/FlakyWidget") as typeof import("../src/flaky-widget/FlakyWidget");
const { PassRateConfig } = require("../src/pass-rate-widget/PassRateConfig") as typeof import("../src/pass-rate-widget/PassRateConfig");
const { parsePassRate } = require("../src/common/widgets/settings") as typeof import("../src/common/widgets/settings");

const LINK = "0b6f3d0e-8a43-4a7e-9d3c-5b1f2a3c4d5e";
type Route = (url: URL) => { status: number; body: unknown };
let routes: Record<string, Route>;
let calls: URL[];
let navigated: string[];

beforeEach(() => {
  document.body.innerHTML = '<div id="root"></div>';
  calls = [];
  navigated = [];
  routes = {};
  sdkMock.contributionId = "testops.testops-azure-devops.pass-rate-widget";
  sdkMock.services.set("ms.vss-features.host-navigation-service", { navigate: (url: string) => navigated.push(url) });
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    calls.push(url);
    const r = routes[url.pathname]?.(url) ?? { status: 404, body: { error: "not_found", message: `no route ${url.pathname}` } };
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
});

const connected = { connection: "connected" as const, linked: true };
const project = { id: "proj-1", name: "Fabrikam Fiber" };
const point = (i: number, passed: number, failed: number): PassRate["points"][number] => ({
  runId: `run-${i}`,
  name: `Nightly ${i}`,
  at: `2026-03-0${i}T10:00:00.000Z`,
  origin: "task",
  buildNumber: null,
  buildUrl: null,
  total: passed + failed,
  passed,
  failed,
  error: 0,
  skipped: 0,
  passRate: passed / (passed + failed),
});
const settings = (data: unknown, name = "My widget") => ({
  name,
  size: { rowSpan: 2, columnSpan: 2 },
  customSettings: { data: typeof data === "string" ? data : JSON.stringify(data) },
});
type Obj = Record<string, (...a: unknown[]) => Promise<unknown>>;
const registered = () => sdkMock.registered.get(sdkMock.contributionId) as Obj;

async function started(view: Parameters<typeof startWidget>[0]) {
  await act(async () => {
    await startWidget(view);
  });
  return registered();
}
const load = (w: Obj, method: "load" | "reload", s: unknown) => act(async () => void (await w[method](s)));

describe("pass rate widget", () => {
  it("registers under its full and short contribution ids, renders each load's settings, and opens a run", async () => {
    routes["/api/widgets/pass-rate"] = (url) => {
      const n = Number(url.searchParams.get("runs"));
      const points = [point(1, 8, 2), point(2, 9, 1), point(3, 10, 0)].slice(-n);
      const link = url.searchParams.get("linkId") ? { id: LINK, projectName: project.name, name: "Fabrikam Fiber" } : null;
      return { status: 200, body: { status: connected, project, link, points } satisfies PassRate };
    };
    const w = await started(PassRateWidget);
    expect(sdkMock.registered.get("pass-rate-widget")).toBe(w);
    expect(sdkMock.loaded).toBeGreaterThan(0);

    await load(w, "load", settings({ runs: 3 }));
    expect(document.querySelectorAll("rect.tc-bar-hit")).toHaveLength(3);
    expect(document.querySelector('[data-figure="latest"]')!.textContent).toBe("100%");
    expect(document.querySelector('[data-figure="average"]')!.textContent).toBe("avg 90%");
    expect(screen.getByRole("heading", { name: "My widget" })).toBeTruthy();
    expect(calls.slice(-1)[0].searchParams.get("project")).toBe("proj-1");

    // reload: the new settings' query, the new data.
    await load(w, "reload", settings({ runs: 2, origin: "task", pathPrefix: "Login/", linkId: LINK }));
    const q = Object.fromEntries(calls.slice(-1)[0].searchParams);
    expect(q).toEqual({ project: "proj-1", runs: "2", origin: "task", pathPrefix: "Login/", linkId: LINK });
    expect(document.querySelectorAll("rect.tc-bar-hit")).toHaveLength(2);

    fireEvent.click(document.querySelectorAll("rect.tc-bar-hit")[0]);
    await waitFor(() =>
      expect(navigated.slice(-1)[0]).toBe(
        "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_settings/testops.testops-azure-devops.project-settings?tab=runs&runId=run-2",
      ),
    );
  });

  it.each([
    ["no connection", { connection: "none", linked: false }, [], "No Azure DevOps connection"],
    ["nothing linked, nothing stored", { connection: "connected", linked: false }, [], "This project is not linked to TestOps"],
    ["no runs yet", connected, [], "No test runs yet"],
  ])("says so when there is %s", async (_what, status, points, text) => {
    routes["/api/widgets/pass-rate"] = () => ({ status: 200, body: { status, project, link: null, points } });
    const w = await started(PassRateWidget);
    await load(w, "load", settings(null));
    expect(screen.getByText(text)).toBeTruthy();
  });

  it("shows the backend's error with a retry, and still ends the dashboard's load", async () => {
    routes["/api/widgets/pass-rate"] = () => ({
      status: 400,
      body: { error: "bad_request", message: "linkId: is a Boards link of another project" },
    });
    const w = await started(PassRateWidget);
    let status: unknown;
    await act(async () => {
      status = await w.load(settings({ linkId: LINK }));
    });
    expect(status).toEqual({ statusType: 0, state: "error" });
    expect(screen.getByText(/Could not load from TestOps: linkId: is a Boards link of another project/)).toBeTruthy();
  });
});

describe("coverage widget", () => {
  const coverage = (o: Partial<Coverage> = {}): Coverage => ({
    status: connected,
    link: { id: LINK, projectName: "Fabrikam Fiber", name: "Fabrikam Fiber" },
    iteration: {
      kind: "sprint",
      id: "sp-2",
      name: "Sprint 2",
      path: "Fabrikam Fiber\\Release 1\\Sprint 2",
      startDate: null,
      finishDate: null,
    },
    requirements: 4,
    tested: 3,
    passing: 2,
    failing: 1,
    notTested: 1,
    failingWithoutDefect: 1,
    ...o,
  });

  it("counts the project's first link when none was chosen, with the team's current sprint", async () => {
    routes["/api/boards/links"] = () => ({ status: 200, body: { links: [{ id: LINK, archived: false }] } });
    routes["/api/widgets/coverage"] = () => ({ status: 200, body: coverage() });
    const w = await started(CoverageWidget);
    await load(w, "load", settings(null));
    expect(Object.fromEntries(calls.slice(-1)[0].searchParams)).toEqual({ linkId: LINK, scope: "current", team: "team-1" });
    expect(screen.getByText("3 of 4 requirements tested (75%)")).toBeTruthy();
    const count = (row: string) => document.querySelector(`tr[data-row="${row}"] .widget-count`)!.textContent;
    expect([count("passing"), count("failing"), count("notTested"), count("failingWithoutDefect")]).toEqual(["2", "1", "1", "1"]);
    fireEvent.click(screen.getByRole("button", { name: "Current sprint: Sprint 2" }));
    await waitFor(() =>
      expect(navigated.slice(-1)[0]).toBe(
        "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_apps/hub/testops.testops-azure-devops.plans?tab=traceability&scope=sp-2",
      ),
    );
  });

  it("draws a donut of passing / failing / not tested", async () => {
    routes["/api/widgets/coverage"] = () => ({ status: 200, body: coverage({ failing: 0, passing: 3 }) });
    const w = await started(CoverageWidget);
    await load(w, "load", settings({ linkId: LINK, scope: "sprint", iterationId: "sp-2", chart: "donut" }));
    expect(document.querySelector("svg.tc-donut text")!.textContent).toBe("75%");
    expect(document.querySelectorAll("svg.tc-donut path")).toHaveLength(2);
  });

  it.each([
    ["nothing linked", () => ({ status: 200, body: { links: [] } }), undefined, null, "This project is not linked to TestOps"],
    [
      "the chosen link is gone",
      undefined,
      () => ({ status: 404, body: { error: "not_found", message: "no such link" } }),
      { linkId: LINK },
      "The chosen Boards link is gone",
    ],
    [
      "no current sprint",
      undefined,
      () => ({ status: 200, body: coverage({ iteration: null }) }),
      { linkId: LINK },
      "Fabrikam Fiber Team has no current sprint",
    ],
    [
      "no connection",
      undefined,
      () => ({ status: 200, body: coverage({ status: { connection: "none", linked: true } }) }),
      { linkId: LINK },
      "No Azure DevOps connection",
    ],
  ])("says so when %s", async (_what, links, cov, data, text) => {
    if (links) routes["/api/boards/links"] = links as Route;
    if (cov) routes["/api/widgets/coverage"] = cov as Route;
    const w = await started(CoverageWidget);
    await load(w, "load", settings(data));
    expect(screen.getByText(text)).toBeTruthy();
  });
});

describe("flaky widget", () => {
  it("lists the tests with their figure, recent outcomes and open defects first", async () => {
    const t: Flaky["tests"][number] = {
      key: "k1",
      path: "Checkout",
      name: "refund",
      fullName: "Checkout.refund",
      results: 5,
      failures: 3,
      flips: 4,
      latestOutcome: "failed",
      latestAt: "2026-03-08T02:00:00.000Z",
      latestRunId: "run-8",
      recent: ["failed", "passed", "failed", "passed", "failed"],
      defects: [
        { id: 7, title: "Old", state: "Closed", stateCategory: "Completed" },
        { id: 9, title: "Refund fails", state: "Active", stateCategory: "InProgress" },
      ],
    };
    routes["/api/widgets/flaky"] = () => ({ status: 200, body: { status: connected, project, link: null, tests: [t] } satisfies Flaky });
    const w = await started(FlakyWidget);
    await load(w, "load", settings({ by: "flakiness", top: 5, runs: 5 }, ""));
    expect(Object.fromEntries(calls.slice(-1)[0].searchParams)).toEqual({ project: "proj-1", top: "5", by: "flakiness", runs: "5" });
    expect(screen.getByRole("heading", { name: "Flaky tests" })).toBeTruthy();
    expect(screen.getByText("4 flips in 5 results")).toBeTruthy();
    expect(document.querySelectorAll(".wt-cell.tc-failed")).toHaveLength(3);
    const defects = [...document.querySelectorAll("a.widget-defect")].map((a) => [a.textContent, a.getAttribute("href")]);
    expect(defects).toEqual([
      ["Bug 9 · Active", "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_workitems/edit/9"],
      ["Bug 7 · Closed", "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_workitems/edit/7"],
    ]);
    fireEvent.click(screen.getByRole("button", { name: "refund" }));
    await waitFor(() => expect(navigated.slice(-1)[0]).toContain("tab=runs&runId=run-8"));
  });
});

describe("configuration", () => {
  it("loads stored (even hostile) settings, notifies every change and saves the last one", async () => {
    routes["/api/boards/links"] = () => ({ status: 200, body: { links: [] } });
    sdkMock.contributionId = "testops.testops-azure-devops.pass-rate-widget-config";
    await act(async () => {
      await startConfiguration(parsePassRate, PassRateConfig);
    });
    const c = registered();
    const notified: { event: string; data: { data: string } }[] = [];
    const context = { notify: async (event: string, args: { data: { data: string } }) => void notified.push({ event, data: args.data }) };
    await act(async () => void (await c.load(settings('{"runs": "999", "pathPrefix": "\\u0000"}'), context)));
    // Nothing valid stored: the defaults are saved as they are.
    expect(await c.onSave()).toEqual({ isValid: true, customSettings: { data: '{"runs":10}', version: { major: 1, minor: 0, patch: 0 } } });
    const prefix = await screen.findByLabelText("Test path prefix");
    fireEvent.change(prefix, { target: { value: "Suites/Login" } });
    await waitFor(() => expect(notified).toHaveLength(1));
    expect(notified[0].event).toBe(CONFIGURATION_CHANGE);
    expect(JSON.parse(notified[0].data.data)).toEqual({ runs: 10, pathPrefix: "Suites/Login" });
    expect(JSON.parse(((await c.onSave()) as { customSettings: { data: string } }).customSettings.data)).toEqual({
      runs: 10,
      pathPrefix: "Suites/Login",
    });
  });
});
