// Proves the harness's alarms work: a broken handshake or any JavaScript error in a hub frame fails a
// journey. Deliberately broken pages (e2e/test/fixtures, served only here) and host faults against
// the real bundle must all be reported; a correct page must not be.
import { DEMO_USERS } from "@testops/ado-sim";
import { startStack, type Stack } from "../src/stack";
import { FIXTURES, HostPage, fixtureContributions, launchBrowser, type Browser } from "./harness";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({
    allowBackendPortFallback: true,
    fixturesDir: FIXTURES,
    extraContributions: fixtureContributions(),
    handshakeTimeoutMs: 4_000,
    loadTimeoutMs: 8_000,
  });
  browser = await launchBrowser(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const open = (contribution: string, extra: { fault?: string } = {}) =>
  HostPage.open(browser.context, stack, { contribution, user: DEMO_USERS.admin.id, ...extra });

/** Waits for the page to settle, then returns what the harness would fail the test with. */
async function failureOf(host: HostPage, settleMs = 600): Promise<string> {
  let message = "";
  try {
    await host.waitLoaded();
    await host.page.waitForTimeout(settleMs);
    await host.assertClean();
  } catch (e) {
    message = (e as Error).message;
  }
  await host.takeProblems();
  await host.page.close();
  return message;
}

test("a correct page passes: handshake, getService, notifyLoadSucceeded, no problems", async () => {
  const host = await open("fixture-clean");
  await host.waitLoaded();
  expect(await host.settled()).toBe(`Hello ${DEMO_USERS.admin.displayName} in https://dev.azure.com/fabrikam/`);
  await host.close();
});

test("a page that never starts the handshake fails with a handshake timeout", async () => {
  expect(await failureOf(await open("fixture-no-handshake"))).toMatch(/did not start the SDK handshake within 4s/);
});

test("an uncaught error in a hub frame fails the test", async () => {
  expect(await failureOf(await open("fixture-throws"))).toMatch(/pageerror: .*deliberate uncaught error in a hub frame/);
});

test("an unhandled promise rejection in a hub frame fails the test", async () => {
  expect(await failureOf(await open("fixture-unhandled-rejection"))).toMatch(/pageerror: .*deliberate unhandled rejection/);
});

test("a console error in a hub frame fails the test", async () => {
  expect(await failureOf(await open("fixture-console-error"))).toMatch(/console: deliberate console error in a hub frame/);
});

test("notifyLoadFailed fails the test with the page's reason", async () => {
  expect(await failureOf(await open("fixture-load-failed"))).toMatch(/notifyLoadFailed: deliberate load failure/);
});

test("the real bundle: a host that rejects the handshake is detected", async () => {
  const message = await failureOf(await open("org-settings", { fault: "handshake-error" }));
  expect(message).toMatch(/did not start the SDK handshake|pageerror/);
});

test("the real bundle: a handshake that never answers is detected", async () => {
  expect(await failureOf(await open("org-settings", { fault: "handshake-hang" }))).toMatch(/did not start the SDK handshake within 4s/);
});

test("the real bundle: a hub that can only show an error card (no access token) fails the content check", async () => {
  const host = await open("org-settings", { fault: "access-token-error" });
  await host.waitLoaded(); // the page handles it: it loads and says what went wrong
  await host.settled();
  await expect(host.assertNoErrorCards()).rejects.toThrow(/The hub shows an error: .*could not issue an access token/);
  await host.close();
});
