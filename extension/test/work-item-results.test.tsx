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

async function upload(xml: string, workItemIds: number[], runName: string) {
  const res = await backend.app.request(
    `/api/results/junit?${new URLSearchParams({ project: PROJECT, runName, workItemIds: workItemIds.join(",") })}`,
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
const rows = () => within(screen.getByRole("list", { name: "Test results" })).getAllByRole("listitem");

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

  it("shows the linked results latest first, with outcome pills, pass rate and expandable failures", async () => {
    const id = workItem("Book an appointment");
    await upload(
      `<testsuite name="booking" timestamp="2026-03-01T09:00:00Z">
         <testcase classname="Booking" name="books a slot" time="2.5"><failure message="old failure"/></testcase>
       </testsuite>`,
      [id],
      "Nightly 41",
    );
    await upload(
      `<testsuite name="booking" timestamp="2026-03-02T09:00:00Z">
         <testcase classname="Booking" name="books a slot" time="1.5"/>
         <testcase classname="Booking" name="cancels a slot" time="0.25"><failure message="Expected 200, got 500">at Booking.cancel(Booking.java:42)</failure></testcase>
         <testcase classname="Booking" name="reschedules"><skipped message="needs a second calendar"/></testcase>
       </testsuite>`,
      [id],
      "Nightly 42",
    );
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: false });

    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(rows().map((r) => r.getAttribute("aria-label"))).toEqual([
      "books a slot: Passed",
      "cancels a slot: Failed",
      "reschedules: Skipped",
      "books a slot: Failed",
    ]);
    const summary = screen.getByLabelText("Test results summary");
    // Latest outcome per test: "books a slot" passed, "cancels a slot" failed → 50%.
    expect(summary.textContent).toContain("50%");
    expect(within(summary).getByText("1 failed")).toBeTruthy();
    expect(within(summary).getByText("1 passed")).toBeTruthy();
    expect(within(summary).getByText("1 skipped")).toBeTruthy();
    expect(summary.textContent).toContain("Last run: Nightly 42");
    expect(within(rows()[0]).getByText("1.5 s")).toBeTruthy();
    expect(within(rows()[0]).getByText("Passed")).toBeTruthy();

    const failed = rows()[1];
    expect(within(failed).queryByText("Expected 200, got 500")).toBeNull();
    const fit = jest.spyOn(frame, "fit");
    fireEvent.click(within(failed).getByRole("button", { name: "Show failure" }));
    // Expanding grows the content: the frame is fitted to it again.
    expect(fit).toHaveBeenCalled();
    fit.mockRestore();
    expect(within(failed).getByText("Expected 200, got 500")).toBeTruthy();
    expect(within(failed).getByText("at Booking.cancel(Booking.java:42)")).toBeTruthy();
    fireEvent.click(within(failed).getByRole("button", { name: "Hide details" }));
    expect(within(failed).queryByText("Expected 200, got 500")).toBeNull();
    expect(within(rows()[2]).getByRole("button", { name: "Show reason" })).toBeTruthy();
    expect(sdkMock.loaded).toBeGreaterThan(0);
  });

  it("shows an empty state for a work item without results", async () => {
    const id = workItem("Nothing tested yet");
    await renderForm();
    await fire("onLoaded", { id, isNew: false, isReadOnly: true });
    expect(await screen.findByText("No test results are linked to this work item yet.")).toBeTruthy();
    expect(screen.queryByRole("list", { name: "Test results" })).toBeNull();
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
    fireEvent.click(screen.getByRole("button", { name: `Show 5 more of 5` }));
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
  });
});
