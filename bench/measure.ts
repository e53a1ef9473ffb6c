// Shared by the benchmarks: the database they run on and how a run is measured.
import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../backend/src/db/client";

export const DB_KIND = process.env.BENCH_DB === "postgres" ? "postgres" : "pglite";

export const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** PGlite in memory, or a throwaway schema on Postgres (dropped afterwards, so runs never mix). */
export async function openDb(): Promise<Database & { drop(): Promise<void> }> {
  if (DB_KIND === "pglite") {
    const db = await openDatabase({});
    return Object.assign(db, { drop: () => db.close() });
  }
  const schemaName = `bench_${randomBytes(4).toString("hex")}`;
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test", schemaName });
  return Object.assign(db, {
    drop: async () => {
      await db.exec(`DROP SCHEMA "${schemaName}" CASCADE`);
      await db.close();
    },
  });
}

/** Wall time of `run`, with peak RSS and heap sampled every 25 ms while it executes. */
export async function measure<T>(run: () => Promise<T>) {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 25);
  const t0 = performance.now();
  try {
    const value = await run();
    return { value, ms: performance.now() - t0, peakRss: rss, peakHeap: heap };
  } finally {
    clearInterval(timer);
  }
}

/** Latencies of `total` calls made by `concurrency` workers. */
export async function load(total: number, concurrency: number, call: () => Promise<unknown>) {
  const ms: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t = performance.now();
        await call();
        ms.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - t0;
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  return { p50: q(0.5), p99: q(0.99), perSecond: (total / wall) * 1000 };
}
