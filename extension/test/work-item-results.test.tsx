/**
 * Work item form group against the REAL backend (in-process, PGlite) and the Azure DevOps simulator:
 * the page's typed client calls go to backend.app.request; the form talks through the SDK mock.
 */
import "./nodeGlobals";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type * as SimModule from "@testops/ado-sim";
import type * as Helpers from "../../backend/test/helpers";
import { sdkMock } from "./sdkMock";

const { createSimulator, DEMO_PATS, DEMO_USERS } = require("@testops/ado-sim") as typeof SimModule;
const { authHeaders, connectOrg, EXTENSION_SCOPES, signAppToken, testBackend } = require("../../backend/test/helpers") as typeof Helpers;
const { WorkItemResultsPage, PAGE_SIZE, frame } =
  require("../src/work-item-results/WorkItemResults") as typeof import("../src/work-item-results/WorkItemResults");

jest.setTimeout(60_000);

const PROJECT = "Fabrikam Fiber";
let backend: Awaited<ReturnType<typeof testBackend>>;
const sim = createSimulator();
const realFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(backend.app.request(String(input), init));
let apiCalls: string[] = [];

async function upload(xml: string, workItemIds: number[], runName: string, project = PROJECT) {
  const res = await backend.app.request(
    `/api/results/junit?${new URLSearchParams({ project, runName, workItemIds: workItemIds.join(",") })}`,
    {
      method: "POST",
      headers: { ...(await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id)), "Content-Type": "application/xml" },
      body: xml,
    },
  );
  expect(res.status).toBe(201);
}
const workItem = (title: string) => sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": title }).id;

async function renderForm() {
  sdkMock.appToken = await signAppToken(DEMO_USERS.member.id, { expInSec: 30 });
  sdkMock.accessToken = sim.issueAccessToken("fabrikam", DEMO_USERS.member.id, undefined, EXTENSION_SCOPES);
  const view = render(<WorkItemResultsPage />);
  // The listener is registered under the contribution id as soon as the SDK is ready.
  await waitFor(() => expect(sdkMock.registered.has(sdkMock.contributionId)).toBe(true));
  return view;
}
const fire = (method: string, args?: unknown) => act(async () => void (await sdkMock.fire(method, args)));
const rows = () =>
  within(screen.getByRole("list", { name: "Tests" }))
    .getAllByRole("listitem")
    .filter((li) => li.classList.contains("wir-row"));
const row = (name: string) => rows().find((r) => r.getAttribute("aria-label")?.startsWith(`${name}:`))!;

beforeAll(async () => {
  backend = await testBackend({ fetch: sim.fetch });
  await connectOrg(backend.app, await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id), "fabrikam", DEMO_PATS.admin);
});
afterAll(() => backend.close());
beforeEach(() => {
  apiCalls = [];
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    apiCalls.push(new URL(String(input)).pathname);
    return realFetch(input, init);
  }) as typeof fetch;
});

