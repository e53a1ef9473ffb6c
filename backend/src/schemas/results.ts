import { z } from "zod";

// Test results: shared by the /api/results routes and the work item form group. Browser-safe: plain zod only.

export const OUTCOMES = ["passed", "failed", "error", "skipped"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const RESULTS_LIMITS = {
  /** Largest JUnit XML accepted in one upload (bytes). */
  maxXmlBytes: 20 * 1024 * 1024,
  /** Most test cases stored from one file by default (RESULTS_MAX_CASES changes it; enforced while reading). */
  maxCases: 100_000,
  /** Work item ids given for a whole upload. */
  maxWorkItemIds: 50,
  /** Distinct work items named by workitem properties in one upload (each is checked with Azure DevOps). */
  maxPropertyWorkItems: 1_000,
  runName: 256,
  source: 100,
  project: 256,
  /** Stored failure message / stack trace (longer ones are trimmed, saying so). */
  message: 4_000,
  stack: 16_000,
  pageSize: 200,
} as const;

export const PUSH_JOB = "results.push";

/** "12,34" or "12 34" (query strings, form fields) or an array (JSON metadata) → distinct work item ids. */
export const workItemIdList = z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).transform((v, ctx) => {
  const tokens = (Array.isArray(v) ? v.map(String) : v.split(/[\s,;]+/)).map((s) => s.trim().replace(/^#/, "")).filter(Boolean);
  const ids: number[] = [];
  for (const t of tokens) {
    const n = Number(t);
    if (!/^\d{1,10}$/.test(t) || n < 1 || n > 2_147_483_647) {
      ctx.addIssue({ code: "custom", message: `"${t}" is not a work item id (a positive whole number)` });
      return z.NEVER;
    }
    if (!ids.includes(n)) ids.push(n);
  }
  if (ids.length > RESULTS_LIMITS.maxWorkItemIds) {
    ctx.addIssue({ code: "custom", message: `must list at most ${RESULTS_LIMITS.maxWorkItemIds} work items` });
    return z.NEVER;
  }
  return ids;
});

const flag = z.union([z.boolean(), z.enum(["true", "false", "1", "0", ""])]).transform((v) => v === true || v === "true" || v === "1");

/** Metadata of a JUnit upload: from the query string, multipart fields, or a multipart `metadata` JSON part. */
export const UploadMetadataSchema = z.object({
  // Required for uploads from pages and pipelines; an upload key names its own project.
  project: z
    .string("is required (the Azure DevOps project name or id)")
    .trim()
    .min(1, "is required (the Azure DevOps project name or id)")
    .max(RESULTS_LIMITS.project, `must be at most ${RESULTS_LIMITS.project} characters`)
    .optional(),
  /** Add this file's results to a run the same uploader (user, key or build) created, e.g. a pipeline's several report files. */
  runId: z.uuid("must be a test run id (UUID)").optional(),
  /** Pipeline task only: link every result to the work items Azure DevOps associates with the build. */
  buildWorkItems: flag.optional(),
  runName: z.string().trim().max(RESULTS_LIMITS.runName, `must be at most ${RESULTS_LIMITS.runName} characters`).optional(),
  source: z.string().trim().max(RESULTS_LIMITS.source, `must be at most ${RESULTS_LIMITS.source} characters`).optional(),
  workItemIds: workItemIdList.optional(),
  /** Also publish the run to Azure Test Plans right away (a job; see POST /runs/{id}/push). */
  push: flag.optional(),
});
export type UploadMetadata = z.infer<typeof UploadMetadataSchema>;

export const TotalsSchema = z.object({
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  error: z.number().int(),
  skipped: z.number().int(),
});
export type Totals = z.infer<typeof TotalsSchema>;

export const PUSH_STATUSES = ["none", "queued", "pushing", "pushed", "failed"] as const;

export const RUN_ORIGINS = ["upload", "task", "key", "import"] as const;
export type RunOrigin = (typeof RUN_ORIGINS)[number];

/** The pipeline run (build) a test run belongs to, as Azure DevOps describes it. */
export const BuildInfoSchema = z.object({
  id: z.number().int(),
  number: z.string().nullable(),
  pipelineId: z.number().int().nullable(),
  pipeline: z.string().nullable(),
  branch: z.string().nullable(),
  commit: z.string().nullable(),
  url: z.string().nullable(),
});
export type BuildInfo = z.infer<typeof BuildInfoSchema>;

export const RunSchema = z.object({
  id: z.string(),
  /** How the run arrived: uploaded from a page, by the pipeline task, with an upload key, or imported from Azure Test Plans. */
  origin: z.enum(RUN_ORIGINS),
  build: BuildInfoSchema.nullable(),
  /** The upload key that sent it (origin "key"). */
  uploadKey: z.object({ id: z.string(), name: z.string() }).nullable(),
  /** The Azure Test Plans run it was imported from (origin "import"). */
  importedAdoRunId: z.number().int().nullable(),
  projectId: z.string(),
  projectName: z.string(),
  name: z.string(),
  source: z.string(),
  /** The first report file's name. */
  fileName: z.string().nullable(),
  /** How many report files the run was made of (a pipeline's further files are added to its run). */
  files: z.number().int(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  suites: z.number().int(),
  totals: TotalsSchema,
  createdBy: z.string(),
  createdAt: z.string(),
  ado: z.object({
    status: z.enum(PUSH_STATUSES),
    runId: z.number().int().nullable(),
    url: z.string().nullable(),
    error: z.string().nullable(),
    pushedAt: z.string().nullable(),
    jobId: z.string().nullable(),
  }),
});
export type Run = z.infer<typeof RunSchema>;

export const ResultSchema = z.object({
  id: z.number().int(),
  runId: z.string(),
  suite: z.string(),
  className: z.string().nullable(),
  /** Where the test lives: Katalon "Test Cases/<folders>", else the class name (or the suite). */
  path: z.string(),
  name: z.string(),
  fullName: z.string(),
  outcome: z.enum(OUTCOMES),
  durationMs: z.number().int().nullable(),
  message: z.string().nullable(),
  stack: z.string().nullable(),
  workItemIds: z.array(z.number().int()),
});
export type Result = z.infer<typeof ResultSchema>;

export const UploadResponseSchema = z.object({
  run: RunSchema,
  /** Parsed counts of the file, in the terms of JUnit reporting tools (tests = distinct tests, runs = executions). */
  stats: z.object({
    suites: z.number().int(),
    tests: z.number().int(),
    runs: z.number().int(),
  }),
  linked: z.object({ results: z.number().int(), workItems: z.array(z.number().int()) }),
  /** NUL characters and lone surrogates of the report stored as U+FFFD. */
  replacedCharacters: z.number().int(),
  /** What was cut or changed (bounded: a last entry counts the rest). */
  warnings: z.array(z.string()),
  /** The push job when `push` was asked for (see GET /api/jobs/{id}). */
  pushJobId: z.string().nullable(),
  /** Where people see the run: the project settings hub's Test runs tab. */
  webUrl: z.string(),
});
export type UploadResponse = z.infer<typeof UploadResponseSchema>;

export const PageQuerySchema = z.object({
  top: z.coerce
    .number("must be a number")
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(RESULTS_LIMITS.pageSize, `must be at most ${RESULTS_LIMITS.pageSize}`)
    .optional(),
  skip: z.coerce.number("must be a number").int("must be a whole number").min(0, "must be at least 0").optional(),
});

/** A defect (an Azure DevOps work item) linked to a test of a work item, with its live state when readable. */
export const DefectSchema = z.object({
  id: z.number().int(),
  /** False when the user cannot read it (deleted, moved, or no permission): shown by id only. */
  readable: z.boolean(),
  title: z.string().nullable(),
  type: z.string().nullable(),
  state: z.string().nullable(),
  /** Azure DevOps' state category (Proposed, InProgress, Resolved, Completed, Removed). */
  stateCategory: z.string().nullable(),
  /** Not Completed/Removed: the test still has this defect. */
  open: z.boolean(),
  how: z.enum(["created", "linked"]),
  resultId: z.number().int().nullable(),
  url: z.string().nullable(),
});
export type Defect = z.infer<typeof DefectSchema>;

export const RecentOutcomeSchema = z.object({ resultId: z.number().int(), at: z.string(), outcome: z.enum(OUTCOMES) });
export type RecentOutcome = z.infer<typeof RecentOutcomeSchema>;

/** One row of the work item form group: a distinct test (path + name) linked to the work item. */
export const WorkItemTestSchema = z.object({
  /** Stable id of the test on this work item (for its history and its defects). */
  key: z.string(),
  path: z.string(),
  name: z.string(),
  fullName: z.string(),
  /** How many linked results (runs of this test) the work item has. */
  results: z.number().int(),
  latest: z.object({
    resultId: z.number().int(),
    outcome: z.enum(OUTCOMES),
    durationMs: z.number().nullable(),
    message: z.string().nullable(),
    run: z.object({ id: z.string(), name: z.string(), at: z.string(), adoUrl: z.string().nullable() }),
  }),
  /** The last outcomes, newest first (up to 20). */
  recent: z.array(RecentOutcomeSchema),
  /** Passes and failures alternate in the recent window. */
  flaky: z.boolean(),
  defects: z.array(DefectSchema),
  /** The latest outcome failed and no open defect is linked. */
  failingWithoutDefect: z.boolean(),
});
export type WorkItemTest = z.infer<typeof WorkItemTestSchema>;

export const TrendPointSchema = z.object({
  runId: z.string(),
  runName: z.string(),
  at: z.string(),
  passed: z.number().int(),
  failed: z.number().int(),
  error: z.number().int(),
  skipped: z.number().int(),
  /** passed / (passed + failed + error) in that run, null when nothing ran. */
  passRate: z.number().nullable(),
});
export type TrendPoint = z.infer<typeof TrendPointSchema>;

export const WorkItemTestsQuerySchema = PageQuerySchema.extend({
  filter: z.enum(["all", "failing", "failingWithoutDefect"], "must be all, failing or failingWithoutDefect").optional(),
});

export const WorkItemTestsSchema = z.object({
  workItemId: z.number().int(),
  /** Over every test linked to the work item (whatever the filter and page). */
  summary: z.object({
    tests: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    error: z.number().int(),
    skipped: z.number().int(),
    /** passed / (passed + failed + error) of the latest outcomes, 0..1; null when nothing ran. */
    passRate: z.number().nullable(),
    failingWithoutDefect: z.number().int(),
    flaky: z.number().int(),
    lastRun: z.object({ id: z.string(), name: z.string(), at: z.string() }).nullable(),
    /** The work item's tests per run, oldest first (the last 20 runs). */
    trend: z.array(TrendPointSchema),
  }),
  /** Tests matching the filter. */
  total: z.number().int(),
  top: z.number().int(),
  skip: z.number().int(),
  tests: z.array(WorkItemTestSchema),
});
export type WorkItemTests = z.infer<typeof WorkItemTestsSchema>;

/** One run of a test on a work item (its history, newest first). */
export const TestRunResultSchema = z.object({
  id: z.number().int(),
  outcome: z.enum(OUTCOMES),
  durationMs: z.number().nullable(),
  message: z.string().nullable(),
  stack: z.string().nullable(),
  run: z.object({
    id: z.string(),
    name: z.string(),
    source: z.string(),
    at: z.string(),
    adoUrl: z.string().nullable(),
    /** The pipeline build that produced the run, when known (pipeline task or import). */
    build: z.object({ number: z.string(), url: z.string().nullable() }).nullable(),
  }),
});
export type TestRunResult = z.infer<typeof TestRunResultSchema>;

export const TestHistorySchema = z.object({
  total: z.number().int(),
  top: z.number().int(),
  skip: z.number().int(),
  results: z.array(TestRunResultSchema),
});
export type TestHistory = z.infer<typeof TestHistorySchema>;

// Pages that only format import it from there (no zod in their bundle).
export { formatPassRate } from "./results-format";

/** A field of the Create defect panel: discovered from the bug type's fields, prefilled where we know better. */
export const DefectFieldSchema = z.object({
  referenceName: z.string(),
  name: z.string(),
  /** "html" fields (repro steps) are edited as text with line breaks. */
  kind: z.enum(["text", "html", "choice"]),
  required: z.boolean(),
  allowedValues: z.array(z.string()),
  value: z.string(),
});
export type DefectField = z.infer<typeof DefectFieldSchema>;

export const DefectFormSchema = z.object({
  project: z.object({ id: z.string(), name: z.string() }),
  /** The project's bug type (Microsoft.BugCategory's default; Basic projects have none, so their Issue). */
  workItemType: z.string(),
  fields: z.array(DefectFieldSchema),
  /** What links the new defect to the work item. */
  linkType: z.string(),
  /** The run was pushed to Azure Test Plans: the defect is also linked to the result there. */
  linksTestPlansResult: z.boolean(),
});
export type DefectForm = z.infer<typeof DefectFormSchema>;

export const CreateDefectSchema = z.object({
  resultId: z.number("must be a result id").int("must be a result id").positive("must be a result id"),
  fields: z.record(z.string(), z.string().max(32_000, "is too long")),
});
export const LinkDefectSchema = z.object({
  defectId: z.number("must be a work item id").int("must be a work item id").positive("must be a work item id").max(2_147_483_647),
  resultId: z.number("must be a result id").int("must be a result id").positive("must be a result id").optional(),
});
export const DefectCandidateSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  type: z.string(),
  state: z.string(),
});
export type DefectCandidate = z.infer<typeof DefectCandidateSchema>;
export const CreatedDefectSchema = z.object({
  defect: DefectSchema,
  /** Whose credential created it: the user's own token, or the connection's PAT (the user is named in it). */
  createdWith: z.enum(["user", "connection"]),
});
