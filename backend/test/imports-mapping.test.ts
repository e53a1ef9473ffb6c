import { mapOutcome, nextWindow, skipReason, toCase, toReport } from "../src/imports/mapping";

describe("import mapping", () => {
  it.each([
    ["Passed", "passed"],
    ["passed", "passed"],
    ["Failed", "failed"],
    ["Error", "error"],
    ["Timeout", "error"],
    ["Aborted", "error"],
    ["NotExecuted", "skipped"],
    ["Inconclusive", "skipped"],
    ["Blocked", "skipped"],
    ["NotApplicable", "skipped"],
    ["Warning", "skipped"],
    [undefined, "skipped"],
  ])("outcome %p → %p", (ado, ours) => {
    expect(mapOutcome(ado)).toBe(ours);
  });

  it.each([
    [
      { id: 1, automatedTestName: "com.acme.LoginTest.validLogin", testCaseTitle: "validLogin", automatedTestStorage: "acme.tests.dll" },
      {
        className: "com.acme.LoginTest",
        path: "com.acme.LoginTest",
        name: "validLogin",
        fullName: "com.acme.LoginTest.validLogin",
        suite: "acme.tests.dll",
      },
    ],
    [
      { id: 2, testCaseTitle: "Checkout works" },
      { className: null, path: "", name: "Checkout works", fullName: "Checkout works", suite: "" },
    ],
    [{ id: 3 }, { className: null, name: "Result 3", fullName: "Result 3" }],
    [
      { id: 4, automatedTestName: "trailing." },
      { className: null, name: "trailing.", fullName: "trailing." },
    ],
  ])("names %p", (ado, want) => {
    expect(toCase(ado)).toMatchObject(want);
  });

  it("keeps failure text (trimmed), duration and the result's own work items", () => {
    const c = toCase({
      id: 1,
      outcome: "Failed",
      durationInMs: 1500.4,
      errorMessage: "x".repeat(5000),
      stackTrace: "at a\r\nat b",
      associatedBugs: [{ id: "12" }],
      associatedWorkItems: [{ id: 34 }, { id: "12" }, { id: "nope" }],
    });
    expect(c).toMatchObject({ outcome: "failed", durationMs: 1500, stack: "at a\nat b", workItemIds: [34, 12] });
    expect(c.message!.length).toBe(4000);
    expect(toCase({ id: 1, durationInMs: -5 }).durationMs).toBeNull();
  });

  it("counts a run's outcomes and its span", () => {
    const r = toReport({ id: 9, name: "Nightly", startedDate: "2026-11-01T10:00:00Z", completedDate: "2026-11-01T10:01:30Z" }, [
      { id: 1, outcome: "Passed" },
      { id: 2, outcome: "Failed" },
      { id: 3, outcome: "Timeout" },
      { id: 4, outcome: "NotExecuted" },
    ]);
    expect(r.totals).toEqual({ total: 4, passed: 1, failed: 1, error: 1, skipped: 1 });
    expect(r.durationMs).toBe(90_000);
    expect(r.startedAt!.toISOString()).toBe("2026-11-01T10:00:00.000Z");
  });

  const known = { imported: new Set([5]), pushed: new Set([6]) };
  it.each([
    [{ id: 1, isAutomated: true, state: "Completed" }, null],
    [{ id: 1, isAutomated: false, state: "Completed" }, "manual"],
    [{ id: 1, isAutomated: true, state: "InProgress" }, "not completed"],
    [{ id: 5, isAutomated: true, state: "Completed" }, "already imported"],
    [{ id: 6, isAutomated: true, state: "Completed" }, "pushed by TestOps"],
    [
      { id: 7, isAutomated: true, state: "Completed", comment: "Imported by TestOps [TestOps run 0b8f4f9e-6a43-4a9f-9a52-2f7d0d0e7a11]" },
      "pushed by TestOps",
    ],
  ])("skips %p: %p", (run, why) => {
    expect(skipReason(run, known)).toBe(why);
  });

  it("reads at most 7 days at a time, never past the horizon", () => {
    const day = 86_400_000;
    const t0 = new Date("2026-11-01T00:00:00Z");
    expect(nextWindow(t0, new Date(t0.getTime() + 20 * day))).toEqual({ from: t0, to: new Date(t0.getTime() + 7 * day) });
    expect(nextWindow(t0, new Date(t0.getTime() + day))).toEqual({ from: t0, to: new Date(t0.getTime() + day) });
    expect(nextWindow(t0, t0)).toBeNull();
  });
});
