import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

// Mirrors migrations/0001_foundation.sql (the SQL is the source of truth; tests check both agree).
export const organizations = pgTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  url: text("url").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
});

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orgId: text("org_id").notNull(),
    actorId: text("actor_id").notNull(),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("audit_log_target").on(t.orgId, t.targetType, t.targetId, t.at)],
);

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export const jobs = pgTable("jobs", {
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  kind: text("kind").notNull(),
  resourceKey: text("resource_key"),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
  status: text("status").$type<JobStatus>().notNull().default("queued"),
  progressDone: integer("progress_done").notNull().default(0),
  progressTotal: integer("progress_total"),
  message: text("message"),
  error: text("error"),
  result: jsonb("result").$type<Record<string, unknown>>(),
  cancelRequested: boolean("cancel_requested").notNull().default(false),
  attempts: integer("attempts").notNull().default(0),
  createdBy: text("created_by"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  startedAt: timestamp("started_at", { withTimezone: true }),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
  // 0020_jobs_resilience.sql
  singleton: boolean("singleton").notNull().default(false),
  rerunPayload: jsonb("rerun_payload").$type<Record<string, unknown>>(),
  runAfter: timestamp("run_after", { withTimezone: true }),
  worker: text("worker"),
  // 0051_hook_bursts.sql
  rerunDelayMs: integer("rerun_delay_ms"),
});
