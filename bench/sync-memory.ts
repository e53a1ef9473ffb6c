/**
 * The backend's memory through a large Boards sync, measured in isolation (issue #18 target 5): the production
 * bundle (`node dist-backend/server.js`, built first) runs as its own process against the simulator in this
 * one, so the simulator's work items do not count (bench/boards-sync.ts runs both in one process). For each
 * database: idle RSS after start on a fresh data directory, the highest RSS sampled during a full sync of the
 * link (every 100 ms from /proc, plus the kernel's own high-water mark VmHWM), idle RSS after it, and after a
 * restart on the same data. Postgres (a fresh database) runs the same steps as the baseline.
 *
 *   node --import tsx bench/sync-memory.ts
 *
 * Env: BENCH_ITEMS (generated work items, default 184000: about 100k requirements and bugs in scope),
 * BENCH_DB=pglite,postgres (which to run, in this order), BENCH_NODE_OPTIONS (NODE_OPTIONS for the backend, on
 * top of the flags it is started with: EMBEDDED_NODE_FLAGS or BACKEND_NODE_FLAGS), BENCH_NODE_FLAGS (more flags on its command line, for
 * those NODE_OPTIONS refuses, e.g. --wasm-tiering-budget=…), BENCH_RESTART_TRACE=1 (after the restart, RSS every
 * 500 ms for 15 s and the backend's job log lines, instead of one sample after 5 s), BENCH_SMAPS=1 (where each
 * idle figure's RSS is, by mapping: see smaps()).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEMO_PATS, DEMO_USERS, startSimulator } from "@testops/ado-sim";
import { AdoClient } from "../backend/src/ado/client";
import { suggestedConfig } from "../backend/test/boards-fixtures";
import { authHeaders } from "../backend/test/helpers";
import { freshDatabase, sleep, spawnBackend, waitFor, type BackendProcess } from "../backend/test/processes";

const ITEMS = Number(process.env.BENCH_ITEMS ?? 184_000);
const KINDS = (process.env.BENCH_DB ?? "pglite,postgres").split(",");
const PROJECT = "Bench";
// Flags NODE_OPTIONS does not take (V8's WebAssembly tiering), after BACKEND_NODE_FLAGS.
const nodeFlags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : [];

const status = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
};
const f = (n: number) => `${Math.round(n)} MB`;

/**
 * RSS by mapping, from /proc/<pid>/smaps: the C heap, mapped files, and the largest anonymous mappings with their
 * reserved size and permissions (PGlite's WebAssembly memory is one of its own size, 128 MB or more; V8 puts
 * compiled WebAssembly code in large reserved regions, its heap in 256 KB pages, glibc's thread arenas in
 * mappings of up to 64 MB), then the rest of the anonymous memory.
 */
function smaps(pid: number): string {
  const sum = { cHeap: 0, files: 0 };
  const anon: { size: number; rss: number; perms: string }[] = [];
  let cur: { size: number; rss: number; perms: string; kind: "cHeap" | "files" | "anon" } | null = null;
  const flush = () => {
    if (cur?.kind === "anon") anon.push(cur);
    else if (cur) sum[cur.kind] += cur.rss;
  };
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      flush();
      const name = head[4];
      const size = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1048576;
      cur = { size, rss: 0, perms: head[3], kind: name === "[heap]" ? "cHeap" : name.startsWith("/") ? "files" : "anon" };
      continue;
    }
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m && cur) cur.rss = Number(m[1]) / 1024;
  }
  flush();
  anon.sort((a, b) => b.rss - a.rss);
  const top = anon.slice(0, 6).map((a) => `${f(a.rss)} of ${f(a.size)} ${a.perms}`);
  const rest = anon.slice(6).reduce((n, a) => n + a.rss, 0);
  return `C heap ${f(sum.cHeap)}, mapped files ${f(sum.files)}, largest anonymous: ${top.join(", ")}; other anonymous ${f(rest)} in ${anon.length - 6} mappings`;
}
const where = (label: string, pid: number) => process.env.BENCH_SMAPS && console.log(`${label}: ${smaps(pid)}`);

// Ctrl-C or a kill of this script exits through process.exit, so spawnBackend's exit hook stops the backend.
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

