import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { createApp } from "./app";
import { resealSecrets } from "./connections/store";
import { patClientSource } from "./connections/service";
import { IdentityVerifier } from "./auth/identity";
import { ConfigError, loadConfig, type Config } from "./config";
import type { AppDeps } from "./context";
import { createSecretBox, generateKeySpec } from "./crypto/secrets";
import { migrate, MIGRATIONS_DIR, openDatabase } from "./db/client";
import { createJobQueue } from "./jobs";
import { registerJobHandlers } from "./jobs/handlers";
import { createLogger, registerSecret, type Logger } from "./log";
import { startSafetyNet } from "./sync/safetynet";
import { startHookChecks } from "./connections/hookHealth";
import { startImportTimer } from "./imports/engine";
import { startSummarySweep, summariesIdle, summarizeSoon } from "./widgets/summaries";
import { linkSoon, linksIdle, startLinkSweep } from "./results/links";
import { appendSweepIdle, dropAbandonedAppends, startAppendSweep } from "./results/store";

/** Embedded mode keeps generated secrets in DATA_DIR so restarts can still decrypt stored PATs. */
function persistedSecret(dataDir: string, file: string, make: () => string): () => string {
  return () => {
    const p = path.resolve(dataDir, file);
    if (existsSync(p)) return readFileSync(p, "utf8").trim();
    mkdirSync(dataDir, { recursive: true });
    const value = make();
    writeFileSync(p, value + "\n", { mode: 0o600 });
    return value;
  };
}

export interface Backend {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

/** Builds the whole backend (database, migrations, jobs, app) from a config; used by main() and tests. */
export async function buildBackend(
  config: Config,
  o: { log?: Logger; fetch?: typeof fetch; startJobs?: boolean; schemaName?: string; memory?: boolean } = {},
): Promise<Backend> {
  const log = o.log ?? createLogger(config.logLevel);
  config.extensionSecrets.forEach(registerSecret);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl || o.memory ? undefined : config.dataDir,
    schemaName: o.schemaName,
    migrationsDir: MIGRATIONS_DIR,
    onConnectionError: (e) => log.warn("database connection lost; the pool reconnects on the next query", { err: e }),
  });
  await migrate(database);
  // The embedded database has one process: a file it was appending when it stopped will never be finished.
  // (On Postgres another replica may be writing it; those are taken over once silent for minutes.)
  if (database.kind === "pglite") await dropAbandonedAppends(database, { before: new Date() });
  const jobs = createJobQueue(database, log);
  const ado = { fetch: o.fetch, simulatorUrl: config.adoSimulatorUrl, allowedHosts: config.adoServerHosts };
  const deps: AppDeps = {
    config,
    database,
    jobs,
    log,
    secrets: createSecretBox(config.encryptionKeys),
    identity: new IdentityVerifier(ado),
    ado,
  };
  deps.identity.patClient = patClientSource(deps);
  // Key rotation: secrets sealed under an older key are re-sealed under the current one.
  const sealed = await resealSecrets(deps);
  if (sealed.resealed || sealed.broken) log.warn("stored secrets re-sealed under the current encryption key", sealed);
  registerJobHandlers(deps);
  let stopSafetyNet = () => undefined as void;
  if (o.startJobs !== false) {
    await jobs.start();
    const stopNet = startSafetyNet(deps);
    const stopChecks = startHookChecks(deps);
    const stopImports = startImportTimer(deps);
    const stopSweep = startSummarySweep(database, log);
    const stopLinkSweep = startLinkSweep(database, log);
    const stopAppendSweep = startAppendSweep(database, log);
    stopSafetyNet = () => {
      stopNet();
      stopChecks();
      stopImports();
      stopSweep();
      stopLinkSweep();
      stopAppendSweep();
    };
  }
  // Widget summaries a stopped process left unwritten (migration 0090) are finished in the background: the
  // runs are visible meanwhile, the dashboard widgets catch up.
  summarizeSoon(database, log);
  // So are the links of runs a stopped process left half written (migration 0105); the sweep above takes over
  // those whose writer has made no progress for a minute.
  linkSoon(database, log);
  const app = createApp(deps);
  return {
    deps,
    app,
    close: async () => {
      stopSafetyNet();
      await jobs.stop();
      await summariesIdle(database);
      await linksIdle(database);
      await appendSweepIdle(database);
      await database.close();
    },
  };
}

export async function main(env = process.env): Promise<void> {
  let config: Config;
  const dataDir = env.DATA_DIR || ".data";
  try {
    config = loadConfig(env, {
      extensionSecret: persistedSecret(dataDir, "extension-secret", () => randomBytes(32).toString("base64url")),
      encryptionKey: persistedSecret(dataDir, "encryption-key", () => generateKeySpec("local1")),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + "\n");
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  // One bad promise or callback must not take every request and job of this replica down with it:
  // log it (the job runner and the heartbeat sweep recover the work) and keep serving.
  process.on("unhandledRejection", (reason) => log.error("unhandled promise rejection; still serving", { err: reason }));
  process.on("uncaughtException", (err) => log.error("uncaught exception; still serving", { err }));
  if (config.generatedSecrets.length)
    log.warn("using generated secrets stored in DATA_DIR (embedded mode)", {
      generated: config.generatedSecrets,
      dataDir: path.resolve(config.dataDir),
    });
  if (config.adoSimulatorUrl) log.warn("all Azure DevOps traffic goes to the simulator", { simulator: config.adoSimulatorUrl });
  const backend = await buildBackend(config, { log });
  const server = serve(
    {
      fetch: backend.app.fetch,
      port: config.port,
      hostname: config.host,
      serverOptions: {
        // A client that trickles its headers or body must not hold a connection (and memory) forever.
        headersTimeout: config.headersTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(config.headersTimeoutMs, 5_000),
        // Node's default 16 KB header limit would answer a long query string with a bare 431; the app refuses it with a reason.
        maxHeaderSize: 64 * 1024,
      },
    },
    (info) => log.info("backend listening", { url: `http://${config.host}:${info.port}`, database: backend.deps.database.kind }),
  );
  const shutdown = async () => {
    log.info("shutting down");
    server.close();
    await backend.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** The process entry: a start that fails (configuration, database, migrations) ends the process with an error, never "still serving". */
export function start(): void {
  main().catch((e: unknown) => {
    process.stderr.write(`backend failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

if (require.main === module) start();
