// Display rules shared by the widgets (pure; table-tested).
import type { Coverage, Flaky, PassRate } from "@testops/backend/schemas/widgets";
import { pct } from "../charts/geometry";

type Status = PassRate["status"];

/** Why a widget has nothing to show, before any data: no connection, a broken one, or nothing linked. */
export type Problem = { kind: "no-connection" | "connection-problem" | "not-linked" | "link-gone"; title: string; detail: string };

/**
 * The problem to show instead of data, if any. `needsLink`: the widget counts a Boards link's
 * requirements (coverage always; the others when a link was chosen). `linkFound`: the chosen link answered.
 */
export function problemOf(
  status: Status,
  o: { needsLink: boolean; linkChosen: boolean; linkFound: boolean; hasData: boolean },
): Problem | null {
  if (status.connection === "none")
    return {
      kind: "no-connection",
      title: "No Azure DevOps connection",
      detail: "An organization administrator connects TestOps in Organization settings → TestOps.",
    };
  if (o.linkChosen && !o.linkFound)
    return {
      kind: "link-gone",
      title: "The chosen Boards link is gone",
      detail: "It was removed or archived; pick another one in this widget's configuration.",
    };
  if (!status.linked && (o.needsLink || !o.hasData))
    return {
      kind: "not-linked",
      title: "This project is not linked to TestOps",
      detail: "A project administrator links its Boards in Project settings → TestOps.",
    };
  // A broken connection still leaves stored results to show; only say so when there is nothing.
  if (status.connection === "problem" && !o.hasData)
    return {
      kind: "connection-problem",
      title: "The Azure DevOps connection has a problem",
      detail: "An organization administrator checks it in Organization settings → TestOps.",
    };
  return null;
}

export type PassRatePoint = PassRate["points"][number];

/** "Nightly #42 · 12 Mar 10:04 · 45 of 50 passed (90%), 2 skipped" for a bar's tooltip and screen reader. */
export function runTitle(p: PassRatePoint): string {
  const ran = p.total - p.skipped;
  const when = p.at ? `${p.at.slice(0, 16).replace("T", " ")} UTC` : "";
  const counts = ran ? `${p.passed} of ${ran} passed (${pct(p.passRate)})` : "nothing ran";
  const extra = [p.failed && `${p.failed} failed`, p.error && `${p.error} errors`, p.skipped && `${p.skipped} skipped`]
    .filter(Boolean)
    .join(", ");
  return [p.name, when, counts + (extra ? `; ${extra}` : "")].filter(Boolean).join(" · ");
}

/**
 * The headline: the newest run in which something ran (a run can count nothing under a path prefix or a
 * link), its pass rate, and the average over the shown runs (weighted by the tests that ran).
 */
export function passRateHeadline(points: readonly PassRatePoint[]): {
  latest: string;
  latestRun: PassRatePoint | null;
  average: string;
  runs: number;
} {
  const latestRun = [...points].reverse().find((p) => p.passRate !== null) ?? null;
  const passed = points.reduce((s, p) => s + p.passed, 0);
  const ran = points.reduce((s, p) => s + p.total - p.skipped, 0);
  return { latest: pct(latestRun?.passRate ?? null), latestRun, average: pct(ran ? passed / ran : null), runs: points.length };
}

export type CoverageKey = "passing" | "failing" | "notTested" | "failingWithoutDefect";
export const COVERAGE_LABEL: Record<CoverageKey, string> = {
  passing: "Passing",
  failing: "Failing",
  notTested: "Not tested",
  failingWithoutDefect: "Failing, no defect",
};

/** The coverage categories as chart slices: the donut splits requirements into passing / failing / not tested. */
export function coverageSlices(c: Pick<Coverage, "passing" | "failing" | "notTested">): { key: CoverageKey; value: number }[] {
  return [
    { key: "passing", value: c.passing },
    { key: "failing", value: c.failing },
    { key: "notTested", value: c.notTested },
  ];
}

/** "6 of 10 requirements tested (60%)". */
export function coverageSummary(c: Pick<Coverage, "requirements" | "tested">): string {
  if (!c.requirements) return "No requirements";
  return `${c.tested} of ${c.requirements} ${c.requirements === 1 ? "requirement" : "requirements"} tested (${pct(c.tested / c.requirements)})`;
}

export type FlakyTest = Flaky["tests"][number];

/** "4 failures in 20 results" or "6 flips in 20 results": what the test is ranked by. */
export function flakyFigure(t: FlakyTest, by: "failures" | "flakiness"): string {
  const n = by === "failures" ? t.failures : t.flips;
  const what = by === "failures" ? (n === 1 ? "failure" : "failures") : n === 1 ? "flip" : "flips";
  return `${n} ${what} in ${t.results} ${t.results === 1 ? "result" : "results"}`;
}

/** Open defects first (not Resolved / Completed / Removed), at most `max` shown. */
export function openDefects(t: FlakyTest, max = 2): { shown: FlakyTest["defects"]; more: number; open: number } {
  const closed = new Set(["Resolved", "Completed", "Removed"]);
  const isOpen = (d: FlakyTest["defects"][number]) => !closed.has(d.stateCategory ?? "");
  const sorted = [...t.defects].sort((a, b) => Number(isOpen(b)) - Number(isOpen(a)));
  return { shown: sorted.slice(0, max), more: Math.max(0, sorted.length - max), open: t.defects.filter(isOpen).length };
}
