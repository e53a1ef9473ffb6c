/**
 * The dashboard widgets' data calls at volume (issue #20): GET /api/widgets/{pass-rate,coverage,flaky}
 * through the whole app in process (app token, organization check with the simulator, project access,
 * zod, JSON) on a project with 1,000,000 results (20 runs × 10k requirements × 5 tests of a synced
 * Boards link, bench/results-dataset.ts), each call and its filtered variants at concurrency 1 and 16.
 * Baselines in the same run: GET /healthz, the same calls on a project with no results, and coverage on
 * the same link before any result was written. Also prints what the widgets' summaries cost to write.
 *
 *   BENCH_DB=postgres node --import tsx bench/widgets.ts
 *
 * Env: BENCH_DB=pglite|postgres, BENCH_ITEMS (default 10000), BENCH_TESTS (tests per requirement,
 * default 5), BENCH_RUNS (default 20), BENCH_ITER (requests per measurement at concurrency 1, default
 * 200; 4× that at concurrency 16).
 */
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { AdoClient } from "../backend/src/ado/client";
import { syncLink } from "../backend/src/boards/engine";
import { createLink } from "../backend/src/boards/links";
import { workItemTypes } from "../backend/src/boards/pickers";
import type { Database } from "../backend/src/db/client";
import { organizations } from "../backend/src/db/schema";
import { BoardsLinkConfigSchema } from "../backend/src/schemas/boards";
import { flakyTests } from "../backend/src/widgets/store";
import { buildBackend } from "../backend/src/server";
import { connectOrg, signAppToken, testConfig } from "../backend/test/helpers";
import { DB_KIND, load } from "./measure";
import { generateResults } from "./results-dataset";

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const TESTS = Number(process.env.BENCH_TESTS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const ITER = Number(process.env.BENCH_ITER ?? 200);
const PROJECT = "Bench";
const EMPTY = "Empty";

async function main() {
  const os = await import("node:os");
  console.log(`Dashboard widgets benchmark — node ${process.version}, ${os.cpus().length} CPUs, ${DB_KIND}`);
  const sim = createSimulator({
    seed: {
      orgs: [
        {
          name: "fabrikam",
          projects: [
            { name: PROJECT, process: "Agile" },
            { name: EMPTY, process: "Agile" },
          ],
          // About a third of the generated items are requirements, and the first project gets 4/5 of them.
          workItems: Math.ceil(ITEMS * 3.05 * 1.25),
        },
      ],
      katalonRepos: false,
    },
  });
  const org = sim.state.orgs.get("fabrikam")!;
  const project = org.projects.find((p) => p.name === PROJECT)!;
  const schemaName = `bench_${Math.random().toString(16).slice(2, 10)}`;
  const dbUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
  const config = testConfig(DB_KIND === "postgres" ? { DATABASE_URL: dbUrl, LOG_LEVEL: "error" } : { LOG_LEVEL: "error" });
  const backend = await buildBackend(
    { ...config, dataDir: "" },
    { fetch: sim.fetch, startJobs: false, schemaName: DB_KIND === "postgres" ? schemaName : undefined, memory: DB_KIND !== "postgres" },
  );
  const database: Database = backend.deps.database;
  const analyze = () => (DB_KIND === "postgres" ? database.exec("VACUUM ANALYZE") : Promise.resolve());
  try {
    await database.db.insert(organizations).values({ id: org.id, name: org.name, url: "https://dev.azure.com/fabrikam" });
    const headers = {
      Authorization: `Bearer ${await signAppToken(DEMO_USERS.admin.id)}`,
      "X-Ado-Collection-Url": "https://dev.azure.com/fabrikam/",
      // Valid for the whole run: writing 1M results takes about an hour on a busy machine.
      "X-Ado-Access-Token": sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id, 6 * 3600_000),
    };
    await connectOrg(backend.app, headers, "fabrikam", DEMO_PATS.admin);

    // A Boards link of the project, synced from the simulator (as bench/plans-coverage.ts).
    const client = new AdoClient({
      org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
      auth: { type: "pat", pat: DEMO_PATS.admin },
      fetch: sim.fetch,
      simulatorUrl: "http://ado-sim.bench",
    });
    const types = await workItemTypes(client, project.id);
    const states = (list: typeof types.requirement) =>
      Object.fromEntries(list.map((w) => [w.name, Object.fromEntries(w.states.map((x) => [x.name, x.suggestedStatus]))]));
    const cfg = BoardsLinkConfigSchema.parse({
      project: { id: project.id, name: project.name },
      pullRequirements: true,
      bugMapping: false,
      requirements: { workItemTypes: types.requirement.map((t) => t.name), stateMapping: states(types.requirement), releaseDateFields: [] },
    });
    const link = await createLink(backend.deps, org.id, "bench", cfg);
    const t0 = performance.now();
    await syncLink(backend.deps, client, link);
    const reqs = (
      await database.query<{ ado_id: number }>(
        `SELECT ado_id FROM boards_requirements WHERE link_id = $1 AND removed = false ORDER BY ado_id`,
        [link.id],
      )
    ).map((r) => Number(r.ado_id));
    const [release2] = await database.query<{ id: string }>(`SELECT id FROM boards_releases WHERE link_id = $1 AND name = 'Release 2'`, [
      link.id,
    ]);
    const [inSprint] = await database.query<{ n: string }>(
      `SELECT count(*) AS n FROM boards_requirements q JOIN boards_sprints s ON s.link_id = q.link_id AND lower(s.path) = lower(q.iteration_path)
        WHERE q.link_id = $1 AND s.name = 'Sprint 4'`,
      [link.id],
    );
    console.log(
      `synced ${reqs.length} requirements in ${((performance.now() - t0) / 1000).toFixed(1)} s (${inSprint.n} in the current sprint, Sprint 4)`,
    );

    const get = async (path: string) => {
      const res = await backend.app.request(path, { headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.text();
    };
    const rows: string[] = [];
    const measure = async (label: string, path: string) => {
      await load(20, 4, () => get(path)); // warm: JIT, the access and team caches, the connection pool
      const c1 = await load(ITER, 1, () => get(path));
      const c16 = await load(ITER * 4, 16, () => get(path));
      rows.push(
        `| ${label} | \`${path.replace(/linkId=[0-9a-f-]+/, "linkId=…").replace(/iterationId=[0-9a-f-]+/, "iterationId=…")}\` | ${c1.p50.toFixed(1)} | ${c1.p99.toFixed(1)} | ${c16.p50.toFixed(1)} | ${c16.p99.toFixed(1)} |`,
      );
      console.log(rows[rows.length - 1]);
    };
    const pr = (q: string, p = PROJECT) => `/api/widgets/pass-rate?project=${p}${q}`;
    const fl = (q: string, p = PROJECT) => `/api/widgets/flaky?project=${p}${q}`;
    const cov = (q: string) => `/api/widgets/coverage?linkId=${link.id}${q}`;

    await analyze();
    await measure("baseline: /healthz", "/healthz");
    await measure("baseline: pass rate, project with no results", pr("", EMPTY));
    await measure("baseline: flaky, project with no results", fl("", EMPTY));
    await measure("baseline: coverage, current sprint, no results yet", cov(""));
    await measure("baseline: coverage, release, no results yet", cov(`&scope=release&iterationId=${release2.id}`));

    const g = await generateResults(database, {
      orgId: org.id,
      project: { id: project.id, name: project.name },
      workItemIds: reqs,
      testsPerWorkItem: TESTS,
      runs: RUNS,
      onRun: (n, r) => process.stdout.write(`\r  generating: run ${n}/${RUNS}, ${r.toLocaleString("en")} results`),
    });
    // Every other run arrives from the pipeline task (the origin filter's variant).
    await database.query(
      `UPDATE test_runs SET origin = 'task' WHERE org_id = $1 AND project_id = $2 AND substring(name from '[0-9]+$')::int % 2 = 0`,
      [org.id, project.id],
    );
    await analyze();
    const [sizes] = await database.query<{ paths: string; tests: string; failing: string }>(
      `SELECT (SELECT count(*) FROM run_path_totals) AS paths, (SELECT count(*) FROM project_tests) AS tests,
              (SELECT count(*) FROM project_tests WHERE recent ~ '[fe]') AS failing`,
    );
    console.log(
      `\n  wrote ${g.results.toLocaleString("en")} results (${g.links.toLocaleString("en")} links); the widgets' summaries took ${(g.summaryMs / 1000).toFixed(1)} s of it ` +
        `(${(g.summaryMs / RUNS).toFixed(0)} ms per run of ${(g.results / RUNS).toLocaleString("en")} results; ${sizes.paths} run × path rows, ${sizes.tests} project tests, ${sizes.failing} with a failure in their last 50)`,
    );

    await measure("baseline: /healthz (results stored)", "/healthz");
    await measure("pass rate, last 10 runs", pr(""));
    await measure("pass rate, last 50 runs", pr("&runs=50"));
    await measure("pass rate, origin task", pr("&origin=task"));
    await measure("pass rate, path prefix (1 path in 9)", pr("&pathPrefix=Bench%2FWI1"));
    await measure("pass rate, path prefix (one path)", pr(`&pathPrefix=Bench%2FWI${reqs[0]}`));
    await measure("pass rate, Boards link", pr(`&linkId=${link.id}`));
    await measure("pass rate, Boards link + path prefix (1 in 9)", pr(`&linkId=${link.id}&pathPrefix=Bench%2FWI1`));
    await measure("pass rate, Boards link + path prefix (one path)", pr(`&linkId=${link.id}&pathPrefix=Bench%2FWI${reqs[0]}`));
    await measure("coverage, current sprint (link's dates)", cov(""));
    await measure("coverage, current sprint (team's, asked of ADO, cached)", cov(`&team=${encodeURIComponent(`${PROJECT} Team`)}`));
    await measure("coverage, release", cov(`&scope=release&iterationId=${release2.id}`));
    await measure("flaky, by failures, last 20", fl(""));
    await measure("flaky, by flakiness, last 50", fl("&by=flakiness&runs=50"));
    await measure("flaky, Boards link", fl(`&linkId=${link.id}`));

    console.log(
      `\n| call | path | c1 p50 (ms) | c1 p99 (ms) | c16 p50 (ms) | c16 p99 (ms) |\n|---|---|---|---|---|---|\n${rows.join("\n")}`,
    );
    console.log(`(${ITER} requests at concurrency 1, ${ITER * 4} at 16, after 20 warm-up requests)`);
    if (process.env.BENCH_EXPLAIN) {
      for (const q of [pr(`&linkId=${link.id}`), fl(""), fl(`&linkId=${link.id}`)]) {
        const t = performance.now();
        await get(q);
        console.log(`${q}: ${(performance.now() - t).toFixed(1)} ms`);
      }
      // The plan of every query the flaky widget's store call makes (what its time goes to).
      const explaining = {
        ...database,
        query: async <T>(text: string, params?: unknown[]) => {
          if (DB_KIND === "postgres") {
            const plan = await database.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
            console.log(`\n${text.replace(/\s+/g, " ").slice(0, 160)}…\n${plan.map((r) => r["QUERY PLAN"]).join("\n")}`);
          }
          return database.query<T>(text, params);
        },
      } as Database;
      await flakyTests({ ...backend.deps, database: explaining }, org.id, { projectId: project.id, top: 10, by: "failures", window: 20 });
    }
  } finally {
    await backend.close();
    if (DB_KIND === "postgres") {
      const { openDatabase } = await import("../backend/src/db/client");
      const admin = await openDatabase({ databaseUrl: dbUrl });
      await admin.exec(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE; DROP SCHEMA IF EXISTS "${schemaName}_boss" CASCADE`);
      await admin.close();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
