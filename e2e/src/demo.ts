// Demo data for `npm start`: test results linked to a few user stories of the demo project, so the work
// item form group and Plans' test coverage have something to show before anyone uploads a report. They
// go in through the real upload API (as the demo admin, with tokens minted the way the host does).
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { Stack } from "./stack";
import { mintAppToken } from "./tokens";

const PROJECT = "Fabrikam Fiber";

/**
 * A hub page's headers for `userId` in the demo organization: the extension's access token is limited
 * to the manifest's scopes. `fullSession`: a token with every scope instead (what a signed-in browser
 * session holds), so the demo can seed results before anyone has connected the organization.
 */
export async function pageHeaders(
  stack: Stack,
  userId: string = DEMO_USERS.admin.id,
  o: { fullSession?: boolean } = {},
): Promise<Record<string, string>> {
  return {
    Authorization: `Bearer ${await mintAppToken({ userId, secret: stack.extensionSecret, audience: `${stack.extension.id}.app` })}`,
    "X-Ado-Collection-Url": "https://dev.azure.com/fabrikam/",
    "X-Ado-Access-Token": stack.sim.issueAccessToken("fabrikam", userId, undefined, o.fullSession ? undefined : stack.extension.scopes),
  };
}

/** The first user stories of the demo project (by id: the host's work item picker lists those first). */
async function demoStories(stack: Stack, n: number): Promise<number[]> {
  const res = await stack.sim.fetch(`${stack.sim.url}/fabrikam/${encodeURIComponent(PROJECT)}/_apis/wit/wiql?api-version=7.1`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`:${DEMO_PATS.admin}`).toString("base64")}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] = 'User Story' AND [System.State] <> 'Removed' ORDER BY [System.Id]`,
    }),
  });
  if (!res.ok) throw new Error(`demo results: WIQL answered ${res.status}`);
  return ((await res.json()) as { workItems: { id: number }[] }).workItems.slice(0, n).map((w) => w.id);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

/** Three nightly runs, two days apart; one test regresses in the last. Returns the stories they link to (none if the project already has runs). */
export async function seedDemoResults(stack: Stack, now = new Date()): Promise<number[]> {
  // Before the organization is connected only a full session token can have its rights checked.
  const headers = await pageHeaders(stack, DEMO_USERS.admin.id, { fullSession: true });
  const runs = await stack.backend.app.request(`/api/results/runs?project=${encodeURIComponent(PROJECT)}`, { headers });
  if (!runs.ok) throw new Error(`demo results: listing runs answered ${runs.status}`);
  if (((await runs.json()) as { total: number }).total > 0) return [];

  const stories = await demoStories(stack, 4);
  if (stories.length < 4) return [];
  const [login, checkout, search, profile] = stories;
  const tests: { cls: string; name: string; wi: number; ms: number; fails?: number[] }[] = [
    { cls: "Login", name: "signs in with a valid password", wi: login, ms: 1200 },
    { cls: "Login", name: "locks the account after five bad passwords", wi: login, ms: 3400, fails: [0] },
    { cls: "Checkout", name: "pays with a saved card", wi: checkout, ms: 5100 },
    { cls: "Checkout", name: "applies a voucher", wi: checkout, ms: 2300, fails: [2] },
    { cls: "Search", name: "finds invoices by number", wi: search, ms: 800 },
    { cls: "Profile", name: "changes the display name", wi: profile, ms: 950, fails: [1] },
  ];
  for (const run of [0, 1, 2]) {
    const at = new Date(now.getTime() - (2 - run) * 2 * 86_400_000);
    at.setUTCHours(2, 0, 0, 0);
    const cases = tests.map((t) => {
      const failed = t.fails?.includes(run);
      return `<testcase classname="${esc(t.cls)}" name="${esc(t.name)}" time="${((t.ms + run * 37) / 1000).toFixed(3)}">
      <properties><property name="workitem" value="${t.wi}"/></properties>${
        failed
          ? `<failure message="expected the page to show the confirmation" type="AssertionError">AssertionError: expected the page to show the confirmation\n    at ${t.cls}Spec (${t.cls.toLowerCase()}.spec.ts:42:7)</failure>`
          : ""
      }
    </testcase>`;
    });
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Web UI" timestamp="${at.toISOString().slice(0, 19)}" tests="${tests.length}">
    ${cases.join("\n    ")}
</testsuite>`;
    const res = await stack.backend.app.request(
      `/api/results/junit?${new URLSearchParams({ project: PROJECT, runName: `Nightly #${run + 1}` })}`,
      { method: "POST", headers: { ...headers, "Content-Type": "application/xml" }, body: xml },
    );
    if (res.status !== 201) throw new Error(`demo results: upload answered ${res.status} ${await res.text()}`);
  }
  return stories;
}
