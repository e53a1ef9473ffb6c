import { decide, latestPerItem, type StoredWorkItem } from "../src/boards/diff";
import { planIterations, placeWorkItem, toIterationPath, toIterationTree } from "../src/boards/iterations";
import { fieldsNeeded, mapRevision, pickReleaseDate, typesNeeded, UnmappedTally, type MappedRequirement } from "../src/boards/mapping";
import { coverage, requirementOutcome, timing } from "../src/boards/plans";
import { BoardsLinkConfigSchema, type BoardsLinkConfigInput } from "../src/schemas/boards";

const cfg = (over: Partial<BoardsLinkConfigInput> = {}) =>
  BoardsLinkConfigSchema.parse({
    project: { id: "p1", name: "Proj" },
    pullRequirements: true,
    bugMapping: true,
    requirements: {
      workItemTypes: ["User Story"],
      releaseDateFields: ["Custom.ReleaseDate", "Microsoft.VSTS.Scheduling.FinishDate"],
      stateMapping: { "User Story": { New: "Open", Active: "In Progress", "Ready for QA": "Resolved", Closed: "Done" } },
    },
    bugs: {
      workItemTypes: ["Bug"],
      severityMapping: { "1 - Critical": "Blocker", "2 - High": "Critical", "3 - Medium": "Major" },
      stateMapping: { Bug: { New: "Open", Active: "In Progress", Closed: "Closed" } },
    },
    ...over,
  });

const rev = (id: number, r: number, fields: Record<string, unknown>) => ({ id, rev: r, fields });

describe("boards mapping: ADO revision → TestOps entity", () => {
  const c = cfg();
  it.each([
    [
      "mapped user story with the first date field",
      {
        "System.WorkItemType": "User Story",
        "System.Title": "Login",
        "System.State": "Ready for QA",
        "Microsoft.VSTS.Common.Priority": 1,
        "Custom.ReleaseDate": "2026-05-01T00:00:00Z",
        "Microsoft.VSTS.Scheduling.FinishDate": "2026-04-01T00:00:00Z",
      },
      { kind: "requirement", status: "Resolved", priority: "Highest", releaseDate: "2026-05-01T00:00:00.000Z" },
      [],
    ],
    [
      "falls back to the second date field when the first is empty",
      {
        "System.WorkItemType": "user story",
        "System.Title": "x",
        "System.State": "active",
        "Microsoft.VSTS.Common.Priority": 4,
        "Custom.ReleaseDate": "",
        "Microsoft.VSTS.Scheduling.FinishDate": "2026-04-01T00:00:00Z",
      },
      { kind: "requirement", status: "In Progress", priority: "Low", releaseDate: "2026-04-01T00:00:00.000Z" },
      [],
    ],
    [
      "unmapped state, missing priority, no date: reported, not crashed",
      { "System.WorkItemType": "User Story", "System.Title": "y", "System.State": "In Review" },
      { kind: "requirement", status: null, priority: null, releaseDate: null },
      [
        ["priority", null],
        ["state", "In Review"],
        ["releaseDate", null],
      ],
    ],
    [
      "invalid date value is reported and skipped",
      {
        "System.WorkItemType": "User Story",
        "System.Title": "z",
        "System.State": "New",
        "Microsoft.VSTS.Common.Priority": 2,
        "Custom.ReleaseDate": "not a date",
      },
      { kind: "requirement", status: "Open", priority: "High", releaseDate: null },
      [["releaseDate", "not a date"]],
    ],
    [
      "bug with severity and state",
      {
        "System.WorkItemType": "Bug",
        "System.Title": "crash",
        "System.State": "Closed",
        "Microsoft.VSTS.Common.Priority": 3,
        "Microsoft.VSTS.Common.Severity": "2 - High",
      },
      { kind: "bug", status: "Closed", priority: "Medium", severity: "Critical" },
      [],
    ],
    [
      "bug with an unmapped severity and no state",
      {
        "System.WorkItemType": "Bug",
        "System.Title": "b",
        "Microsoft.VSTS.Common.Priority": 2,
        "Microsoft.VSTS.Common.Severity": "4 - Low",
      },
      { kind: "bug", status: null, severity: null },
      [
        ["state", null],
        ["severity", "4 - Low"],
      ],
    ],
    ["a type that is not synced", { "System.WorkItemType": "Task", "System.Title": "t" }, { kind: "outOfScope" }, []],
    ["no fields at all", {}, { kind: "outOfScope" }, []],
  ])("%s", (_name, fields, expected, notes) => {
    const m = mapRevision(c, rev(7, 3, fields));
    const { kind, ...rest } = expected as { kind: string };
    expect(m.kind).toBe(kind);
    if (m.kind !== "outOfScope") {
      expect(m.entity).toMatchObject({ adoId: 7, adoRev: 3, ...rest });
      expect(m.notes.map((n) => [n.kind, n.value])).toEqual(notes);
    } else expect(m.adoId).toBe(7);
  });

  it("an untitled item gets its id as title and a deleted one is marked removed", () => {
    const m = mapRevision(c, rev(9, 1, { "System.WorkItemType": "User Story", "System.State": "New", "System.IsDeleted": true }));
    expect(m.kind === "requirement" && m.entity).toMatchObject({ title: "#9", removed: true });
  });

  it("bugs are out of scope when Bug Mapping is off, requirements when Pull Requirements is off", () => {
    expect(mapRevision(cfg({ bugMapping: false }), rev(1, 1, { "System.WorkItemType": "Bug" })).kind).toBe("outOfScope");
    expect(mapRevision(cfg({ pullRequirements: false }), rev(1, 1, { "System.WorkItemType": "User Story" })).kind).toBe("outOfScope");
  });

  it("asks ADO only for the fields and types the mapping needs", () => {
    expect(fieldsNeeded(cfg({ bugMapping: false }))).toEqual(
      expect.arrayContaining(["System.State", "Custom.ReleaseDate", "Microsoft.VSTS.Scheduling.FinishDate"]),
    );
    expect(fieldsNeeded(cfg({ bugMapping: false }))).not.toContain("Microsoft.VSTS.Common.Severity");
    expect(fieldsNeeded(cfg({ pullRequirements: false }))).not.toContain("Custom.ReleaseDate");
    expect(fieldsNeeded(cfg())).not.toContain("System.Description");
    expect(typesNeeded(cfg())).toEqual(["User Story", "Bug"]);
  });

  it("picks the first non-empty valid date in priority order", () => {
    expect(pickReleaseDate(["a", "b", "c"], { a: null, b: "2026-01-02", c: "2026-03-04" })).toEqual({
      date: "2026-01-02T00:00:00.000Z",
      invalid: null,
    });
    expect(pickReleaseDate(["a"], {})).toEqual({ date: null, invalid: null });
    expect(pickReleaseDate([], { a: "2026-01-01" })).toEqual({ date: null, invalid: null });
  });

  it("tallies unmapped values by kind, type and value", () => {
    const t = new UnmappedTally();
    t.add([
      { kind: "state", workItemType: "Bug", value: "X", adoId: 1 },
      { kind: "state", workItemType: "Bug", value: "X", adoId: 2 },
      { kind: "priority", workItemType: "Bug", value: null, adoId: 3 },
    ]);
    expect(t.list()).toEqual([
      { kind: "state", workItemType: "Bug", value: "X", count: 2, example: 1 },
      { kind: "priority", workItemType: "Bug", value: null, count: 1, example: 3 },
    ]);
  });
});

