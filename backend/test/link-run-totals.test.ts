// The per (Boards link × run [× path]) totals of migration 0100 are kept by triggers. Here random sequences
// of every kind of write that changes them (links added in batches, links rebuilt or deleted, requirements
// joining and leaving a link in one upsert, requirements and links deleted, an unfinished run discarded)
// are applied to a real database, and after each one the totals must equal a recount from the tables.
import { randomUUID } from "node:crypto";
import { mulberry32 } from "@testops/ado-sim/prng";
import { sql as sqlTag } from "drizzle-orm";
import type { Database, Db } from "../src/db/client";
import { rebuildWorkItemLinks, writeResultLinks } from "../src/results/links";
import { DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(180_000);

/** Random choices from a seed (the simulator's mulberry32), so a failing sequence can be replayed. */
function prng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: T[]) => xs[int(xs.length)];
  const some = <T>(xs: T[], max: number) => [...new Set(Array.from({ length: 1 + int(max) }, () => pick(xs)))];
  return { next, int, pick, some };
}

const ORG = "org-totals";
const OTHER = "org-other";
const WORK_ITEMS = Array.from({ length: 12 }, (_, i) => 100 + i);
const OUTCOMES = ["passed", "failed", "error", "skipped"] as const;
const PATHS = ["api.Login", "api.Pay", "ui.Home", "ui.Home.Deep"];

/** What the triggers must have summed: results with a link to a live requirement of the link, each once. */
async function recount(db: Database) {
  const expected = await db.query<{ k: string; passed: number; failed: number; error: number; skipped: number }>(`
    SELECT x.link_id || ' ' || x.run_id || ' ' || x.path AS k,
           count(*) FILTER (WHERE x.outcome = 'passed')::int AS passed, count(*) FILTER (WHERE x.outcome = 'failed')::int AS failed,
           count(*) FILTER (WHERE x.outcome = 'error')::int AS error, count(*) FILTER (WHERE x.outcome = 'skipped')::int AS skipped
      FROM (SELECT DISTINCT q.link_id, r.id, r.run_id, r.path, r.outcome
              FROM test_result_links k JOIN test_results r ON r.id = k.result_id
              JOIN boards_requirements q ON q.org_id = k.org_id AND q.ado_id = k.work_item_id AND NOT q.removed) x
     GROUP BY x.link_id, x.run_id, x.path`);
  const byPath = await db.query<{ k: string; passed: number; failed: number; error: number; skipped: number }>(`
    SELECT link_id || ' ' || run_id || ' ' || path AS k, sum(passed)::int AS passed, sum(failed)::int AS failed,
           sum(error)::int AS error, sum(skipped)::int AS skipped
      FROM link_run_path_totals GROUP BY link_id, run_id, path`);
  const byRun = await db.query<{ k: string; passed: number; failed: number; error: number; skipped: number }>(`
    SELECT link_id || ' ' || run_id AS k, sum(passed)::int AS passed, sum(failed)::int AS failed, sum(error)::int AS error,
           sum(skipped)::int AS skipped
      FROM link_run_totals GROUP BY link_id, run_id`);
  const nonZero = <T extends { k: string; passed: number; failed: number; error: number; skipped: number }>(rows: T[]) =>
    Object.fromEntries(
      rows
        .filter((r) => r.passed || r.failed || r.error || r.skipped)
        .map((r): [string, number[]] => [r.k, [r.passed, r.failed, r.error, r.skipped].map(Number)])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  const want = nonZero(expected);
  const wantByRun: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(want)) {
    const run = k.split(" ").slice(0, 2).join(" ");
    wantByRun[run] = (wantByRun[run] ?? [0, 0, 0, 0]).map((n, i) => n + v[i]);
  }
  return {
    want,
    got: nonZero(byPath),
    wantByRun: nonZero(Object.entries(wantByRun).map(([k, v]) => ({ k, passed: v[0], failed: v[1], error: v[2], skipped: v[3] }))),
    gotByRun: nonZero(byRun),
  };
}

