// Background work that a request starts but does not wait for (widget summaries, a run's remaining links):
// one loop per (kind × database) in this process, so concurrent triggers never run the same work twice at
// once, and a trigger while the loop runs makes it look again when done (nothing started late is missed).
import type { Logger } from "../log";
import { unref } from "./timers";

interface Loop {
  again: boolean;
  done: Promise<void>;
}

export interface BackgroundWork {
  /** Runs the work soon (now, or again after the running loop). A failure is logged; the sweep or the next trigger resumes. */
  soon(): void;
  /** Resolves when no loop is running (tests; closing the backend). */
  idle(): Promise<void>;
  /**
   * Every `everyMs`, asks `pending` (one cheap query) and runs the work when it says so: a loop that failed
   * (the database went away for a moment) would otherwise only resume on this process's next trigger, and a
   * replica that only serves reads would never resume it. Returns the stop function.
   */
  sweep(pending: () => Promise<boolean>, everyMs: number): () => void;
}

/** Keyed by an object (the database) so each backend in one process (tests) has its own loop. */
export function backgroundWork<K extends object>(key: K, work: (key: K) => Promise<void>, log: Logger, what: string): BackgroundWork {
  const loops = registry(what);
  return {
    soon() {
      const running = loops.get(key);
      if (running) {
        running.again = true;
        return;
      }
      const state: Loop = { again: false, done: Promise.resolve() };
      loops.set(key, state);
      state.done = (async () => {
        do {
          state.again = false;
          await work(key);
        } while (state.again);
      })()
        .catch((e: unknown) => log.error(`could not ${what} yet`, { err: e }))
        .finally(() => loops.delete(key));
    },
    async idle() {
      for (let s = loops.get(key); s; s = loops.get(key)) await s.done;
    },
    sweep(pending, everyMs) {
      const timer = setInterval(() => {
        pending()
          .then((yes) => {
            if (yes) this.soon();
          })
          .catch((e: unknown) => log.warn(`could not look for work to ${what}`, { err: e }));
      }, everyMs);
      unref(timer);
      return () => clearInterval(timer);
    },
  };
}

// One registry per kind of work, shared by every BackgroundWork made for it (soon() and idle() from
// different call sites see the same loop).
const registries = new Map<string, WeakMap<object, Loop>>();
function registry(what: string): WeakMap<object, Loop> {
  let r = registries.get(what);
  if (!r) registries.set(what, (r = new WeakMap()));
  return r;
}
