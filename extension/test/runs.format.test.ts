import { buildText, countsText, filesText, originText, progressText, pushText } from "../src/project-settings/runs/format";

const build = {
  id: 7,
  number: "20261126.3",
  pipelineId: 2,
  pipeline: "Payments CI",
  branch: "refs/heads/release/2.0",
  commit: "1a2b3c4d5e6f",
  url: null,
};

describe("Test runs tab formatting", () => {
  it.each([
    [{ origin: "task" as const, uploadKey: null, build }, "Pipeline task (Payments CI)"],
    [{ origin: "task" as const, uploadKey: null, build: null }, "Pipeline task"],
    [{ origin: "key" as const, uploadKey: { id: "k", name: "Jenkins" }, build: null }, 'Upload key "Jenkins"'],
    [{ origin: "import" as const, uploadKey: null, build }, "Imported from Azure Test Plans"],
    [{ origin: "upload" as const, uploadKey: null, build: null }, "Upload"],
  ])("origin %p → %p", (run, text) => {
    expect(originText(run)).toBe(text);
  });

  it.each([
    [build, "Payments CI 20261126.3 · release/2.0 · 1a2b3c4"],
    [{ ...build, pipeline: null, number: null, branch: null, commit: null }, "#7"],
    [null, null],
  ])("build %p → %p", (b, text) => {
    expect(buildText(b)).toBe(text);
  });

  it.each([
    ["TEST-Cart.xml", 1, "TEST-Cart.xml"],
    ["TEST-Cart.xml", 2, "TEST-Cart.xml and 1 more file"],
    ["TEST-Cart.xml", 13, "TEST-Cart.xml and 12 more files"],
  ])("files %p × %p → %p", (name, files, text) => {
    expect(filesText(name, files)).toBe(text);
  });

  it.each([
    [{ total: 5, passed: 3, failed: 1, error: 1, skipped: 0 }, "3 passed · 2 failed"],
    [{ total: 2, passed: 0, failed: 0, error: 0, skipped: 2 }, "2 skipped"],
    [{ total: 0, passed: 0, failed: 0, error: 0, skipped: 0 }, "no results"],
  ])("counts %p → %p", (t, text) => {
    expect(countsText(t)).toBe(text);
  });

  it.each([
    ["upload", "none", "Not pushed"],
    ["upload", "queued", "Push queued"],
    ["task", "pushing", "Pushing…"],
    ["key", "pushed", "In Azure Test Plans"],
    ["task", "failed", "Push failed"],
    ["import", "pushed", "From Azure Test Plans"],
  ] as const)("push state of a %s run in %s → %p", (origin, status, text) => {
    expect(pushText({ origin, ado: { status, runId: null, url: null, error: null, pushedAt: null, jobId: null } })).toBe(text);
  });

  it.each([
    [{ status: "queued", progressDone: 0, progressTotal: null, message: null }, "Waiting to start…"],
    [{ status: "running", progressDone: 500, progressTotal: 1200, message: "Pushed 500" }, "500 of 1200 results pushed"],
    [{ status: "running", progressDone: 0, progressTotal: null, message: "Created test run 4" }, "Created test run 4"],
  ])("progress %p → %p", (job, text) => {
    expect(progressText(job)).toBe(text);
  });
});
