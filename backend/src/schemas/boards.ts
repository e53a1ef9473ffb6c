import { z } from "zod";

/**
 * The Boards link contract shared by the backend (routes, sync engine) and the hub (wizard, preview,
 * Plans). The hub imports these schemas/types; it never copies them.
 */

// ---------- TestOps-side vocabularies ----------

export const TESTOPS_PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"] as const;
export const TestOpsPriority = z.enum(TESTOPS_PRIORITIES);
export type TestOpsPriority = z.infer<typeof TestOpsPriority>;

export const TESTOPS_SEVERITIES = ["Blocker", "Critical", "Major", "Minor", "Trivial"] as const;
export const TestOpsSeverity = z.enum(TESTOPS_SEVERITIES);
export type TestOpsSeverity = z.infer<typeof TestOpsSeverity>;

export const REQUIREMENT_STATUSES = ["Open", "In Progress", "Resolved", "Done", "Removed"] as const;
export const RequirementStatus = z.enum(REQUIREMENT_STATUSES);
export type RequirementStatus = z.infer<typeof RequirementStatus>;

export const BUG_STATUSES = ["Open", "In Progress", "Resolved", "Closed", "Removed"] as const;
export const BugStatus = z.enum(BUG_STATUSES);
export type BugStatus = z.infer<typeof BugStatus>;

/** ADO state categories (read from the process, so renamed/custom states map correctly). */
export const STATE_CATEGORIES = ["Proposed", "InProgress", "Resolved", "Completed", "Removed"] as const;
export const StateCategory = z.enum(STATE_CATEGORIES);
export type StateCategory = z.infer<typeof StateCategory>;

export const LINK_STATUSES = ["Inactive", "Active", "Error"] as const;
export const LinkStatus = z.enum(LINK_STATUSES);
export type LinkStatus = z.infer<typeof LinkStatus>;

/** The job kind of a Boards sync (see /api/jobs for progress). */
export const BOARDS_SYNC_JOB = "boards.sync";
export const boardsResourceKey = (linkId: string) => `boards:${linkId}`;

// ---------- the six-step link configuration ----------

const name = (what: string) => z.string().trim().min(1, `${what} is required`).max(256);
const ref = z.object({ id: name("id"), name: name("name") });

/** Per work item type (name) → per ADO state (name) → TestOps status. */
const stateMap = <T extends z.ZodType>(status: T) =>
  z.record(z.string().min(1).max(128), z.record(z.string().min(1).max(128), status)).default({});

export const BoardsLinkConfigSchema = z
  .object({
    // Step 1: project (+ optional team) and description.
    project: ref.meta({ description: "ADO project (id + name as listed by GET /api/boards/ado/projects)" }),
    team: ref.nullable().default(null).meta({ description: "Optional team; enables the team-board iteration source" }),
    description: z.string().max(255, "must be at most 255 characters").default(""),
    // Step 2: what to pull.
    pullRequirements: z.boolean().default(true),
    bugMapping: z.boolean().default(false),
    // Step 3: iteration paths → releases and sprints.
    iterations: z
      .object({
        /** "projectTree": the project's iteration tree; "teamBoard": only the team's selected iterations (needs a team). */
        source: z.enum(["projectTree", "teamBoard"]).default("projectTree"),
        /**
         * Iteration paths (System.IterationPath form, "Project\\Release 1") picked as releases; every node
         * below a release becomes one of its sprints. Empty = every first-level node is a release.
         */
        releasePaths: z.array(z.string().min(1).max(4000)).max(500).default([]),
        /** Name releases/sprints by their full iteration path instead of the last segment. */
        fullPath: z.boolean().default(false),
      })
      .default({ source: "projectTree", releasePaths: [], fullPath: false }),
    // Step 4: ADO priority 1–4 → TestOps priority.
    priorityMapping: z
      .object({ "1": TestOpsPriority, "2": TestOpsPriority, "3": TestOpsPriority, "4": TestOpsPriority })
      .default({ "1": "Highest", "2": "High", "3": "Medium", "4": "Low" }),
    // Step 5: requirements.
    requirements: z
      .object({
        /** Work item types from Microsoft.RequirementCategory to sync. */
        workItemTypes: z.array(z.string().min(1).max(128)).max(50).default([]),
        /** Up to three date fields (reference names), in priority order: the first non-empty one is the release date. */
        releaseDateFields: z
          .array(z.string().min(1).max(256))
          .max(3, "at most three date fields")
          .refine((a) => new Set(a.map((x) => x.toLowerCase())).size === a.length, "must not repeat a field")
          .default([]),
        stateMapping: stateMap(RequirementStatus),
      })
      .default({ workItemTypes: [], releaseDateFields: [], stateMapping: {} }),
    // Step 6: bugs.
    bugs: z
      .object({
        /** Work item types from Microsoft.BugCategory to sync. */
        workItemTypes: z.array(z.string().min(1).max(128)).max(50).default([]),
        /** ADO severity value (e.g. "2 - High") → TestOps severity. */
        severityMapping: z.record(z.string().min(1).max(128), TestOpsSeverity).default({}),
        stateMapping: stateMap(BugStatus),
      })
      .default({ workItemTypes: [], severityMapping: {}, stateMapping: {} }),
  })
  .superRefine((c, ctx) => {
    if (!c.pullRequirements && !c.bugMapping)
      ctx.addIssue({ code: "custom", path: ["pullRequirements"], message: "turn on Pull Requirements or Bug Mapping (or both)" });
    if (c.iterations.source === "teamBoard" && !c.team)
      ctx.addIssue({ code: "custom", path: ["iterations", "source"], message: "the team board needs a team (step 1)" });
    if (c.pullRequirements && c.requirements.workItemTypes.length === 0)
      ctx.addIssue({ code: "custom", path: ["requirements", "workItemTypes"], message: "pick at least one requirement work item type" });
    if (c.bugMapping && c.bugs.workItemTypes.length === 0)
      ctx.addIssue({ code: "custom", path: ["bugs", "workItemTypes"], message: "pick at least one bug work item type" });
  })
  .meta({ id: "BoardsLinkConfig" });