async function main() {
  const os = await import("node:os");
  console.log(
    `Backend memory through a Boards sync — node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const t0 = Date.now();
  const sim = await startSimulator({
    port: 0,
    seed: { orgs: [{ name: "fabrikam", projects: [{ name: PROJECT, process: "Agile" }], workItems: ITEMS }], katalonRepos: false },
  });
  console.log(`simulator: ${ITEMS.toLocaleString("en")} work items generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  const client = new AdoClient({
    org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
    auth: { type: "pat", pat: DEMO_PATS.admin },
    simulatorUrl: sim.url,
  });
  const config = await suggestedConfig(client, { id: project.id, name: project.name });
  const rows: string[] = [];
  try {
    for (const kind of KINDS) {
      const dataDir = mkdtempSync(path.join(tmpdir(), "testops-syncmem-"));
      const pg = kind === "postgres" ? await freshDatabase() : null;
      const env = {
        ADO_SIMULATOR_URL: sim.url,
        LOG_LEVEL: "info",
        ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
        ...(pg ? { DATABASE_URL: pg.url, ENCRYPTION_KEY: `k1:${randomBytes(32).toString("base64")}` } : { DATA_DIR: dataDir }),
      };
      let backend: BackendProcess | undefined;
      try {
        backend = await spawnBackend(env, { bundle: true, timeoutMs: 300_000, nodeFlags });
        const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
        const api = async (method: string, p: string, body?: unknown) => {
          const res = await fetch(`${backend!.url}${p}`, {
            method,
            headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text}`);
          return text ? JSON.parse(text) : undefined;
        };
        await sleep(5_000);
        const idleFresh = status(backend.pid).rss;
        where(`${kind} idle, fresh start`, backend.pid);
        await api("POST", "/api/connections", { name: "F", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin });
        const startedAt = Date.now();
        const saved = await api("POST", "/api/boards/links", { config, proceed: true });
        let peak = 0;
        let shown = 0;
        const pid = backend.pid;
        let atPeak = "";
        const sampler = setInterval(() => {
          const rss = status(pid).rss;
          // Where the memory is when a new high is reached (BENCH_SMAPS; reading smaps takes a few ms).
          if (process.env.BENCH_SMAPS && rss > peak + 2)
            atPeak = `${f(rss)} at +${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${smaps(pid)}`;
          peak = Math.max(peak, rss);
        }, 100);
        const job = await waitFor(
          async () => {
            const j = await api("GET", `/api/jobs/${saved.job.id}`);
            if (process.env.BENCH_VERBOSE) {
              console.log(JSON.stringify({ status: j.status, attempts: j.attempts, error: j.error }));
              const lines = backend!
                .output()
                .split("\n")
                .filter((l) => /"level":"(warn|error)"/.test(l));
              for (const l of lines.slice(shown)) console.log(l.slice(0, 3000));
              shown = lines.length;
            }
            return ["succeeded", "failed"].includes(j.status) ? j : undefined;
          },
          "the full sync",
          3_600_000,
          process.env.BENCH_VERBOSE ? 10_000 : 1_000,
        );
        clearInterval(sampler);
        if (atPeak) console.log(`${kind} peak during the sync, ${atPeak}`);
        const took = (Date.now() - startedAt) / 1000;
        if (job.status !== "succeeded")
          throw new Error(
            `sync ${job.status}: ${JSON.stringify(job.error)}\n${backend
              .output()
              .split("\n")
              .filter((l) => /"level":"(warn|error)"/.test(l))
              .slice(-20)
              .join("\n")}`,
          );
        const synced = job.result.requirements.created + job.result.bugs.created;
        const hwm = status(pid).hwm;
        await sleep(5_000);
        const idleAfter = status(pid).rss;
        where(`${kind} idle after the sync`, pid);
        await backend.kill("SIGTERM");
        backend = await spawnBackend(env, { bundle: true, timeoutMs: 300_000, nodeFlags });
        if (process.env.BENCH_RESTART_TRACE) {
          const t0 = Date.now();
          for (let i = 0; i < 30; i++) {
            await sleep(500);
            console.log(`restart +${Date.now() - t0} ms: rss ${f(status(backend.pid).rss)}`);
          }
          const jobLines = backend
            .output()
            .split("\n")
            .filter((l) => /safety|job|sync/i.test(l));
          console.log(jobLines.slice(0, 30).join("\n").slice(0, 6000));
        } else await sleep(5_000);
        const idleRestart = status(backend.pid).rss;
        where(`${kind} idle after restart`, backend.pid);
        rows.push(
          `| ${kind} | ${synced.toLocaleString("en")} | ${took.toFixed(0)} s | ${f(idleFresh)} | **${f(peak)}** | ${f(hwm)} | ${f(idleAfter)} | ${f(idleRestart)} |`,
        );
        console.log(rows[rows.length - 1]);
      } finally {
        await backend?.kill("SIGTERM");
        rmSync(dataDir, { recursive: true, force: true });
        await pg?.drop();
      }
    }
  } finally {
    await sim.close();
  }
  console.log(
    `\n| database | synced | sync wall | idle, fresh start | peak during sync (sampled) | VmHWM (whole life) | idle after | idle after restart |\n|---|---|---|---|---|---|---|---|\n${rows.join("\n")}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
