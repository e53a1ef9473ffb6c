/**
 * JUnit upload benchmark: a real backend process (PGlite or Postgres) receives uploads of N generated
 * test cases over HTTP while this process asks `/healthz` and the work item form API in a loop.
 *
 *   node --import tsx bench/uploads.ts                       # PGlite, N = 10k, 50k, 100k
 *   BENCH_DB=postgres node --import tsx bench/uploads.ts     # Postgres (a throwaway database)
 *
 * Prints per N: upload wall time, the backend's peak RSS over its idle RSS (read from /proc, sampled
 * every 20 ms), and p50/p99/max latency of /healthz (every 10 ms) and of GET /api/results/work-items/{id}
 * (every 50 ms) while the upload runs and until the dashboard widgets' summaries of its run, written
 * after the answer in the background, are done. Baselines in the same run: the same latencies with no upload
 * running, and a whole-document parse of the same file (fast-xml-parser into objects, as uploads were
 * read before) next to the streaming reader, each in a fresh process, with its RSS growth.
 *
 * Env: BENCH_SIZES (comma list), BENCH_DB=pglite|postgres (DATABASE_URL or
 * postgresql://postgres@127.0.0.1:5432/test for the admin connection), BENCH_BODIES (comma list of how the
 * file is sent, default raw): raw (application/xml), multipart-last (multipart/form-data, the project field
 * first and the file last: streamed into the parser), multipart-first (the file first, the project after it:
 * spooled to a temporary file). Each N is uploaded once per body kind, so one run prints them side by side.
 * BENCH_RUNWIDE=1: raw uploads also name a second work item for the whole run (workItemIds), so every result
 * is linked (N links written after the run is visible) while the probes read the first one.
 * BENCH_NODE_FLAGS: flags for the backend's node that NODE_OPTIONS does not take (V8's WebAssembly tiering).
 * BENCH_APPEND=1: each N is also appended (raw, runId=…) to a run of 10 cases, as a pipeline's later file is
 * (read as it arrives and written in chunks, hidden until finished; before migration 0115 it was parsed whole
 * and inserted in one transaction).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { sign } from "hono/jwt";
import { DEMO_USERS, startSimulator } from "@testops/ado-sim";
import { APP_TOKEN_ISSUER } from "../backend/src/auth/appToken";

const SIZES = (process.env.BENCH_SIZES ?? "10000,50000,100000").split(",").map(Number);
const BODY_KINDS = ["raw", "multipart-last", "multipart-first"] as const;
type BodyKind = (typeof BODY_KINDS)[number];
const BODIES = (process.env.BENCH_BODIES ?? "raw").split(",").map((b) => {
  if (!(BODY_KINDS as readonly string[]).includes(b)) throw new Error(`BENCH_BODIES: ${b} is not one of ${BODY_KINDS.join(", ")}`);
  return b as BodyKind;
});
const BOUNDARY = "----BenchBoundary7MA4YWxkTrZu0gW";

/** The file as a multipart/form-data body, the project field before or after it. */
function multipartBody(file: Buffer, fileFirst: boolean): Buffer {
  const project = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="project"\r\n\r\n${PROJECT}\r\n`);
  const filePart = Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="report.xml"\r\nContent-Type: application/xml\r\n\r\n`,
    ),
    file,
    Buffer.from("\r\n"),
  ]);
  return Buffer.concat([...(fileFirst ? [filePart, project] : [project, filePart]), Buffer.from(`--${BOUNDARY}--\r\n`)]);
}
const DB = process.env.BENCH_DB === "postgres" ? "postgres" : "pglite";
const RUNWIDE = process.env.BENCH_RUNWIDE === "1";
const APPEND = process.env.BENCH_APPEND === "1";
const ADMIN_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const SECRET = "bench-extension-secret-0123456789";
const PROJECT = "Fabrikam Fiber";
const root = path.resolve(__dirname, "..");
const TSX = path.join(root, "node_modules/tsx/dist/loader.mjs");

