import * as React from "react";
import { ApiClientError, unwrap } from "../../common/api";
import { usePage } from "../../common/context";
import type { Job } from "@testops/backend/routes/jobs";

export type Async<T> =
  { state: "idle" } | { state: "loading" } | { state: "ready"; value: T } | { state: "error"; error: ApiClientError | Error };

/**
 * Loads when `key` changes (null = nothing to load); stale answers are dropped. Unlike useLoad it does not
 * tell the host the page has loaded (the PageProvider did).
 */
export function useAsync<T>(key: string | null, load: () => Promise<T>): [Async<T>, () => void] {
  // Each answer remembers its key: right after the key changes, the previous key's answer is not shown.
  const [state, setState] = React.useState<{ key: string | null; value: Async<T> }>({ key: null, value: { state: "idle" } });
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    if (key === null) {
      setState({ key, value: { state: "idle" } });
      return;
    }
    let live = true;
    // A reload (same key) keeps showing the current data until the new answer arrives.
    setState((s) => (s.key === key && s.value.state === "ready" ? s : { key, value: { state: "loading" } }));
    load().then(
      (value) => live && setState({ key, value: { state: "ready", value } }),
      (error: Error) => live && setState({ key, value: { state: "error", error } }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const current: Async<T> = key === null ? { state: "idle" } : state.key === key ? state.value : { state: "loading" };
  return [current, () => setTick((t) => t + 1)];
}

export const isForbidden = (e: unknown) => e instanceof ApiClientError && e.status === 403;

/** How often a running sync is polled (tests shorten it). */
export const POLL_MS = { value: 1000 };

/**
 * Polls a job until it ends; `onDone` runs once when it does (e.g. to reload the link's status).
 * Returns the latest job record (null while nothing is known yet).
 */
export function useJob(jobId: string | null, onDone?: (job: Job) => void): Job | null {
  const { api } = usePage();
  const [job, setJob] = React.useState<Job | null>(null);
  const done = React.useRef(onDone);
  done.current = onDone;
  React.useEffect(() => {
    setJob(null);
    if (!jobId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const j = (await unwrap(await api.api.jobs[":id"].$get({ param: { id: jobId } }))) as Job;
        if (!live) return;
        setJob(j);
        if (j.status !== "queued" && j.status !== "running") {
          done.current?.(j);
          return;
        }
      } catch {
        // A missed poll is retried; the link status still tells the outcome.
      }
      if (live) timer = setTimeout(tick, POLL_MS.value);
    };
    void tick();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [jobId]);
  return job;
}
