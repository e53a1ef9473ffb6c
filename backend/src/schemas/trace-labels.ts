// Traceability constants and labels without zod: the Plans page imports these, and its bundle stays free of
// the schema library (see scripts/bundle-budget.ts); ./trace builds its schemas on them.

export const TRACE_LIMITS = {
  /** Katalon test cases linked or created in one request (each is one or two Azure DevOps calls). */
  maxBulk: 100,
  /** Requirements a generation may cover in one request. */
  maxRequirements: 200,
  /** Results older than this do not count as "recent" for an automated test case. */
  recentDays: 30,
  wiql: 4_000,
} as const;

export const GAPS = ["no_tests", "not_automated", "no_recent_results", "failing_no_defect"] as const;
export type Gap = (typeof GAPS)[number];

export const GAP_LABELS: Record<Gap, string> = {
  no_tests: "Requirement without tests",
  not_automated: "Test case without automation",
  no_recent_results: `Automation without results in the last ${TRACE_LIMITS.recentDays} days`,
  failing_no_defect: "Failing, no defect known",
};
