/** @jest-environment node */
// The widgets' stored settings are untrusted JSON: table tests of the defensive parsing, and of the
// pure chart geometry and display rules the widgets share.
import { barWidths, donutArcs, stackedBars } from "../src/common/charts/geometry";
import { coverageSummary, flakyFigure, openDefects, passRateHeadline, problemOf, runTitle } from "../src/common/widgets/format";
import {
  cellsToPixels,
  customSettings,
  parseCoverage,
  parseFlaky,
  parsePassRate,
  readObject,
  sizeOf,
} from "../src/common/widgets/settings";

const LINK = "0b6f3d0e-8a43-4a7e-9d3c-5b1f2a3c4d5e";
const j = (o: unknown) => JSON.stringify(o);

describe("readObject", () => {
  it.each([
    [undefined, {}],
    [null, {}],
    [42, {}],
    ["", {}],
    ["not json", {}],
    ["[1,2]", {}],
    ['"text"', {}],
    ["null", {}],
    [j({ runs: 5 }), { runs: 5 }],
    [j({ pad: "x".repeat(30_000) }), {}],
  ])("%p → %p", (data, expected) => expect(readObject(data)).toEqual(expected));
});

describe("parsePassRate", () => {
  it.each([
    ["nothing stored yet", null, { runs: 10 }],
    [
      "everything valid",
      j({ linkId: LINK, runs: 20, origin: "task", pathPrefix: "Suites/Login" }),
      { linkId: LINK, runs: 20, origin: "task", pathPrefix: "Suites/Login" },
    ],
    ["runs as text (older settings)", j({ runs: "15" }), { runs: 15 }],
    ["runs out of range", j({ runs: 500 }), { runs: 10 }],
    ["runs not whole", j({ runs: 2.5 }), { runs: 10 }],
    ["runs negative", j({ runs: -3 }), { runs: 10 }],
    ["link not a UUID", j({ linkId: "'; drop table" }), { runs: 10 }],
    ["link upper-case", j({ linkId: LINK.toUpperCase() }), { linkId: LINK, runs: 10 }],
    ["unknown origin", j({ origin: "ftp" }), { runs: 10 }],
    ["origin of the wrong type", j({ origin: ["task"] }), { runs: 10 }],
    ["NUL byte in the prefix", j({ pathPrefix: "a\u0000b" }), { runs: 10 }],
    ["blank prefix", j({ pathPrefix: "   " }), { runs: 10 }],
    ["huge prefix", j({ pathPrefix: "p".repeat(1001) }), { runs: 10 }],
    ["prefix trimmed", j({ pathPrefix: "  Suites/ " }), { runs: 10, pathPrefix: "Suites/" }],
    ["unknown fields dropped", j({ runs: 5, evil: { __proto__: 1 } }), { runs: 5 }],
  ])("%s", (_what, data, expected) => expect(parsePassRate(data)).toEqual(expected));
});

describe("parseCoverage", () => {
  it.each([
    ["defaults", undefined, { scope: "current", chart: "bar" }],
    [
      "a sprint",
      j({ linkId: LINK, scope: "sprint", iterationId: "it-1", chart: "donut" }),
      { linkId: LINK, scope: "sprint", iterationId: "it-1", chart: "donut" },
    ],
    ["a release", j({ scope: "release", iterationId: "r-1" }), { scope: "release", iterationId: "r-1", chart: "bar" }],
    ["a sprint without its id follows the current sprint", j({ scope: "sprint" }), { scope: "current", chart: "bar" }],
    ["current drops a stale iteration id", j({ scope: "current", iterationId: "it-1" }), { scope: "current", chart: "bar" }],
    ["unknown scope and chart", j({ scope: "year", chart: "pie" }), { scope: "current", chart: "bar" }],
    ["iteration id with a NUL", j({ scope: "sprint", iterationId: "a\u0000" }), { scope: "current", chart: "bar" }],
    ["iteration id too long", j({ scope: "sprint", iterationId: "i".repeat(101) }), { scope: "current", chart: "bar" }],
  ])("%s", (_what, data, expected) => expect(parseCoverage(data)).toEqual(expected));
});