/** A JUnit report of n cases: 50 suites, one case in 20 failing with a message and a stack, some with workitem properties. */
export function generateReport(n: number, workItem: number): Buffer {
  const parts: string[] = [`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench ${n}">\n`];
  const perSuite = Math.ceil(n / 50);
  for (let s = 0, i = 0; i < n; s++) {
    parts.push(`<testsuite name="com.example.suite${s}" timestamp="2026-11-26T01:00:00Z" time="12.5" tests="${perSuite}">\n`);
    for (let k = 0; k < perSuite && i < n; k++, i++) {
      const props = i % 100 === 0 ? `<properties><property name="workitem" value="${workItem}"/></properties>` : "";
      if (i % 20 === 0)
        parts.push(
          `<testcase classname="com.example.pkg${s}.Class${k % 40}" name="test_${i}_does_something" time="0.0${i % 10}">${props}<failure message="expected 1 but was ${i}">java.lang.AssertionError: expected 1 but was ${i}\n\tat com.example.pkg${s}.Class${k % 40}.test(Class.java:${i % 500})\n\tat org.junit.runners.ParentRunner.run(ParentRunner.java:413)</failure></testcase>\n`,
        );
      else
        parts.push(
          `<testcase classname="com.example.pkg${s}.Class${k % 40}" name="test_${i}_does_something" time="0.0${i % 10}">${props}</testcase>\n`,
        );
    }
    parts.push(`</testsuite>\n`);
  }
  parts.push(`</testsuites>\n`);
  return Buffer.from(parts.join(""));
}

// ---- child mode: parse one file and print time and RSS growth ----
if (process.argv[2] === "--parse") {
  const [mode, file] = process.argv.slice(3);
  void (async () => {
    const bytes = readFileSync(file);
    const { XMLParser } = await import("fast-xml-parser");
    const { JUnitReader } = await import("../backend/src/results/junit");
    global.gc?.();
    const idle = process.memoryUsage().rss;
    let peak = idle;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    let cases = 0;
    if (mode === "whole") {
      const ARRAYS = new Set(["testsuite", "testcase", "failure", "error", "skipped", "properties", "property"]);
      const parser = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: "",
        removeNSPrefix: true,
        parseTagValue: false,
        parseAttributeValue: false,
        processEntities: true,
        htmlEntities: true,
        isArray: (name, _j, _l, isAttribute) => !isAttribute && ARRAYS.has(name),
      });
      const doc = parser.parse(new TextDecoder().decode(bytes)) as { testsuites: { testsuite: { testcase?: unknown[] }[] } };
      cases = doc.testsuites.testsuite.reduce((n, s) => n + (s.testcase?.length ?? 0), 0);
    } else {
      const reader = new JUnitReader({ maxCases: 1_000_000 });
      for (let at = 0; at < bytes.byteLength; at += 64 * 1024) {
        reader.writeBytes(bytes.subarray(at, at + 64 * 1024));
        cases += reader.takeCases().cases.length;
      }
      reader.end();
      cases += reader.takeCases().cases.length;
    }
    const ms = performance.now() - t0;
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(timer);
    console.log(JSON.stringify({ ms, growth: peak - idle, cases }));
  })();
} else if (require.main === module)
  main().catch((e) => {
    console.error(e, `\nthe backend's last output:\n${backendOutput()}`);
    process.exit(1);
  });

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
/** Latencies; a probe that failed (connection reset, not 200) is counted apart, with what failed first. */
const lat = (all: number[]) => {
  const xs = all.filter((x) => Number.isFinite(x));
  const failed = all.length - xs.length;
  return `p50 ${pct(xs, 50).toFixed(1)} / p99 ${pct(xs, 99).toFixed(1)} / max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length}${failed ? `, ${failed} FAILED: ${firstFailure}` : ""})`;
};
let firstFailure = "";

/** CPU seconds (user + system) the process has used, from /proc (clock ticks of 10 ms). */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The backend process's last output (shown when a run fails: it may have died). */
let backendOutput = () => "";

