import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { Outcome } from "../../schemas/results";

// Mirrors migrations/0005_results.sql, 0010_hostile_input.sql and 0050_streaming_uploads.sql (the SQL is the source of truth).
const ts = (name: string) => timestamp(name, { withTimezone: true });

export type AdoPushStatus = "none" | "queued" | "pushing" | "pushed" | "failed";
export type ResultLinkSource = "upload" | "property" | "repos" | "build" | "import" | "trace";
/** How a run arrived (migration 0040): a page upload, the pipeline task, an upload key, or the import. */
export type RunOrigin = "upload" | "task" | "key" | "import";

export const testRuns = pgTable(
  "test_runs",
  {
    id: uuid("id").primaryKey(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    projectName: text("project_name").notNull(),
    name: text("name").notNull(),
    source: text("source").notNull(),
    fileName: text("file_name"),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
    durationMs: bigint("duration_ms", { mode: "number" }),
    suites: integer("suites").notNull().default(0),
    total: integer("total").notNull(),
    passed: integer("passed").notNull(),
    failed: integer("failed").notNull(),
    errors: integer("errors").notNull(),
    skipped: integer("skipped").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    adoStatus: text("ado_status").$type<AdoPushStatus>().notNull().default("none"),
    adoRunId: integer("ado_run_id"),
    adoRunUrl: text("ado_run_url"),
    adoError: text("ado_error"),
    adoPushedAt: ts("ado_pushed_at"),
    adoJobId: uuid("ado_job_id"),
    /** When the push sent its create-run POST (see migration 0030). */
    adoCreateSentAt: ts("ado_create_sent_at"),
    origin: text("origin").$type<RunOrigin>().notNull().default("upload"),
    buildId: integer("build_id"),
    buildNumber: text("build_number"),
    pipelineId: integer("pipeline_id"),
    pipelineName: text("pipeline_name"),
    buildBranch: text("build_branch"),
    buildCommit: text("build_commit"),
    buildUrl: text("build_url"),
    uploadKeyId: uuid("upload_key_id"),
    uploadKeyName: text("upload_key_name"),
    importedAdoRunId: integer("imported_ado_run_id"),
    /** False while an upload is still being written in chunks (migration 0050): hidden from every reader. */
    complete: boolean("complete").notNull().default(true),
    /** Report files the run was made of (the first, and those added with runId). */
    files: integer("files").notNull().default(1),
    /** Widget summaries still to write from this result position on (embedded database); null: none pending. */
    summarizedSeq: integer("summarized_seq"),
    // linked_seq, link_spec, linked_at (migration 0105) are read and written by results/links.ts only, in SQL:
    // a run's link spec can be large and no reader of runs needs it.
  },
  (t) => [index("test_runs_project").on(t.orgId, t.projectId, t.createdAt)],
);

export const testResults = pgTable(
  "test_results",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orgId: text("org_id").notNull(),
    runId: uuid("run_id").notNull(),
    projectId: text("project_id").notNull(),
    seq: integer("seq").notNull(),
    suite: text("suite").notNull(),
    className: text("class_name"),
    path: text("path").notNull(),
    name: text("name").notNull(),
    fullName: text("full_name").notNull(),
    outcome: text("outcome").$type<Outcome>().notNull(),
    durationMs: bigint("duration_ms", { mode: "number" }),
    message: text("message"),
    stack: text("stack"),
    adoResultId: integer("ado_result_id"),
  },
  (t) => [
    index("test_results_run").on(t.runId, t.seq),
    index("test_results_path_name_hash").on(t.orgId, t.projectId, sql`md5(${t.path})`, sql`md5(${t.name})`),
  ],
);

export const testResultLinks = pgTable(
  "test_result_links",
  {
    resultId: bigint("result_id", { mode: "number" }).notNull(),
    orgId: text("org_id").notNull(),
    workItemId: integer("work_item_id").notNull(),
    source: text("source").$type<ResultLinkSource>().notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.resultId, t.workItemId] }), index("test_result_links_work_item").on(t.orgId, t.workItemId, t.resultId)],
);
