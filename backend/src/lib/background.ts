// Background work that a request starts but does not wait for (widget summaries, a run's remaining links):
// one loop per (kind of work × database) in this process, so concurrent triggers never run the same work
// twice at once, and a trigger while the loop runs makes it look again when done (nothing started late is
// missed). Keyed by an object (the database) so each backend in one process (tests) has its own loop.
import type { Logger } from "../log";
import { unref } from "./timers";

interface Loop {
  again: boolean;
  done: Promise<void>;
}

const loops = new Map<string, WeakMap<object, Loop>>();
const loopsOf = (what: string): WeakMap<object, Loop> => {
  let r = loops.get(what);
  if (!r) loops.set(what, (r = new WeakMap()));
  return r;
};

/** Runs `work` soon (now, or again once the running loop of this kind ends). A failure is logged; a sweep or the next trigger resumes. */
export function runSoon<K extends object>(what: string, key: K, work: (key: K) => Promise<void>, log: Logger): void {
  const mine = loopsOf(what);
  const running = mine.get(key);
  if (running) {
    running.again = true;
    return;
  }
  const state: Loop = { again: false, done: Promise.resolve() };
  mine.set(key, state);
  state.done = (async () => {
    do {
      state.again = false;
      await work(key);
    } while (state.again);
  })()
    .catch((e: unknown) => log.error(`could not ${what} yet`, { err: e }))
    .finally(() => mine.delete(key));
}

/** Resolves when no loop of this kind is running for `key` (tests; closing the backend). */
export async function whenIdle(what: string, key: object): Promise<void> {
  const mine = loopsOf(what);
  for (let s = mine.get(key); s; s = mine.get(key)) await s.done;
}

/**
 * Every `everyMs`, asks `pending` (one cheap query) and calls `run` when it says so: a loop that failed (the
 * database went away for a moment) would otherwise only resume on this process's next trigger, and a replica
 * that only serves reads would never resume it. Returns the stop function.
 */
export function startSweep(what: string, pending: () => Promise<boolean>, run: () => void, log: Logger, everyMs: number): () => void {
  const timer = setInterval(() => {
    pending()
      .then((yes) => {
        if (yes) run();
      })
      .catch((e: unknown) => log.warn(`could not look for work to ${what}`, { err: e }));
  }, everyMs);
  unref(timer);
  return () => clearInterval(timer);
}
