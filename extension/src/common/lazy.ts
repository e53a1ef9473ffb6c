import * as React from "react";

/**
 * React.lazy for a panel or tab kept out of the page's first load (bundle budgets), with `preload()` to
 * fetch its chunk once the page has shown. A preloaded component renders at once: its loader answers
 * with a thenable that calls back synchronously, which React 16's lazy reads as already resolved, so the
 * Suspense fallback (a loading panel) does not flash and a panel does not slide in twice.
 */
export function preloadable<P>(load: () => Promise<React.ComponentType<P>>): {
  Component: React.LazyExoticComponent<React.ComponentType<P>>;
  preload: () => Promise<React.ComponentType<P>>;
} {
  let loaded: React.ComponentType<P> | undefined;
  let pending: Promise<React.ComponentType<P>> | undefined;
  const preload = () =>
    (pending ??= load().then(
      (c) => (loaded = c),
      (e: unknown) => {
        pending = undefined; // a failed fetch (network) may be tried again
        throw e;
      },
    ));
  const Component = React.lazy(() => {
    const ready = loaded;
    if (ready) return { then: (resolve: (m: { default: React.ComponentType<P> }) => void) => resolve({ default: ready }) } as never;
    return preload().then((c) => ({ default: c }));
  });
  return { Component, preload };
}

/**
 * Preloads chunks after the page's first paint, when the browser is idle (or soon, where it has no idle
 * callback) — only once `wanted` (the user may open them: readers never download an editor's form).
 */
export function usePreload(wanted: boolean, ...preloads: (() => Promise<unknown>)[]): void {
  const list = React.useRef(preloads);
  React.useEffect(() => {
    if (!wanted) return;
    const run = () => list.current.forEach((p) => void p().catch(() => undefined));
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number };
    if (w.requestIdleCallback) w.requestIdleCallback(run, { timeout: 2_000 });
    else setTimeout(run, 200);
  }, [wanted]);
}