describe("work item form group: test results (real backend + simulator)", () => {
  it("asks to save a new work item first", async () => {
    await renderForm();
    await fire("onLoaded", { id: 0, isNew: true, isReadOnly: false });
    expect(await screen.findByText("Save the work item to see the test results linked to it.")).toBeTruthy();
    expect(apiCalls.filter((p) => p.startsWith("/api/results"))).toEqual([]);
  });

  it("shows one row per test with its strip, the trend chart, history with show all, and creates, links and unlinks defects", async () => {
    // A requirement with 20 nightly runs of 30 tests: t01 fails in the last 3 runs, t02 always fails (and
    // has a defect), t03 alternates (flaky), the rest pass. Custom Project's Bug has a required custom field.
    const CUSTOM = "Custom Project";
    const id = sim.createWorkItem("fabrikam", CUSTOM, "User Story", { "System.Title": "Pay by card" }).id;
    const longMessage = `Expected 200 but was 500. ${"Response body: {…}. ".repeat(40)}`;
    for (let run = 0; run < 20; run++) {
      const cases = Array.from({ length: 30 }, (_, i) => {
        const name = `t${String(i + 1).padStart(2, "0")}`;
        const fails = (i === 0 && run >= 17) || i === 1 || (i === 2 && run % 2 === 1 && run < 19);
        return fails
          ? `<testcase classname="Payments" name="${name}" time="1"><failure message="${longMessage}">at Payments.${name}(Payments.java:${run})</failure></testcase>`
          : `<testcase classname="Payments" name="${name}" time="0.5"/>`;
      }).join("");
      const at = new Date(Date.UTC(2026, 2, 1 + run, 2)).toISOString();
      await upload(`<testsuite name="payments" timestamp="${at}">${cases}</testsuite>`, [id], `Nightly ${run + 1}`, CUSTOM);
    }
    const existing = sim.createWorkItem("fabrikam", CUSTOM, "Bug", {
      "System.Title": "Card declined for t02",
      "Custom.FoundInEnvironment": "Test",
    }).id;
    const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const list = await (await backend.app.request(`/api/results/work-items/${id}`, { headers: admin })).json();
    const t02 = list.tests.find((t: { name: string }) => t.name === "t02");
    const linked = await backend.app.request(`/api/results/work-items/${id}/tests/${t02.key}/defects`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ defectId: existing }),
    });
    expect(linked.status).toBe(201);

    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: false });
    await waitFor(() => expect(rows()).toHaveLength(PAGE_SIZE));
    expect(
      rows()
        .slice(0, 3)
        .map((r) => r.getAttribute("aria-label")),
    ).toEqual(["t01: Failed", "t02: Failed", "t03: Passed"]);
    // The strip: 20 outcomes, oldest to newest.
    const strip = within(row("t01")).getByRole("img");
    expect(strip.getAttribute("aria-label")).toBe(
      `Last 20 outcomes: ${[...Array(17).fill("Passed"), "Failed", "Failed", "Failed"].join(", ")}`,
    );
    expect(strip.querySelectorAll(".wir-cell-failed")).toHaveLength(3);
    expect(within(row("t03")).getByText("Flaky")).toBeTruthy();
    expect(within(row("t02")).getByText(`Bug ${existing} · New`)).toBeTruthy();
    expect(within(row("t01")).getByText("No defect")).toBeTruthy();
    const summary = screen.getByLabelText("Test results summary");
    // Latest outcomes: 28 passed of 30.
    expect(summary.textContent).toContain("93.3%");
    expect(within(summary).getByText("1 flaky")).toBeTruthy();
    const chart = within(summary).getByRole("img");
    expect(chart.getAttribute("aria-label")).toMatch(/^Pass rate over the last 20 runs: 97%, 93%, 97%/);
    expect(chart.querySelectorAll("circle")).toHaveLength(20);
    expect(chart.querySelector("path")!.getAttribute("d")).toMatch(/^M3\.0,/);
    fireEvent.click(screen.getByRole("button", { name: "Show 10 more of 10 tests" }));
    await waitFor(() => expect(rows()).toHaveLength(30));

    // Failing with no defect: only t01.
    fireEvent.click(screen.getByRole("checkbox", { name: "Failing with no defect (1)" }));
    await waitFor(() => expect(rows().map((r) => r.getAttribute("aria-label"))).toEqual(["t01: Failed"]));
    fireEvent.click(screen.getByRole("checkbox", { name: "Failing with no defect (1)" }));
    await waitFor(() => expect(rows()).toHaveLength(PAGE_SIZE));

    // History: newest first, 5 at a time, long failure text trimmed with Show all; the frame follows.
    const fit = jest.spyOn(frame, "fit");
    fireEvent.click(within(row("t01")).getByRole("button", { name: "Show history of t01" }));
    const history = await within(row("t01")).findByRole("list", { name: "History of t01" });
    await waitFor(() => expect(within(history).getAllByRole("listitem")).toHaveLength(5));
    expect(fit).toHaveBeenCalled();
    fit.mockRestore();
    const newest = within(history).getAllByRole("listitem")[0];
    expect(newest.getAttribute("aria-label")).toBe("Nightly 20: Failed");
    expect(newest.textContent).not.toContain(longMessage);
    fireEvent.click(within(newest).getAllByRole("button", { name: "Show all" })[0]);
    expect(newest.textContent).toContain(longMessage.trim());
    fireEvent.click(within(row("t01")).getByRole("button", { name: "Show 5 more of 15 runs" }));
    await waitFor(() => expect(within(history).getAllByRole("listitem")).toHaveLength(10));
    fireEvent.click(within(row("t01")).getByRole("button", { name: "Hide history of t01" }));
    expect(within(row("t01")).queryByRole("list", { name: "History of t01" })).toBeNull();

    // Create defect: the bug type's required custom field must be chosen before Create is enabled.
    fireEvent.click(within(row("t01")).getByRole("button", { name: "Create defect" }));
    const panel = await screen.findByRole("region", { name: "Create defect" });
    await waitFor(() =>
      expect((within(panel).getByLabelText("Title") as HTMLInputElement).value).toMatch(
        /^t01 fails: Expected 200 but was 500\. Response body: .*…$/,
      ),
    );
    expect((within(panel).getByLabelText("Title") as HTMLInputElement).value.length).toBeLessThanOrEqual(132);
    expect((within(panel).getByLabelText("Repro Steps") as HTMLTextAreaElement).value).toContain("at Payments.t01(Payments.java:19)");
    const create = () => within(panel).getByRole("button", { name: "Create Bug" });
    expect(create().getAttribute("aria-disabled")).toBe("true");
    fireEvent.change(within(panel).getByLabelText("Found In Environment"), { target: { value: "Staging" } });
    await waitFor(() => expect(create().getAttribute("aria-disabled")).toBeNull());
    fireEvent.click(create());
    await waitFor(() => expect(within(row("t01")).getByText(/^Created Bug \d+$/)).toBeTruthy());
    const bugId = Number(/Created Bug (\d+)/.exec(row("t01").textContent!)![1]);
    await waitFor(() => expect(within(row("t01")).getByText(`Bug ${bugId} · New`)).toBeTruthy());
    const bug = sim.org("fabrikam").workItems.latest(bugId);
    expect(bug.fields["Custom.FoundInEnvironment"]).toBe("Staging");
    expect(bug.fields["System.CreatedBy"]).toBe(DEMO_USERS.member.id);
    expect(bug.relations).toEqual([expect.objectContaining({ rel: "System.LinkTypes.Related", targetId: id })]);
    expect(screen.getByRole("checkbox", { name: "Failing with no defect (0)" })).toBeTruthy();

    // Unlink t02's defect, then link it again by searching its title.
    fireEvent.click(within(row("t02")).getByRole("button", { name: `Unlink ${existing}` }));
    await waitFor(() => expect(within(row("t02")).getByText("No defect")).toBeTruthy());
    fireEvent.click(within(row("t02")).getByRole("button", { name: "Link defect" }));
    const linkPanel = await screen.findByRole("region", { name: "Link defect" });
    fireEvent.change(within(linkPanel).getByLabelText("Work item id or title words"), { target: { value: "card declined" } });
    fireEvent.click(within(linkPanel).getByRole("button", { name: "Search" }));
    fireEvent.click(await within(linkPanel).findByRole("button", { name: `Link ${existing}` }));
    await waitFor(() => expect(within(row("t02")).getByText(`Bug ${existing} · New`)).toBeTruthy());
    expect(within(row("t02")).queryByText("No defect")).toBeNull();
  });

  it("shows a rule error from Azure DevOps on its field and creates nothing", async () => {
    const CUSTOM = "Custom Project";
    const id = sim.createWorkItem("fabrikam", CUSTOM, "User Story", { "System.Title": "Refunds" }).id;
    await upload(
      `<testsuite name="s"><testcase classname="R" name="refunds"><failure message="boom"/></testcase></testsuite>`,
      [id],
      "Run R",
      CUSTOM,
    );
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: false });
    await waitFor(() => expect(rows()).toHaveLength(1));
    fireEvent.click(within(rows()[0]).getByRole("button", { name: "Create defect" }));
    const panel = await screen.findByRole("region", { name: "Create defect" });
    const title = await within(panel).findByLabelText("Title");
    const before = sim.org("fabrikam").workItems.count();
    // Azure DevOps refuses a title over 255 characters (TF401320 on Title).
    fireEvent.change(title, { target: { value: "x".repeat(300) } });
    fireEvent.change(within(panel).getByLabelText("Found In Environment"), { target: { value: "Test" } });
    fireEvent.click(within(panel).getByRole("button", { name: "Create Bug" }));
    expect(await within(panel).findByText(/refused by Azure DevOps' rules/)).toBeTruthy();
    expect(sim.org("fabrikam").workItems.count()).toBe(before);
    fireEvent.click(within(panel).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("region", { name: "Create defect" })).toBeNull();
  });

  it("a read-only form offers no defect actions", async () => {
    const id = workItem("Read only");
    await upload(`<testsuite name="s"><testcase classname="C" name="broken"><failure message="x"/></testcase></testsuite>`, [id], "Run RO");
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: true });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(rows()[0]).queryByRole("button", { name: "Create defect" })).toBeNull();
    expect(within(rows()[0]).getByText("No defect")).toBeTruthy();
  });

  it("shows an empty state for a work item without results", async () => {
    const id = workItem("Nothing tested yet");
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: true });
    expect(await screen.findByText("No test results are linked to this work item yet.")).toBeTruthy();
    expect(screen.queryByRole("list", { name: "Tests" })).toBeNull();
  });

  it("shows an error with Retry, and recovers", async () => {
    const id = workItem("Flaky network");
    await upload(`<testsuite name="s"><testcase classname="C" name="works"/></testsuite>`, [id], "Run A");
    const failing = globalThis.fetch;
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      String(input).includes("/api/results/") ? Promise.reject(new TypeError("Failed to fetch")) : failing(input, init)) as typeof fetch;
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: false });
    expect(await screen.findByText(/Could not load test results: Failed to fetch/)).toBeTruthy();
    globalThis.fetch = failing;
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(rows()).toHaveLength(1));
  });

  it("reports a work item the user cannot read as an error from the API", async () => {
    await renderForm();
    await fire("onLoaded", { id: 987654, isNew: false, isReadOnly: false });
    expect(await screen.findByText(/Work item 987654 does not exist or you cannot read it/)).toBeTruthy();
  });

  it("reloads on save and refresh, follows a new work item once saved, and clears on unload", async () => {
    const id = workItem("Grows results");
    await renderForm();
    await fire("onLoaded", { id: 0, isNew: true, isReadOnly: false });
    expect(await screen.findByText(/Save the work item/)).toBeTruthy();
    await upload(`<testsuite name="s"><testcase classname="C" name="first"/></testsuite>`, [id], "Run 1");
    await fire("onSaved", { id });
    await waitFor(() => expect(rows()).toHaveLength(1));
    await upload(`<testsuite name="s"><testcase classname="C" name="second"><error message="boom"/></testcase></testsuite>`, [id], "Run 2");
    await fire("onRefreshed", { id });
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(screen.getByLabelText("Test results summary").textContent).toContain("Last run: Run 2");
    await fire("onUnloaded");
    expect(await screen.findByText("Waiting for the work item…")).toBeTruthy();
  });

  it("pages through many results", async () => {
    const id = workItem("Many tests");
    const cases = Array.from(
      { length: PAGE_SIZE + 5 },
      (_, i) => `<testcase classname="Many" name="t${String(i).padStart(2, "0")}"/>`,
    ).join("");
    await upload(`<testsuite name="many">${cases}</testsuite>`, [id], "Big run");
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: false });
    await waitFor(() => expect(rows()).toHaveLength(PAGE_SIZE));
    fireEvent.click(screen.getByRole("button", { name: `Show 5 more of 5 tests` }));
    await waitFor(() => expect(rows()).toHaveLength(PAGE_SIZE + 5));
    expect(screen.queryByRole("button", { name: /more of/ })).toBeNull();
    expect(screen.getByLabelText("Test results summary").textContent).toContain("100%");
  });

  it("picks up a work item that was loaded before the listener registered (form service)", async () => {
    const id = workItem("Already open");
    await upload(`<testsuite name="s"><testcase classname="C" name="early"/></testsuite>`, [id], "Run E");
    sdkMock.services.set("ms.vss-work-web.work-item-form", { getId: async () => id, isNew: async () => false });
    await renderForm();
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(rows()[0]).getByText("early")).toBeTruthy();
    expect(within(rows()[0]).getByRole("img").getAttribute("aria-label")).toBe("Last 1 outcomes: Passed");
  });
});
