// `npm start` adds demo test results on its first start: through the real upload API, linked to the
// first user stories, once (a restart on the same data does not add them again).
import { pageHeaders, seedDemoResults } from "../src/demo";
import { startStack, type Stack } from "../src/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ allowBackendPortFallback: true });
});
afterAll(() => stack?.close());

const get = async <T>(path: string): Promise<T> => {
  const res = await stack.backend.app.request(path, { headers: await pageHeaders(stack) });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

it("links three nightly runs to four user stories, once; the work item form API shows each test's latest outcome", async () => {
  const now = new Date("2026-11-23T12:00:00Z");
  const stories = await seedDemoResults(stack, now);
  expect(stories).toHaveLength(4);
  expect(await seedDemoResults(stack, now)).toEqual([]);

  const runs = await get<{ total: number; runs: { name: string }[] }>("/api/results/runs?project=Fabrikam%20Fiber");
  expect(runs.total).toBe(3);
  expect(runs.runs.map((r) => r.name).sort()).toEqual(["Nightly #1", "Nightly #2", "Nightly #3"]);

  type WI = {
    summary: { tests: number; passed: number; failed: number; lastRun: { name: string } | null };
    total: number;
    tests: { results: number }[];
  };
  const [login, checkout, search, profile] = await Promise.all(stories.map((id) => get<WI>(`/api/results/work-items/${id}`)));
  // Login's lockout test failed in the first run only; the voucher test regressed in the last run.
  expect(login.summary).toMatchObject({ tests: 2, passed: 2, failed: 0, lastRun: { name: "Nightly #3" } });
  // One row per test (two), holding their six results.
  expect(login.total).toBe(2);
  expect(login.tests.reduce((n, t) => n + t.results, 0)).toBe(6);
  expect(checkout.summary).toMatchObject({ tests: 2, passed: 1, failed: 1 });
  expect(search.summary).toMatchObject({ tests: 1, passed: 1 });
  expect(profile.summary).toMatchObject({ tests: 1, passed: 1, failed: 0 });
});
