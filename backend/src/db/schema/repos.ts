import { boolean, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

// Mirrors migrations/0004_repos.sql (the SQL is the source of truth).
const ts = (name: string) => timestamp(name, { withTimezone: true });

export type ReposLinkStatus = "Inactive" | "Active" | "Error";
export type ReposVersionType = "branch" | "tag" | "commit";

export const reposLinks = pgTable("repos_links", {
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  projectId: text("project_id").notNull(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  url: text("url").notNull(),
  repoProjectId: text("repo_project_id").notNull(),
  repoProjectName: text("repo_project_name").notNull(),
  repositoryId: text("repository_id").notNull(),
  repositoryName: text("repository_name").notNull(),
  path: text("path").notNull().default("/"),
  versionType: text("version_type").$type<ReposVersionType>().notNull(),
  version: text("version").notNull(),
  linkResults: boolean("link_results").notNull().default(false),
  status: text("status").$type<ReposLinkStatus>().notNull().default("Inactive"),
  statusReason: text("status_reason"),
  archivedAt: ts("archived_at"),
  lastCommit: text("last_commit"),
  lastSyncedAt: ts("last_synced_at"),
  lastSync: jsonb("last_sync").$type<Record<string, unknown>>(),
  createdBy: text("created_by").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const reposFiles = pgTable(
  "repos_files",
  {
    linkId: uuid("link_id").notNull(),
    orgId: text("org_id").notNull(),
    path: text("path").notNull(),
    objectId: text("object_id").notNull(),
    parsed: jsonb("parsed").$type<unknown>(),
  },
  (t) => [primaryKey({ columns: [t.linkId, t.path] })],
);

const entityColumns = () => ({
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  linkId: uuid("link_id").notNull(),
  identity: text("identity").notNull(),
  guid: text("guid"),
  path: text("path").notNull(),
  projectDir: text("project_dir").notNull(),
  katalonId: text("katalon_id").notNull(),
  folder: text("folder").notNull(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  tags: jsonb("tags").$type<string[]>().notNull().default([]),
  objectId: text("object_id").notNull(),
  warnings: jsonb("warnings").$type<string[]>().notNull().default([]),
  fingerprint: text("fingerprint").notNull(),
  commitId: text("commit_id").notNull(),
  removedAt: ts("removed_at"),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const reposTestCases = pgTable(
  "repos_test_cases",
  {
    ...entityColumns(),
    comment: text("comment").notNull().default(""),
    variables: jsonb("variables").$type<unknown[]>().notNull().default([]),
    scriptPath: text("script_path"),
  },
  (t) => [unique().on(t.linkId, t.identity)],
);

export const reposTestSuites = pgTable(
  "repos_test_suites",
  {
    ...entityColumns(),
    kind: text("kind").$type<"suite" | "collection" | "dynamic">().notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [unique().on(t.linkId, t.identity)],
);