describe("boards config validation", () => {
  it.each([
    ["description over 255", { description: "x".repeat(256) }, "description"],
    ["neither requirements nor bugs", { pullRequirements: false, bugMapping: false }, "pullRequirements"],
    ["team board without a team", { iterations: { source: "teamBoard" } }, "iterations.source"],
    ["requirements without types", { requirements: { workItemTypes: [] } }, "requirements.workItemTypes"],
    [
      "four date fields",
      { requirements: { workItemTypes: ["A"], releaseDateFields: ["a", "b", "c", "d"] } },
      "requirements.releaseDateFields",
    ],
    ["a repeated date field", { requirements: { workItemTypes: ["A"], releaseDateFields: ["a", "A"] } }, "requirements.releaseDateFields"],
    ["priority 5", { priorityMapping: { "1": "High", "2": "High", "3": "High", "4": "High", "5": "Low" } as never }, null],
    [
      "a priority mapped to an unknown TestOps priority",
      { priorityMapping: { "1": "Urgent", "2": "High", "3": "High", "4": "High" } as never },
      "priorityMapping.1",
    ],
    ["bug mapping without types", { bugMapping: true, bugs: { workItemTypes: [] } }, "bugs.workItemTypes"],
    [
      "unknown TestOps status",
      { requirements: { workItemTypes: ["A"], stateMapping: { A: { New: "Weird" } } } as never },
      "requirements.stateMapping.A.New",
    ],
  ])("%s", (_n, over, field) => {
    const r = BoardsLinkConfigSchema.safeParse({ project: { id: "p", name: "P" }, requirements: { workItemTypes: ["A"] }, ...over });
    if (field === null) return; // extra keys are stripped, not an error
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toContain(field);
  });

  it("fills defaults for a minimal config", () => {
    const c = BoardsLinkConfigSchema.parse({ project: { id: "p", name: "P" }, requirements: { workItemTypes: ["A"] } });
    expect(c).toMatchObject({
      team: null,
      description: "",
      pullRequirements: true,
      bugMapping: false,
      iterations: { source: "projectTree", fullPath: false },
    });
    expect(c.priorityMapping).toEqual({ "1": "Highest", "2": "High", "3": "Medium", "4": "Low" });
  });
});

