/**
 * Boards sync benchmark: a full sync of N work items against the simulator with per-request latency,
 * compared with the naive way (one GET per work item) measured in the same run.
 *
 *   node --import tsx bench/boards-sync.ts                 # N = 10000 and 100000, PGlite
 *   BENCH_SIZES=10000 BENCH_DB=postgres node --import tsx bench/boards-sync.ts
 *
 * Env: BENCH_SIZES (comma list), BENCH_LATENCY_MS (default 50), BENCH_NAIVE_SAMPLE (default 300),
 * BENCH_DB=pglite|postgres (DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test).
 */
import { randomUUID } from "node:crypto";
import { createSimulator, DEMO_PATS } from "@testops/ado-sim";
import { AdoClient } from "../backend/src/ado/client";
import { syncLink, writeRevisions } from "../backend/src/boards/engine";
import { getPlans } from "../backend/src/boards/plans";
import { createLink, loadLink } from "../backend/src/boards/links";
import { fieldsNeeded } from "../backend/src/boards/mapping";
import { workItemTypes } from "../backend/src/boards/pickers";
import type { AppDeps } from "../backend/src/context";
import { migrate } from "../backend/src/db/client";
import { DB_KIND, mb, measure, openDb } from "./measure";
import { organizations } from "../backend/src/db/schema";
import { writeResultLinks } from "../backend/src/results/links";
import { BoardsLinkConfigSchema, TESTOPS_SEVERITIES } from "../backend/src/schemas/boards";

const SIZES = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 50);
const SAMPLE = Number(process.env.BENCH_NAIVE_SAMPLE ?? 300);
const PROJECT = "Bench";

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const seedFor = (workItems: number) =>
  createSimulator({
    seed: { orgs: [{ name: "fabrikam", projects: [{ name: PROJECT, process: "Agile" }], workItems }], katalonRepos: false },
  });

/** Share of generated items that are requirements or bugs (the generator also makes epics, tasks, test cases…). */
async function inScopeRatio(): Promise<number> {
  const probe = seedFor(10_000);
  const c = new AdoClient({
    org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
    auth: { type: "pat", pat: DEMO_PATS.admin },
    fetch: probe.fetch,
    simulatorUrl: "http://ado-sim.bench",
  });
  const q = `SELECT [System.Id] FROM WorkItems WHERE [System.WorkItemType] IN GROUP 'Microsoft.RequirementCategory' OR [System.WorkItemType] IN GROUP 'Microsoft.BugCategory'`;
  const res = await c.post<{ workItems: unknown[] }>(`${probe.state.orgs.get("fabrikam")!.projects[0].id}/_apis/wit/wiql`, { query: q });
  return res.workItems.length / 10_000;
}

