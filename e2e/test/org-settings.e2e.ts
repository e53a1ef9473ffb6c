// Journeys 2 and 3 in Organization settings › TestOps, clicked through like a person would:
// an organization admin connects the organization (a Test Connection with a wrong PAT fails, the right
// one works, Save, status Active), disconnects and reconnects it; a plain member only gets a read-only
// view. The steps share one stack and run in order.
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { FrameLocator, Locator } from "playwright-core";
import { startStack, type Stack } from "../src/stack";
import { HostPage, launchBrowser, type Browser } from "./harness";

let stack: Stack;
let browser: Browser;
const WRONG_PAT = "wrongpat1234567890abcdefghijklmnopqrstuvwxyz0123456";
const NAME = "Fabrikam production";

beforeAll(async () => {
  stack = await startStack({ allowBackendPortFallback: true });
  browser = await launchBrowser(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function openOrgSettings(user: string): Promise<{ host: HostPage; hub: FrameLocator }> {
  const host = await HostPage.open(browser.context, stack, { contribution: "org-settings", user });
  await host.waitLoaded();
  await host.settled();
  return { host, hub: host.hub() };
}

const button = (within: { getByRole: Locator["getByRole"] }, name: string) => within.getByRole("button", { name, exact: true });
const card = (hub: FrameLocator) => hub.getByRole("region", { name: `Connection ${NAME}` });

// Azure DevOps does not tell the extension who administers the organization (docs/ado-fidelity.md, point
// 10): before the first connection anyone may open the form, and saving checks the role with the PAT entered.
test("before any connection, a member cannot create one: saving checks their role with the PAT they enter", async () => {
  const { host, hub } = await openOrgSettings(DEMO_USERS.member.id);
  await hub.getByText("Connect Azure DevOps to TestOps").waitFor();
  await hub
    .getByRole("button", { name: "New connection" })
    .or(hub.getByRole("link", { name: "New connection" }))
    .first()
    .click();
  const panel = hub.getByRole("dialog");
  await panel.getByLabel("Name", { exact: true }).fill("Mine");
  await panel.getByLabel("Organization URL", { exact: true }).fill("https://dev.azure.com/fabrikam");
  await panel.getByLabel("Personal access token", { exact: true }).fill(DEMO_PATS.member);
  await button(panel, "Save").click();
  await panel.getByText(/Only organization administrators/).waitFor();
  expect((await stack.backend.deps.database.query<{ n: number }>("SELECT count(*)::int AS n FROM connections"))[0].n).toBe(0);
  await host.close();
});

test("an organization admin connects the organization: wrong PAT fails Test connection, the right one works, Save, Active", async () => {
  const { host, hub } = await openOrgSettings(DEMO_USERS.admin.id);
  await hub.getByText("Connect Azure DevOps to TestOps").waitFor();
  await hub
    .getByRole("button", { name: "New connection" })
    .or(hub.getByRole("link", { name: "New connection" }))
    .first()
    .click();

  const panel = hub.getByRole("dialog");
  await panel.getByLabel("Name", { exact: true }).fill(NAME);
  await panel.getByLabel("Organization URL", { exact: true }).fill("https://dev.azure.com/fabrikam");
  await panel.getByLabel("Personal access token", { exact: true }).fill(WRONG_PAT);
  await panel.getByLabel("Description", { exact: true }).fill("Boards and Repos of Fabrikam Fiber");

  await button(panel, "Test connection").click();
  const result = panel.getByRole("region", { name: "Test connection result" });
  await result.getByText("The PAT was rejected").waitFor();

  await panel.getByLabel("Personal access token", { exact: true }).fill(DEMO_PATS.admin);
  await button(panel, "Test connection").click();
  await result.getByText("Connection works").waitFor();
  expect(await result.innerText()).toContain(DEMO_USERS.admin.uniqueName);
  await host.screenshot("org-settings-new-connection-light");
  // The theme switches live, with the panel open (themeChanged, no reload).
  await host.choose("theme", "dark");
  await host.page.waitForFunction(() => window.__host.log.some((l) => l.method === "→ themeChanged"));
  await host.page.waitForTimeout(300);
  await host.screenshot("org-settings-new-connection-dark");

  await button(panel, "Save").click();
  await panel.waitFor({ state: "detached" });
  await card(hub).waitFor();
  await card(hub).getByLabel("Status: Active").waitFor();
  await host.assertNoErrorCards();

  // The PAT never comes back: not in the page, not in a backend log line.
  expect(await hub.locator("body").innerText()).not.toContain(DEMO_PATS.admin);
  const logs = stack.backendLog.join("\n");
  expect(logs).not.toContain(DEMO_PATS.admin);
  expect(logs).not.toContain(WRONG_PAT);

  // Stored: a fresh page load shows it again.
  await host.page.locator("#reload").click();
  await host.waitLoaded();
  await card(hub).getByLabel("Status: Active").waitFor();
  await host.screenshot("org-settings-connected-light");
  await host.close();
});

test("a member sees the connection read-only: no Edit, Test connection, Disconnect or New connection", async () => {
  const { host, hub } = await openOrgSettings(DEMO_USERS.admin.id);
  await card(hub).waitFor();
  // Switch user in the host toolbar, as a person would.
  await host.choose("user", DEMO_USERS.member.id);
  await host.waitLoaded();
  await host.settled();
  await hub.getByText("Only organization administrators").waitFor();
  await card(hub).getByLabel("Status: Active").waitFor();
  for (const name of ["Test connection", "Disconnect", "Reconnect", "New connection", `Edit ${NAME}`])
    expect(await hub.getByRole("button", { name, exact: true }).count()).toBe(0);
  await button(hub, "History").waitFor();
  await host.screenshot("org-settings-read-only-light");
  await host.close();
});

test("the admin disconnects (status Inactive) and reconnects (status Active again)", async () => {
  const { host, hub } = await openOrgSettings(DEMO_USERS.admin.id);
  await button(card(hub), "Disconnect").click();
  const dialog = hub.getByRole("dialog");
  await button(dialog, "Disconnect").click();
  await card(hub).getByLabel("Status: Inactive").waitFor();

  await button(card(hub), "Reconnect").click();
  await button(hub.getByRole("dialog"), "Reconnect").click();
  await card(hub).getByLabel("Status: Active").waitFor();
  await host.assertNoErrorCards();
  await host.close();
});

test("Azure DevOps disabled a service hook: opening the hub shows it and its repair, and Azure DevOps has it enabled again", async () => {
  // What Azure DevOps does after failed deliveries (enabled → onProbation → disabledBySystem, ado-sim/src/hooks.ts).
  const ours = () => stack.sim.state.orgs.get("fabrikam")!.hooks.subscriptions.filter((s) => s.consumerInputs.url?.includes("/hooks/ado/"));
  ours().find((s) => s.eventType === "workitem.updated")!.status = "disabledBySystem";

  const { host, hub } = await openOrgSettings(DEMO_USERS.admin.id);
  await card(hub)
    .getByText(/Recreated the subscriptions \(workitem\.updated disabledBySystem\) and queued a catch-up sync/)
    .waitFor();
  await card(hub)
    .getByText(/^Service hooks: 5 of 5 enabled in Azure DevOps/)
    .waitFor();
  expect(ours().map((s) => s.status)).toEqual(["enabled", "enabled", "enabled", "enabled", "enabled"]);
  await button(card(hub), "Check service hooks").click();
  await card(hub)
    .getByText(/^Service hooks: 5 of 5 enabled in Azure DevOps/)
    .waitFor();
  await host.assertNoErrorCards();
  await host.screenshot("org-settings-hooks-repaired-light");
  await host.close();
});
