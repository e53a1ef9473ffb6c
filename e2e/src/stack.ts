// Starts everything a browser needs to run the real extension: the Azure DevOps simulator, the real
// backend (pointed at the simulator), the built extension files on their own origin and the fake host
// page on another. Used by `npm start` (dev.ts) and by the browser journeys.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { startSimulator, type RunningSimulator, type SimulatorOptions } from "@testops/ado-sim";
import { loadConfig } from "@testops/backend/config";
import { generateKeySpec } from "@testops/backend/crypto/secrets";
import { createLogger, type Logger } from "@testops/backend/log";
import { buildBackend, type Backend } from "@testops/backend/server";
import { ensureBuilt } from "./build";
import { startExtServer } from "./extServer";
import { startHostServer } from "./hostServer";
import { listen, type Listening } from "./http";
import { readExtension, type ExtensionInfo, type HostContribution } from "./manifest";

/** Where the production bundle calls the backend (webpack DefinePlugin TESTOPS_API_URL default). */
export const BUNDLE_API_URL = "http://localhost:8787";

export interface StackOptions {
  /** PGlite data folder (kept between runs); a fresh temporary folder (removed at close) when absent. */
  dataDir?: string;
  backendPort?: number;
  /**
   * Tests only: when the backend port is taken (someone runs `npm start`), listen elsewhere and let
   * the browser forward the bundle's API URL there (see `apiForward`).
   */
  allowBackendPortFallback?: boolean;
  hostPort?: number;
  extensionPort?: number;
  simulatorPort?: number;
  simulator?: SimulatorOptions;
  /** Tests only: a folder served under /test-fixtures/ on the extension origin, and contributions pointing there. */
  fixturesDir?: string;
  extraContributions?: Omit<HostContribution, "fullId">[];
  handshakeTimeoutMs?: number;
  loadTimeoutMs?: number;
  /** "memory" keeps backend logs in `stack.backendLog` (tests); "stdout" prints them (dev). */
  backendLogs?: "memory" | "stdout";
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Progress lines (building, listening). */
  say?: (line: string) => void;
}

export interface Stack {
  sim: RunningSimulator;
  backend: Backend;
  extension: ExtensionInfo;
  urls: { host: string; extension: string; backend: string; simulator: string };
  /** The bundle's API URL and where it really is, when they differ (port fallback). */
  apiForward?: { from: string; to: string };
  /** Backend log lines when backendLogs is "memory". */
  backendLog: string[];
  extensionSecret: string;
  close(): Promise<void>;
}

function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Embedded mode keeps its secrets next to the data (same files as the backend's own main()). */
function persisted(dataDir: string, file: string, make: () => string): () => string {
  return () => {
    const p = path.resolve(dataDir, file);
    if (existsSync(p)) return readFileSync(p, "utf8").trim();
    mkdirSync(dataDir, { recursive: true });
    const value = make();
    writeFileSync(p, value + "\n", { mode: 0o600 });
    return value;
  };
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const say = o.say ?? (() => undefined);
  const extension = readExtension();
  ensureBuilt(extension, { log: say });

  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    // The backend listens on http://localhost, which Azure DevOps Services would refuse as a service-hook
    // target; the dev/demo simulator accepts it (a real organization needs a public https URL: a tunnel).
    const sim = await startSimulator({
      port: o.simulatorPort ?? 0,
      ...o.simulator,
      hooks: { allowLocalTargets: true, ...o.simulator?.hooks },
    });
    closers.push(() => sim.close());

    const ext = await startExtServer({ port: o.extensionPort ?? 0, fixturesDir: o.fixturesDir });
    closers.push(() => ext.close());

    let backendPort = o.backendPort ?? 8787;
    let apiForward: Stack["apiForward"];
    if (o.allowBackendPortFallback && !(await portFree(backendPort))) {
      say(`Port ${backendPort} is taken; the backend listens on another port and the browser forwards ${BUNDLE_API_URL} there.`);
      backendPort = 0;
    }
    // Pick the port before building the config: PUBLIC_URL (where simulator hooks go) must be right.
    if (backendPort === 0) {
      const probe = await listen(() => new Response(), { hostname: "127.0.0.1" });
      backendPort = probe.port;
      await probe.close();
    }
    const backendUrl = `http://localhost:${backendPort}`;
    const dataDir = o.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "testops-e2e-data-"));
    if (!o.dataDir) closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      PORT: String(backendPort),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PUBLIC_URL: backendUrl,
      CORS_ORIGINS: new URL(ext.url).origin,
      ADO_SIMULATOR_URL: sim.url,
      LOG_LEVEL: o.logLevel ?? "info",
    };
    if (!o.dataDir) {
      env.EXTENSION_SECRET = `e2e-${randomBytes(18).toString("base64url")}`;
      env.ENCRYPTION_KEY = generateKeySpec("e2e");
    }
    const config = loadConfig(
      env,
      o.dataDir
        ? {
            extensionSecret: persisted(o.dataDir, "extension-secret", () => randomBytes(32).toString("base64url")),
            encryptionKey: persisted(o.dataDir, "encryption-key", () => generateKeySpec("local1")),
          }
        : undefined,
    );
    const backendLog: string[] = [];
    const log: Logger =
      o.backendLogs === "stdout" ? createLogger(config.logLevel) : createLogger(config.logLevel, (l) => backendLog.push(l));
    const backend = await buildBackend(config, { log });
    closers.push(() => backend.close());
    const api: Listening = await listen(backend.app.fetch, { port: backendPort, hostname: "127.0.0.1", urlHost: "localhost" });
    closers.push(() => api.close());
    if (api.url !== BUNDLE_API_URL) apiForward = { from: BUNDLE_API_URL, to: api.url };

    const host = await startHostServer({
      sim,
      extension,
      extensionBaseUri: ext.url,
      extensionSecret: config.extensionSecrets[0],
      extraContributions: (o.extraContributions ?? []).map((c) => ({ ...c, fullId: `${extension.id}.${c.id}` })),
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      loadTimeoutMs: o.loadTimeoutMs,
      port: o.hostPort ?? 0,
    });
    closers.push(() => host.close());

    return {
      sim,
      backend,
      extension,
      urls: { host: host.url, extension: ext.url, backend: api.url, simulator: sim.url },
      apiForward,
      backendLog,
      extensionSecret: config.extensionSecrets[0],
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
