import "./nodeGlobals";
import * as React from "react";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { PlansView } from "../src/plans/PlansView";
import { DEMO_USERS } from "@testops/ado-sim";
import { authHeaders } from "../../backend/test/helpers";
import { renderPage, startStack, type Stack } from "./boardsHarness";

jest.setTimeout(90_000);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const config = () => ({
  project: stack.project("Fabrikam Fiber"),
  iterations: { releasePaths: ["Fabrikam Fiber\\Release 2", "Fabrikam Fiber\\Release 3"] },
  requirements: {
    workItemTypes: ["User Story"],
    stateMapping: { "User Story": { New: "Open", Active: "In Progress", Resolved: "Resolved", Closed: "Done", Removed: "Removed" } },
  },
});
const plansApi = () => stack.call(`/api/boards/plans?projectId=${stack.project("Fabrikam Fiber").id}`);

test("nothing linked: the empty state points to Project settings", async () => {
  renderPage(<PlansView />);
  await screen.findByText("This project is not linked to TestOps Boards yet");
  const link = screen.getByRole("link", { name: "Project settings → TestOps" });
  expect(link.getAttribute("href")).toBe(
    "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_settings/testops.testops-azure-devops.project-settings",
  );
  expect(screen.queryByRole("button", { name: "Sync" })).toBeNull();
});

test("synced releases and sprints with their dates, status, requirements and progress", async () => {
  const { link } = await stack.call("/api/boards/links", { method: "POST", body: { config: config(), proceed: true } });
  await stack.backend.deps.jobs.idle();
  const plans = await plansApi();
  expect(plans.releases.map((r: { name: string }) => r.name)).toEqual(["Release 2", "Release 3"]);

  renderPage(<PlansView />);
  const r2 = await screen.findByRole("region", { name: "Release Release 2" });
  const sprint4 = within(r2).getByRole("region", { name: "Sprint Sprint 4" });
  within(sprint4).getByText("Current");
  const s4 = plans.releases[0].sprints[0];
  expect(s4.name).toBe("Sprint 4");
  const table = within(sprint4).getByRole("table", { name: "Requirements of Sprint 4" });
  const rows = within(table).getAllByRole("row").slice(1);
  expect(rows).toHaveLength(s4.requirements.length);
  expect(s4.requirements.length).toBeGreaterThan(0);
  const first = s4.requirements[0];
  within(rows[0]).getByRole("link", { name: String(first.adoId) });
  within(rows[0]).getByText(first.title);
  within(rows[0]).getByText(first.status);
  expect(within(sprint4).getByRole("progressbar").getAttribute("aria-label")).toBe(
    `Sprint Sprint 4: ${s4.coverage.percent}% of requirements done`,
  );

  const r3 = screen.getByRole("region", { name: "Release Release 3" });
  expect(within(r3).getAllByText(/No start or finish date in Azure DevOps/)).toHaveLength(2);
  expect(within(r3).getAllByText("No dates").length).toBeGreaterThanOrEqual(2);
  screen.getByLabelText(`Status: Active`);
  expect(link.id).toBeTruthy();
});

test("each requirement shows its linked tests' latest outcome; each sprint how many requirements are tested", async () => {
  const s4 = (await plansApi()).releases[0].sprints[0];
  const [a, b] = s4.requirements as { adoId: number; title: string }[];
  const xml = `<testsuite name="Checkout" timestamp="2026-05-02T10:00:00">
    <testcase classname="Checkout" name="pays"><properties><property name="workitem" value="${a.adoId}"/></properties></testcase>
    <testcase classname="Checkout" name="totals"><properties><property name="workitem" value="${a.adoId}"/></properties></testcase>
    <testcase classname="Checkout" name="refunds"><properties><property name="workitem" value="${b.adoId}"/></properties><failure message="boom"/></testcase>
  </testsuite>`;
  const res = await stack.backend.app.request("/api/results/junit?project=Fabrikam%20Fiber", {
    method: "POST",
    headers: { ...(await authHeaders(stack.sim, "fabrikam", DEMO_USERS.admin.id)), "content-type": "application/xml" },
    body: xml,
  });
  expect(res.status).toBe(201);

  renderPage(<PlansView />);
  const r2 = await screen.findByRole("region", { name: "Release Release 2" });
  const sprint4 = within(r2).getByRole("region", { name: "Sprint Sprint 4" });
  const row = (title: string) => within(sprint4).getByText(title).closest("tr")!;
  within(row(a.title)).getByLabelText("Tests: Passed, 2 tests");
  within(row(b.title)).getByLabelText("Tests: Failed, 1 test");
  const total = s4.coverage.total as number;
  within(sprint4).getByText(
    `Tests: 2 of ${total} tested (${Math.round((2 / total) * 1000) / 10}%) · 1 passing · 1 failing · 1 failing test with no defect`,
  );
  if (s4.requirements.length > 2) within(row(s4.requirements[2].title)).getByText("No tests");
  // The release adds up its sprints.
  const rel = (await plansApi()).releases[0].coverage;
  expect(rel).toMatchObject({ tested: 2, passed: 1, failed: 1, failingWithoutDefect: 1 });
  within(r2).getByText(`Tests: 2 of ${rel.total} tested (${rel.testedPercent}%) · 1 passing · 1 failing · 1 failing test with no defect`);
});

test("Sync shows the job's progress and brings in what changed in Azure DevOps", async () => {
  renderPage(<PlansView />);
  await screen.findByRole("region", { name: "Release Release 2" });
  const wi = stack.sim.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", {
    "System.Title": "Pay with vouchers at checkout",
    "System.IterationPath": "Fabrikam Fiber\\Release 2\\Sprint 5",
    "Microsoft.VSTS.Common.Priority": 1,
  });
  // Slow enough that the progress is still showing when looked for, even on a busy machine.
  stack.sim.faults.set({ latencyMs: 1000, match: "workitemrevisions" });
  fireEvent.click(screen.getByRole("button", { name: "Sync" }));
  // The job's card and its progress bar both carry the label (the bar adds the state).
  await screen.findAllByLabelText(/^Sync of Fabrikam Fiber/);
  await screen.findByRole("progressbar", { name: /^Sync of Fabrikam Fiber/ });
  stack.sim.faults.clear();
  const row = await screen.findByText("Pay with vouchers at checkout", {}, { timeout: 30_000 });
  // A follow-up sync (the new work item's hook arrived while the sync ran) waits out the hook delay first.
  await waitFor(() => expect(screen.queryAllByLabelText(/^Sync of Fabrikam Fiber/)).toHaveLength(0), { timeout: 30_000 });
  const tr = row.closest("tr")!;
  within(tr).getByRole("link", { name: String(wi.id) });
  within(tr).getByText("Highest");
  within(tr).getByText("Open");
  expect(
    within(screen.getByRole("region", { name: "Sprint Sprint 5" }))
      .getByRole("table")
      .contains(tr),
  ).toBe(true);
});

test("an archived link's releases and sprints disappear", async () => {
  const { links } = await stack.call("/api/boards/links");
  await stack.call(`/api/boards/links/${links[0].id}/archive`, { method: "POST" });
  renderPage(<PlansView />);
  await screen.findByText("This project is not linked to TestOps Boards yet");
  expect(screen.queryByRole("region", { name: "Release Release 2" })).toBeNull();
});
