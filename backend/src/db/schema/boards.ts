import { boolean, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

// Mirrors migrations/0003_boards.sql (the SQL is the source of truth).
const ts = (name: string) => timestamp(name, { withTimezone: true });

export const boardsLinks = pgTable("boards_links", {
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  projectId: text("project_id").notNull(),
  projectName: text("project_name").notNull(),
  teamId: text("team_id"),
  teamName: text("team_name"),
  description: text("description").notNull().default(""),
  config: jsonb("config").$type<Record<string, unknown>>().notNull(),
  configVersion: integer("config_version").notNull().default(1),
  status: text("status").$type<"Inactive" | "Active" | "Error">().notNull().default("Inactive"),
  statusReason: text("status_reason"),
  archived: boolean("archived").notNull().default(false),
  createdBy: text("created_by"),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const boardsSyncState = pgTable("boards_sync_state", {
  linkId: uuid("link_id").primaryKey(),
  orgId: text("org_id").notNull(),
  continuationToken: text("continuation_token"),
  tokenConfigVersion: integer("token_config_version"),
  fullInProgress: boolean("full_in_progress").notNull().default(false),
  runStartedAt: ts("run_started_at"),
  runCounts: jsonb("run_counts").$type<Record<string, unknown>>(),
  lastSuccessAt: ts("last_success_at"),
  lastSummary: jsonb("last_summary").$type<Record<string, unknown>>(),
  lastError: text("last_error"),
  lastErrorAt: ts("last_error_at"),
  // 0051_hook_bursts.sql
  iterationsReadAt: ts("iterations_read_at"),
  scopeCheckedAt: ts("scope_checked_at"),
});

const iterationColumns = () => ({
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  linkId: uuid("link_id").notNull(),
  adoNodeId: integer("ado_node_id").notNull(),
  path: text("path").notNull(),
  name: text("name").notNull(),
  startDate: ts("start_date"),
  finishDate: ts("finish_date"),
  removed: boolean("removed").notNull().default(false),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const boardsReleases = pgTable("boards_releases", iterationColumns(), (t) => [unique().on(t.linkId, t.adoNodeId)]);

export const boardsSprints = pgTable(
  "boards_sprints",
  { ...iterationColumns(), releaseNodeId: integer("release_node_id").notNull() },
  (t) => [unique().on(t.linkId, t.adoNodeId)],
);

const workItemColumns = () => ({
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  linkId: uuid("link_id").notNull(),
  adoId: integer("ado_id").notNull(),
  adoRev: integer("ado_rev").notNull(),
  configVersion: integer("config_version").notNull(),
  workItemType: text("work_item_type").notNull(),
  title: text("title").notNull(),
  adoState: text("ado_state"),
  status: text("status"),
  priority: text("priority"),
  iterationPath: text("iteration_path"),
  removed: boolean("removed").notNull().default(false),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const boardsRequirements = pgTable("boards_requirements", { ...workItemColumns(), releaseDate: ts("release_date") }, (t) => [
  unique().on(t.linkId, t.adoId),
]);

export const boardsBugs = pgTable("boards_bugs", { ...workItemColumns(), severity: text("severity") }, (t) => [
  unique().on(t.linkId, t.adoId),
]);
