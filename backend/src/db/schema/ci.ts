import { boolean, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

// Mirrors migrations/0040_ci_results.sql (the SQL is the source of truth).
const ts = (name: string) => timestamp(name, { withTimezone: true });

export const uploadKeys = pgTable("upload_keys", {
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  projectId: text("project_id").notNull(),
  projectName: text("project_name").notNull(),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  secretSha256: text("secret_sha256").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  lastUsedAt: ts("last_used_at"),
  revokedAt: ts("revoked_at"),
  revokedBy: text("revoked_by"),
});

export const resultsImports = pgTable(
  "results_imports",
  {
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    projectName: text("project_name").notNull(),
    enabled: boolean("enabled").notNull().default(false),
    cursorAt: ts("cursor_at").notNull(),
    windowEnd: ts("window_end"),
    continuation: text("continuation"),
    lastImportAt: ts("last_import_at"),
    lastError: text("last_error"),
    importedRuns: integer("imported_runs").notNull().default(0),
    skippedRuns: integer("skipped_runs").notNull().default(0),
    updatedBy: text("updated_by").notNull(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.projectId] })],
);
