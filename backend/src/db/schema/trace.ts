import { integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

// Mirrors migrations/0070_traceability.sql (the SQL is the source of truth).
const ts = (name: string) => timestamp(name, { withTimezone: true });

export type TraceOrigin = "katalon" | "requirement" | "ado";
export type TraceLinkSource = "generated" | "ado";

export const traceTestCases = pgTable("trace_test_cases", {
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  projectId: text("project_id").notNull(),
  title: text("title").notNull(),
  description: text("description").notNull().default(""),
  origin: text("origin").$type<TraceOrigin>().notNull(),
  adoTestCaseId: integer("ado_test_case_id"),
  reposTestCaseId: uuid("repos_test_case_id"),
  automatedTestName: text("automated_test_name"),
  automatedTestStorage: text("automated_test_storage"),
  automatedTestId: text("automated_test_id"),
  automationProblem: text("automation_problem"),
  createdBy: text("created_by").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const traceRequirementLinks = pgTable(
  "trace_requirement_links",
  {
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    requirementId: integer("requirement_id").notNull(),
    testCaseId: uuid("test_case_id").notNull(),
    source: text("source").$type<TraceLinkSource>().notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.requirementId, t.testCaseId] })],
);

export const traceBoardsState = pgTable("trace_boards_state", {
  linkId: uuid("link_id").primaryKey(),
  orgId: text("org_id").notNull(),
  readUntil: ts("read_until").notNull(),
});

export const tracePlanPushes = pgTable(
  "trace_plan_pushes",
  {
    orgId: text("org_id").notNull(),
    runId: uuid("run_id").notNull(),
    planId: integer("plan_id").notNull(),
    planName: text("plan_name").notNull().default(""),
    adoRunId: integer("ado_run_id"),
    createSentAt: ts("create_sent_at"),
    points: integer("points").notNull().default(0),
    completedAt: ts("completed_at"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.planId] })],
);