describe("boards iterations: tree → releases and sprints", () => {
  const node = (id: number, path: string, children: ReturnType<typeof toIterationTree>[] = [], dates = true) => ({
    id,
    identifier: `g${id}`,
    name: path.split("\\").pop()!,
    path,
    startDate: dates ? "2026-01-01T00:00:00.000Z" : null,
    finishDate: dates ? "2026-01-14T00:00:00.000Z" : null,
    children,
  });
  const tree = node(1, "P", [
    node(2, "P\\R1", [node(3, "P\\R1\\S1"), node(4, "P\\R1\\S2", [], false)]),
    node(5, "P\\R2", [node(6, "P\\R2\\S3", [node(7, "P\\R2\\S3\\Week 1")])]),
    node(8, "P\\Backlog", [], false),
  ]);
  const c = (iterations: Partial<BoardsLinkConfigInput["iterations"] & object>, team = false) =>
    cfg({ iterations: iterations as never, team: team ? { id: "t", name: "T" } : null });

  it("converts classification node paths", () => {
    expect(toIterationPath("\\Fabrikam Fiber\\Iteration\\Release 1\\Sprint 3")).toBe("Fabrikam Fiber\\Release 1\\Sprint 3");
    expect(toIterationPath("\\Fabrikam Fiber\\Iteration")).toBe("Fabrikam Fiber");
    expect(
      toIterationTree({
        id: 1,
        name: "P",
        path: "\\P\\Iteration",
        children: [{ id: 2, name: "R", path: "\\P\\Iteration\\R", attributes: { startDate: "2026-01-01T00:00:00Z" } }],
      }),
    ).toEqual({
      id: 1,
      identifier: null,
      name: "P",
      path: "P",
      startDate: null,
      finishDate: null,
      children: [
        { id: 2, identifier: null, name: "R", path: "P\\R", startDate: "2026-01-01T00:00:00.000Z", finishDate: null, children: [] },
      ],
    });
  });

  it("default: first-level nodes are releases, everything below them sprints; missing dates flagged", () => {
    const p = planIterations(tree, c({}));
    expect(p.releases.map((r) => r.name)).toEqual(["R1", "R2", "Backlog"]);
    expect(p.sprints.map((s) => [s.name, s.releaseNodeId, s.missingDates])).toEqual([
      ["S1", 2, false],
      ["S2", 2, true],
      ["S3", 5, false],
      ["Week 1", 5, false],
    ]);
  });

  it("picked release paths (case-insensitive), a nested pick is its own release, missing picks reported", () => {
    const p = planIterations(tree, c({ releasePaths: ["p\\r2", "P\\R2\\S3", "P\\Gone"] }));
    expect(p.releases.map((r) => r.path)).toEqual(["P\\R2", "P\\R2\\S3"]);
    expect(p.sprints.map((s) => [s.path, s.releasePath])).toEqual([["P\\R2\\S3\\Week 1", "P\\R2\\S3"]]);
    expect(p.missingReleasePaths).toEqual(["P\\Gone"]);
  });

  it("full-path toggle names releases and sprints by their path", () => {
    const p = planIterations(tree, c({ fullPath: true }));
    expect(p.releases[0].name).toBe("P\\R1");
    expect(p.sprints[0].name).toBe("P\\R1\\S1");
  });

  it("team board: only the team's iterations are sprints, releases without them are dropped", () => {
    const p = planIterations(tree, c({ source: "teamBoard" }, true), new Set(["g3"]));
    expect(p.releases.map((r) => r.name)).toEqual(["R1"]);
    expect(p.sprints.map((s) => s.name)).toEqual(["S1"]);
    expect(planIterations(tree, c({ source: "teamBoard" }, true), null).sprints).toEqual([]);
  });

  it("places a work item in its sprint and release, or a release directly", () => {
    const p = planIterations(tree, c({}));
    expect(placeWorkItem(p, "p\\r1\\s2")).toMatchObject({ release: { adoNodeId: 2 }, sprint: { adoNodeId: 4 } });
    expect(placeWorkItem(p, "P\\R2")).toMatchObject({ release: { adoNodeId: 5 }, sprint: null });
    expect(placeWorkItem(p, "P")).toEqual({ release: null, sprint: null });
    expect(placeWorkItem(p, null)).toEqual({ release: null, sprint: null });
  });
});

