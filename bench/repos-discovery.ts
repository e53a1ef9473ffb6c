/**
 * Repos link discovery benchmark: a first (full) sync of a generated Katalon project of N test cases
 * against the simulator with per-request latency, then an incremental sync after a push that renames
 * one test case, then a sync with nothing new — compared with the naive way (list, then one GET per
 * Katalon file) measured in the same run on a sample and extrapolated.
 *
 *   node --import tsx bench/repos-discovery.ts                 # N = 1000, PGlite
 *   BENCH_SIZES=1000,5000 BENCH_DB=postgres node --import tsx bench/repos-discovery.ts
 *
 * Env: BENCH_SIZES (comma list, default 1000), BENCH_LATENCY_MS (default 50), BENCH_NAIVE_SAMPLE
 * (default 200), BENCH_DB=pglite|postgres (DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test).
 */
import { randomUUID } from "node:crypto";
import { createSimulator, DEMO_PATS } from "@testops/ado-sim";
import { AdoClient } from "../backend/src/ado/client";
import { migrate } from "../backend/src/db/client";
import { DB_KIND, mb, measure, openDb } from "./measure";
import { organizations, reposLinks } from "../backend/src/db/schema";
import { fileKind } from "../backend/src/repos/discover";
import { getRepository, listTree } from "../backend/src/repos/git";
import { syncLink } from "../backend/src/repos/sync";
import { eq } from "drizzle-orm";

const SIZES = (process.env.BENCH_SIZES ?? "1000").split(",").map(Number);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 50);
const SAMPLE = Number(process.env.BENCH_NAIVE_SAMPLE ?? 200);
const PROJECT = "Bench";
const REPO = "katalon-generated";

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function bench(n: number) {
  const sim = createSimulator({
    seed: {
      orgs: [{ name: "fabrikam", projects: [{ name: PROJECT, process: "Agile" }], workItems: 0 }],
      katalonRepos: false,
      generatedKatalon: { testCases: n, traps: true },
    },
  });
  const client = () =>
    new AdoClient({
      org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
      auth: { type: "pat", pat: DEMO_PATS.admin },
      fetch: sim.fetch,
      simulatorUrl: "http://ado-sim.bench",
    });
  const database = await openDb();
  await migrate(database);
  const orgId = sim.state.orgs.get("fabrikam")!.id;
  await database.db.insert(organizations).values({ id: orgId, name: "fabrikam", url: "https://dev.azure.com/fabrikam" });
  const repo = (await getRepository(client(), PROJECT, REPO))!;
  const [link] = await database.db
    .insert(reposLinks)
    .values({
      id: randomUUID(),
      orgId,
      projectId: repo.project.id,
      name: "bench",
      url: `https://dev.azure.com/fabrikam/${PROJECT}/_git/${REPO}`,
      repoProjectId: repo.project.id,
      repoProjectName: repo.project.name,
      repositoryId: repo.id,
      repositoryName: repo.name,
      path: "/",
      versionType: "branch",
      version: "main",
      createdBy: "bench",
      updatedBy: "bench",
    })
    .returning();
  const reload = async () => (await database.db.select().from(reposLinks).where(eq(reposLinks.id, link.id)))[0];
  sim.faults.set({ latencyMs: LATENCY });

  const run = async (label: string) => {
    const c = client();
    sim.requestLog.clear();
    const current = await reload();
    const r = await measure(() => syncLink({ db: database.db, client: c }, current));
    const sum = r.value;
    console.log(
      `  ${label.padEnd(34)} ${String(sim.requestLog.count()).padStart(3)} ADO requests  ${s(r.ms).padStart(8)}  ` +
        `blobs ${String(sum.blobsFetched).padStart(5)}  test cases ${sum.testCases.total} (+${sum.testCases.created} ~${sum.testCases.updated} -${sum.testCases.removed})  ` +
        `suites ${sum.suites.total}  skipped ${sum.skipped}  warnings ${sum.warnings}  peak heap ${mb(r.peakHeap)}`,
    );
    return { ...r, requests: sim.requestLog.count() };
  };

  console.log(`\nN = ${n} test cases (generated project with traps), ${LATENCY} ms per ADO request, ${DB_KIND}`);
  const full = await run("first sync (discovery)");

  // A push that renames one test case the way Katalon does: .tc (and <name>), its Scripts folder, its suite.
  const r = sim.state.orgs.get("fabrikam")!.projects[0].repos.find((x) => x.name === REPO)!;
  const head = r.refs.get("refs/heads/main")!;
  const flat = r.flatFiles(head);
  const tcPath = [...flat.keys()].find((p) => p.startsWith("/Test Cases/Checkout/TC0002 "))!;
  const name = tcPath.slice(tcPath.lastIndexOf("/") + 1, -3);
  const read = (p: string) => Buffer.from(r.get(flat.get(p)!)!.data).toString("utf8");
  const script = [...flat.keys()].find((p) => p.startsWith(`/Scripts/Checkout/${name}/`))!;
  sim.pushCommit("fabrikam", PROJECT, REPO, {
    branch: "main",
    changes: [
      {
        changeType: "rename",
        sourcePath: tcPath,
        path: tcPath.replace(name, `${name} renamed`),
        content: read(tcPath).replace(`<name>${name}<`, `<name>${name} renamed<`),
      },
      { changeType: "rename", sourcePath: script, path: script.replace(`/${name}/`, `/${name} renamed/`) },
      {
        changeType: "edit",
        path: "/Test Suites/Checkout Suite.ts",
        content: read("/Test Suites/Checkout Suite.ts").replace(`/${name}<`, `/${name} renamed<`),
      },
    ],
  });
  const incr = await run("after a push renaming 1 test case");
  const same = await run("nothing pushed since");

  // Naive: list, then one GET per Katalon file (.prj, .tc, .ts), on a sample, extrapolated.
  const c = client();
  sim.requestLog.clear();
  const naive = await measure(async () => {
    const items = (await listTree(c, { project: repo.project.id, repositoryId: repo.id }, "/", head))!;
    const files = items.filter((i) => !i.isFolder && fileKind(i.path) && fileKind(i.path) !== "script");
    for (const f of files.slice(0, SAMPLE))
      await c.get(`${repo.project.id}/_apis/git/repositories/${repo.id}/items`, {
        query: { path: f.path, includeContent: true, "versionDescriptor.version": head, "versionDescriptor.versionType": "commit" },
      });
    return files.length;
  });
  const perFile = (naive.ms - LATENCY) / Math.min(SAMPLE, naive.value);
  const naiveMs = LATENCY + perFile * naive.value;
  console.log(
    `  naive (1 GET per Katalon file)      ${naive.value + 1} ADO requests  ${s(naiveMs)} (extrapolated from ${Math.min(SAMPLE, naive.value)} files, ${perFile.toFixed(1)} ms/file)`,
  );
  console.log(`  => discovery: ${full.requests} requests vs ${naive.value + 1}; ${(naiveMs / full.ms).toFixed(1)}x faster`);
  await database.drop();
  return { n, full, incr, same, naiveRequests: naive.value + 1, naiveMs };
}

async function main() {
  for (const n of SIZES) await bench(n);
}
void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