export type BoardsLinkConfig = z.infer<typeof BoardsLinkConfigSchema>;
export type BoardsLinkConfigInput = z.input<typeof BoardsLinkConfigSchema>;

// ---------- sync results ----------

export const EntityCountsSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  removed: z.number().int(),
});
export type EntityCounts = z.infer<typeof EntityCountsSchema>;

/** A value the mapping could not translate (reported, never fatal). */
export const UnmappedSchema = z
  .object({
    kind: z.enum(["state", "priority", "severity", "releaseDate", "iteration"]),
    workItemType: z.string().nullable(),
    value: z.string().nullable().meta({ description: "The ADO value (null = the field was empty or missing)" }),
    count: z.number().int(),
    example: z.number().int().nullable().meta({ description: "One ADO work item id with this value" }),
  })
  .meta({ id: "BoardsUnmapped" });
export type Unmapped = z.infer<typeof UnmappedSchema>;

export const SyncSummarySchema = z
  .object({
    mode: z.enum(["full", "incremental"]),
    releases: EntityCountsSchema,
    sprints: EntityCountsSchema.extend({ withoutDates: z.number().int() }),
    requirements: EntityCountsSchema,
    bugs: EntityCountsSchema,
    revisionsRead: z.number().int(),
    adoRequests: z.number().int(),
    /** NUL characters and lone surrogates in Azure DevOps data, stored as U+FFFD (absent in summaries stored before it was counted). */
    replacedCharacters: z.number().int().optional(),
    unmapped: z.array(UnmappedSchema),
    startedAt: z.string(),
    finishedAt: z.string(),
  })
  .meta({ id: "BoardsSyncSummary" });
export type SyncSummary = z.infer<typeof SyncSummarySchema>;

// ---------- links ----------

export const BoardsLinkSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    projectName: z.string(),
    teamId: z.string().nullable(),
    teamName: z.string().nullable(),
    description: z.string(),
    config: BoardsLinkConfigSchema,
    status: LinkStatus,
    statusReason: z.string().nullable().meta({ description: "Why the link is in Error (or Inactive)" }),
    archived: z.boolean(),
    lastSyncAt: z.string().nullable().meta({ description: "End of the last successful sync" }),
    lastSync: SyncSummarySchema.nullable(),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
    /** The queued or running sync job, if any (poll /api/jobs/{id} for progress). */
    activeJobId: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "BoardsLink" });
export type BoardsLink = z.infer<typeof BoardsLinkSchema>;

export const SaveLinkBodySchema = z
  .object({
    config: BoardsLinkConfigSchema,
    /** false = Save (status Inactive, nothing synced); true = Proceed (save + enqueue a sync). */
    proceed: z.boolean().default(false),
  })
  .meta({ id: "BoardsSaveLink" });