describe("boards upsert decisions (idempotent, revision-guarded)", () => {
  const item = (over: Partial<MappedRequirement> = {}): MappedRequirement => ({
    kind: "requirement",
    adoId: 1,
    adoRev: 5,
    workItemType: "User Story",
    title: "t",
    adoState: "New",
    status: "Open",
    priority: "High",
    iterationPath: "P\\R1",
    removed: false,
    releaseDate: "2026-01-01T00:00:00.000Z",
    ...over,
  });
  const stored = (over: Partial<StoredWorkItem> = {}): StoredWorkItem => ({
    adoId: 1,
    adoRev: 5,
    configVersion: 1,
    workItemType: "User Story",
    title: "t",
    adoState: "New",
    status: "Open",
    priority: "High",
    iterationPath: "P\\R1",
    removed: false,
    releaseDate: "2026-01-01T00:00:00Z",
    ...over,
  });
  it.each([
    ["new item", undefined, item(), 1, "create"],
    ["new item already deleted in ADO", undefined, item({ removed: true }), 1, "ignore"],
    ["same revision, same config", stored(), item(), 1, "unchanged"],
    ["older revision never overwrites", stored({ adoRev: 9, title: "newer" }), item({ adoRev: 5 }), 1, "older"],
    ["newer revision with changes", stored({ adoRev: 4, adoState: "Active", status: "In Progress" }), item(), 1, "update"],
    ["newer revision, nothing we map changed", stored({ adoRev: 4 }), item(), 1, "touch"],
    ["same revision re-mapped by a new config", stored({ status: "In Progress" }), item(), 2, "update"],
    ["same revision, new config, same result", stored(), item(), 2, "touch"],
    ["deleted in ADO", stored({ adoRev: 4 }), item({ removed: true }), 1, "remove"],
    ["restored in ADO", stored({ adoRev: 4, removed: true }), item(), 1, "update"],
    ["deleted without a new revision", stored(), item({ removed: true }), 1, "remove"],
    ["restored without a new revision", stored({ removed: true }), item(), 1, "update"],
  ] as const)("%s → %s", (_n, s, i, v, expected) => {
    expect(decide(s, i, v)).toBe(expected);
  });

  it("keeps the newest revision of an item within a page", () => {
    expect(
      latestPerItem([item({ adoRev: 2 }), item({ adoRev: 7 }), item({ adoRev: 3 }), item({ adoId: 2, adoRev: 1 })]).map((x) => [
        x.adoId,
        x.adoRev,
      ]),
    ).toEqual([
      [1, 7],
      [2, 1],
    ]);
  });
});

describe("boards plans helpers", () => {
  const now = new Date("2026-03-10T12:00:00Z");
  it.each([
    [null, null, "undated"],
    ["2026-03-01", null, "undated"],
    ["2026-02-01", "2026-02-14", "past"],
    ["2026-03-09", "2026-03-10", "current"],
    ["2026-03-11", "2026-03-20", "planned"],
  ])("timing %s..%s → %s", (s, f, expected) => {
    expect(timing(s ? new Date(s) : null, f ? new Date(f) : null, now)).toBe(expected);
  });
  it("coverage counts Done and Resolved as done", () => {
    expect(coverage({ Done: 2, Resolved: 1, Open: 1 })).toEqual({
      total: 4,
      done: 3,
      percent: 75,
      byStatus: { Done: 2, Resolved: 1, Open: 1 },
      tested: 0,
      passed: 0,
      failed: 0,
      failingWithoutDefect: 0,
      testedPercent: 0,
    });
    expect(coverage({})).toMatchObject({ total: 0, percent: 0 });
    expect(coverage({ Open: 3 }, { tested: 2, passed: 1, failed: 1, failingWithoutDefect: 1 })).toMatchObject({
      tested: 2,
      testedPercent: 66.7,
    });
  });
  it.each([
    [[], null],
    [["passed"], "passed"],
    [["passed", "skipped"], "passed"],
    [["skipped"], "skipped"],
    [["passed", "failed"], "failed"],
    [["error", "passed"], "failed"],
    [["skipped", "error"], "failed"],
  ])("a requirement whose linked tests last ended %j is %s", (latest, expected) => {
    expect(requirementOutcome(latest)).toBe(expected);
  });
});
