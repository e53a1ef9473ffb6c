import { z } from "zod";

// Shared by the backend routes and the project settings hub (Repos tab). Browser-safe: plain zod
// only. The server additionally parses the URL fully and asks Azure DevOps about the repository,
// branch/tag/commit and folder.

export const REPOS_LIMITS = { name: 50, description: 255, url: 2000 } as const;
export const REPOS_STATUSES = ["Inactive", "Active", "Error"] as const;
export const REPOS_URL_EXAMPLE = "e.g. https://dev.azure.com/fabrikam/Fabrikam/_git/tests?path=%2Fkatalon&version=GBmain";

/** Browser-side first look at a repository URL; the server's parseRepoUrl and Azure DevOps have the last word. */
export function repoUrlProblem(input: string): string | undefined {
  const raw = input.trim();
  if (!raw) return `is required (${REPOS_URL_EXAMPLE})`;
  if (/^(ssh:\/\/)?[^@\s/]+@(ssh\.dev\.azure\.com|vs-ssh\.visualstudio\.com)[:/]v3\//i.test(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `is not a valid URL (${REPOS_URL_EXAMPLE})`;
  }
  if (u.protocol !== "https:") return `must be an https:// URL (${REPOS_URL_EXAMPLE})`;
  const segs = u.pathname.split("/").filter(Boolean);
  const at = segs.findIndex((s) => s.toLowerCase() === "_git");
  if (at < 0) return `is not an Azure Repos URL: it must contain /_git/{repository} (${REPOS_URL_EXAMPLE})`;
  if (!segs[at + 1]) return "must name the repository after /_git/";
  const version = u.searchParams.get("version")?.trim();
  if (version && !/^(GB|GT|GC)./i.test(version)) return `has version "${version}"; it must start with GB (branch), GT (tag) or GC (commit)`;
  return undefined;
}

export const reposLinkName = z
  .string("is required")
  .trim()
  .min(1, "is required")
  .max(REPOS_LIMITS.name, `must be at most ${REPOS_LIMITS.name} characters`);

