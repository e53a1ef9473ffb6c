import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { Client } from "pg";
import { TEST_DATABASE_URL, TEST_SECRET } from "./helpers";

/** Helpers for tests whose claim is about real processes (kill, restart, replicas, database loss). */

const root = path.resolve(__dirname, "../..");
// Absolute loader path: the child may run in a directory where "tsx" would not resolve.
const TSX = path.join(root, "node_modules/tsx/dist/loader.mjs");

/**
 * How the production bundle is started on Postgres (README): V8's young generation at 1 MB per semi-space
 * (the default is 16) — 68–90 MB lower peak RSS through a 100k-item sync on the embedded database, for 35 s of
 * sync instead of 33 s and 9% more CPU on a 50k-case upload (docs/benchmarks.md, "Embedded database footprint").
 */
export const BACKEND_NODE_FLAGS = ["--max-semi-space-size=1"];
/**
 * How it is started on the embedded database (README, `npm run serve`): V8 also favours size over speed — the
 * peak through a 100k-item sync 248–268 MB instead of 342–382, for 4–9% more sync time and 6–15% more CPU per
 * upload (on Postgres, where the backend's CPU is all JavaScript, it cost 45% more upload CPU: not used there) —
 * and runs one background thread instead of four (each kept its own malloc arena of what the compiler freed):
 * idle after a restart 191–192 MB instead of 226–258, at no measured cost (docs/benchmarks.md).
 */
export const EMBEDDED_NODE_FLAGS = [...BACKEND_NODE_FLAGS, "--optimize-for-size", "--v8-pool-size=1"];

/** The production bundle (`npm run build` → dist-backend/server.js), built when missing or older than backend/src. */
export const BACKEND_BUNDLE = path.join(root, "dist-backend/server.js");
export function ensureBackendBuilt(): string {
  const newest = (p: string): number =>
    statSync(p).isDirectory() ? Math.max(statSync(p).mtimeMs, ...readdirSync(p).map((e) => newest(path.join(p, e)))) : statSync(p).mtimeMs;
  const sources = Math.max(newest(path.join(root, "backend/src")), newest(path.join(root, "backend/webpack.config.js")));
  if (existsSync(BACKEND_BUNDLE) && statSync(BACKEND_BUNDLE).mtimeMs >= sources) return BACKEND_BUNDLE;
  const r = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/webpack-cli/bin/cli.js"), "--config", "backend/webpack.config.js", "--mode", "production"],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`building the backend failed:\n${r.stdout}\n${r.stderr}`);
  return BACKEND_BUNDLE;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Runs SQL as the Postgres superuser on the maintenance database (create/drop databases, terminate backends). */
export async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: TEST_DATABASE_URL });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** A brand-new database (nothing installed: our migrations and pg-boss start from zero). */
export async function freshDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `p_${randomBytes(5).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      await adminQuery(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Ends every connection to `database` (what a restart or failover does to the backend's pool). */
export async function terminateConnections(database: string): Promise<number> {
  const rows = await adminQuery<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
  return rows.length;
}

export interface BackendProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `node --import tsx backend/src/server.ts` (or, with `bundle`, the production `node dist-backend/server.js`)
 * with the test extension secret; resolves once it listens.
 */
export async function spawnBackend(
  env: Record<string, string>,
  o: { cwd?: string; timeoutMs?: number; bundle?: boolean; nodeFlags?: string[] } = {},
): Promise<BackendProcess> {
  const port = env.PORT ?? String(await freePort());
  const args = o.bundle
    ? [...(env.DATABASE_URL ? BACKEND_NODE_FLAGS : EMBEDDED_NODE_FLAGS), ...(o.nodeFlags ?? []), ensureBackendBuilt()]
    : [...(o.nodeFlags ?? []), "--import", TSX, path.join(root, "backend/src/server.ts")];
  const child = spawn(process.execPath, args, {
    cwd: o.cwd ?? root,
    env: {
      PATH: process.env.PATH ?? "",
      EXTENSION_SECRET: TEST_SECRET,
      LOG_LEVEL: "info",
      PORT: port,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
  });
  // When this process exits first (an error in a script, a failed test run), its backend goes with it: an
  // orphan would keep its port and load every later run on the machine.
  const orphan = () => child.kill("SIGKILL");
  process.on("exit", orphan);
  child.on("exit", () => process.off("exit", orphan));
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), o.timeoutMs ?? 120_000);
    child.stdout!.on("data", () => {
      const m = /"msg":"backend listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.on("exit", (code, sig) => {
      clearTimeout(t);
      reject(new Error(`backend exited (${code ?? sig}) before listening:\n${out}`));
    });
  });
  return {
    url,
    child,
    pid: child.pid!,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: async (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined/false) or fails after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, what: string, ms: number, every = 250): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(every);
  }
}