describe.each(DB_KINDS)("Boards link × run totals kept by triggers (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  let db: Database;

  beforeAll(async () => {
    backend = await testBackend({ kind });
    db = backend.deps.database;
    for (const id of [ORG, OTHER])
      await db.query(`INSERT INTO organizations (id, name, url) VALUES ($1, $1, 'https://dev.azure.com/' || $1)`, [id]);
  });
  afterAll(() => backend.close());

  const newLink = async (org = ORG) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO boards_links (id, org_id, project_id, project_name, config) VALUES ($1, $2, 'p1', 'Project', '{}'::jsonb)`,
      [id, org],
    );
    return id;
  };
  const newRun = async (rnd: ReturnType<typeof prng>, complete: boolean, org = ORG) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO test_runs (id, org_id, project_id, project_name, name, source, total, passed, failed, errors, skipped, created_by, complete)
       VALUES ($1, $2, 'p1', 'Project', 'run', 'test', 0, 0, 0, 0, 0, 'test', $3)`,
      [id, org, complete],
    );
    const n = 3 + rnd.int(10);
    const rows = await db.query<{ id: string }>(
      `INSERT INTO test_results (org_id, run_id, project_id, seq, suite, class_name, path, name, full_name, outcome, duration_ms)
       SELECT $1, $2, 'p1', s, 's', p, p, 't' || s, p || '.t' || s, o, 1 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(p, o, s)
       RETURNING id`,
      [org, id, Array.from({ length: n }, () => rnd.pick(PATHS)), Array.from({ length: n }, () => rnd.pick([...OUTCOMES]))],
    );
    return { id, results: rows.map((r) => Number(r.id)) };
  };
  // The Boards engine's statement shape: one upsert per page, requirements joining and leaving together.
  const upsertRequirements = (link: string, org: string, rows: { ado: number; removed: boolean }[]) =>
    db.query(
      `INSERT INTO boards_requirements AS t (id, org_id, link_id, ado_id, ado_rev, config_version, work_item_type, title, removed)
       SELECT gen_random_uuid(), $1, $2, x.a, 1, 1, 'User Story', 'Story', x.rm FROM jsonb_to_recordset($3::jsonb) AS x(a integer, rm boolean)
       ON CONFLICT (link_id, ado_id) DO UPDATE SET removed = excluded.removed, updated_at = now()`,
      [org, link, JSON.stringify(rows.map((r) => ({ a: r.ado, rm: r.removed })))],
    );

  it.each([1, 2, 3, 4, 5, 6])("random sequence %i: totals equal a recount after every write", async (seed) => {
    const rnd = prng(seed * 7919);
    const links = [await newLink(), await newLink()];
    const otherLink = await newLink(OTHER);
    const runs = [await newRun(rnd, true), await newRun(rnd, true), await newRun(rnd, false)];
    const otherRun = await newRun(rnd, true, OTHER);
    const log: string[] = [];
    for (let step = 0; step < 40; step++) {
      const op = rnd.int(9);
      const run = rnd.pick(runs);
      switch (op) {
        case 0:
        case 1: {
          // Uploads and Repos linking: a batch of (result × work item), some results to two items, duplicates ignored.
          const batch = run.results.flatMap((r) =>
            rnd.next() < 0.6 ? rnd.some(WORK_ITEMS, 3).map((w) => ({ resultId: r, workItemId: w, source: "upload" as const })) : [],
          );
          log.push(`link ${batch.length}`);
          await writeResultLinks(db.db, ORG, batch);
          break;
        }
        case 2: {
          // Links taken away: the work items' links are rebuilt without some of them, plus new ones.
          const items = rnd.some(WORK_ITEMS, 3);
          const [existing] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM test_result_links WHERE work_item_id = ANY($1)`,
            [items],
          );
          const extra = rnd.some(run.results, 3).map((r) => ({ resultId: r, workItemId: rnd.pick(items), source: "repos" as const }));
          log.push(`rebuild ${items} (${existing.n} links) + ${extra.length}`);
          await db.db.transaction((tx) => rebuildWorkItemLinks(tx, ORG, items, extra));
          break;
        }
        case 3: {
          const items = rnd.some(WORK_ITEMS, 2);
          log.push(`delete links of ${items}`);
          await db.query(`DELETE FROM test_result_links WHERE org_id = $1 AND work_item_id = ANY($2)`, [ORG, items]);
          break;
        }
        case 4:
        case 5: {
          // A sync page: some requirements join, others leave (insert and update in one statement).
          const link = rnd.pick(links);
          const rows = rnd.some(WORK_ITEMS, 6).map((ado) => ({ ado, removed: rnd.next() < 0.35 }));
          log.push(`upsert ${link.slice(0, 4)} ${JSON.stringify(rows)}`);
          await upsertRequirements(link, ORG, rows);
          // Another organization's link of the same work item ids never counts this organization's results.
          await upsertRequirements(otherLink, OTHER, rows);
          break;
        }
        case 6: {
          const link = rnd.pick(links);
          const items = rnd.some(WORK_ITEMS, 4);
          log.push(`retire ${link.slice(0, 4)} ${items}`);
          await db.query(`UPDATE boards_requirements SET removed = true WHERE link_id = $1 AND ado_id = ANY($2) AND NOT removed`, [
            link,
            items,
          ]);
          break;
        }
        case 7: {
          const link = rnd.pick(links);
          const items = rnd.some(WORK_ITEMS, 2);
          log.push(`delete requirements ${link.slice(0, 4)} ${items}`);
          await db.query(`DELETE FROM boards_requirements WHERE link_id = $1 AND ado_id = ANY($2)`, [link, items]);
          break;
        }
        case 8: {
          if (rnd.next() < 0.5) {
            // A link deleted (its requirements go with it) and a new one linked.
            const gone = links.splice(rnd.int(links.length), 1)[0];
            log.push(`delete link ${gone.slice(0, 4)}`);
            await db.query(`DELETE FROM boards_links WHERE id = $1`, [gone]);
            links.push(await newLink());
          } else {
            // An unfinished run discarded (its results and their links go with it) and a new one started.
            const i = runs.findIndex((r) => r === run);
            log.push(`discard run ${run.id.slice(0, 4)}`);
            await db.query(`DELETE FROM test_runs WHERE id = $1`, [run.id]);
            runs.splice(i, 1, await newRun(rnd, rnd.next() < 0.5));
          }
          break;
        }
      }
      // The other organization's results are linked to the same work item ids.
      if (step % 10 === 0)
        await writeResultLinks(
          db.db,
          OTHER,
          otherRun.results.map((r) => ({ resultId: r, workItemId: rnd.pick(WORK_ITEMS), source: "upload" as const })),
        );
      const c = await recount(db);
      try {
        expect(c.got).toEqual(c.want);
        expect(c.gotByRun).toEqual(c.wantByRun);
      } catch (e) {
        throw new Error(`after step ${step} of seed ${seed}:\n${log.join("\n")}\n${(e as Error).message}`);
      }
    }
    // The sequence did exercise counting (not only empty totals).
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM link_run_totals`);
    expect(n).toBeGreaterThan(0);
  });

  it("counts a result linked to two requirements of a link once, and keeps it counted until its last one leaves", async () => {
    const rnd = prng(42);
    const link = await newLink();
    const run = await newRun(rnd, true);
    const [first] = run.results;
    const [{ outcome }] = await db.query<{ outcome: (typeof OUTCOMES)[number] }>(`SELECT outcome FROM test_results WHERE id = $1`, [first]);
    const sum = async () => {
      const [r] = await db.query<Record<string, number>>(
        `SELECT COALESCE(sum(passed + failed + error + skipped), 0)::int AS n, COALESCE(sum(${outcome}), 0)::int AS o
           FROM link_run_totals WHERE link_id = $1 AND run_id = $2`,
        [link, run.id],
      );
      return [Number(r.n), Number(r.o)];
    };
    await upsertRequirements(link, ORG, [
      { ado: 500, removed: false },
      { ado: 501, removed: false },
    ]);
    await writeResultLinks(db.db, ORG, [
      { resultId: first, workItemId: 500, source: "upload" },
      { resultId: first, workItemId: 501, source: "property" },
    ]);
    expect(await sum()).toEqual([1, 1]);
    await upsertRequirements(link, ORG, [{ ado: 500, removed: true }]);
    expect(await sum()).toEqual([1, 1]);
    await db.query(`UPDATE boards_requirements SET removed = true WHERE link_id = $1 AND ado_id = 501`, [link]);
    expect(await sum()).toEqual([0, 0]);
    await upsertRequirements(link, ORG, [
      { ado: 500, removed: false },
      { ado: 501, removed: false },
    ]);
    expect(await sum()).toEqual([1, 1]);
  });

  // Two transactions at once (Postgres serves them on two connections): a requirement joins the link in one
  // while the other links results to it. Without the per-organization lock each trigger would miss the other's
  // rows and the results would never be counted.
  it.each(["membership first", "links first"])("a membership change and links written at once both count (%s)", async (order) => {
    if (kind !== "postgres") return;
    const rnd = prng(order.length);
    const link = await newLink();
    const run = await newRun(rnd, true);
    const item = 900 + order.length;
    await upsertRequirements(link, ORG, [{ ado: item, removed: true }]);
    const linkAll = (db2: Parameters<typeof writeResultLinks>[0]) =>
      writeResultLinks(
        db2,
        ORG,
        run.results.map((r) => ({ resultId: r, workItemId: item, source: "upload" as const })),
      );
    const join = (tx: Pick<Db, "execute">) =>
      tx.execute(sqlTag`UPDATE boards_requirements SET removed = false WHERE link_id = ${link}::uuid AND ado_id = ${item}`);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = db.db.transaction(async (tx) => {
      await (order === "membership first" ? join(tx) : linkAll(tx));
      await held;
    });
    // Let the first transaction's statement (and its trigger) run before the second starts.
    await new Promise((r) => setTimeout(r, 200));
    const second = db.db.transaction(async (tx) => {
      await (order === "membership first" ? linkAll(tx) : join(tx));
    });
    await new Promise((r) => setTimeout(r, 300));
    release();
    await Promise.all([first, second]);
    const c = await recount(db);
    expect(c.got).toEqual(c.want);
    expect(c.gotByRun).toEqual(c.wantByRun);
    expect(Object.keys(c.wantByRun).filter((k) => k.startsWith(link))).toHaveLength(1);
  });
});
