// Issue 6 in the browser: a project admin creates a Boards link through the six-step wizard, looks at the
// preview (dry run), proceeds and watches the status turn Active; then TestOps Plans shows the synced
// releases, sprints and requirements. Screenshots of each stage in both themes land in e2e/artifacts/.
import { DEMO_USERS } from "@testops/ado-sim";
import type { FrameLocator } from "playwright-core";
import type { Stack } from "../src/stack";
import { adminApi, bothThemes, button, HostPage, startConnected, type Browser } from "./harness";

let stack: Stack;
let browser: Browser;

const api = (path: string, init?: { method?: string; body?: unknown }) => adminApi(stack, path, init);

beforeAll(async () => {
  ({ stack, browser } = await startConnected());
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** azure-devops-ui Dropdown: open it by its accessible name and pick an option. */
async function pick(hub: FrameLocator, label: string, option: string) {
  await hub.getByRole("button", { name: label, exact: true }).click();
  await hub.getByRole("option", { name: option }).first().click();
}

const both = bothThemes;

test("wizard → preview → Proceed → Active, then Plans shows the synced releases, sprints and requirements", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "project-settings", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.settled();
  const hub = host.hub();
  await hub.getByText("No Boards link yet").waitFor();
  const create = button(hub, "New Boards link");
  await hub.locator("button.enabled", { hasText: "New Boards link" }).waitFor();
  await create.click();

  const panel = hub.getByRole("dialog");
  const stepIs = (text: string) => panel.getByText(text, { exact: true }).waitFor();
  await stepIs("Step 1 of 5 · Project");
  await panel.getByLabel("Description").fill("Fiber releases for TestOps");
  await both(host, "boards-wizard-1-project");
  await button(panel, "Next").click();

  await stepIs("Step 2 of 5 · What to pull");
  await panel.getByRole("switch", { name: "Bug Mapping" }).click();
  await stepIs("Step 2 of 6 · What to pull");
  await button(panel, "Next").click();

  await stepIs("Step 3 of 6 · Iteration paths");
  await panel.getByRole("checkbox", { name: "Release: Fabrikam Fiber\\Release 1", exact: true }).click();
  await panel.getByRole("checkbox", { name: "Release: Fabrikam Fiber\\Release 3", exact: true }).click();
  await panel.getByText("2 releases, 5 sprints (2 without dates)").waitFor();
  await both(host, "boards-wizard-3-iterations");
  await button(panel, "Next").click();

  await stepIs("Step 4 of 6 · Priority");
  await button(panel, "Next").click();

  await stepIs("Step 5 of 6 · Requirements");
  await panel.getByRole("table", { name: "User Story states" }).waitFor();
  await pick(hub, "Add a release date field", "Finish Date");
  await both(host, "boards-wizard-5-requirements");
  await button(panel, "Next").click();

  await stepIs("Step 6 of 6 · Bugs");
  await panel.getByRole("table", { name: "Severity mapping" }).waitFor();
  await both(host, "boards-wizard-6-bugs");

  await button(panel, "Preview").click();
  const preview = panel.getByLabel("Preview", { exact: true });
  await preview.getByText("This is a dry run: nothing has been written to TestOps yet.").waitFor({ timeout: 60_000 });
  await preview.getByRole("region", { name: "Releases" }).getByText("2 to create").waitFor();
  expect(await preview.getByRole("region", { name: "Sprints" }).getByText("No dates").count()).toBe(2);
  await both(host, "boards-preview");
  // Nothing was written by the preview.
  expect((await api("/api/boards/links?includeArchived=true")).links).toEqual([]);

  await button(panel, "Proceed").click();
  await panel.waitFor({ state: "detached" });
  const card = hub.getByLabel("Boards link Fabrikam Fiber", { exact: true });
  await card.getByLabel(/^Status: (Active|Syncing)/).waitFor();
  await card.getByLabel(/^Status: Active/).waitFor({ timeout: 90_000 });
  await card.getByText(/2 releases, 5 sprints/).waitFor();
  await host.assertNoErrorCards();
  await both(host, "boards-link-active");
  await host.close();

  // TestOps Plans (Boards hub group): the synced releases and sprints with their requirements.
  const plans = await HostPage.open(browser.context, stack, { contribution: "plans", user: DEMO_USERS.admin.id });
  await plans.waitLoaded();
  await plans.settled();
  const ph = plans.hub();
  const r1 = ph.getByRole("region", { name: "Release Release 1" });
  await r1.waitFor();
  await r1.getByRole("region", { name: "Sprint Sprint 2" }).waitFor();
  const stored = await api(`/api/boards/plans`);
  const sprint = stored.releases[0].sprints.find((s: { requirements: unknown[] }) => s.requirements.length);
  const req = sprint.requirements[0];
  const row = r1
    .getByRole("region", { name: `Sprint ${sprint.name}` })
    .getByRole("row")
    .filter({ hasText: req.title });
  await row.getByRole("link", { name: String(req.adoId) }).waitFor();
  const r3 = ph.getByRole("region", { name: "Release Release 3" });
  expect(await r3.getByText("No start or finish date in Azure DevOps", { exact: false }).count()).toBe(2);
  expect(await ph.getByRole("region", { name: "Release Release 2" }).count()).toBe(0);
  await plans.assertNoErrorCards();
  await both(plans, "plans-synced");
  await plans.close();
});
