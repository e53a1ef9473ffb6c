// The work item form group's frame follows its content both ways: it grows when a test's history
// opens and shrinks back when it closes (SDK.resize() measures the body's scroll height, which a
// `height: 100%` page never lets fall below the frame's current height).
import { DEMO_USERS } from "@testops/ado-sim";
import { seedDemoResults } from "../src/demo";
import { startStack, type Stack } from "../src/stack";
import { HostPage, launchBrowser, type Browser } from "./harness";

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

test("work item form group: the frame grows to show a test's history and shrinks when it is hidden", async () => {
  const [, checkout] = await seedDemoResults(stack, new Date("2026-11-23T12:00:00Z"));
  const host = await HostPage.open(browser.context, stack, { contribution: "work-item-results", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.choose("workItem", String(checkout));
  await host.page.waitForFunction(
    (id) => window.__host.log.some((l) => l.method === "→ onLoaded" && l.detail?.includes(`"id":${id}`)),
    checkout,
  );
  const hub = host.hub();
  const show = hub.getByRole("button", { name: /^Show history of / }).first();
  await show.waitFor();
  const iframe = host.page.locator('iframe[data-frame="main"]');
  const height = () => iframe.evaluate((el) => Math.round(el.getBoundingClientRect().height));
  // Settled: the frame has the height of the last resize the page asked for.
  await host.page.waitForFunction(() => {
    const f = document.querySelector<HTMLIFrameElement>('iframe[data-frame="main"]');
    const last = [...window.__host.log].reverse().find((l) => l.method === "resize");
    return !!f && !!last && f.style.height === `${JSON.parse(last.detail ?? "{}").height}px`;
  });
  const closed = await height();

  await show.click();
  await host.page.waitForFunction((h) => {
    const f = document.querySelector<HTMLIFrameElement>('iframe[data-frame="main"]');
    return !!f && f.getBoundingClientRect().height > h + 10;
  }, closed);

  await hub
    .getByRole("button", { name: /^Hide history of / })
    .first()
    .click();
  await host.page.waitForFunction(
    (h) => {
      const f = document.querySelector<HTMLIFrameElement>('iframe[data-frame="main"]');
      return !!f && f.getBoundingClientRect().height <= h + 1;
    },
    closed,
    { timeout: 10_000 },
  );
  expect(await height()).toBeLessThanOrEqual(closed + 1);
  await host.assertClean();
  await host.close();
});
