// Journey 1: every contribution of vss-extension.json, from the production build, in both themes:
// the SDK handshake completes, the page renders real content from the backend without errors, the
// theme's CSS variables are applied, and a screenshot lands in e2e/artifacts/<contribution>-<theme>.png.
import { DEMO_USERS } from "@testops/ado-sim";
import { readExtension } from "../src/manifest";
import { startStack, type Stack } from "../src/stack";
import { themes } from "../src/themes";
import { HostPage, launchBrowser, type Browser } from "./harness";

let stack: Stack;
let browser: Browser;
const THEMES = themes();
// Panels and widget configurations open from another page (widgets.e2e.ts covers the configurations).
const contributions = readExtension().contributions.filter((c) => c.surface !== "panel" && c.surface !== "widget-configuration");

beforeAll(async () => {
  stack = await startStack({ allowBackendPortFallback: true });
  browser = await launchBrowser(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** What proves a page got real data: the organization (from the backend) or the project (from the host). */
const EVIDENCE: Record<string, RegExp> = {
  "org-settings": /fabrikam/,
  "project-settings": /Fabrikam Fiber/,
  plans: /Fabrikam Fiber/,
};

async function cssVar(host: HostPage, name: string): Promise<string> {
  const frame = await host.hubFrame();
  return frame.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(`--${n}`).trim(), name);
}

test("the manifest has (at least) the four contributions these journeys were written for", () => {
  expect(contributions.map((c) => c.id)).toEqual(
    expect.arrayContaining(["org-settings", "plans", "project-settings", "work-item-results"]),
  );
});

describe.each(contributions.map((c) => [c.id, c] as const))("%s", (id, c) => {
  test.each(["light", "dark"] as const)("%s theme: handshake, real content, theme applied, screenshot", async (theme) => {
    const host = await HostPage.open(browser.context, stack, { contribution: id, user: DEMO_USERS.admin.id, theme });
    const frame = await host.waitLoaded();
    // The page asked to keep the host's spinner until its data arrived, and to get the theme.
    expect(frame.initOptions).toMatchObject({ loaded: false, applyTheme: true });
    expect(frame.contributionId).toBe(`testops.testops-azure-devops.${id}`);

    const text = await host.settled();
    expect(text.length).toBeGreaterThan(10);
    expect(text).not.toMatch(/Could not reach TestOps|Something went wrong/);
    if (EVIDENCE[id]) expect(text).toMatch(EVIDENCE[id]);
    await host.assertNoErrorCards();

    // The SDK wrote the host's theme variables into the page, and the body uses them.
    expect(await cssVar(host, "background-color")).toBe(THEMES[theme]["background-color"]);
    expect(await cssVar(host, "text-primary-color")).toBe(THEMES[theme]["text-primary-color"]);

    const log = await host.hostLog();
    expect(log.filter((l) => l.method === "initialHandshake")).toHaveLength(1);
    expect(log.some((l) => l.method === "getAppToken")).toBe(true);
    if (c.surface === "work-item-form") expect(log.some((l) => l.method === "→ onLoaded")).toBe(true);

    await host.screenshot(`${id}-${theme}`);
    await host.close();
  });
});

test("switching the theme in the toolbar repaints the open page through themeChanged, without reloading it", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "org-settings", user: DEMO_USERS.admin.id, theme: "light" });
  await host.waitLoaded();
  await host.settled();
  expect(await cssVar(host, "background-color")).toBe(THEMES.light["background-color"]);
  await host.choose("theme", "dark");
  await host.page.waitForFunction(() => window.__host.log.some((l) => l.method === "→ themeChanged"));
  const frame = await host.hubFrame();
  await frame.waitForFunction(
    (v) => getComputedStyle(document.documentElement).getPropertyValue("--background-color").trim() === v,
    THEMES.dark["background-color"],
  );
  expect((await host.hostLog()).filter((l) => l.method === "initialHandshake")).toHaveLength(1);
  await host.close();
});

test("work item form: moving to another work item and editing and saving it reach the page's listener", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "work-item-results", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.settled();
  const first = await host.page.locator("#workItem").inputValue();
  const ids = await host.page.locator("#workItem option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  const second = ids.find((x) => x !== first)!;
  expect(second).toBeTruthy();

  await host.choose("workItem", second);
  await host.page.waitForFunction(
    (id) => window.__host.log.some((l) => l.method === "→ onLoaded" && l.detail?.includes(`"id":${id}`)),
    Number(second),
  );
  const log = await host.hostLog();
  expect(log.find((l) => l.method === "→ onUnloaded")?.detail).toContain(`"id":${first}`);
  // Same page instance: Azure DevOps keeps the form group loaded while moving between items.
  expect(log.filter((l) => l.method === "initialHandshake")).toHaveLength(1);

  const title = host.page.getByLabel("Title", { exact: true });
  const newTitle = `Edited in the fake host ${Date.now()}`;
  await title.fill(newTitle);
  await title.press("Tab");
  await host.page.waitForFunction(() => window.__host.log.some((l) => l.method === "→ onFieldChanged"));
  expect((await host.hostLog()).find((l) => l.method === "→ onFieldChanged")?.detail).toContain(newTitle);

  await host.page.getByRole("button", { name: /^Save/ }).click();
  await host.page.waitForFunction(() => window.__host.log.some((l) => l.method === "→ onSaved"));
  // Saved in the simulator, as the signed-in user.
  const res = await stack.sim.fetch(`${stack.urls.simulator}/fabrikam/_apis/wit/workitems/${second}?api-version=7.1`, {
    headers: { authorization: `Bearer ${stack.sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id)}` },
  });
  const item = (await res.json()) as { fields: Record<string, unknown> };
  expect(item.fields["System.Title"]).toBe(newTitle);
  expect(item.fields["System.ChangedBy"]).toMatchObject({ id: DEMO_USERS.admin.id });
  await host.close();
});
