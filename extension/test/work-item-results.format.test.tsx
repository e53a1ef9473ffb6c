import { formatPassRate } from "@testops/backend/schemas/results";
import type { TrendPoint } from "@testops/backend/schemas/results";
import { formatDuration, passRateDetail, stripCells, summaryPills, trendGeometry, trendLabel } from "../src/work-item-results/format";

const summary = (o: Partial<Record<"passed" | "failed" | "error" | "skipped", number>>) => {
  const s = { passed: 0, failed: 0, error: 0, skipped: 0, ...o };
  return {
    tests: s.passed + s.failed + s.error + s.skipped,
    ...s,
    passRate: null,
    lastRun: null,
    failingWithoutDefect: 0,
    flaky: 0,
    trend: [],
  };
};

describe("work item results formatting", () => {
  it.each([
    [null, ""],
    [-5, ""],
    [0, "0 ms"],
    [450, "450 ms"],
    [1000, "1 s"],
    [1500, "1.5 s"],
    [59_940, "59.9 s"],
    [60_000, "1 min"],
    [83_000, "1 min 23 s"],
    [3_723_000, "1 h 2 min"],
  ])("formatDuration(%j) = %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [null, "–"],
    [1, "100%"],
    [0, "0%"],
    [0.5, "50%"],
    [2 / 3, "66.6%"],
    [0.9999, "99.9%"],
  ])("formatPassRate(%j) = %j (never rounds a failure up to 100%)", (rate, text) => {
    expect(formatPassRate(rate)).toBe(text);
  });

  it("shows only outcomes that occur, worst first", () => {
    expect(summaryPills(summary({ passed: 3, skipped: 1, error: 2 }))).toEqual([
      { outcome: "error", text: "2 errors" },
      { outcome: "passed", text: "3 passed" },
      { outcome: "skipped", text: "1 skipped" },
    ]);
    expect(summaryPills(summary({}))).toEqual([]);
  });

  it.each([
    [{ passed: 2, failed: 1 }, "2 of 3 tests passed (latest result of each test)"],
    [{ passed: 1, skipped: 2 }, "1 of 1 test passed, 2 skipped (latest result of each test)"],
    [{ skipped: 2 }, "2 skipped, none ran"],
    [{}, "No tests ran"],
  ])("explains the pass rate of %j", (s, text) => {
    expect(passRateDetail(summary(s))).toBe(text);
  });

  const point = (passRate: number | null, i: number): TrendPoint => ({
    runId: `r${i}`,
    runName: `Nightly ${i}`,
    at: `2026-03-0${i + 1}T10:00:00.000Z`,
    passed: 0,
    failed: 0,
    error: 0,
    skipped: 0,
    passRate,
  });

  it("draws the trend oldest left, 100% at the top, with a gap where nothing ran", () => {
    const g = trendGeometry([1, 0.5, null, 0].map(point), 100, 20, 0);
    expect(g.path).toBe("M0.0,0.0L33.3,10.0M100.0,20.0");
    expect(g.dots.map((d) => [Math.round(d.x), d.y])).toEqual([
      [0, 0],
      [33, 10],
      [100, 20],
    ]);
    expect(trendGeometry([point(0.5, 0)], 100, 20, 0).dots[0]).toMatchObject({ x: 50, y: 10 });
    expect(trendGeometry([], 100, 20).path).toBe("");
  });

  it("says what the chart shows", () => {
    expect(trendLabel([1, 2 / 3, null].map(point))).toBe("Pass rate over the last 3 runs: 100%, 67%, no tests ran");
    expect(trendLabel([])).toBe("No runs yet");
  });

  it("lays the strip out oldest to newest", () => {
    const recent = [
      { resultId: 3, at: "2026-03-03T00:00:00.000Z", outcome: "failed" as const },
      { resultId: 2, at: "2026-03-02T00:00:00.000Z", outcome: "passed" as const },
    ];
    expect(stripCells(recent).map((c) => c.resultId)).toEqual([2, 3]);
    expect(recent[0].resultId).toBe(3);
  });
});
