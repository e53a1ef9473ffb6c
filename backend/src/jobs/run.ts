import type { Logger } from "../log";
import { HEARTBEAT_MS, type JobStore } from "./store";
import { isTransient, MAX_ATTEMPTS, retryDelayMs, userFacingError } from "./transient";
import { JobCancelled, type JobHandler } from "./types";
import { unref } from "../lib/timers";

/**
 * What became of a run, for the runner: "retry" = queued again after `delayMs`; `followUp` = a job
 * the runner must dispatch (an event arrived while this one ran). "interrupted" = the runner was
 * stopping and the row is queued for a restart; "lost" = another worker took the row over.
 */
/**
 * Records a job's outcome; when that fails (a result the database refuses, a lost connection) the job
 * still ends `failed` with a reason instead of staying `running`.
 */
async function finishOrFail(
  store: JobStore,
  log: Logger,
  id: string,
  attempt: number | undefined,
  status: Parameters<JobStore["finish"]>[2],
  fields: Parameters<JobStore["finish"]>[3],
): Promise<{ id: string; kind: string } | null> {
  try {
    return await store.finish(id, attempt, status, fields);
  } catch (e) {
    log.error("job outcome not saved", { jobId: id, err: e });
    await store.finish(id, attempt, "failed", {
      error: `The job ended (${status}) but its outcome could not be saved: ${e instanceof Error ? e.message : String(e)}`,
    });
    return null;
  }
}

export interface RunOutcome {
  outcome: "done" | "skipped" | "interrupted" | "retry" | "lost";
  delayMs?: number;
  followUp?: { id: string; kind: string; delayMs?: number } | null;
}

/** Runs one job row through its handler, recording heartbeat, progress, cancellation, retries and the outcome. Shared by both runners. */
export async function runJob(
  store: JobStore,
  handlers: Map<string, JobHandler>,
  id: string,
  log: Logger,
  stopSignal: AbortSignal,
): Promise<RunOutcome> {
  const row = await store.getById(id);
  if (!row) return { outcome: "skipped" };
  const handler = handlers.get(row.kind);
  if (!handler) {
    await store.finish(id, undefined, "failed", { error: `no handler for job kind "${row.kind}"` });
    return { outcome: "done" };
  }
  const attempt = await store.claim(id);
  if (attempt === null) {
    // Not due yet (a coalescing job whose start a burst pushed back): hand it over again when it is.
    const now = await store.getById(id);
    const wait = now?.status === "queued" && now.runAfter ? now.runAfter.getTime() - Date.now() : 0;
    return wait > 0 ? { outcome: "retry", delayMs: wait } : { outcome: "skipped" };
  }
  const ac = new AbortController();
  let lost = false;
  const onStop = () => ac.abort(new JobCancelled());
  stopSignal.addEventListener("abort", onStop);
  // The heartbeat is independent of the handler's progress reports: a long ADO call or a big page
  // must not look like a dead worker. A failed beat (database away) is only logged; if the database
  // stays away longer than STALE_MS another worker may take the job over, and this one then stops.
  const beat = setInterval(() => {
    store.heartbeat(id, attempt).then(
      (mine) => {
        if (!mine && !ac.signal.aborted) {
          lost = true;
          ac.abort(new JobCancelled());
        }
      },
      (e) => log.warn("job heartbeat failed", { jobId: id, err: e }),
    );
  }, HEARTBEAT_MS);
  unref(beat);
  const willRetry = (e: unknown) => !stopSignal.aborted && !ac.signal.aborted && attempt < MAX_ATTEMPTS && isTransient(e);
  try {
    const result = await handler({
      jobId: id,
      orgId: row.orgId,
      payload: row.payload,
      signal: ac.signal,
      attempt,
      willRetry,
      progress: async (done, total, message) => {
        const stop = await store.progress(id, attempt, done, total, message);
        if (stop && !ac.signal.aborted) ac.abort(new JobCancelled());
        if (ac.signal.aborted) throw new JobCancelled();
      },
    });
    if (ac.signal.aborted && stopSignal.aborted) {
      await store.requeue(id, attempt);
      return { outcome: "interrupted" };
    }
    if (lost) return { outcome: "lost" };
    const followUp = await finishOrFail(store, log, id, attempt, ac.signal.aborted ? "cancelled" : "succeeded", {
      result: result ?? undefined,
    });
    return { outcome: "done", followUp };
  } catch (e) {
    if (stopSignal.aborted) {
      await store.requeue(id, attempt);
      return { outcome: "interrupted" };
    }
    if (lost) return { outcome: "lost" };
    if (e instanceof JobCancelled || ac.signal.aborted) {
      const followUp = await finishOrFail(store, log, id, attempt, "cancelled", { message: "Cancelled" });
      return { outcome: "done", followUp };
    }
    const reason = userFacingError(e, id);
    if (willRetry(e)) {
      const delayMs = retryDelayMs(attempt);
      log.warn("job failed, will retry", { jobId: id, kind: row.kind, attempt, delayMs, err: e });
      await store.retryLater(id, attempt, delayMs, reason);
      return { outcome: "retry", delayMs };
    }
    log.error("job failed", { jobId: id, kind: row.kind, attempt, err: e });
    const followUp = await finishOrFail(store, log, id, attempt, "failed", { error: reason });
    return { outcome: "done", followUp };
  } finally {
    clearInterval(beat);
    stopSignal.removeEventListener("abort", onStop);
  }
}
