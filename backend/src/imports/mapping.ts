// Pure mapping of Azure Test Plans runs and results to stored results (table-tested).
import type { ParsedCase, ParsedReport } from "../results/junit";
import { trimText } from "../results/junit";
import { RESULTS_LIMITS, type Outcome } from "../schemas/results";

/** TestCaseResult.outcome → ours. Passed; Failed; Error, Timeout, Aborted are errors; what did not run is skipped. */
export function mapOutcome(outcome: string | undefined): Outcome {
  switch ((outcome ?? "").toLowerCase()) {
    case "passed":
      return "passed";
    case "failed":
      return "failed";
    case "error":
    case "timeout":
    case "aborted":
      return "error";
    default:
      // NotExecuted, Inconclusive, Blocked, NotApplicable, None, Unspecified, Paused, InProgress, NotImpacted, Warning
      return "skipped";
  }
}

export interface AdoTestResult {
  id: number;
  outcome?: string;
  testCaseTitle?: string;
  automatedTestName?: string;
  automatedTestStorage?: string;
  durationInMs?: number;
  errorMessage?: string;
  stackTrace?: string;
  startedDate?: string;
  completedDate?: string;
  associatedBugs?: { id?: string | number }[];
  associatedWorkItems?: { id?: string | number }[];
}

export interface AdoTestRun {
  id: number;
  name?: string;
  state?: string;
  isAutomated?: boolean;
  comment?: string;
  startedDate?: string;
  completedDate?: string;
  lastUpdatedDate?: string;
  build?: { id?: string | number; name?: string };
}

const ids = (refs: { id?: string | number }[] | undefined) =>
  (refs ?? []).map((r) => Number(r.id)).filter((n) => Number.isInteger(n) && n > 0 && n <= 2_147_483_647);

/** One Azure DevOps result as a stored case: "com.acme.LoginTest.valid" → class "com.acme.LoginTest", name "valid". */
export function toCase(r: AdoTestResult): ParsedCase {
  const full = (r.automatedTestName ?? r.testCaseTitle ?? `Result ${r.id}`).trim() || `Result ${r.id}`;
  const dot = full.lastIndexOf(".");
  const className = dot > 0 && dot < full.length - 1 ? full.slice(0, dot) : null;
  const name = (className ? full.slice(dot + 1) : (r.testCaseTitle ?? full)).trim() || full;
  const suite = (r.automatedTestStorage ?? "").trim();
  const duration =
    typeof r.durationInMs === "number" && Number.isFinite(r.durationInMs) && r.durationInMs >= 0 ? Math.round(r.durationInMs) : null;
  return {
    suite,
    className,
    path: className ?? suite,
    name,
    fullName: full,
    file: null,
    outcome: mapOutcome(r.outcome),
    durationMs: duration,
    message: trimText(r.errorMessage, RESULTS_LIMITS.message),
    stack: trimText(r.stackTrace, RESULTS_LIMITS.stack),
    workItemIds: [...new Set([...ids(r.associatedWorkItems), ...ids(r.associatedBugs)])],
  };
}

/** A whole Azure DevOps run as a report for saveRun. */
export function toReport(run: AdoTestRun, results: AdoTestResult[]): ParsedReport {
  const cases = results.map(toCase);
  const count = (o: Outcome) => cases.filter((c) => c.outcome === o).length;
  const totals = {
    total: cases.length,
    passed: count("passed"),
    failed: count("failed"),
    error: count("error"),
    skipped: count("skipped"),
  };
  const startedAt = run.startedDate ? new Date(run.startedDate) : null;
  const completedAt = run.completedDate ? new Date(run.completedDate) : null;
  const valid = (d: Date | null) => (d && !Number.isNaN(d.getTime()) ? d : null);
  const s = valid(startedAt);
  const e = valid(completedAt);
  return {
    format: "junit",
    name: run.name ?? null,
    hostname: null,
    startedAt: s,
    durationMs: s && e && e >= s ? e.getTime() - s.getTime() : null,
    cases,
    totals,
    stats: {
      suites: new Set(cases.map((c) => c.suite)).size,
      duration: s && e && e >= s ? Math.round((e.getTime() - s.getTime()) / 1000) : 0,
      tests: cases.length,
      tests_succ: totals.passed,
      tests_skip: totals.skipped,
      tests_fail: totals.failed,
      tests_error: totals.error,
      runs: cases.length,
      runs_succ: totals.passed,
      runs_skip: totals.skipped,
      runs_fail: totals.failed,
      runs_error: totals.error,
    },
    replaced: 0,
    warnings: [],
  };
}

/** The marker a push leaves in the comment of the run it creates (see results/push.ts). */
export const PUSH_MARKER = /\[TestOps run [0-9a-f-]{36}\]/i;

/** Why a listed run is not imported, or null to import it. */
export function skipReason(run: AdoTestRun, known: { imported: Set<number>; pushed: Set<number> }): string | null {
  if (!run.isAutomated) return "manual";
  if ((run.state ?? "").toLowerCase() !== "completed") return "not completed";
  if (known.imported.has(run.id)) return "already imported";
  if (known.pushed.has(run.id) || PUSH_MARKER.test(run.comment ?? "")) return "pushed by TestOps";
  return null;
}

const WEEK_MS = 7 * 24 * 3600_000;

/** The next window to read: from the cursor, at most 7 days (the API's limit), never past `horizon`. */
export function nextWindow(cursor: Date, horizon: Date): { from: Date; to: Date } | null {
  if (cursor.getTime() >= horizon.getTime()) return null;
  return { from: cursor, to: new Date(Math.min(cursor.getTime() + WEEK_MS, horizon.getTime())) };
}
