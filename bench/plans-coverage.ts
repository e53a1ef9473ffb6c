/**
 * Plans with test coverage at volume (issue #18, target 1): `getPlans` (what GET /api/boards/plans answers)
 * for a synced 10k-item Boards link, measured in the same run with no results, with 100k and with 1M
 * linked results (results written through the store's link writer, see results-dataset.ts).
 *
 *   BENCH_DB=postgres node --import tsx bench/plans-coverage.ts
 *
 * Env: BENCH_DB=pglite|postgres, BENCH_ITEMS (default 10000 requirements+bugs), BENCH_TESTS (tests per
 * requirement, default 5), BENCH_RUNS (comma list of cumulative run counts, default "2,20": 100k and 1M
 * results for 10k requirements × 5 tests), BENCH_ITER (requests per measurement, default 20).
 */
import { createSimulator, DEMO_PATS } from "@testops/ado-sim";
import { AdoClient } from "../backend/src/ado/client";
import { syncLink } from "../backend/src/boards/engine";
import { createLink } from "../backend/src/boards/links";
import { workItemTypes } from "../backend/src/boards/pickers";
import { getPlans } from "../backend/src/boards/plans";
import type { AppDeps } from "../backend/src/context";
import { migrate } from "../backend/src/db/client";
import { organizations } from "../backend/src/db/schema";
import { BoardsLinkConfigSchema } from "../backend/src/schemas/boards";
import { DB_KIND, load, openDb } from "./measure";
import { generateResults } from "./results-dataset";

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const TESTS = Number(process.env.BENCH_TESTS ?? 5);
const RUNS = (process.env.BENCH_RUNS ?? "2,20").split(",").map(Number);
const ITER = Number(process.env.BENCH_ITER ?? 20);
const PROJECT = "Bench";

// The coverage query before #18 (sorted every requirement's linked results on each call), kept here to
// show what the summary replaced; timed alone at the largest size.
const OLD_TESTED_SQL = `SELECT q.link_id, q.ado_id, array_agg(t.outcome) AS outcomes
  FROM boards_requirements q JOIN boards_links l ON l.id = q.link_id
  JOIN LATERAL (SELECT DISTINCT ON (r.path, r.name) r.outcome FROM test_result_links k
    JOIN test_results r ON r.id = k.result_id AND r.org_id = k.org_id JOIN test_runs run ON run.id = r.run_id AND run.org_id = r.org_id
    WHERE k.org_id = l.org_id AND k.work_item_id = q.ado_id
    ORDER BY r.path, r.name, COALESCE(run.started_at, run.created_at) DESC, r.id DESC) t ON true
  WHERE l.id = $1 AND q.removed = false GROUP BY 1, 2`;