export type SaveLinkBody = z.input<typeof SaveLinkBodySchema>;

export const LinkIdParamSchema = z.object({ id: z.uuid("must be a link id (UUID)") });

export const ListLinksQuerySchema = z.object({
  projectId: z.string().max(256).optional(),
  includeArchived: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
});

export const SyncBodySchema = z
  .object({
    /** Re-read everything instead of continuing from the stored continuation token. */
    full: z.boolean("must be true or false").default(false),
  })
  .strict()
  .default({ full: false });

// ---------- preview (dry run) ----------

const PreviewActionSchema = z.enum(["create", "update", "skip"]);

export const PreviewIterationSchema = z.object({
  adoNodeId: z.number().int(),
  path: z.string(),
  name: z.string(),
  action: PreviewActionSchema,
  startDate: z.string().nullable(),
  finishDate: z.string().nullable(),
});

export const PreviewSprintSchema = PreviewIterationSchema.extend({
  releasePath: z.string(),
  /** Flag: the sprint has no start and/or finish date in ADO. */
  missingDates: z.boolean(),
});

export const PreviewWorkItemsSchema = z.object({
  create: z.number().int(),
  update: z.number().int(),
  skip: z.number().int(),
  remove: z.number().int(),
  /** TestOps status → count ("(unmapped)" for states without a mapping). */
  byStatus: z.record(z.string(), z.number().int()),
  /** A few examples of what would be written, for the preview table. */
  sample: z.array(
    z.object({
      adoId: z.number().int(),
      title: z.string(),
      workItemType: z.string(),
      adoState: z.string().nullable(),
      status: z.string().nullable(),
      priority: z.string().nullable(),
      severity: z.string().nullable(),
      iterationPath: z.string().nullable(),
      action: PreviewActionSchema,
    }),
  ),
});

export const PreviewResultSchema = z
  .object({
    releases: z.object({
      create: z.number().int(),
      update: z.number().int(),
      skip: z.number().int(),
      items: z.array(PreviewIterationSchema),
    }),
    sprints: z.object({
      create: z.number().int(),
      update: z.number().int(),
      skip: z.number().int(),
      withoutDates: z.number().int(),
      items: z.array(PreviewSprintSchema),
    }),
    requirements: PreviewWorkItemsSchema.nullable().meta({ description: "null when Pull Requirements is off" }),
    bugs: PreviewWorkItemsSchema.nullable().meta({ description: "null when Bug Mapping is off" }),
    unmapped: z.array(UnmappedSchema),
    warnings: z.array(z.string()),
  })
  .meta({ id: "BoardsPreview" });
export type PreviewResult = z.infer<typeof PreviewResultSchema>;

export const PreviewBodySchema = z
  .object({
    config: BoardsLinkConfigSchema,
    /** When editing: compare against what this link already stored (create/update/skip). */
    linkId: z.uuid("must be a link id (UUID)").optional(),
  })
  .meta({ id: "BoardsPreviewRequest" });

// ---------- ADO pickers ----------

export const AdoProjectSchema = z.object({ id: z.string(), name: z.string(), description: z.string().nullable() });
export const AdoTeamSchema = z.object({ id: z.string(), name: z.string(), description: z.string().nullable() });

export interface AdoIterationNode {
  id: number;
  identifier: string | null;
  name: string;
  /** System.IterationPath form: "Project\\Release 1\\Sprint 1". */
  path: string;
  startDate: string | null;
  finishDate: string | null;
  children: AdoIterationNode[];
}
export const AdoIterationNodeSchema: z.ZodType<AdoIterationNode> = z
  .object({
    id: z.number().int(),
    identifier: z.string().nullable(),
    name: z.string(),
    path: z.string(),
    startDate: z.string().nullable(),
    finishDate: z.string().nullable(),
    get children() {
      return z.array(AdoIterationNodeSchema);
    },
  })
  .meta({ id: "BoardsIterationNode" });

export const AdoTeamIterationSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  startDate: z.string().nullable(),
  finishDate: z.string().nullable(),
  timeFrame: z.string().nullable(),
});

export const AdoStateSchema = z.object({
  name: z.string(),
  category: z.string(),
  color: z.string().nullable(),
  /** Default TestOps status for this state's category (the wizard pre-fills it). */
  suggestedStatus: z.string().nullable(),
});