describe("parseFlaky", () => {
  it.each([
    ["defaults", "", { top: 10, by: "failures", runs: 20 }],
    ["valid", j({ linkId: LINK, top: 5, by: "flakiness", runs: 50 }), { linkId: LINK, top: 5, by: "flakiness", runs: 50 }],
    ["a window of one result has no flips", j({ runs: 1 }), { top: 10, by: "failures", runs: 20 }],
    ["top 0", j({ top: 0 }), { top: 10, by: "failures", runs: 20 }],
    ["by something else", j({ by: "duration" }), { top: 10, by: "failures", runs: 20 }],
    ["numbers as booleans", j({ top: true, runs: false }), { top: 10, by: "failures", runs: 20 }],
  ])("%s", (_what, data, expected) => expect(parseFlaky(data)).toEqual(expected));
});

describe("settings round trip and sizes", () => {
  it("stores what parses back to the same settings", () => {
    const s = { linkId: LINK, runs: 7, origin: "key" as const, pathPrefix: "A/" };
    const stored = customSettings(s);
    expect(stored.version).toEqual({ major: 1, minor: 0, patch: 0 });
    expect(parsePassRate(stored.data)).toEqual(s);
    expect(JSON.parse(customSettings({ runs: 3, origin: undefined }).data)).toEqual({ runs: 3 });
  });
  it.each([
    [
      { rowSpan: 2, columnSpan: 3 },
      { rowSpan: 2, columnSpan: 3 },
    ],
    [undefined, { rowSpan: 2, columnSpan: 2 }],
    [
      { rowSpan: "x", columnSpan: 99 },
      { rowSpan: 2, columnSpan: 2 },
    ],
  ])("size %p → %p", (size, expected) => expect(sizeOf(size)).toEqual(expected));
  it.each([
    [1, 160],
    [2, 330],
    [4, 670],
  ])("%i cells are %i px", (n, px) => expect(cellsToPixels(n)).toBe(px));
});

describe("chart geometry", () => {
  const run = (passed: number, failed: number, error = 0, skipped = 0) => {
    const ran = passed + failed + error;
    return { passed, failed, error, skipped, passRate: ran ? passed / ran : null };
  };
  it("stacks each run's outcomes from the bottom, scaled to the biggest run, with the pass-rate line over the bars", () => {
    const g = stackedBars([run(3, 1), run(0, 0, 0, 2), run(8, 0)], 30, 80, 0);
    expect(g.max).toBe(8);
    expect(g.bars.map((b) => b.rects.map((r) => [r.key, r.height, r.y]))).toEqual([
      [
        ["passed", 30, 50],
        ["failed", 10, 40],
      ],
      [["skipped", 20, 60]],
      [["passed", 80, 0]],
    ]);
    expect(g.bars.map((b) => [b.x, b.width])).toEqual([
      [0, 10],
      [10, 10],
      [20, 10],
    ]);
    // 75% at the first bar's centre, a gap where nothing ran, 100% at the top.
    expect(g.line).toBe("M5.0,20.0M25.0,0.0");
  });
  it("draws nothing for no runs", () => {
    expect(stackedBars([], 100, 50)).toEqual({ bars: [], line: "", max: 1 });
  });
  it("splits a donut clockwise from the top, skips empty slices and closes a single slice as a ring", () => {
    const arcs = donutArcs(
      [
        { key: "a", value: 1 },
        { key: "b", value: 0 },
        { key: "c", value: 3 },
      ],
      50,
      50,
      50,
      30,
    );
    expect(arcs.map((a) => [a.key, a.share])).toEqual([
      ["a", 0.25],
      ["c", 0.75],
    ]);
    expect(arcs[0].d.startsWith("M50.00,0.00A50,50 0 0 1 100.00,50.00")).toBe(true);
    expect(arcs[1].d).toContain(" 0 1 1 ");
    const ring = donutArcs([{ key: "only", value: 2 }], 50, 50, 50, 30);
    expect(ring[0].d.match(/M/g)).toHaveLength(2);
    expect(donutArcs([{ key: "none", value: 0 }], 50, 50, 50, 30)).toEqual([]);
  });
  it("sizes bars against the whole, clamped", () => {
    expect(
      barWidths(
        [
          { key: "x", value: 5 },
          { key: "y", value: 20 },
          { key: "z", value: -1 },
        ],
        10,
        100,
      ).map((b) => b.width),
    ).toEqual([50, 100, 0]);
  });
});