async function main() {
  const os = await import("node:os");
  console.log(`Plans coverage benchmark — node ${process.version}, ${os.cpus().length} CPUs, ${DB_KIND}`);
  // About a third of the generated items are requirements (the generator also makes epics, tasks, bugs…).
  const sim = createSimulator({
    seed: {
      orgs: [{ name: "fabrikam", projects: [{ name: PROJECT, process: "Agile" }], workItems: Math.ceil(ITEMS * 3.05) }],
      katalonRepos: false,
    },
  });
  const org = sim.state.orgs.get("fabrikam")!;
  const project = org.projects[0];
  const client = new AdoClient({
    org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
    auth: { type: "pat", pat: DEMO_PATS.admin },
    fetch: sim.fetch,
    simulatorUrl: "http://ado-sim.bench",
  });
  const database = await openDb();
  try {
    await migrate(database);
    await database.db.insert(organizations).values({ id: org.id, name: org.name, url: "https://dev.azure.com/fabrikam" });
    const deps = { database } as unknown as AppDeps;
    const types = await workItemTypes(client, project.id);
    const states = (list: typeof types.requirement) =>
      Object.fromEntries(list.map((w) => [w.name, Object.fromEntries(w.states.map((x) => [x.name, x.suggestedStatus]))]));
    const cfg = BoardsLinkConfigSchema.parse({
      project: { id: project.id, name: project.name },
      pullRequirements: true,
      bugMapping: false,
      requirements: { workItemTypes: types.requirement.map((t) => t.name), stateMapping: states(types.requirement), releaseDateFields: [] },
    });
    const link = await createLink(deps, org.id, "bench", cfg);
    const synced = await syncLink(deps, client, link);
    const reqs = (
      await database.query<{ ado_id: number }>(
        `SELECT ado_id FROM boards_requirements WHERE link_id = $1 AND removed = false ORDER BY ado_id`,
        [link.id],
      )
    ).map((r) => Number(r.ado_id));
    console.log(`synced ${synced.requirements.created} requirements (link of ${reqs.length})`);

    // What autovacuum does after large writes, done now so both sides are measured with fresh statistics.
    const analyze = () => (DB_KIND === "postgres" ? database.exec("VACUUM ANALYZE") : Promise.resolve());
    await analyze();
    const plans = () => getPlans(deps, org.id, { linkId: link.id });
    const rows: string[] = [];
    const measureAt = async (label: string, results: number) => {
      await plans(); // warm
      const c1 = await load(ITER, 1, plans);
      const c16 = await load(ITER * 4, 16, plans);
      rows.push(
        `| ${label} | ${results.toLocaleString("en")} | ${c1.p50.toFixed(0)} ms | ${c16.p50.toFixed(0)} ms | ${c16.p99.toFixed(0)} ms |`,
      );
      console.log(rows[rows.length - 1]);
      return c1.p50;
    };
    const bare = await measureAt("no results", 0);
    let done = 0;
    let results = 0;
    const ratios: string[] = [];
    for (const upTo of RUNS) {
      const t0 = performance.now();
      const g = await generateResults(database, {
        orgId: org.id,
        project: { id: project.id, name: project.name },
        workItemIds: reqs,
        testsPerWorkItem: TESTS,
        runs: upTo - done,
        start: new Date(Date.UTC(2026, 0, 1) + done * 3_600_000),
        onRun: (n, r) => process.stdout.write(`\r  generating: run ${done + n}/${upTo}, ${(results + r).toLocaleString("en")} results`),
      });
      results += g.results;
      done = upTo;
      await analyze();
      console.log(
        `\n  wrote ${g.results.toLocaleString("en")} results (${g.links.toLocaleString("en")} links) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const p50 = await measureAt(`${upTo} runs × ${TESTS} tests`, results);
      ratios.push(`${results.toLocaleString("en")} results: ${(p50 / bare).toFixed(2)}× the link without results`);
    }
    if (process.env.BENCH_EXPLAIN) {
      const plan = await database.query<{ "QUERY PLAN": string }>(
        `EXPLAIN ANALYZE SELECT q.link_id, lower(q.iteration_path) AS ipath, q.ado_id, t.tests, t.passed, t.failed, t.error, t.skipped, t.failing_without_defect
         FROM boards_requirements q JOIN boards_links l ON l.id = q.link_id
         JOIN work_item_test_totals t ON t.org_id = l.org_id AND t.work_item_id = q.ado_id
         WHERE l.id = $1 AND q.removed = false AND t.tests > 0`,
        [link.id],
      );
      console.log(plan.map((p) => p["QUERY PLAN"]).join("\n"));
      const t = performance.now();
      const p = await plans();
      console.log(`one getPlans: ${(performance.now() - t).toFixed(0)} ms, ${JSON.stringify(p).length} bytes`);
    }
    const old = await load(3, 1, () => database.query(OLD_TESTED_SQL, [link.id]));
    console.log(`\nold coverage query alone (before #18) at ${results.toLocaleString("en")} results: p50 ${old.p50.toFixed(0)} ms`);
    console.log("\n| link | linked results | p50, concurrency 1 | p50, concurrency 16 | p99, concurrency 16 |\n|---|---|---|---|---|");
    for (const r of rows) console.log(r);
    console.log(`\n${ratios.join("; ")}`);
  } finally {
    await database.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
