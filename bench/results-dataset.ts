// Generates stored test results at volume for benchmarks (the Plans coverage and work item form group
// benchmarks here; reusable by later dashboard-widget benchmarks). Runs and results are inserted with
// set-based SQL, and every link goes through the store's writeResultLinks — the one path uploads use —
// so the per (work item × test) and per (work item × run) summaries are maintained exactly as in use.
import { randomUUID } from "node:crypto";
import type { Database } from "../backend/src/db/client";
import { writeResultLinks } from "../backend/src/results/links";
import { writeRunSummaries } from "../backend/src/widgets/summaries";

export interface ResultsDatasetSpec {
  orgId: string;
  project: { id: string; name: string };
  /** Work items to link results to; each gets `testsPerWorkItem` distinct tests. */
  workItemIds: number[];
  testsPerWorkItem: number;
  /** Runs; every run has one result per (work item × test). Results = runs × work items × tests. */
  runs: number;
  /** When the first run started (later runs one hour apart). */
  start?: Date;
  /** Progress callback (runs done). */
  onRun?: (done: number, results: number) => void;
}

/**
 * Outcome of test `t` of work item `w` in run `r` (deterministic): most pass; every 7th test fails in
 * every run; every 11th alternates (flaky); every 13th is skipped in one run of three.
 */
export const OUTCOME_SQL = `CASE
  WHEN (w + t) % 7 = 0 THEN 'failed'
  WHEN (w + t) % 11 = 0 AND $RUN % 2 = 1 THEN 'failed'
  WHEN (w + t) % 13 = 0 AND $RUN % 3 = 0 THEN 'skipped'
  ELSE 'passed' END`;

/**
 * Writes the dataset; returns how many results were stored and linked, and the time spent on the dashboard
 * widgets' summaries (written per run as RunWriter.finish does, migration 0080).
 */
export async function generateResults(
  database: Database,
  spec: ResultsDatasetSpec,
): Promise<{ results: number; links: number; summaryMs: number }> {
  const start = (spec.start ?? new Date(Date.UTC(2026, 0, 1))).getTime();
  let results = 0;
  let links = 0;
  let summaryMs = 0;
  // Runs of up to 50k results each are written in slices of work items, so memory stays flat.
  const slice = Math.max(1, Math.floor(50_000 / spec.testsPerWorkItem));
  for (let run = 0; run < spec.runs; run++) {
    const runId = randomUUID();
    const total = spec.workItemIds.length * spec.testsPerWorkItem;
    await database.query(
      `INSERT INTO test_runs (id, org_id, project_id, project_name, name, source, total, passed, failed, errors, skipped, created_by, started_at)
       VALUES ($1, $2, $3, $4, $5, 'Bench', $6, 0, 0, 0, 0, 'bench', $7)`,
      [runId, spec.orgId, spec.project.id, spec.project.name, `Bench run ${run + 1}`, total, new Date(start + run * 3_600_000)],
    );
    for (let i = 0; i < spec.workItemIds.length; i += slice) {
      const ids = spec.workItemIds.slice(i, i + slice);
      const rows = await database.query<{ id: string; w: number }>(
        `INSERT INTO test_results (org_id, run_id, project_id, seq, suite, class_name, path, name, full_name, outcome, duration_ms, message)
         SELECT $1, $2, $3, (row_number() OVER ())::int + $5, 'bench', 'Bench.WI' || w, 'Bench/WI' || w, 't' || t,
                'Bench.WI' || w || '.t' || t, o, 100 + (w * 7 + t * 13 + $4) % 900,
                CASE WHEN o = 'failed' THEN 'Expected 200 but was 500 (run ' || $4 || ')' END
           FROM (SELECT w, t, ${OUTCOME_SQL.replace(/\$RUN/g, "$4")} AS o
                   FROM unnest($6::int[]) AS w, generate_series(1, $7) AS t) x
         RETURNING id, substring(class_name from 9)::int AS w`,
        [spec.orgId, runId, spec.project.id, run, i * spec.testsPerWorkItem, ids, spec.testsPerWorkItem],
      );
      results += rows.length;
      links += await writeResultLinks(
        database.db,
        spec.orgId,
        rows.map((r) => ({ resultId: Number(r.id), workItemId: Number(r.w), source: "upload" as const })),
      );
    }
    const t0 = performance.now();
    await writeRunSummaries(database.db, { orgId: spec.orgId, runId, fromSeq: 0, toSeq: null, paged: database.kind === "pglite" });
    summaryMs += performance.now() - t0;
    spec.onRun?.(run + 1, results);
  }
  return { results, links, summaryMs };
}