describe("widget display rules", () => {
  const status = (connection: "connected" | "none" | "problem", linked: boolean) => ({ connection, linked });
  const o = { needsLink: false, linkChosen: false, linkFound: false, hasData: true };
  it.each([
    ["no connection wins", status("none", true), o, "no-connection"],
    ["a chosen link that is gone", status("connected", true), { ...o, linkChosen: true }, "link-gone"],
    ["nothing linked and nothing to show", status("connected", false), { ...o, hasData: false }, "not-linked"],
    ["nothing linked but results to show", status("connected", false), o, null],
    ["coverage needs a link", status("connected", false), { ...o, needsLink: true }, "not-linked"],
    ["a broken connection with stored results still shows them", status("problem", true), o, null],
    ["a broken connection and nothing to show", status("problem", true), { ...o, hasData: false }, "connection-problem"],
    ["all fine", status("connected", true), o, null],
  ])("%s", (_what, st, opts, kind) => expect(problemOf(st, opts)?.kind ?? null).toBe(kind));

  const point = {
    runId: "r",
    name: "Nightly 7",
    at: "2026-03-02T10:04:00.000Z",
    origin: "task" as const,
    buildNumber: null,
    buildUrl: null,
  };
  it("titles a run's bar with its counts", () => {
    expect(runTitle({ ...point, total: 12, passed: 9, failed: 1, error: 0, skipped: 2, passRate: 0.9 })).toBe(
      "Nightly 7 · 2026-03-02 10:04 UTC · 9 of 10 passed (90%); 1 failed, 2 skipped",
    );
    expect(runTitle({ ...point, total: 2, passed: 0, failed: 0, error: 0, skipped: 2, passRate: null })).toBe(
      "Nightly 7 · 2026-03-02 10:04 UTC · nothing ran; 2 skipped",
    );
  });
  it("headlines the latest run and the weighted average", () => {
    const p = (passed: number, failed: number) => ({
      ...point,
      total: passed + failed,
      passed,
      failed,
      error: 0,
      skipped: 0,
      passRate: passed / (passed + failed),
    });
    const last = p(9, 1);
    expect(passRateHeadline([p(1, 1), last])).toEqual({ latest: "90%", latestRun: last, average: "83%", runs: 2 });
    // A newest run that counted nothing (path prefix, link) leaves the headline on the one before.
    const none = { ...point, total: 0, passed: 0, failed: 0, error: 0, skipped: 0, passRate: null };
    expect(passRateHeadline([last, none])).toMatchObject({ latest: "90%", latestRun: last, average: "90%", runs: 2 });
    expect(passRateHeadline([])).toEqual({ latest: "—", latestRun: null, average: "—", runs: 0 });
  });
  it("summarises coverage", () => {
    expect(coverageSummary({ requirements: 4, tested: 3 })).toBe("3 of 4 requirements tested (75%)");
    expect(coverageSummary({ requirements: 1, tested: 0 })).toBe("0 of 1 requirement tested (0%)");
    expect(coverageSummary({ requirements: 0, tested: 0 })).toBe("No requirements");
  });
  const test = {
    key: "k",
    path: "p",
    name: "n",
    fullName: "p/n",
    results: 10,
    failures: 1,
    flips: 4,
    latestOutcome: "failed" as const,
    latestAt: "",
    latestRunId: "r",
    recent: [],
    defects: [
      { id: 1, title: "old", state: "Closed", stateCategory: "Completed" },
      { id: 2, title: "new", state: "Active", stateCategory: "InProgress" },
      { id: 3, title: "other", state: "New", stateCategory: "Proposed" },
    ],
  };
  it("ranks flaky tests by what was asked and lists open defects first", () => {
    expect(flakyFigure(test, "failures")).toBe("1 failure in 10 results");
    expect(flakyFigure(test, "flakiness")).toBe("4 flips in 10 results");
    const d = openDefects(test);
    expect(d.shown.map((x) => x.id)).toEqual([2, 3]);
    expect([d.more, d.open]).toEqual([1, 2]);
  });
});

describe("chart colours", () => {
  it("every category a chart draws has a theme colour in charts.css", () => {
    const css = require("node:fs").readFileSync(
      require("node:path").resolve(__dirname, "../src/common/charts/charts.css"),
      "utf8",
    ) as string;
    const keys = ["passed", "failed", "error", "skipped", "passing", "failing", "notTested", "failingWithoutDefect", "tested"];
    const missing = keys.filter((k) => !new RegExp(`\\.tc-${k}\\b[^{]*\\{[^}]*fill: var\\(--`).test(css));
    expect(missing).toEqual([]);
  });
});
