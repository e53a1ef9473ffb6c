import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Runs raw SQL (several statements allowed). */
  exec(sql: string): Promise<void>;
  /** Rows of a raw query with $1 parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
  /** Postgres connection string (pg-boss needs its own pool). */
  connectionString?: string;
  /** Postgres schema holding our tables (tests isolate themselves by schema). */
  schemaName?: string;
}

export interface OpenOptions {
  databaseUrl?: string;
  /** PGlite data directory; undefined = in memory. */
  dataDir?: string;
  /**
   * PGlite on disk: when the data directory is new, the child process that creates it also applies these
   * migrations (the backend's own), so their work does not stay in this process's WebAssembly memory.
   */
  migrationsDir?: string;
  /** Postgres only: put every table in this schema (created if missing). */
  schemaName?: string;
  /**
   * Postgres only: a connection of the pool broke (database restart, failover, pg_terminate_backend).
   * The query running on it fails and is retried by its caller; without a listener Node would exit.
   */
  onConnectionError?: (e: Error) => void;
}

export async function openDatabase(o: OpenOptions): Promise<Database> {
  if (o.databaseUrl) {
    const { Pool } = await import("pg");
    const { drizzle } = await import("drizzle-orm/node-postgres");
    const schemaName = o.schemaName;
    const pool = new Pool({
      connectionString: o.databaseUrl,
      max: 10,
      // Fail fast while the database is unreachable (readiness goes red) instead of queueing forever.
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      ...(schemaName ? { options: `-c search_path="${schemaName}"` } : {}),
    });
    const onError = o.onConnectionError ?? (() => undefined);
    // Idle clients report through the pool; checked-out clients (transactions) only on themselves.
    pool.on("error", onError);
    pool.on("connect", (client) => client.on("error", onError));
    if (schemaName) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"`);
    const db = drizzle(pool, { schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      connectionString: o.databaseUrl,
      schemaName,
      exec: async (sql) => {
        await pool.query(sql);
      },
      query: async (sql, params) => (await pool.query(sql, params as unknown[])).rows,
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  if (o.dataDir) mkdirSync(o.dataDir, { recursive: true });
  const dir = o.dataDir ? path.resolve(o.dataDir, "pglite") : undefined;
  // A new data directory is made by initdb in a short-lived child process: initdb's WebAssembly memory
  // (hundreds of MB) would otherwise stay in this process for its whole life (bench/pglite-memory.ts).
  if (dir && !existsSync(path.join(dir, "PG_VERSION")))
    initDataDirInChild(dir, o.migrationsDir ? migrationScripts("pglite", o.migrationsDir).map((m) => m.script) : []);
  const pg = new PGlite(dir, { postgresqlconf: PGLITE_CONF });
  await pg.waitReady;
  const db = drizzle(pg, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    exec: async (sql) => {
      await pg.exec(sql);
    },
    query: async (sql, params) => (await pg.query(sql, params as unknown[])).rows as never[],
    close: () => pg.close(),
  };
}

/**
 * The embedded database's settings: PGlite's default shared_buffers (128 MB) is most of its resident
 * memory; 16 MB is plenty for one backend's working set (measured in bench/pglite-memory.ts). A new WAL
 * segment is not zero-filled (wal_init_zero=off: only its last byte is written, as Postgres documents for
 * file systems where filling buys nothing): PGlite runs on this thread, and writing 16 MB of zeros stalled
 * every request for 100–140 ms each time an upload crossed a segment (bench/uploads.ts).
 */
export const PGLITE_CONF = ["shared_buffers=16MB", "maintenance_work_mem=16MB", "wal_init_zero=off"];

/**
 * Runs PGlite once in a child process to create (initdb) the data directory `dir`, with our settings, and
 * apply `scripts` (migrations, as `migrate` runs them): WebAssembly memory never shrinks, so what initdb and
 * the first migrations grew (hundreds of MB) would otherwise stay in the backend for its whole life.
 */
export function initDataDirInChild(dir: string, scripts: string[] = []): void {
  // Resolved at run time through Node's own resolver (a bundler would replace a plain require.resolve).
  const entry = createRequire(__filename).resolve("@electric-sql/pglite");
  const script = `const { PGlite } = require(${JSON.stringify(entry)});
    const scripts = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    (async () => {
      const pg = new PGlite(${JSON.stringify(dir)}, { postgresqlconf: ${JSON.stringify(PGLITE_CONF)} });
      await pg.waitReady;
      for (const sql of scripts) await pg.exec(sql);
      await pg.close();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  execFileSync(process.execPath, ["-e", script], {
    input: JSON.stringify(scripts),
    stdio: ["pipe", "ignore", "inherit"],
    timeout: 300_000,
  });
}

export const MIGRATIONS_DIR = path.join(__dirname, "migrations");

/**
 * Each migration file as one script: applied in its own transaction unless schema_migrations already names it.
 * An advisory lock serialises concurrent starters on Postgres (two CREATE TABLE IF NOT EXISTS racing on a
 * fresh database collide in pg_type); PGlite is single-process.
 */
export function migrationScripts(kind: Database["kind"], dir = MIGRATIONS_DIR): { file: string | null; script: string }[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const lock = kind === "postgres" ? "SELECT pg_advisory_xact_lock(724201);" : "";
  return [
    {
      file: null,
      script: `BEGIN; ${lock} CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); COMMIT;`,
    },
    ...files.map((file) => {
      const sql = readFileSync(path.join(dir, file), "utf8");
      const name = file.replace(/'/g, "''");
      const script = `BEGIN; ${lock}
       DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM schema_migrations WHERE name = '${name}') THEN
           EXECUTE ${dollarQuote(sql)};
           INSERT INTO schema_migrations (name) VALUES ('${name}');
         END IF;
       END $$; COMMIT;`;
      return { file, script };
    }),
  ];
}

/**
 * Applies pending migrations in name order, each in its own transaction; safe to run from several replicas.
 * Returns every migration file (applied now or before).
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const scripts = migrationScripts(database.kind, dir);
  for (const { script } of scripts) await database.exec(script);
  return scripts.flatMap((s) => (s.file ? [s.file] : []));
}

function dollarQuote(sql: string): string {
  let tag = "mig";
  while (sql.includes(`$${tag}$`)) tag += "x";
  return `$${tag}$${sql}$${tag}$`;
}