export const reposLinkUrl = z
  .string("is required")
  .trim()
  .max(REPOS_LIMITS.url, `must be at most ${REPOS_LIMITS.url} characters`)
  .superRefine((v, ctx) => {
    const problem = repoUrlProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const reposLinkDescription = z.string().max(REPOS_LIMITS.description, `must be at most ${REPOS_LIMITS.description} characters`);

const projectId = z.string("is required").trim().min(1, "is required").max(100, "must be at most 100 characters");

export const CreateReposLinkSchema = z.object({
  projectId,
  name: reposLinkName,
  url: reposLinkUrl,
  description: reposLinkDescription.optional(),
  /** Link existing test execution results with test cases having the exact same paths and names. */
  linkResults: z.boolean("must be true or false").optional(),
  /** Proceed: save and start a sync right away (Save alone stores the link Inactive). */
  sync: z.boolean("must be true or false").optional(),
});
export type CreateReposLinkInput = z.infer<typeof CreateReposLinkSchema>;

export const UpdateReposLinkSchema = z
  .object({
    name: reposLinkName.optional(),
    url: reposLinkUrl.optional(),
    description: reposLinkDescription.optional(),
    linkResults: z.boolean("must be true or false").optional(),
    sync: z.boolean("must be true or false").optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change", path: ["body"] });
export type UpdateReposLinkInput = z.infer<typeof UpdateReposLinkSchema>;

export const CheckReposUrlSchema = z.object({ projectId, url: reposLinkUrl });

export const RepoTargetSchema = z.object({
  repository: z.object({ id: z.string(), name: z.string(), projectId: z.string(), projectName: z.string() }),
  path: z.string(),
  versionType: z.enum(["branch", "tag", "commit"]),
  version: z.string(),
  /** Where the version points now. */
  commitId: z.string(),
});
export type RepoTarget = z.infer<typeof RepoTargetSchema>;

export const ReportEntrySchema = z.object({ path: z.string(), severity: z.enum(["skipped", "warning"]), reason: z.string() });
export type ReportEntry = z.infer<typeof ReportEntrySchema>;

const Counts = z.object({ total: z.number().int(), created: z.number().int(), updated: z.number().int(), removed: z.number().int() });

export const SyncSummarySchema = z.object({
  commitId: z.string(),
  mode: z.enum(["full", "incremental", "unchanged"]),
  requests: z.number().int(),
  blobsFetched: z.number().int(),
  testCases: Counts,
  suites: Counts,
  skipped: z.number().int(),
  warnings: z.number().int(),
  report: z.array(ReportEntrySchema),
  reportTotal: z.number().int(),
  /** NUL characters and lone surrogates (Azure DevOps answers, files) stored as U+FFFD. */
  replacedCharacters: z.number().int().optional(),
  finishedAt: z.string(),
});
export type SyncSummary = z.infer<typeof SyncSummarySchema>;

export const ReposJobSchema = z.object({
  id: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  progressDone: z.number().int(),
  progressTotal: z.number().int().nullable(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ReposJob = z.infer<typeof ReposJobSchema>;

export const ReposLinkSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  description: z.string(),
  url: z.string(),
  repository: z.object({ id: z.string(), name: z.string(), projectId: z.string(), projectName: z.string() }),
  path: z.string(),
  versionType: z.enum(["branch", "tag", "commit"]),
  version: z.string(),
  linkResults: z.boolean(),
  status: z.enum(REPOS_STATUSES),
  statusReason: z.string().nullable(),
  archived: z.boolean(),
  archivedAt: z.string().nullable(),
  lastCommit: z.string().nullable(),
  lastSyncedAt: z.string().nullable(),
  lastSync: SyncSummarySchema.nullable(),
  /** The latest sync job (running, or how the last one ended). */
  job: ReposJobSchema.nullable(),
  counts: z.object({ testCases: z.number().int(), suites: z.number().int() }),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReposLink = z.infer<typeof ReposLinkSchema>;

export const TestCaseSchema = z.object({
  id: z.string(),
  linkId: z.string(),
  guid: z.string().nullable(),
  path: z.string(),
  katalonId: z.string(),
  folder: z.string(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  variables: z.array(z.object({ name: z.string(), defaultValue: z.string(), masked: z.boolean() })),
  scriptPath: z.string().nullable(),
  warnings: z.array(z.string()),
  /**
   * Execution results with this test case's exact path ("Test Cases/<folders>") and name, when the
   * link has "link existing test execution results" on; null otherwise.
   */
  results: z
    .object({
      count: z.number().int(),
      lastOutcome: z.enum(["passed", "failed", "error", "skipped"]),
      lastRunId: z.string(),
      lastRunAt: z.string(),
    })
    .nullable(),
  commitId: z.string(),
  updatedAt: z.string(),
});
export type TestCase = z.infer<typeof TestCaseSchema>;

export const SuiteMemberSchema = z.object({
  /** The Katalon id the suite names ("Test Cases/…" or "Test Suites/…"). */
  ref: z.string(),
  /** Row id of the test case (suite, dynamic) or suite (collection); null = dangling. */
  targetId: z.string().nullable(),
  /** isRun of a suite link, runEnabled of a collection run; always true for dynamic members. */
  enabled: z.boolean(),
  /** Collections: the run configuration (e.g. Chrome) and profile. */
  configuration: z.string().nullable(),
});
export type SuiteMember = z.infer<typeof SuiteMemberSchema>;

export const TestSuiteSchema = z.object({
  id: z.string(),
  linkId: z.string(),
  kind: z.enum(["suite", "collection", "dynamic"]),
  guid: z.string().nullable(),
  path: z.string(),
  katalonId: z.string(),
  folder: z.string(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  /** Dynamic suites: the filter (members are what it resolved to at the last sync). */
  filterText: z.string().nullable(),
  executionMode: z.enum(["SEQUENTIAL", "PARALLEL"]).nullable(),
  members: z.array(SuiteMemberSchema),
  warnings: z.array(z.string()),
  commitId: z.string(),
  updatedAt: z.string(),
});
export type TestSuite = z.infer<typeof TestSuiteSchema>;

export const TestsViewSchema = z.object({
  links: z.array(z.object({ id: z.string(), name: z.string(), status: z.enum(REPOS_STATUSES), lastSyncedAt: z.string().nullable() })),
  testCases: z.array(TestCaseSchema),
  suites: z.array(TestSuiteSchema),
});
export type TestsView = z.infer<typeof TestsViewSchema>;
