// The work item form group as a team uses it: a requirement with 20 nightly runs of 30 tests (one flaky,
// two failing, one of them with a defect). Rows, status strip, trend chart, history; Create defect on a
// customized process whose Bug has a required custom field; unlink and link a defect. Both themes.
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { pageHeaders } from "../src/demo";
import { startStack, type Stack } from "../src/stack";
import { bothThemes, HostPage, launchBrowser, type Browser } from "./harness";

const PROJECT = "Custom Project";
let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack({ allowBackendPortFallback: true });
  browser = await launchBrowser(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The project's first user story (the host's work item picker lists the first ones by id). */
async function firstStory(): Promise<number> {
  const res = await stack.sim.fetch(`${stack.sim.url}/fabrikam/${encodeURIComponent(PROJECT)}/_apis/wit/wiql?api-version=7.1`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`:${DEMO_PATS.admin}`).toString("base64")}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] = 'User Story' ORDER BY [System.Id]`,
    }),
  });
  return ((await res.json()) as { workItems: { id: number }[] }).workItems[0].id;
}

async function seed(story: number): Promise<number> {
  const headers = await pageHeaders(stack);
  // The organization is connected, as a team using defects has it: members' roles are read with its PAT
  // (Azure DevOps does not answer permission checks for the extension's own token).
  const connected = await stack.backend.app.request("/api/connections", {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin }),
  });
  if (connected.status !== 201) throw new Error(`connecting answered ${connected.status}: ${await connected.text()}`);
  const message = `Expected 200 but was 500. ${"Response body: {…}. ".repeat(40)}`;
  for (let run = 0; run < 20; run++) {
    const cases = Array.from({ length: 30 }, (_, i) => {
      const name = `t${String(i + 1).padStart(2, "0")}`;
      const fails = (i === 0 && run >= 17) || i === 1 || (i === 2 && run % 2 === 1 && run < 19);
      return fails
        ? `<testcase classname="Payments" name="${name}" time="1.2"><failure message="${message}">at Payments.${name}(Payments.java:${run})</failure></testcase>`
        : `<testcase classname="Payments" name="${name}" time="0.4"/>`;
    }).join("");
    const at = new Date(Date.UTC(2026, 10, 3 + run, 2)).toISOString();
    const res = await stack.backend.app.request(
      `/api/results/junit?${new URLSearchParams({ project: PROJECT, runName: `Nightly ${run + 1}`, workItemIds: String(story) })}`,
      {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/xml" },
        body: `<testsuite name="payments" timestamp="${at}">${cases}</testsuite>`,
      },
    );
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  }
  const bug = stack.sim.createWorkItem("fabrikam", PROJECT, "Bug", {
    "System.Title": "Card declined for t02",
    "Custom.FoundInEnvironment": "Test",
  }).id;
  const list = (await (await stack.backend.app.request(`/api/results/work-items/${story}`, { headers })).json()) as {
    tests: { key: string; name: string }[];
  };
  const t02 = list.tests.find((t) => t.name === "t02")!;
  const linked = await stack.backend.app.request(`/api/results/work-items/${story}/tests/${t02.key}/defects`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ defectId: bug }),
  });
  if (linked.status !== 201) throw new Error(`link answered ${linked.status}`);
  return bug;
}

test("work item form group: rows, strip, trend, history; create defect with a required custom field; unlink and link", async () => {
  const story = await firstStory();
  const bug = await seed(story);
  const host = await HostPage.open(browser.context, stack, {
    contribution: "work-item-results",
    user: DEMO_USERS.admin.id,
    project: PROJECT,
    workItem: String(story),
  });
  await host.waitLoaded();
  const hub = host.hub();
  const rows = hub.locator("li.wir-row");
  const row = (name: string) => hub.locator(`li.wir-row[aria-label^="${name}:"]`);
  await rows.first().waitFor();
  expect(await rows.count()).toBe(20);
  expect(await rows.nth(0).getAttribute("aria-label")).toBe("t01: Failed");
  expect(await rows.nth(1).getAttribute("aria-label")).toBe("t02: Failed");
  expect(await row("t01").locator(".wir-cell").count()).toBe(20);
  expect(await row("t01").locator(".wir-cell-failed").count()).toBe(3);
  await row("t03").getByText("Flaky").waitFor();
  await row("t02").getByText(`Bug ${bug} · New`).waitFor();
  const chart = hub.locator("svg.wir-trend");
  expect(await chart.locator("circle").count()).toBe(20);
  expect(await chart.getAttribute("aria-label")).toMatch(/^Pass rate over the last 20 runs: /);
  // The strip and the chart take their colours from the theme.
  const cellColour = () =>
    row("t01")
      .locator(".wir-cell-failed")
      .first()
      .evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await cellColour()).toBe("rgb(205, 74, 69)");
  await bothThemes(host, "work-item-tests");

  // History with Show all.
  await row("t01").getByRole("button", { name: "Show history of t01" }).click();
  const history = row("t01").getByRole("list", { name: "History of t01" });
  await history.locator("li").nth(4).waitFor();
  await history.locator("li").first().getByRole("button", { name: "Show all" }).first().click();
  await history
    .getByText(/Response body: \{…\}\. Response body: \{…\}\.$/)
    .first()
    .waitFor();
  await host.screenshot("work-item-tests-history-light");
  await row("t01").getByRole("button", { name: "Hide history of t01" }).click();

  // Create defect: Bug of the Custom Agile process with its required "Found In Environment".
  await row("t01").getByRole("button", { name: "Create defect" }).click();
  const panel = hub.getByRole("region", { name: "Create defect" });
  await panel.getByLabel("Title").waitFor();
  expect(await panel.getByLabel("Title").inputValue()).toMatch(/^t01 fails: Expected 200 but was 500\./);
  const create = panel.getByRole("button", { name: "Create Bug" });
  expect(await create.getAttribute("aria-disabled")).toBe("true");
  await panel.getByLabel("Found In Environment").selectOption("Staging");
  await panel.getByLabel("Found In Environment").scrollIntoViewIfNeeded();
  await bothThemes(host, "work-item-tests-create-defect");
  await create.click();
  const created = row("t01").getByText(/^Created Bug \d+$/);
  await created.waitFor();
  const bugId = Number(/(\d+)$/.exec(await created.innerText())![1]);
  await row("t01").getByText(`Bug ${bugId} · New`).waitFor();
  const item = stack.sim.org("fabrikam").workItems.latest(bugId);
  expect(item.fields["Custom.FoundInEnvironment"]).toBe("Staging");
  expect(item.fields["System.CreatedBy"]).toBe(DEMO_USERS.admin.id);
  expect(item.relations.some((r) => r.rel === "System.LinkTypes.Related" && r.targetId === story)).toBe(true);

  // Unlink t02's defect, then link it again by searching its title.
  await row("t02")
    .getByRole("button", { name: `Unlink ${bug}` })
    .click();
  await row("t02").getByText("No defect").waitFor();
  await row("t02").getByRole("button", { name: "Link defect" }).click();
  const linkPanel = hub.getByRole("region", { name: "Link defect" });
  await linkPanel.getByLabel("Work item id or title words").fill("card declined");
  await linkPanel.getByRole("button", { name: "Search" }).click();
  await linkPanel.getByRole("button", { name: `Link ${bug}` }).click();
  await row("t02").getByText(`Bug ${bug} · New`).waitFor();
  expect(await row("t02").getByText("No defect").count()).toBe(0);

  // Failing with no defect: none left.
  await hub.getByText("Failing with no defect (0)").waitFor();
  await host.assertClean();
  await host.close();
});
