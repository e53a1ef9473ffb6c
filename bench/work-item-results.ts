/**
 * The work item form group's API at volume (issue #18, target 2; issue #16): a work item with 100,000
 * linked results (1,000 runs × 100 tests) and one with 2,000 (20 runs × the same 100 tests), GET /api/results/work-items/{id} and one test's history through
 * the whole app (app token check, organization check with Azure DevOps, access check, JSON) at concurrency
 * 16, against calling the store directly in the same run; then 16 concurrent first requests with a fresh
 * token, counting the Azure DevOps calls they make.
 *
 *   BENCH_DB=postgres node --import tsx bench/work-item-results.ts
 *
 * Env: BENCH_DB=pglite|postgres, BENCH_RESULTS (default 100000), BENCH_TESTS (tests of the work item,
 * default 100), BENCH_REQUESTS (per measurement, default 2000), BENCH_CONCURRENCY (default 16).
 */
import { createSimulator, DEMO_USERS } from "@testops/ado-sim";
import type { Database } from "../backend/src/db/client";
import { organizations } from "../backend/src/db/schema";
import type { AppDeps } from "../backend/src/context";
import {
  buildWorkItemTests,
  findTest,
  loadLatestDetails,
  loadTestSummaries,
  testHistory,
  withLatestDetails,
} from "../backend/src/results/tests";
import { buildBackend } from "../backend/src/server";
import { signAppToken, testConfig } from "../backend/test/helpers";
import { DB_KIND, load } from "./measure";
import { generateResults } from "./results-dataset";

const RESULTS = Number(process.env.BENCH_RESULTS ?? 100_000);
const TESTS = Number(process.env.BENCH_TESTS ?? 100);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PROJECT = "Fabrikam Fiber";
/** Runs of the comparison work item (20 = the strip's window and the trend's length). */
const SMALL_RUNS = Number(process.env.BENCH_SMALL_RUNS ?? 20);
/** Tests per page, as the form group asks (PAGE_SIZE in extension/src/work-item-results). */
const PAGE = 20;