export const AdoWorkItemTypeSchema = z.object({
  name: z.string(),
  referenceName: z.string(),
  color: z.string().nullable(),
  states: z.array(AdoStateSchema),
});

export const AdoWorkItemTypesSchema = z
  .object({
    /** Types of Microsoft.RequirementCategory (User Story / Product Backlog Item / Requirement / Issue). */
    requirement: z.array(AdoWorkItemTypeSchema),
    /** Types of Microsoft.BugCategory (empty for Basic, which has no Bug type). */
    bug: z.array(AdoWorkItemTypeSchema),
    defaultRequirementType: z.string().nullable(),
    defaultBugType: z.string().nullable(),
  })
  .meta({ id: "BoardsAdoWorkItemTypes" });

export const AdoFieldsSchema = z
  .object({
    /** Date-time fields of the given types (candidates for the release date). */
    dateFields: z.array(z.object({ referenceName: z.string(), name: z.string() })),
    /** Allowed values of Microsoft.VSTS.Common.Priority (usually 1–4). */
    priorities: z.array(z.string()),
    /** Allowed values of Microsoft.VSTS.Common.Severity (e.g. "1 - Critical"); empty when the types have no severity. */
    severities: z.array(z.string()),
  })
  .meta({ id: "BoardsAdoFields" });

export const AdoFieldsQuerySchema = z.object({
  /** Comma-separated work item type names (the selected requirement and bug types). */
  types: z.string().min(1, "name at least one work item type").max(2000),
});

// ---------- Plans ----------

export const PlanRequirementSchema = z.object({
  id: z.string(),
  adoId: z.number().int(),
  title: z.string(),
  workItemType: z.string(),
  adoState: z.string().nullable(),
  status: RequirementStatus.nullable(),
  priority: TestOpsPriority.nullable(),
  releaseDate: z.string().nullable(),
  iterationPath: z.string().nullable(),
  url: z.string().nullable(),
  /** From the latest result of each test linked to it: failed if any failed, else passed if any passed; null = no linked test. */
  testOutcome: z.enum(["passed", "failed", "skipped"]).nullable(),
  /** Distinct tests (path + name) with results linked to it. */
  tests: z.number().int(),
});

const CoverageSchema = z.object({
  total: z.number().int(),
  done: z.number().int(),
  /** Share of the requirements in Done or Resolved status, 0–100. */
  percent: z.number(),
  byStatus: z.record(z.string(), z.number().int()),
  /** Test coverage: requirements with linked test results, and of those, whose latest results passed / failed. */
  tested: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  /** Tests (of those requirements) whose latest outcome failed and that have no open defect linked. */
  failingWithoutDefect: z.number().int(),
  /** Share of the requirements with linked test results, 0–100. */
  testedPercent: z.number(),
});

export const PlanSprintSchema = z.object({
  id: z.string(),
  adoNodeId: z.number().int(),
  name: z.string(),
  path: z.string(),
  startDate: z.string().nullable(),
  finishDate: z.string().nullable(),
  missingDates: z.boolean(),
  status: z.enum(["planned", "current", "past", "undated"]),
  coverage: CoverageSchema,
  requirements: z.array(PlanRequirementSchema),
  bugs: z.number().int(),
});

export const PlanReleaseSchema = z.object({
  id: z.string(),
  linkId: z.string(),
  adoNodeId: z.number().int(),
  name: z.string(),
  path: z.string(),
  startDate: z.string().nullable(),
  finishDate: z.string().nullable(),
  /** Latest requirement release date (first non-empty of the configured date fields). */
  releaseDate: z.string().nullable(),
  status: z.enum(["planned", "current", "past", "undated"]),
  coverage: CoverageSchema,
  sprints: z.array(PlanSprintSchema),
  /** Requirements in the release node itself (not in one of its sprints). */
  requirements: z.array(PlanRequirementSchema),
  bugs: z.number().int(),
});

export const PlansQuerySchema = z.object({
  projectId: z.string().max(256).optional(),
  linkId: z.uuid("must be a link id (UUID)").optional(),
});

export const PlansSchema = z
  .object({
    releases: z.array(PlanReleaseSchema),
    /** Synced requirements outside every mapped release. */
    unplannedRequirements: z.number().int(),
    links: z.array(z.object({ id: z.string(), projectName: z.string(), status: LinkStatus, lastSyncAt: z.string().nullable() })),
  })
  .meta({ id: "BoardsPlans" });
export type Plans = z.infer<typeof PlansSchema>;
