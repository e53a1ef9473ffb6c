// Pure helpers of the Test runs tab (table-tested in extension/test/runs.format.test.ts).
import type { Outcome, Run, RunOrigin } from "@testops/backend/schemas/results";

export const ORIGIN_LABEL: Record<RunOrigin, string> = {
  task: "Pipeline task",
  key: "Upload key",
  import: "Imported from Azure Test Plans",
  upload: "Upload",
};

export const OUTCOME_LABEL: Record<Outcome, string> = { passed: "Passed", failed: "Failed", error: "Error", skipped: "Skipped" };
/** Pill colors (RGB) that read in both themes. */
export const OUTCOME_COLOR: Record<Outcome, { red: number; green: number; blue: number }> = {
  passed: { red: 16, green: 124, blue: 16 },
  failed: { red: 205, green: 74, blue: 69 },
  error: { red: 218, green: 10, blue: 0 },
  skipped: { red: 128, green: 128, blue: 128 },
};

/** Where the run came from, with the key's name or the pipeline when there is one. */
export function originText(run: Pick<Run, "origin" | "uploadKey" | "build">): string {
  if (run.origin === "key" && run.uploadKey) return `Upload key "${run.uploadKey.name}"`;
  if (run.origin === "task" && run.build?.pipeline) return `Pipeline task (${run.build.pipeline})`;
  return ORIGIN_LABEL[run.origin];
}

/** "Payments CI 20261126.3 · release/2.0 · 1a2b3c4" */
export function buildText(build: Run["build"]): string | null {
  if (!build) return null;
  const parts = [
    [build.pipeline, build.number ?? `#${build.id}`].filter(Boolean).join(" "),
    build.branch?.replace(/^refs\/heads\//, "") ?? null,
    build.commit ? build.commit.slice(0, 7) : null,
  ].filter((p): p is string => !!p);
  return parts.join(" · ");
}

/** "TEST-Cart.xml", or "TEST-Cart.xml and 12 more files" for a pipeline's run of several reports. */
export function filesText(fileName: string, files: number): string {
  const more = files - 1;
  return more > 0 ? `${fileName} and ${more} more ${more === 1 ? "file" : "files"}` : fileName;
}

/** The push state as a short phrase. */
export function pushText(run: Pick<Run, "origin" | "ado">): string {
  if (run.origin === "import") return "From Azure Test Plans";
  switch (run.ado.status) {
    case "pushed":
      return "In Azure Test Plans";
    case "queued":
      return "Push queued";
    case "pushing":
      return "Pushing…";
    case "failed":
      return "Push failed";
    default:
      return "Not pushed";
  }
}

/** "3 passed · 1 failed · 2 skipped" (what is zero is left out; errors count with failures). */
export function countsText(t: Run["totals"]): string {
  const parts = [
    t.passed ? `${t.passed} passed` : null,
    t.failed + t.error ? `${t.failed + t.error} failed` : null,
    t.skipped ? `${t.skipped} skipped` : null,
  ].filter((p): p is string => !!p);
  return parts.length ? parts.join(" · ") : "no results";
}

/** Job progress as "12 of 40 results" or the job's own message. */
export function progressText(job: { progressDone: number; progressTotal: number | null; message: string | null; status: string }): string {
  if (job.status === "queued") return "Waiting to start…";
  if (job.progressTotal) return `${job.progressDone} of ${job.progressTotal} results pushed`;
  return job.message ?? "Working…";
}

export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");
