// Pure display rules of the work item form group (table-tested).
import type { IColor } from "azure-devops-ui/Utilities/Color";
import type { Outcome, RecentOutcome, TrendPoint, WorkItemTests } from "@testops/backend/schemas/results";

export const OUTCOME_LABEL: Record<Outcome, string> = { passed: "Passed", failed: "Failed", error: "Error", skipped: "Skipped" };

// Azure DevOps' own status colours; colored pills tint them for light and dark themes alike.
export const OUTCOME_COLOR: Record<Outcome, IColor> = {
  passed: { red: 85, green: 163, blue: 98 },
  failed: { red: 205, green: 74, blue: 69 },
  error: { red: 218, green: 10, blue: 0 },
  skipped: { red: 134, green: 134, blue: 134 },
};

/** 1500 → "1.5 s", 83000 → "1 min 23 s", 450 → "450 ms", null → "". */
export function formatDuration(ms: number | null): string {
  if (ms === null || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = Math.round(ms / 100) / 10;
    return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  }
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return h ? `${h} h ${m} min` : s ? `${m} min ${s} s` : `${m} min`;
}

/** The counts to show as pills: only outcomes that occur, worst first. */
export function summaryPills(s: WorkItemTests["summary"]): { outcome: Outcome; text: string }[] {
  return (["failed", "error", "passed", "skipped"] as const)
    .filter((o) => s[o] > 0)
    .map((o) => ({ outcome: o, text: o === "error" ? `${s[o]} ${s[o] === 1 ? "error" : "errors"}` : `${s[o]} ${o}` }));
}

/** "2 of 3 tests passed" — what the pass rate is made of. */
export function passRateDetail(s: WorkItemTests["summary"]): string {
  const ran = s.passed + s.failed + s.error;
  if (!ran) return s.skipped ? `${s.skipped} skipped, none ran` : "No tests ran";
  return `${s.passed} of ${ran} ${ran === 1 ? "test" : "tests"} passed${s.skipped ? `, ${s.skipped} skipped` : ""} (latest result of each test)`;
}

/** The strip reads left to right, oldest to newest (the newest cell is next to the latest outcome). */
export function stripCells(recent: readonly RecentOutcome[]): RecentOutcome[] {
  return [...recent].reverse();
}

/** "Failed · 2026-03-02 10:00 UTC" for a strip cell's tooltip. */
export function cellTitle(r: RecentOutcome): string {
  return `${OUTCOME_LABEL[r.outcome]} · ${r.at.slice(0, 16).replace("T", " ")} UTC`;
}

/** The trend chart's geometry is shared with the dashboard widgets (common/charts). */
export { trendGeometry } from "../common/charts/geometry";

const pctText = (r: number | null) => (r === null ? "no tests ran" : `${Math.round(r * 100)}%`);
/** What the chart says to a screen reader (and its tooltip). */
export function trendLabel(points: readonly TrendPoint[]): string {
  if (!points.length) return "No runs yet";
  return `Pass rate over the last ${points.length} ${points.length === 1 ? "run" : "runs"}: ${points.map((p) => pctText(p.passRate)).join(", ")}`;
}
