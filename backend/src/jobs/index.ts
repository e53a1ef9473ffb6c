import type { Database } from "../db/client";
import type { Logger } from "../log";
import { InProcessJobQueue } from "./inprocess";
import { PgBossJobQueue } from "./pgboss";
import { JobStore } from "./store";
import type { JobQueue } from "./types";

export * from "./types";

/** pg-boss on Postgres (several replicas share the work), the in-process runner on PGlite. */
export function createJobQueue(database: Database, log: Logger, o: { bossSchema?: string } = {}): JobQueue {
  const store = new JobStore(database.db);
  if (database.kind === "postgres" && database.connectionString) {
    return new PgBossJobQueue(store, log, {
      connectionString: database.connectionString,
      schema: o.bossSchema ?? (database.schemaName ? `${database.schemaName}_boss` : undefined),
    });
  }
  return new InProcessJobQueue(store, log);
}