async function main() {
  const os = await import("node:os");
  console.log(`Work item results benchmark — node ${process.version}, ${os.cpus().length} CPUs, ${DB_KIND}`);
  const sim = createSimulator();
  const org = sim.org("fabrikam");
  const project = org.projects.find((p) => p.name === PROJECT)!;
  const schemaName = `bench_${Math.random().toString(16).slice(2, 10)}`;
  const config = testConfig(
    DB_KIND === "postgres"
      ? { DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test", LOG_LEVEL: "error" }
      : { LOG_LEVEL: "error" },
  );
  const backend = await buildBackend(
    { ...config, dataDir: "" },
    { fetch: sim.fetch, startJobs: false, schemaName: DB_KIND === "postgres" ? schemaName : undefined, memory: DB_KIND !== "postgres" },
  );
  const database: Database = backend.deps.database;
  try {
    await database.db.insert(organizations).values({ id: org.id, name: org.name, url: "https://dev.azure.com/fabrikam" });
    const wi = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "A requirement with a long history" }).id;
    const small = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "A requirement with a short history" }).id;
    const t0 = performance.now();
    const runs = Math.ceil(RESULTS / TESTS);
    const g = await generateResults(database, {
      orgId: org.id,
      project: { id: project.id, name: project.name },
      workItemIds: [wi],
      testsPerWorkItem: TESTS,
      runs,
      onRun: (n) => n % 50 === 0 && process.stdout.write(`\r  generating: run ${n}/${runs}`),
    });
    await generateResults(database, {
      orgId: org.id,
      project: { id: project.id, name: project.name },
      workItemIds: [small],
      testsPerWorkItem: TESTS,
      // As many runs as the recent-outcomes window and the trend hold: the same answer shape as the big one.
      runs: SMALL_RUNS,
    });
    console.log(
      `\n  ${g.results.toLocaleString("en")} results linked to #${wi} (${runs} runs × ${TESTS} tests) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    // What autovacuum does after large writes.
    if (DB_KIND === "postgres") await database.exec("VACUUM ANALYZE");

    const headers = {
      Authorization: `Bearer ${await signAppToken(DEMO_USERS.admin.id)}`,
      "X-Ado-Collection-Url": "https://dev.azure.com/fabrikam/",
      "X-Ado-Access-Token": sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id),
    };
    const get = async (path: string, h = headers) => {
      const res = await backend.app.request(path, { headers: h });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.text();
    };
    const deps = backend.deps as AppDeps;
    // What the route does after its checks: the summaries, the page's details, the JSON.
    const direct = async (id: number) => {
      const { rows, trend } = await loadTestSummaries(deps, org.id, id);
      const out = buildWorkItemTests(id, rows, new Map(), trend, { top: PAGE, skip: 0, filter: "all" });
      const details = await loadLatestDetails(
        deps,
        org.id,
        out.tests.map((t) => t.latest.resultId),
      );
      return JSON.stringify(withLatestDetails(out, details));
    };
    const first = JSON.parse(await get(`/api/results/work-items/${wi}?top=${PAGE}&skip=0&filter=all`)) as {
      tests: { key: string; results: number }[];
    };
    const key = first.tests[0].key;
    const rows: string[] = [];
    const row = (what: string, r: Awaited<ReturnType<typeof load>>) => {
      rows.push(`| ${what} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.perSecond.toFixed(0)}/s |`);
      console.log(rows[rows.length - 1]);
      return r;
    };
    // Warm both paths (JIT, caches, connections) before measuring.
    await load(200, CONC, () => get(`/api/results/work-items/${wi}?top=${PAGE}&skip=0&filter=all`));
    await load(200, CONC, () => direct(wi));
    const storeBig = row(
      `store directly, #${wi} (${g.results.toLocaleString("en")} results)`,
      await load(REQUESTS, CONC, () => direct(wi)),
    );
    const apiBig = row(
      `GET /api/results/work-items/${wi}`,
      await load(REQUESTS, CONC, () => get(`/api/results/work-items/${wi}?top=${PAGE}&skip=0&filter=all`)),
    );
    // Without queueing: what one request costs (Node runs the handlers on one thread, so at concurrency 16
    // a request waits for the others' CPU time).
    row(
      `GET /api/results/work-items/${wi}, concurrency 1`,
      await load(Math.ceil(REQUESTS / 4), 1, () => get(`/api/results/work-items/${wi}?top=${PAGE}&skip=0&filter=all`)),
    );
    const storeSmall = row(
      `store directly, #${small} (${(SMALL_RUNS * TESTS).toLocaleString("en")} results)`,
      await load(REQUESTS, CONC, () => direct(small)),
    );
    const apiSmall = row(
      `GET /api/results/work-items/${small}`,
      await load(REQUESTS, CONC, () => get(`/api/results/work-items/${small}?top=${PAGE}&skip=0&filter=all`)),
    );
    const storeHistory = row(
      `store directly, one test's history (page of 5 of ${first.tests[0].results})`,
      await load(REQUESTS, CONC, () =>
        findTest(deps, org.id, wi, key).then((t) =>
          testHistory(deps, org.id, wi, key, Number(t!.results), { top: 5, skip: 0 }).then(JSON.stringify),
        ),
      ),
    );
    const apiHistory = row(
      `GET …/tests/{key}/results (page of 5)`,
      await load(REQUESTS, CONC, () => get(`/api/results/work-items/${wi}/tests/${key}/results?top=5&skip=0`)),
    );
    const deep = row(
      `GET …/tests/{key}/results?skip=900 (page of 5)`,
      await load(REQUESTS, CONC, () => get(`/api/results/work-items/${wi}/tests/${key}/results?top=5&skip=900`)),
    );

    // Sixteen concurrent first requests with one fresh token.
    const fresh = { ...headers, "X-Ado-Access-Token": sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id) };
    sim.requestLog.clear();
    await Promise.all(Array.from({ length: 16 }, () => get(`/api/results/work-items/${wi}?top=${PAGE}&skip=0&filter=all`, fresh)));
    const cd = sim.requestLog.count({ pathIncludes: "connectionData" });
    const wb = sim.requestLog.count({ pathIncludes: "workitemsbatch" });

    console.log(`\n| call (concurrency ${CONC}, ${REQUESTS} requests) | p50 | p99 | throughput |\n|---|---|---|---|`);
    for (const r of rows) console.log(r);
    console.log(
      `\nthroughput through the API / store directly: ${(apiBig.perSecond / storeBig.perSecond).toFixed(2)} (100k), ${(apiSmall.perSecond / storeSmall.perSecond).toFixed(2)} (${(SMALL_RUNS * TESTS).toLocaleString("en")} results), ${(apiHistory.perSecond / storeHistory.perSecond).toFixed(2)} (history)`,
    );
    console.log(
      `p50 with ${g.results.toLocaleString("en")} results / with ${(SMALL_RUNS * TESTS).toLocaleString("en")}: ${(apiBig.p50 / apiSmall.p50).toFixed(2)}; deep history page p50 ${deep.p50.toFixed(1)} ms`,
    );
    console.log(`16 concurrent first requests with a fresh token: ${cd} connectionData, ${wb} workitemsbatch calls to Azure DevOps`);
  } finally {
    await backend.close();
    if (DB_KIND === "postgres") {
      const { openDatabase } = await import("../backend/src/db/client");
      const admin = await openDatabase({ databaseUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test" });
      await admin.exec(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE; DROP SCHEMA IF EXISTS "${schemaName}_boss" CASCADE`);
      await admin.close();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
