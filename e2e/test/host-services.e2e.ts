// The fake host's services answer the real SDK the way later journeys will need them: extension data
// (scopes, etags), navigation, page data, panels with their own handshake, message dialogs.
import { DEMO_USERS } from "@testops/ado-sim";
import { startStack, type Stack } from "../src/stack";
import { FIXTURES, HostPage, fixtureContributions, launchBrowser, type Browser } from "./harness";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ allowBackendPortFallback: true, fixturesDir: FIXTURES, extraContributions: fixtureContributions() });
  browser = await launchBrowser(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test("extension data, navigation, page data and location answer through the real SDK", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "fixture-services", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  const results = JSON.parse((await host.hub().locator("body").getAttribute("data-results"))!);
  expect(results).toEqual({
    value: { text: "hi" },
    userScoped: null,
    etag: 1,
    conflict: "InvalidDocumentVersionException",
    updatedEtag: 2,
    hashChanged: "tab=repos",
    hash: "tab=repos",
    project: "Fabrikam Fiber",
    team: "Fabrikam Fiber Team",
    host: "fabrikam",
    collection: "https://dev.azure.com/fabrikam/",
  });
  expect((await host.page.evaluate(() => window.__host.navigation.records)).map((r) => r.method)).toEqual(["setHash"]);

  await host.hub().getByRole("button", { name: "Ask for an unknown service" }).click();
  const unknown = host.hub().locator("body[data-unknown-service]");
  await unknown.waitFor({ state: "attached" });
  expect(await unknown.getAttribute("data-unknown-service")).toBe("Service ms.vss-not-a-service is not available in the fake host");
  // An unknown service is a host error the harness reports; it was provoked here on purpose.
  expect((await host.takeProblems()).map((p) => p.text)).toEqual([expect.stringContaining("no service ms.vss-not-a-service")]);
  await host.close();
});

test("openPanel loads the content contribution with its configuration; its close(result) reaches onClose", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "fixture-services", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.hub().getByRole("button", { name: "Open panel" }).click();
  const panel = host.page.getByRole("dialog", { name: "Fixture panel" });
  await panel.waitFor();
  await host.waitLoaded("panel-1");
  await host.hub("panel-1").getByText("Panel says: sent by the hub").waitFor();
  await host.hub("panel-1").getByRole("button", { name: "Done" }).click();
  await panel.waitFor({ state: "detached" });
  await expect(host.hub().locator("body[data-panel-result]").getAttribute("data-panel-result")).resolves.toBe('"closed from the panel"');
  await host.close();
});

test("openMessageDialog shows the host's dialog; OK answers true to the page", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "fixture-services", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.hub().getByRole("button", { name: "Open message dialog" }).click();
  const dialog = host.page.getByRole("dialog", { name: "Confirm" });
  await dialog.getByText("Delete the link?").waitFor();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(host.hub().locator("body[data-dialog-result]").getAttribute("data-dialog-result")).resolves.toBe("true");
  await host.close();
});
