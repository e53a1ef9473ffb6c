/**
 * Embedded database footprint. Part 1: PGlite alone (no backend), opened on a fresh and then on the same
 * (existing) data directory, with each setting tried, in a child process each; prints the RSS once open
 * (initialMemory below 128 MB was tried too: PGlite 0.5 refuses it, "memory import 0 is smaller than initial")
 * and idle. Part 2: the backend itself (embedded PGlite as configured now) on a fresh data directory, then
 * restarted on it, three times each way: from source under tsx (the baseline) and as the production bundle
 * (`node dist-backend/server.js`, built first); prints its idle RSS 5 s after it listens (read from /proc).
 *
 *   node --import tsx bench/pglite-memory.ts
 */
import { execFileSync, spawn } from "node:child_process";
import { EMBEDDED_NODE_FLAGS, ensureBackendBuilt } from "../backend/test/processes";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const TSX = path.join(root, "node_modules/tsx/dist/loader.mjs");
const CONF = ["shared_buffers=16MB", "maintenance_work_mem=16MB"];
const TRIES: Record<string, { options: Record<string, unknown>; reopen?: boolean }> = {
  "defaults (before)": { options: {} },
  "shared_buffers=16MB, maintenance_work_mem=16MB": { options: { postgresqlconf: CONF } },
  "same + initdb, close, reopen in one process": { options: { postgresqlconf: CONF }, reopen: true },
  "defaults + relaxedDurability": { options: { relaxedDurability: true } },
};

const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MB`;

if (process.argv[2] === "--open") {
  const [name, dir] = process.argv.slice(3);
  void (async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const t = TRIES[name];
    try {
      let pg = new PGlite(dir, t.options);
      await pg.waitReady;
      if (t.reopen) {
        await pg.close();
        global.gc?.();
        pg = new PGlite(dir, t.options);
        await pg.waitReady;
      }
      await pg.query("SELECT 1");
      await new Promise((r) => setTimeout(r, 500));
      global.gc?.();
      console.log(JSON.stringify({ rss: process.memoryUsage().rss }));
      await pg.close();
    } catch (e) {
      console.log(JSON.stringify({ error: String(e).slice(0, 160) }));
    }
  })();
} else void main();

function openIn(name: string, dir: string): string {
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", TSX, __filename, "--open", name, dir], {
    cwd: root,
    encoding: "utf8",
  });
  const r = JSON.parse(out.trim().split("\n").pop()!) as { rss?: number; error?: string };
  return r.error ? `fails (${r.error})` : mb(r.rss!);
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

async function backendIdleRss(dataDir: string, args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      DATA_DIR: dataDir,
      PORT: "0",
      EXTENSION_SECRET: "bench-extension-secret-0123456789",
      ENCRYPTION_KEY: `k1:${randomBytes(32).toString("base64")}`,
      SYNC_INTERVAL_MINUTES: "0",
      HOOK_CHECK_MINUTES: "0",
    },
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`backend did not start:\n${out}`)), 180_000);
    child.stdout.on("data", () => {
      if (out.includes('"msg":"backend listening"')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  await new Promise((r) => setTimeout(r, 5_000));
  const rss = rssOf(child.pid!);
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  return rss;
}

async function main() {
  console.log("\n=== PGlite alone: RSS once open and idle (fresh data dir, then the same dir reopened) ===");
  for (const name of Object.keys(TRIES)) {
    const dir = mkdtempSync(path.join(tmpdir(), "pglite-mem-"));
    const fresh = openIn(name, path.join(dir, "pglite"));
    const existing = openIn(name, path.join(dir, "pglite"));
    console.log(`${name}: fresh ${fresh}, existing ${existing}`);
    rmSync(dir, { recursive: true, force: true });
  }
  const ways: Record<string, string[]> = {
    "from source (node --import tsx backend/src/server.ts)": ["--import", TSX, path.join(root, "backend/src/server.ts")],
    "production bundle (node dist-backend/server.js)": [ensureBackendBuilt()],
    [`production bundle as started (node ${EMBEDDED_NODE_FLAGS.join(" ")} dist-backend/server.js)`]: [
      ...EMBEDDED_NODE_FLAGS,
      ensureBackendBuilt(),
    ],
  };
  console.log("\n=== the backend on embedded PGlite (as configured now): idle RSS 5 s after it listens, 3 runs each ===");
  for (const [name, args] of Object.entries(ways)) {
    const fresh: string[] = [];
    const existing: string[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(path.join(tmpdir(), "backend-mem-"));
      fresh.push(mb(await backendIdleRss(dir, args)));
      existing.push(mb(await backendIdleRss(dir, args)));
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`${name}: fresh data dir ${fresh.join(", ")}; existing data dir (restart) ${existing.join(", ")}`);
  }
}