async function main() {
  const sim = await startSimulator({});
  const story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Bench story" }).id;
  const runWide = RUNWIDE
    ? sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Linked to whole runs" }).id
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "bench-uploads-"));
  let dropDb: (() => Promise<void>) | null = null;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    EXTENSION_SECRET: SECRET,
    ENCRYPTION_KEY: `k1:${randomBytes(32).toString("base64")}`,
    ADO_SIMULATOR_URL: sim.url,
    LOG_LEVEL: "info",
    PORT: "0",
    SYNC_INTERVAL_MINUTES: "0",
    HOOK_CHECK_MINUTES: "0",
    RESULTS_MAX_CASES: "1000000",
    // BENCH_NODE_OPTIONS: V8 flags for the backend (e.g. the production start's --max-semi-space-size=1).
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  if (DB === "postgres") {
    const name = `bench_up_${randomBytes(4).toString("hex")}`;
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    env.DATABASE_URL = u.toString();
    dropDb = async () => {
      const a = new Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    };
  } else env.DATA_DIR = dataDir;
  // BENCH_NODE_FLAGS: Node/V8 flags NODE_OPTIONS does not take (e.g. --wasm-tiering-budget=…), before the script.
  const flags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : [];
  const child = spawn(process.execPath, [...flags, "--import", TSX, path.join(root, "backend/src/server.ts")], { cwd: root, env });
  // However this script ends (an error, Ctrl-C), its backend goes with it: an orphan would load the next runs.
  process.on("exit", () => child.kill("SIGKILL"));
  process.on("SIGINT", () => process.exit(130));
  process.on("SIGTERM", () => process.exit(143));
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  // A backend that dies mid-run says why (else the probes only see ECONNRESET).
  backendOutput = () => out.slice(-3000);
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`backend did not start:\n${out}`)), 120_000);
    child.stdout.on("data", () => {
      const m = /"msg":"backend listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  const base = url.replace("localhost", "127.0.0.1");
  const now = Math.floor(Date.now() / 1000);
  const appToken = await sign(
    { nameid: DEMO_USERS.admin.id, tid: "t", iss: APP_TOKEN_ISSUER, aud: "a", nbf: now - 10, exp: now + 7200 },
    SECRET,
    "HS256",
  );
  const headers = {
    Authorization: `Bearer ${appToken}`,
    "X-Ado-Collection-Url": "https://dev.azure.com/fabrikam/",
    "X-Ado-Access-Token": sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id, 4 * 3600_000),
  };
  const upload = async (file: Buffer, kind: BodyKind = "raw", runWide?: number, runId?: string) => {
    const raw = kind === "raw";
    const query = raw
      ? `?project=${encodeURIComponent(PROJECT)}${runWide ? `&workItemIds=${runWide}` : ""}${runId ? `&runId=${runId}` : ""}`
      : "";
    const res = await fetch(`${base}/api/results/junit${query}`, {
      method: "POST",
      headers: { ...headers, "Content-Type": raw ? "application/xml" : `multipart/form-data; boundary=${BOUNDARY}` },
      body: new Uint8Array(raw ? file : multipartBody(file, kind === "multipart-first")),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as { run: { id: string; totals: { total: number } } };
  };
  /**
   * The dashboard widgets' summaries of a run are written after the upload's answer, in the background:
   * resolves when the pass-rate widget's path filter (read from them) counts all n results of the run.
   */
  const summarized = async (runId: string, n: number) => {
    for (;;) {
      const res = await fetch(`${base}/api/widgets/pass-rate?project=${encodeURIComponent(PROJECT)}&runs=50&pathPrefix=com.example`, {
        headers,
      });
      const body = (await res.json()) as { points?: { runId: string; passed: number; failed: number; error: number; skipped: number }[] };
      const p = body.points?.find((x) => x.runId === runId);
      if (p && p.passed + p.failed + p.error + p.skipped === n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const timed = async (f: () => Promise<Response>) => {
    const t0 = performance.now();
    try {
      const res = await f();
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`answered ${res.status}`);
      return performance.now() - t0;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      firstFailure ||= `${err.cause?.code ?? err.message} after ${Math.round(performance.now() - t0)} ms`;
      return NaN;
    }
  };
  const healthz = () => timed(() => fetch(`${base}/healthz`));
  const form = () => timed(() => fetch(`${base}/api/results/work-items/${story}?top=50`, { headers }));
  /** Probes in a loop until `stop` resolves. */
  async function probe(stop: Promise<unknown>) {
    firstFailure = "";
    let done = false;
    void stop.finally(() => (done = true));
    const h: number[] = [];
    const f: number[] = [];
    const loop = async (xs: number[], call: () => Promise<number>, every: number) => {
      while (!done) {
        xs.push(await call());
        await new Promise((r) => setTimeout(r, every));
      }
    };
    await Promise.all([loop(h, healthz, 10), loop(f, form, 50)]);
    return { h, f };
  }

  /** One upload after a second's rest: its answer, its widget summaries, the backend's CPU and RSS, the probes meanwhile. */
  async function measured(send: () => ReturnType<typeof upload>) {
    await new Promise((r) => setTimeout(r, 1_000));
    const idle = rssOf(child.pid!);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 20);
    const cpu0 = cpuOf(child.pid!);
    const t0 = performance.now();
    const up = send();
    // Probed until the background summaries are written too: requests wait behind that work as well.
    const settled = up.then((r) => summarized(r.run.id, r.run.totals.total));
    const probes = probe(settled);
    const result = await up;
    const ms = performance.now() - t0;
    await settled;
    const msAll = performance.now() - t0;
    const cpu = cpuOf(child.pid!) - cpu0;
    clearInterval(sampler);
    const { h, f } = await probes;
    const text = `upload ${(ms / 1000).toFixed(2)} s (widget summaries done at ${(msAll / 1000).toFixed(2)} s; backend CPU ${cpu.toFixed(2)} s, probes included); backend RSS idle ${mb(idle)}, peak ${mb(peak)} (+${mb(peak - idle)}); /healthz ${lat(h)}; form API ${lat(f)}`;
    return { result, text };
  }

  const header = `\n=== JUnit uploads, ${DB}, backend pid ${child.pid} ===`;
  console.log(header);
  // Warm-up: links some results to the story so the form API has something to read.
  await upload(generateReport(2_000, story));
  const idleBaseline = await probe(new Promise((r) => setTimeout(r, 3_000)));
  console.log(`no upload running (baseline): /healthz ${lat(idleBaseline.h)}; work item form API ${lat(idleBaseline.f)}`);

  const rows: string[] = [];
  for (const n of SIZES) {
    const file = generateReport(n, story);
    const tmp = path.join(dataDir, `report-${n}.xml`);
    writeFileSync(tmp, file);
    for (const kind of BODIES) {
      const m = await measured(() => upload(file, kind, kind === "raw" ? runWide : undefined));
      const line = `N=${n} ${kind}${runWide && kind === "raw" ? " + run-wide work item" : ""} (${mb(file.byteLength)} file, ${m.result.run.totals.total} stored): ${m.text}`;
      console.log(line);
      rows.push(line);
    }
    if (APPEND) {
      const first = await upload(generateReport(10, story), "raw", runWide);
      await summarized(first.run.id, 10);
      const m = await measured(() => upload(file, "raw", runWide, first.run.id));
      const line = `N=${n} appended to a run${runWide ? " + run-wide work item" : ""} (${m.result.run.totals.total} in the run): ${m.text}`;
      console.log(line);
      rows.push(line);
    }
    const parse = (mode: string) =>
      JSON.parse(
        spawnSync(process.execPath, ["--expose-gc", "--import", TSX, __filename, "--parse", mode, tmp], { cwd: root, encoding: "utf8" })
          .stdout,
      ) as { ms: number; growth: number; cases: number };
    const whole = parse("whole");
    const streamed = parse("stream");
    const line = `N=${n} parse only: streaming ${whole.cases === streamed.cases ? "" : "(case count differs!) "}${(streamed.ms / 1000).toFixed(2)} s +${mb(streamed.growth)} RSS, whole-document ${(whole.ms / 1000).toFixed(2)} s +${mb(whole.growth)} RSS`;
    console.log(line);
    rows.push(line);
  }
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  await sim.close();
  await dropDb?.();
  rmSync(dataDir, { recursive: true, force: true });
}
