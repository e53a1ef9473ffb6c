import { z } from "zod";
import { OUTCOMES, RUN_ORIGINS } from "./results";

// Dashboard widgets (issue #20): the data calls behind the three widgets, GET /api/widgets/{pass-rate,coverage,flaky}.
// Same auth as every page call (app token + the user's access token); a widget shows only projects the user can read.
// Browser-safe (plain zod) so the routes and the widget pages share one contract; pages import only the types.

/** Where the widget's organization stands, so a widget says why it has nothing to show. */
export const WidgetStatusSchema = z.object({
  /** "none": no Azure DevOps connection was ever saved; "problem": saved but disconnected or failing. */
  connection: z.enum(["connected", "none", "problem"]),
  /** The project has at least one (unarchived) Boards link. */
  linked: z.boolean(),
});

const linkRef = z.object({ id: z.string(), projectName: z.string(), name: z.string() });

// ---------- 1. Test pass rate trend ----------
export const PassRateQuerySchema = z.object({
  /** Project id or name (the dashboard's project). */
  project: z.string().min(1).max(256),
  /** Count only results linked to this Boards link's requirements. */
  linkId: z.uuid("must be a link id (UUID)").optional(),
  /** The last N runs, newest last in the answer. */
  runs: z.coerce.number().int().min(1).max(50).default(10),
  /** Only runs that arrived this way (pipeline task, upload key, import, page upload). */
  origin: z.enum(RUN_ORIGINS).optional(),
  /** Only results whose test path starts with this (case-sensitive, as stored). */
  pathPrefix: z.string().min(1).max(1000).optional(),
});
export type PassRateQuery = z.infer<typeof PassRateQuerySchema>;

export const PassRatePointSchema = z.object({
  runId: z.string(),
  name: z.string(),
  /** ISO time the run started (else when it was uploaded). */
  at: z.string(),
  origin: z.enum(RUN_ORIGINS),
  buildNumber: z.string().nullable(),
  buildUrl: z.string().nullable(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  error: z.number().int(),
  skipped: z.number().int(),
  /** passed / (total − skipped); null when nothing ran. */
  passRate: z.number().nullable(),
});
export const PassRateSchema = z.object({
  status: WidgetStatusSchema,
  project: z.object({ id: z.string(), name: z.string() }),
  link: linkRef.nullable(),
  /** Oldest first. */
  points: z.array(PassRatePointSchema),
});
export type PassRate = z.infer<typeof PassRateSchema>;

// ---------- 2. Requirement coverage ----------
export const CoverageQuerySchema = z.object({
  linkId: z.uuid("must be a link id (UUID)"),
  /**
   * "current": the sprint the team is in today (asked of Azure DevOps for `team`, else the link's own
   * dates); "sprint" / "release": the one named by `iterationId` (an id from /api/boards/plans).
   */
  scope: z.enum(["current", "sprint", "release"]).default("current"),
  iterationId: z.string().max(100).optional(),
  /** The dashboard's team (id or name), whose current iteration "current" follows. */
  team: z.string().max(256).optional(),
});
export type CoverageQuery = z.infer<typeof CoverageQuerySchema>;

export const CoverageSchema = z.object({
  status: WidgetStatusSchema,
  link: linkRef,
  /** The sprint or release counted; null when "current" found none (nothing is counted then). */
  iteration: z
    .object({
      kind: z.enum(["sprint", "release"]),
      id: z.string(),
      name: z.string(),
      path: z.string(),
      startDate: z.string().nullable(),
      finishDate: z.string().nullable(),
    })
    .nullable(),
  /** Same categories as Plans' coverage: tested = passing + failing; notTested = requirements − tested. */
  requirements: z.number().int(),
  tested: z.number().int(),
  passing: z.number().int(),
  failing: z.number().int(),
  notTested: z.number().int(),
  /** Requirements with a failing test that has no open defect. */
  failingWithoutDefect: z.number().int(),
});
export type Coverage = z.infer<typeof CoverageSchema>;

// ---------- 3. Flaky and failing tests ----------
export const FlakyQuerySchema = z.object({
  project: z.string().min(1).max(256),
  linkId: z.uuid("must be a link id (UUID)").optional(),
  top: z.coerce.number().int().min(1).max(50).default(10),
  /** "failures": most failed results in the window; "flakiness": most pass⇄fail flips in the window. */
  by: z.enum(["failures", "flakiness"]).default("failures"),
  /** The window: the test's last N results. */
  runs: z.coerce.number().int().min(2).max(50).default(20),
});
export type FlakyQuery = z.infer<typeof FlakyQuerySchema>;

export const FlakyTestSchema = z.object({
  /** Same key as the work item API's tests (md5(path) || md5(name)). */
  key: z.string(),
  path: z.string(),
  name: z.string(),
  fullName: z.string(),
  /** Results in the window, failed (failed + error) of them, and pass⇄fail flips. */
  results: z.number().int(),
  failures: z.number().int(),
  flips: z.number().int(),
  latestOutcome: z.enum(OUTCOMES),
  latestAt: z.string(),
  latestRunId: z.string(),
  /** Newest first, at most `runs`. */
  recent: z.array(z.enum(OUTCOMES)),
  /** Defects linked to this test (on any work item), open ones first. */
  defects: z.array(
    z.object({
      id: z.number().int(),
      title: z.string().nullable(),
      state: z.string().nullable(),
      /** Azure DevOps state category (Proposed, InProgress, Resolved, Completed, Removed). */
      stateCategory: z.string().nullable(),
    }),
  ),
});
export const FlakySchema = z.object({
  status: WidgetStatusSchema,
  project: z.object({ id: z.string(), name: z.string() }),
  link: linkRef.nullable(),
  tests: z.array(FlakyTestSchema),
});
export type Flaky = z.infer<typeof FlakySchema>;