async function bench(n: number, ratio: number) {
  // Generate enough items that about N of them are requirements or bugs (what the sync reads).
  const generated = Math.ceil(n / ratio);
  console.log(
    `\n=== N = ${n} requirements+bugs (${generated} generated work items, Agile), ${LATENCY} ms latency per ADO request, ${DB_KIND} ===`,
  );
  const t0 = performance.now();
  const sim = seedFor(generated);
  console.log(`simulator seeded in ${s(performance.now() - t0)}`);
  const org = sim.state.orgs.get("fabrikam")!;
  const project = org.projects[0];
  const client = () =>
    new AdoClient({
      org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
      auth: { type: "pat", pat: DEMO_PATS.admin },
      fetch: sim.fetch,
      simulatorUrl: "http://ado-sim.bench",
    });
  const database = await openDb();
  await migrate(database);
  await database.db.insert(organizations).values({ id: org.id, name: org.name, url: "https://dev.azure.com/fabrikam" });
  // The engine needs only the database from the app deps.
  const deps = { database } as unknown as AppDeps;

  const setup = client();
  const types = await workItemTypes(setup, project.id);
  const states = (list: typeof types.requirement) =>
    Object.fromEntries(list.map((w) => [w.name, Object.fromEntries(w.states.map((x) => [x.name, x.suggestedStatus]))]));
  const cfg = BoardsLinkConfigSchema.parse({
    project: { id: project.id, name: project.name },
    pullRequirements: true,
    bugMapping: true,
    requirements: {
      workItemTypes: types.requirement.map((t) => t.name),
      stateMapping: states(types.requirement),
      releaseDateFields: ["Microsoft.VSTS.Scheduling.FinishDate"],
    },
    bugs: {
      workItemTypes: types.bug.map((t) => t.name),
      stateMapping: states(types.bug),
      severityMapping: Object.fromEntries(
        ["1 - Critical", "2 - High", "3 - Medium", "4 - Low"].map((v, i) => [v, TESTOPS_SEVERITIES[i + 1]]),
      ),
    },
  });
  const inScope = [...cfg.requirements.workItemTypes, ...cfg.bugs.workItemTypes];
  // Latency on every ADO request from here on (control endpoints excluded by the simulator).
  sim.faults.set({ latencyMs: LATENCY });

  // --- our sync: reporting revisions, 200 per page, only the mapped fields ---
  const link = await createLink(deps, org.id, "bench", cfg);
  const c1 = client();
  sim.requestLog.clear();
  const rssBefore = process.memoryUsage().rss;
  const run = await measure(() => syncLink(deps, c1, link));
  const m = run.value.requirements.created + run.value.bugs.created;
  const minimum = Math.ceil(m / 200) + 1; // pages of 200 + the iteration tree
  const simRequests = sim.requestLog.count();
  console.log(
    `sync: ${m} requirements+bugs (of ${generated} generated items; ${run.value.revisionsRead} latest revisions read), ${run.value.releases.created} releases, ${run.value.sprints.created} sprints`,
  );
  console.log(`  ADO requests: ${c1.requests} (minimum ⌈${m}/200⌉ + 1 iteration tree = ${minimum}; simulator log: ${simRequests})`);
  console.log(`  wall time: ${s(run.ms)} (${((m / run.ms) * 1000).toFixed(0)} items/s)`);
  console.log(
    `  peak RSS: ${mb(run.peakRss)} (+${mb(run.peakRss - rssBefore)} over the ${mb(rssBefore)} before the sync; simulator and database share the process), peak heap: ${mb(run.peakHeap)}`,
  );

  // --- Plans on what was synced: without test results, then with results linked to every other requirement ---
  const plansBare = await measure(() => getPlans(deps, org.id, { linkId: link.id }));
  const linked = await linkBenchResults(database, org.id, project.id, link.id);
  const plansTested = await measure(() => getPlans(deps, org.id, { linkId: link.id }));
  const tested = plansTested.value.releases.reduce((n, r) => n + r.coverage.tested, 0);
  console.log(
    `  Plans: ${plansBare.ms.toFixed(0)} ms without test results; ${plansTested.ms.toFixed(0)} ms with ${linked} results linked (${tested} requirements tested in releases; ${(plansTested.ms / plansBare.ms).toFixed(2)}x)`,
  );

  // --- the same work done naively: list ids, then one GET per work item, one upsert per item ---
  const c2 = client();
  const link2 = await createLink(deps, org.id, "bench", { ...cfg, team: { id: "naive", name: "naive" } });
  const row2 = await loadLink(deps, org.id, link2.id);
  const fields = fieldsNeeded(cfg).join(",");
  const sample = Math.min(SAMPLE, m);
  const naive = await measure(async () => {
    // WIQL stops at 20,000 results: a real naive client pages by id; one page is enough for the sample.
    const q = `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = '${PROJECT}' AND [System.WorkItemType] IN (${inScope.map((t) => `'${t}'`).join(", ")}) ORDER BY [System.Id]`;
    const ids = (
      await c2.post<{ workItems: { id: number }[] }>(`${project.id}/_apis/wit/wiql`, { query: q }, { query: { $top: sample } })
    ).workItems.map((w) => w.id);
    for (const id of ids) {
      const wi = await c2.get<{ id: number; rev: number; fields: Record<string, unknown> }>(`${project.id}/_apis/wit/workitems/${id}`, {
        query: { fields },
      });
      await writeRevisions(database.db, row2, cfg, [{ id: wi.id, rev: wi.rev, fields: wi.fields }]);
    }
    return ids.length;
  });
  const perItem = naive.ms / naive.value;
  const naiveRequests = m + Math.ceil(m / 20_000);
  console.log(`naive (one GET per work item), measured on a sample of ${naive.value} items and extrapolated to ${m}:`);
  console.log(`  sample: ${c2.requests} requests in ${s(naive.ms)} (${perItem.toFixed(1)} ms per item)`);
  console.log(
    `  extrapolated: ${naiveRequests} ADO requests (${m} GETs + ${Math.ceil(m / 20_000)} WIQL pages), wall time ≈ ${s(perItem * m)}`,
  );
  console.log(
    `  => ${(naiveRequests / c1.requests).toFixed(0)}x the requests, ≈ ${((perItem * m) / run.ms).toFixed(0)}x the wall time of the sync`,
  );
  await database.drop();
  return {
    n: generated,
    m,
    requests: c1.requests,
    minimum,
    ms: run.ms,
    peakRss: run.peakRss,
    peakHeap: run.peakHeap,
    naiveRequests,
    naiveMs: perItem * m,
  };
}

/** One run with a result linked to every other synced requirement (one in five failed); links through the store's writer. */
async function linkBenchResults(database: Awaited<ReturnType<typeof openDb>>, orgId: string, projectId: string, linkId: string) {
  const runId = randomUUID();
  await database.query(
    `INSERT INTO test_runs (id, org_id, project_id, project_name, name, source, total, passed, failed, errors, skipped, created_by, started_at)
     VALUES ($1, $2, $3, $4, 'bench', 'JUnit', 0, 0, 0, 0, 0, 'bench', now())`,
    [runId, orgId, projectId, PROJECT],
  );
  const rows = await database.query<{ id: string; name: string }>(
    `INSERT INTO test_results (org_id, run_id, project_id, seq, suite, path, name, full_name, outcome)
     SELECT $1, $2, $3, row_number() OVER (ORDER BY q.ado_id), 'bench', 'Bench', 't' || q.ado_id, 'Bench.t' || q.ado_id,
            CASE WHEN q.ado_id % 5 = 0 THEN 'failed' ELSE 'passed' END
     FROM boards_requirements q WHERE q.link_id = $4 AND q.ado_id % 2 = 0
     RETURNING id, name`,
    [orgId, runId, projectId, linkId],
  );
  return writeResultLinks(
    database.db,
    orgId,
    rows.map((r) => ({ resultId: Number(r.id), workItemId: Number(r.name.slice(1)), source: "upload" as const })),
  );
}

async function main() {
  console.log(`Boards sync benchmark — node ${process.version}, ${(await import("node:os")).cpus().length} CPUs`);
  const ratio = await inScopeRatio();
  const rows = [];
  for (const n of SIZES) rows.push(await bench(n, ratio));
  console.log(
    "\n| generated | synced | requests | minimum | wall time | peak RSS | peak heap | naive requests | naive wall time (extrapolated) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.n} | ${r.m} | ${r.requests} | ${r.minimum} | ${s(r.ms)} | ${mb(r.peakRss)} | ${mb(r.peakHeap)} | ${r.naiveRequests} | ${s(r.naiveMs)} |`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
