/**
 * Boards sync write path: CPU per work item of writing the revisions pages of a full sync, the way the
 * engine does it now (one statement per page and table, rows as one jsonb parameter) against the way it
 * did before (drizzle's insert builder with one values object per row), in the same run, same pages,
 * same database. ADO is read once up front (no latency), so only mapping + writing is measured.
 *
 *   node --import tsx bench/boards-write.ts                         # N = 10000, PGlite
 *   BENCH_SIZES=10000,100000 BENCH_DB=postgres node --import tsx bench/boards-write.ts
 */
import { randomUUID } from "node:crypto";
import { createSimulator, DEMO_PATS } from "@testops/ado-sim";
import { sql } from "drizzle-orm";
import { AdoClient } from "../backend/src/ado/client";
import { planBatch, readRevisions, writeRevisions } from "../backend/src/boards/engine";
import { createLink, loadLink, type LinkRow } from "../backend/src/boards/links";
import { workItemTypes } from "../backend/src/boards/pickers";
import { UnmappedTally, type Revision } from "../backend/src/boards/mapping";
import type { AppDeps } from "../backend/src/context";
import { migrate, type Db } from "../backend/src/db/client";
import { boardsBugs, boardsRequirements, organizations } from "../backend/src/db/schema";
import { BoardsLinkConfigSchema, TESTOPS_SEVERITIES, type BoardsLinkConfig } from "../backend/src/schemas/boards";
import { DB_KIND, mb, openDb } from "./measure";

const SIZES = (process.env.BENCH_SIZES ?? "10000").split(",").map(Number);
const PROJECT = "Bench";

/** Before: the engine's upsert through drizzle's builder (kept here only as the baseline). */
async function writeWithBuilder(tx: Db, link: LinkRow, cfg: BoardsLinkConfig, page: Revision[]) {
  const plan = await planBatch(tx, link.id, cfg, link.configVersion, page, new UnmappedTally());
  const excluded = (col: string) => sql.raw(`excluded.${col}`);
  const WRITE = ["create", "update", "remove"];
  const common = (m: (typeof plan.requirements)[number]["item"] | (typeof plan.bugs)[number]["item"]) => ({
    id: randomUUID(),
    orgId: link.orgId,
    linkId: link.id,
    adoId: m.adoId,
    adoRev: m.adoRev,
    configVersion: link.configVersion,
    workItemType: m.workItemType,
    title: m.title,
    adoState: m.adoState,
    status: m.status,
    priority: m.priority,
    iterationPath: m.iterationPath,
    removed: m.removed,
  });
  const set = {
    adoRev: excluded("ado_rev"),
    configVersion: excluded("config_version"),
    workItemType: excluded("work_item_type"),
    title: excluded("title"),
    adoState: excluded("ado_state"),
    status: excluded("status"),
    priority: excluded("priority"),
    iterationPath: excluded("iteration_path"),
    removed: excluded("removed"),
    updatedAt: sql`now()`,
  };
  const guard = (t: typeof boardsRequirements | typeof boardsBugs) =>
    sql`${t.adoRev} < excluded.ado_rev OR (${t.adoRev} = excluded.ado_rev AND (${t.configVersion} < excluded.config_version OR ${t.removed} <> excluded.removed))`;
  const reqRows = plan.requirements
    .filter((x) => WRITE.includes(x.decision))
    .map(({ item }) => ({ ...common(item), releaseDate: item.releaseDate ? new Date(item.releaseDate) : null }));
  if (reqRows.length)
    await tx
      .insert(boardsRequirements)
      .values(reqRows)
      .onConflictDoUpdate({
        target: [boardsRequirements.linkId, boardsRequirements.adoId],
        set: { ...set, releaseDate: excluded("release_date") },
        setWhere: guard(boardsRequirements),
      });
  const bugRows = plan.bugs.filter((x) => WRITE.includes(x.decision)).map(({ item }) => ({ ...common(item), severity: item.severity }));
  if (bugRows.length)
    await tx
      .insert(boardsBugs)
      .values(bugRows)
      .onConflictDoUpdate({
        target: [boardsBugs.linkId, boardsBugs.adoId],
        set: { ...set, severity: excluded("severity") },
        setWhere: guard(boardsBugs),
      });
}

async function bench(n: number) {
  const sim = createSimulator({
    seed: {
      orgs: [{ name: "fabrikam", projects: [{ name: PROJECT, process: "Agile" }], workItems: Math.ceil(n / 0.54) }],
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
  await migrate(database);
  await database.db.insert(organizations).values({ id: org.id, name: org.name, url: "https://dev.azure.com/fabrikam" });
  const deps = { database } as unknown as AppDeps;
  const types = await workItemTypes(client, project.id);
  const states = (list: typeof types.requirement) =>
    Object.fromEntries(list.map((w) => [w.name, Object.fromEntries(w.states.map((x) => [x.name, x.suggestedStatus]))]));
  const cfg = BoardsLinkConfigSchema.parse({
    project: { id: project.id, name: project.name },
    pullRequirements: true,
    bugMapping: true,
    requirements: { workItemTypes: types.requirement.map((t) => t.name), stateMapping: states(types.requirement), releaseDateFields: [] },
    bugs: {
      workItemTypes: types.bug.map((t) => t.name),
      stateMapping: states(types.bug),
      severityMapping: Object.fromEntries(
        ["1 - Critical", "2 - High", "3 - Medium", "4 - Low"].map((v, i) => [v, TESTOPS_SEVERITIES[i + 1]]),
      ),
    },
  });
  const pages: Revision[][] = [];
  for await (const page of readRevisions(client, cfg, null)) pages.push(page.values);
  const items = pages.reduce((k, p) => k + p.length, 0);
  console.log(`\n=== N ≈ ${n}: ${items} revisions in ${pages.length} pages, ${DB_KIND} ===`);

  const run = async (label: string, write: (tx: Db, link: LinkRow, page: Revision[]) => Promise<unknown>) => {
    const link = await loadLink(
      deps,
      org.id,
      (await createLink(deps, org.id, "bench", { ...cfg, team: { id: randomUUID(), name: label.trim() } })).id,
    );
    global.gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let peak = process.memoryUsage().rss;
    for (const page of pages) {
      await database.db.transaction((tx) => write(tx as unknown as Db, link, page));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `${label}: ${(ms / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU of this process (${((cpuMs * 1000) / items).toFixed(0)} µs per item), peak RSS ${mb(peak)}`,
    );
    return cpuMs;
  };
  // Alternating order, twice, so warm-up and database growth do not favour one side.
  const now: number[] = [];
  const before: number[] = [];
  for (let round = 0; round < 2; round++) {
    const a = () => run("  one statement per page (now)", (tx, link, page) => writeRevisions(tx, link, cfg, page));
    const b = () => run("  builder per row (before)   ", (tx, link, page) => writeWithBuilder(tx, link, cfg, page));
    if (round === 0) {
      now.push(await a());
      before.push(await b());
    } else {
      before.push(await b());
      now.push(await a());
    }
  }
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  console.log(
    `  CPU per item: now ${((sum(now) * 1000) / items / 2).toFixed(0)} µs, before ${((sum(before) * 1000) / items / 2).toFixed(0)} µs (${(sum(before) / sum(now)).toFixed(2)}x)`,
  );
  await database.drop();
}

void (async () => {
  for (const n of SIZES) await bench(n);
})();
