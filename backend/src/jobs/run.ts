import type { Logger } from "../log";
import type { JobStore } from "./store";
import { JobCancelled, type JobHandler } from "./types";

/**
 * Runs one job row through its handler, recording progress, cancellation and the outcome. Shared by
 * both runners. "interrupted" means the runner was stopping: the row is queued again for a restart.
 */
/**
 * Records a job's outcome; when that fails (a result the database refuses, a lost connection) the job
 * still ends `failed` with a reason instead of staying `running`.
 */
async function finishOrFail(
  store: JobStore,
  log: Logger,
  id: string,
  status: Parameters<JobStore["finish"]>[1],
  fields: Parameters<JobStore["finish"]>[2],
) {
  try {
    await store.finish(id, status, fields);
  } catch (e) {
    log.error("job outcome not saved", { jobId: id, err: e });
    await store.finish(id, "failed", {
      error: `The job ended (${status}) but its outcome could not be saved: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

export async function runJob(
  store: JobStore,
  handlers: Map<string, JobHandler>,
  id: string,
  log: Logger,
  stopSignal: AbortSignal,
): Promise<"done" | "skipped" | "interrupted"> {
  const row = await store.getById(id);
  if (!row) return "skipped";
  const handler = handlers.get(row.kind);
  if (!handler) {
    await store.finish(id, "failed", { error: `no handler for job kind "${row.kind}"` });
    return "done";
  }
  if (!(await store.claim(id))) return "skipped";
  const ac = new AbortController();
  const onStop = () => ac.abort(new JobCancelled());
  stopSignal.addEventListener("abort", onStop);
  try {
    const result = await handler({
      jobId: id,
      orgId: row.orgId,
      payload: row.payload,
      signal: ac.signal,
      progress: async (done, total, message) => {
        const cancel = await store.progress(id, done, total, message);
        if (cancel && !ac.signal.aborted) ac.abort(new JobCancelled());
        if (ac.signal.aborted) throw new JobCancelled();
      },
    });
    if (ac.signal.aborted && stopSignal.aborted) {
      await store.requeue(id);
      return "interrupted";
    }
    await finishOrFail(store, log, id, ac.signal.aborted ? "cancelled" : "succeeded", { result: result ?? undefined });
  } catch (e) {
    if (stopSignal.aborted) {
      await store.requeue(id);
      return "interrupted";
    }
    if (e instanceof JobCancelled || ac.signal.aborted) {
      await finishOrFail(store, log, id, "cancelled", { message: "Cancelled" });
    } else {
      log.error("job failed", { jobId: id, kind: row.kind, err: e });
      await finishOrFail(store, log, id, "failed", { error: e instanceof Error ? e.message : String(e) });
    }
  } finally {
    stopSignal.removeEventListener("abort", onStop);
  }
  return "done";
}
