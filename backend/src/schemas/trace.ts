import { z } from "zod";

// Traceability (issue 17): shared by the /api/trace routes, the Repos Tests view and Plans' traceability view.
// Browser-safe: plain zod only.

import { GAPS, TRACE_LIMITS } from "./trace-labels";
export { TRACE_LIMITS };

/** Azure Test Plans' automation association for Katalon (Microsoft.VSTS.TCM.AutomatedTestType). */
export const KATALON_TEST_TYPE = "Katalon";

const uuid = z.uuid("must be an id (UUID)");
const projectId = z.string().trim().min(1, "is required").max(100, "must be at most 100 characters");
const workItemId = z.number("must be a work item id").int("must be a whole number").min(1, "must be a work item id").max(2_147_483_647);

export const LinkKatalonSchema = z.object({
  projectId,
  reposTestCaseId: uuid,
  /** An existing Azure DevOps Test Case work item. */
  adoTestCaseId: workItemId,
});
export type LinkKatalonInput = z.infer<typeof LinkKatalonSchema>;

/** Create Test Case work items for Katalon test cases: chosen ones, a folder of a link, or a suite's members. */
export const CreateFromKatalonSchema = z
  .object({
    projectId,
    reposTestCaseIds: z.array(uuid).max(TRACE_LIMITS.maxBulk, `at most ${TRACE_LIMITS.maxBulk} at a time`).optional(),
    folder: z.object({ linkId: uuid, folder: z.string().max(1000, "must be at most 1000 characters") }).optional(),
    suiteId: uuid.optional(),
  })
  .superRefine((v, ctx) => {
    const n = [v.reposTestCaseIds, v.folder, v.suiteId].filter((x) => x !== undefined).length;
    if (n !== 1)
      ctx.addIssue({ code: "custom", path: ["reposTestCaseIds"], message: "give exactly one of reposTestCaseIds, folder or suiteId" });
  });
export type CreateFromKatalonInput = z.infer<typeof CreateFromKatalonSchema>;

export const KatalonTraceSchema = z.object({
  reposTestCaseId: z.string(),
  linkId: z.string(),
  katalonId: z.string(),
  name: z.string(),
  /** The Katalon test case left the repository: the association is kept and reported. */
  removed: z.boolean(),
  testCaseId: z.string(),
  adoTestCaseId: z.number().nullable(),
  adoUrl: z.string().nullable(),
  title: z.string(),
  automatedTestName: z.string().nullable(),
  automatedTestStorage: z.string().nullable(),
  automatedTestId: z.string().nullable(),
  problem: z.string().nullable(),
});
export type KatalonTrace = z.infer<typeof KatalonTraceSchema>;

export const KatalonTracesSchema = z.object({ canEdit: z.boolean(), links: z.array(KatalonTraceSchema) });
export type KatalonTraces = z.infer<typeof KatalonTracesSchema>;

export const CreateFromKatalonResultSchema = z.object({
  created: z.array(KatalonTraceSchema),
  /** Katalon test cases already linked to a Test Case (nothing was changed for them). */
  alreadyLinked: z.array(KatalonTraceSchema),
});
export type CreateFromKatalonResult = z.infer<typeof CreateFromKatalonResultSchema>;

export const GenerateSchema = z
  .object({
    projectId,
    sprintId: uuid.optional(),
    releaseId: uuid.optional(),
    /** A WIQL query (flat list); the requirements among its answer that the Boards link synced are used. */
    wiql: z.string().trim().min(1, "is empty").max(TRACE_LIMITS.wiql, `must be at most ${TRACE_LIMITS.wiql} characters`).optional(),
    requirementIds: z.array(workItemId).max(TRACE_LIMITS.maxRequirements, `at most ${TRACE_LIMITS.maxRequirements}`).optional(),
    /** Also create an Azure DevOps Test Case for each, linked to the requirement (Tested By / Tests). */
    createAdoTestCases: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    const n = [v.sprintId, v.releaseId, v.wiql, v.requirementIds].filter((x) => x !== undefined).length;
    if (n !== 1)
      ctx.addIssue({ code: "custom", path: ["sprintId"], message: "choose exactly one of sprintId, releaseId, wiql or requirementIds" });
  });
export type GenerateInput = z.input<typeof GenerateSchema>;

export const GenerateResultSchema = z.object({
  requirements: z.number(),
  created: z.number(),
  existing: z.number(),
  adoCreated: z.number(),
  /** Requirements named by a WIQL query or by id that no live Boards link of this project has synced. */
  notSynced: z.array(z.number()),
});
export type GenerateResult = z.infer<typeof GenerateResultSchema>;

export { GAPS, type Gap } from "./trace-labels";

export const TraceLatestSchema = z.object({
  outcome: z.enum(["passed", "failed", "error", "skipped"]),
  at: z.string(),
  runId: z.string(),
  runName: z.string(),
});

export const TraceTestCaseRowSchema = z.object({
  id: z.string(),
  title: z.string(),
  adoTestCaseId: z.number().nullable(),
  adoUrl: z.string().nullable(),
  source: z.enum(["generated", "ado"]),
  automation: z.object({ katalonId: z.string(), name: z.string(), removed: z.boolean(), problem: z.string().nullable() }).nullable(),
  latest: TraceLatestSchema.nullable(),
  gaps: z.array(z.enum(GAPS)),
});
export type TraceTestCaseRow = z.infer<typeof TraceTestCaseRowSchema>;

export const TraceRequirementSchema = z.object({
  adoId: z.number(),
  title: z.string(),
  status: z.string().nullable(),
  url: z.string().nullable(),
  testCases: z.array(TraceTestCaseRowSchema),
  /** Results linked to the requirement by id in a report (not through a test case). */
  reported: z.object({ tests: z.number(), latest: TraceLatestSchema.nullable() }),
  /** failed if any test's latest result failed, else passed if any passed (same rule as Plans' coverage). */
  outcome: z.enum(["passed", "failed", "skipped"]).nullable(),
  gaps: z.array(z.enum(GAPS)),
});
export type TraceRequirement = z.infer<typeof TraceRequirementSchema>;

export const TraceViewSchema = z.object({
  scope: z.object({ kind: z.enum(["release", "sprint"]), id: z.string(), name: z.string(), path: z.string() }),
  canEdit: z.boolean(),
  requirements: z.array(TraceRequirementSchema),
  totals: z.object({
    requirements: z.number(),
    withTests: z.number(),
    passing: z.number(),
    failing: z.number(),
    gaps: z.record(z.string(), z.number()),
  }),
  /** Defect links are not stored by TestOps yet: "failing with no defect" cannot be told apart. */
  defectLinksKnown: z.boolean(),
});
export type TraceView = z.infer<typeof TraceViewSchema>;

export { GAP_LABELS } from "./trace-labels";
