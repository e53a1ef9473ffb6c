// Process templates (Agile, Scrum, CMMI, Basic + one inherited custom process).
// Type names, state names, state categories and type categories follow the real processes, because
// clients must discover them through the API (categories / state categories), never by hard-coding.

export type StateCategory = "Proposed" | "InProgress" | "Resolved" | "Completed" | "Removed";
export type FieldType =
  "string" | "integer" | "double" | "dateTime" | "plainText" | "html" | "treePath" | "boolean" | "identity" | "history";

export interface FieldDef {
  referenceName: string;
  name: string;
  type: FieldType;
  readOnly?: boolean;
  isIdentity?: boolean;
  allowedValues?: (string | number)[];
  /** Long text fields are left out of reporting revisions unless $expand=fields. */
  longText?: boolean;
  description?: string;
}

export interface StateDef {
  name: string;
  category: StateCategory;
  /** Default reason used when the item enters this state. */
  reason: string;
}

/** Role of a type in generated data; maps to the real category of the type. */
export type Role = "epic" | "feature" | "requirement" | "bug" | "task" | "testcase" | "other";

export interface WorkItemTypeDef {
  name: string;
  referenceName: string;
  description: string;
  color: string;
  icon: string;
  role: Role;
  states: StateDef[];
  /** Extra (non-system) fields of this type. */
  fields: string[];
  /** Fields a process customization made required (besides Title and State): alwaysRequired, refused empty. */
  required?: string[];
}

export interface CategoryDef {
  referenceName: string;
  name: string;
  types: string[];
}

export interface ProcessDef {
  name: string;
  templateTypeId: string;
  parentProcess?: string;
  types: WorkItemTypeDef[];
  categories: CategoryDef[];
}

const STATE_COLORS: Record<StateCategory, string> = {
  Proposed: "b2b2b2",
  InProgress: "007acc",
  Resolved: "ff9d00",
  Completed: "339933",
  Removed: "ffffff",
};
export const stateColor = (c: StateCategory) => STATE_COLORS[c];

export const SEVERITIES = ["1 - Critical", "2 - High", "3 - Medium", "4 - Low"];

const f = (referenceName: string, name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  referenceName,
  name,
  type,
  ...extra,
});

/** Every field the simulator knows. System fields are on every type. */
export const FIELDS: FieldDef[] = [
  f("System.Id", "ID", "integer", { readOnly: true }),
  f("System.Rev", "Rev", "integer", { readOnly: true }),
  f("System.Title", "Title", "string"),
  f("System.State", "State", "string"),
  f("System.Reason", "Reason", "string"),
  f("System.WorkItemType", "Work Item Type", "string", { readOnly: true }),
  f("System.TeamProject", "Team Project", "string", { readOnly: true }),
  f("System.AreaPath", "Area Path", "treePath"),
  f("System.IterationPath", "Iteration Path", "treePath"),
  f("System.AssignedTo", "Assigned To", "identity", { isIdentity: true }),
  f("System.CreatedDate", "Created Date", "dateTime", { readOnly: true }),
  f("System.CreatedBy", "Created By", "identity", { readOnly: true, isIdentity: true }),
  f("System.ChangedDate", "Changed Date", "dateTime", { readOnly: true }),
  f("System.ChangedBy", "Changed By", "identity", { readOnly: true, isIdentity: true }),
  f("System.AuthorizedDate", "Authorized Date", "dateTime", { readOnly: true }),
  f("System.RevisedDate", "Revised Date", "dateTime", { readOnly: true }),
  f("System.Watermark", "Watermark", "integer", { readOnly: true }),
  f("System.CommentCount", "Comment Count", "integer", { readOnly: true }),
  f("System.Description", "Description", "html", { longText: true }),
  f("System.History", "History", "history", { longText: true }),
  f("System.Tags", "Tags", "plainText"),
  f("System.Parent", "Parent", "integer", { readOnly: true }),
  f("System.BoardColumn", "Board Column", "string", { readOnly: true }),
  f("System.IsDeleted", "Is Deleted", "boolean", { readOnly: true }),
  f("Microsoft.VSTS.Common.Priority", "Priority", "integer", { allowedValues: [1, 2, 3, 4] }),
  f("Microsoft.VSTS.Common.Severity", "Severity", "string", { allowedValues: SEVERITIES }),
  f("Microsoft.VSTS.Common.StateChangeDate", "State Change Date", "dateTime", { readOnly: true }),
  f("Microsoft.VSTS.Common.ActivatedDate", "Activated Date", "dateTime", { readOnly: true }),
  f("Microsoft.VSTS.Common.ActivatedBy", "Activated By", "identity", { readOnly: true, isIdentity: true }),
  f("Microsoft.VSTS.Common.ResolvedDate", "Resolved Date", "dateTime", { readOnly: true }),
  f("Microsoft.VSTS.Common.ClosedDate", "Closed Date", "dateTime", { readOnly: true }),
  f("Microsoft.VSTS.Common.ClosedBy", "Closed By", "identity", { readOnly: true, isIdentity: true }),
  f("Microsoft.VSTS.Common.ValueArea", "Value Area", "string", { allowedValues: ["Architectural", "Business"] }),
  f("Microsoft.VSTS.Common.Risk", "Risk", "string", { allowedValues: ["1 - High", "2 - Medium", "3 - Low"] }),
  f("Microsoft.VSTS.Common.BacklogPriority", "Backlog Priority", "double"),
  f("Microsoft.VSTS.Common.StackRank", "Stack Rank", "double"),
  f("Microsoft.VSTS.Common.AcceptanceCriteria", "Acceptance Criteria", "html", { longText: true }),
  f("Microsoft.VSTS.Scheduling.StoryPoints", "Story Points", "double"),
  f("Microsoft.VSTS.Scheduling.Effort", "Effort", "double"),
  f("Microsoft.VSTS.Scheduling.RemainingWork", "Remaining Work", "double"),
  f("Microsoft.VSTS.Scheduling.OriginalEstimate", "Original Estimate", "double"),
  f("Microsoft.VSTS.Scheduling.CompletedWork", "Completed Work", "double"),
  f("Microsoft.VSTS.Scheduling.StartDate", "Start Date", "dateTime"),
  f("Microsoft.VSTS.Scheduling.FinishDate", "Finish Date", "dateTime"),
  f("Microsoft.VSTS.Scheduling.TargetDate", "Target Date", "dateTime"),
  f("Microsoft.VSTS.Scheduling.DueDate", "Due Date", "dateTime"),
  f("Microsoft.VSTS.Common.Activity", "Activity", "string", {
    allowedValues: ["Deployment", "Design", "Development", "Documentation", "Requirements", "Testing"],
  }),
  f("Microsoft.VSTS.TCM.ReproSteps", "Repro Steps", "html", { longText: true }),
  f("Microsoft.VSTS.TCM.SystemInfo", "System Info", "html", { longText: true }),
  f("Microsoft.VSTS.Build.FoundIn", "Found In", "string"),
  f("Microsoft.VSTS.TCM.Steps", "Steps", "html", { longText: true }),
  f("Microsoft.VSTS.TCM.AutomatedTestName", "Automated Test Name", "string"),
  f("Microsoft.VSTS.TCM.AutomatedTestStorage", "Automated Test Storage", "string"),
  f("Microsoft.VSTS.TCM.AutomatedTestId", "Automated Test Id", "string"),
  f("Microsoft.VSTS.TCM.AutomatedTestType", "Automated Test Type", "string"),
  f("Microsoft.VSTS.TCM.AutomationStatus", "Automation status", "string", {
    allowedValues: ["Not Automated", "Planned", "Automated"],
  }),
  f("Microsoft.VSTS.CMMI.RequirementType", "Requirement Type", "string", {
    allowedValues: ["Business Objective", "Feature", "Functional", "Interface", "Operational", "Scenario"],
  }),
  f("Custom.ReleaseDate", "Release Date", "dateTime", { description: "Planned release date (custom field)" }),
  f("Custom.FoundInEnvironment", "Found In Environment", "string", {
    allowedValues: ["Development", "Test", "Staging", "Production"],
    description: "Where the bug was found (custom field, required on the Custom Agile process' Bug)",
  }),
];
export const FIELD_BY_REF = new Map(FIELDS.map((d) => [d.referenceName.toLowerCase(), d]));
export const FIELD_BY_NAME = new Map(FIELDS.map((d) => [d.name.toLowerCase(), d]));

/** Fields every type has. */
export const SYSTEM_FIELDS = FIELDS.filter((d) => d.referenceName.startsWith("System.")).map((d) => d.referenceName);

const st = (name: string, category: StateCategory, reason: string): StateDef => ({ name, category, reason });

const TEST_CASE: WorkItemTypeDef = {
  name: "Test Case",
  referenceName: "Microsoft.VSTS.WorkItemTypes.TestCase",
  description: "Server-side data for a set of steps to be tested.",
  color: "004B50",
  icon: "icon_test_case",
  role: "testcase",
  states: [st("Design", "Proposed", "New"), st("Ready", "InProgress", "Completed design"), st("Closed", "Completed", "Obsolete")],
  fields: [
    "Microsoft.VSTS.Common.Priority",
    "Microsoft.VSTS.TCM.Steps",
    "Microsoft.VSTS.TCM.AutomatedTestName",
    "Microsoft.VSTS.TCM.AutomatedTestStorage",
    "Microsoft.VSTS.TCM.AutomatedTestId",
    "Microsoft.VSTS.TCM.AutomatedTestType",
    "Microsoft.VSTS.TCM.AutomationStatus",
  ],
};

const PLANNING = ["Microsoft.VSTS.Scheduling.StartDate", "Microsoft.VSTS.Scheduling.TargetDate"];

const agileTypes = (): WorkItemTypeDef[] => [
  {
    name: "Epic",
    referenceName: "Microsoft.VSTS.WorkItemTypes.Epic",
    description: "Epics help teams effectively manage and groom their product backlog",
    color: "FF7B00",
    icon: "icon_crown",
    role: "epic",
    states: [
      st("New", "Proposed", "New"),
      st("Active", "InProgress", "Implementation started"),
      st("Resolved", "Resolved", "Stories complete"),
      st("Closed", "Completed", "Acceptance tests pass"),
      st("Removed", "Removed", "Removed from the backlog"),
    ],
    fields: [
      "Microsoft.VSTS.Common.Priority",
      "Microsoft.VSTS.Common.ValueArea",
      "Microsoft.VSTS.Common.Risk",
      "Microsoft.VSTS.Scheduling.Effort",
      ...PLANNING,
    ],
  },
  {
    name: "Feature",
    referenceName: "Microsoft.VSTS.WorkItemTypes.Feature",
    description: "Tracks a feature that will be released with the product",
    color: "773B93",
    icon: "icon_trophy",
    role: "feature",
    states: [
      st("New", "Proposed", "New"),
      st("Active", "InProgress", "Implementation started"),
      st("Resolved", "Resolved", "Stories complete"),
      st("Closed", "Completed", "Acceptance tests pass"),
      st("Removed", "Removed", "Removed from the backlog"),
    ],
    fields: [
      "Microsoft.VSTS.Common.Priority",
      "Microsoft.VSTS.Common.ValueArea",
      "Microsoft.VSTS.Common.Risk",
      "Microsoft.VSTS.Scheduling.Effort",
      ...PLANNING,
    ],
  },
  {
    name: "User Story",
    referenceName: "Microsoft.VSTS.WorkItemTypes.UserStory",
    description: "Tracks an activity the user will be able to perform with the product",
    color: "009CCC",
    icon: "icon_book",
    role: "requirement",
    states: [
      st("New", "Proposed", "New"),
      st("Active", "InProgress", "Implementation started"),
      st("Resolved", "Resolved", "Code complete and unit tests pass"),
      st("Closed", "Completed", "Acceptance tests pass"),
      st("Removed", "Removed", "Removed from the backlog"),
    ],
    fields: [
      "Microsoft.VSTS.Common.Priority",
      "Microsoft.VSTS.Scheduling.StoryPoints",
      "Microsoft.VSTS.Common.ValueArea",
      "Microsoft.VSTS.Common.Risk",
      "Microsoft.VSTS.Common.AcceptanceCriteria",
      "Microsoft.VSTS.Scheduling.StartDate",
      "Microsoft.VSTS.Scheduling.FinishDate",
    ],
  },
  {
    name: "Task",
    referenceName: "Microsoft.VSTS.WorkItemTypes.Task",
    description: "Tracks work that needs to be done.",
    color: "F2CB1D",
    icon: "icon_clipboard",
    role: "task",
    states: [
      st("New", "Proposed", "New"),
      st("Active", "InProgress", "Work started"),
      st("Closed", "Completed", "Completed"),
      st("Removed", "Removed", "Removed from the backlog"),
    ],
    fields: [
      "Microsoft.VSTS.Common.Priority",
      "Microsoft.VSTS.Common.Activity",
      "Microsoft.VSTS.Scheduling.RemainingWork",
      "Microsoft.VSTS.Scheduling.OriginalEstimate",
      "Microsoft.VSTS.Scheduling.CompletedWork",
      "Microsoft.VSTS.Scheduling.StartDate",
      "Microsoft.VSTS.Scheduling.FinishDate",
    ],
  },
  {
    name: "Bug",
    referenceName: "Microsoft.VSTS.WorkItemTypes.Bug",
    description:
      "Describes a divergence between required and actual behavior, and tracks the work done to correct the defect and verify the correction.",
    color: "CC293D",
    icon: "icon_insect",
    role: "bug",
    // Agile Bug has no Removed state.
    states: [
      st("New", "Proposed", "New defect reported"),
      st("Active", "InProgress", "Approved"),
      st("Resolved", "Resolved", "Fixed"),
      st("Closed", "Completed", "Verified"),
    ],
    fields: [
      "Microsoft.VSTS.Common.Priority",
      "Microsoft.VSTS.Common.Severity",
      "Microsoft.VSTS.TCM.ReproSteps",
      "Microsoft.VSTS.TCM.SystemInfo",
      "Microsoft.VSTS.Build.FoundIn",
      "Microsoft.VSTS.Scheduling.StoryPoints",
      "Microsoft.VSTS.Common.Activity",
    ],
  },
  {
    name: "Issue",
    referenceName: "Microsoft.VSTS.WorkItemTypes.Issue",
    description: "Tracks an obstacle to progress.",
    color: "B4009E",
    icon: "icon_traffic_cone",
    role: "other",
    states: [st("Active", "InProgress", "New"), st("Closed", "Completed", "Resolved")],
    fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Scheduling.DueDate"],
  },
  TEST_CASE,
];

const AGILE_CATEGORIES: CategoryDef[] = [
  { referenceName: "Microsoft.EpicCategory", name: "Epic Category", types: ["Epic"] },
  { referenceName: "Microsoft.FeatureCategory", name: "Feature Category", types: ["Feature"] },
  { referenceName: "Microsoft.RequirementCategory", name: "Requirement Category", types: ["User Story"] },
  { referenceName: "Microsoft.TaskCategory", name: "Task Category", types: ["Task"] },
  { referenceName: "Microsoft.BugCategory", name: "Bug Category", types: ["Bug"] },
  { referenceName: "Microsoft.TestCaseCategory", name: "Test Case Category", types: ["Test Case"] },
  { referenceName: "Microsoft.HiddenCategory", name: "Hidden Types Category", types: ["Issue"] },
];

const AGILE: ProcessDef = {
  name: "Agile",
  templateTypeId: "adcc42ab-9882-485e-a3ed-7678f01f66bc",
  types: agileTypes(),
  categories: AGILE_CATEGORIES,
};

const scrumPortfolio = (name: string, ref: string, color: string, icon: string, role: Role): WorkItemTypeDef => ({
  name,
  referenceName: ref,
  description: `Tracks a ${name.toLowerCase()}`,
  color,
  icon,
  role,
  states: [
    st("New", "Proposed", "New"),
    st("In Progress", "InProgress", "Work started"),
    st("Done", "Completed", "Work finished"),
    st("Removed", "Removed", "Removed from the backlog"),
  ],
  fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Common.ValueArea", "Microsoft.VSTS.Scheduling.Effort", ...PLANNING],
});

const SCRUM: ProcessDef = {
  name: "Scrum",
  templateTypeId: "6b724908-ef14-45cf-84f8-768b5384da45",
  types: [
    scrumPortfolio("Epic", "Microsoft.VSTS.WorkItemTypes.Epic", "FF7B00", "icon_crown", "epic"),
    scrumPortfolio("Feature", "Microsoft.VSTS.WorkItemTypes.Feature", "773B93", "icon_trophy", "feature"),
    {
      name: "Product Backlog Item",
      referenceName: "Microsoft.VSTS.WorkItemTypes.ProductBacklogItem",
      description: "Tracks an activity the user will be able to perform with the product",
      color: "009CCC",
      icon: "icon_list",
      role: "requirement",
      states: [
        st("New", "Proposed", "New backlog item"),
        st("Approved", "Proposed", "Approved by the Product Owner"),
        st("Committed", "InProgress", "Commitment made by the team"),
        st("Done", "Completed", "Work finished"),
        st("Removed", "Removed", "Removed from the backlog"),
      ],
      fields: [
        "Microsoft.VSTS.Common.Priority",
        "Microsoft.VSTS.Common.BacklogPriority",
        "Microsoft.VSTS.Scheduling.Effort",
        "Microsoft.VSTS.Common.ValueArea",
        "Microsoft.VSTS.Common.AcceptanceCriteria",
      ],
    },
    {
      name: "Bug",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Bug",
      description: "Describes a divergence between required and actual behavior.",
      color: "CC293D",
      icon: "icon_insect",
      role: "bug",
      states: [
        st("New", "Proposed", "New defect reported"),
        st("Approved", "Proposed", "Approved by the Product Owner"),
        st("Committed", "InProgress", "Commitment made by the team"),
        st("Done", "Completed", "Work finished"),
        st("Removed", "Removed", "Removed from the backlog"),
      ],
      fields: [
        "Microsoft.VSTS.Common.Priority",
        "Microsoft.VSTS.Common.Severity",
        "Microsoft.VSTS.Common.BacklogPriority",
        "Microsoft.VSTS.Scheduling.Effort",
        "Microsoft.VSTS.TCM.ReproSteps",
        "Microsoft.VSTS.TCM.SystemInfo",
        "Microsoft.VSTS.Build.FoundIn",
      ],
    },
    {
      name: "Task",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Task",
      description: "Tracks work that needs to be done.",
      color: "F2CB1D",
      icon: "icon_clipboard",
      role: "task",
      states: [
        st("To Do", "Proposed", "New task"),
        st("In Progress", "InProgress", "Work started"),
        st("Done", "Completed", "Work finished"),
        st("Removed", "Removed", "Removed from the backlog"),
      ],
      fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Common.Activity", "Microsoft.VSTS.Scheduling.RemainingWork"],
    },
    {
      name: "Impediment",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Impediment",
      description: "Tracks an obstacle to progress.",
      color: "B4009E",
      icon: "icon_traffic_cone",
      role: "other",
      states: [st("Open", "InProgress", "New impediment"), st("Closed", "Completed", "Impediment removed")],
      fields: ["Microsoft.VSTS.Common.Priority"],
    },
    TEST_CASE,
  ],
  categories: [
    { referenceName: "Microsoft.EpicCategory", name: "Epic Category", types: ["Epic"] },
    { referenceName: "Microsoft.FeatureCategory", name: "Feature Category", types: ["Feature"] },
    { referenceName: "Microsoft.RequirementCategory", name: "Requirement Category", types: ["Product Backlog Item"] },
    { referenceName: "Microsoft.TaskCategory", name: "Task Category", types: ["Task"] },
    { referenceName: "Microsoft.BugCategory", name: "Bug Category", types: ["Bug"] },
    { referenceName: "Microsoft.TestCaseCategory", name: "Test Case Category", types: ["Test Case"] },
    { referenceName: "Microsoft.HiddenCategory", name: "Hidden Types Category", types: ["Impediment"] },
  ],
};

// CMMI has no Removed state. A Requirement's "Resolved" is InProgress; a Bug's "Resolved" is Resolved.
const cmmiStates = (resolvedCategory: StateCategory, reasons: [string, string, string, string]): StateDef[] => [
  st("Proposed", "Proposed", reasons[0]),
  st("Active", "InProgress", reasons[1]),
  st("Resolved", resolvedCategory, reasons[2]),
  st("Closed", "Completed", reasons[3]),
];

const CMMI: ProcessDef = {
  name: "CMMI",
  templateTypeId: "27450541-8e31-4150-9947-dc59f998fc01",
  types: [
    {
      name: "Epic",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Epic",
      description: "Tracks an epic",
      color: "FF7B00",
      icon: "icon_crown",
      role: "epic",
      states: cmmiStates("Resolved", ["New", "Implementation started", "Stories complete", "Acceptance tests pass"]),
      fields: ["Microsoft.VSTS.Common.Priority", ...PLANNING],
    },
    {
      name: "Feature",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Feature",
      description: "Tracks a feature",
      color: "773B93",
      icon: "icon_trophy",
      role: "feature",
      states: cmmiStates("Resolved", ["New", "Implementation started", "Stories complete", "Acceptance tests pass"]),
      fields: ["Microsoft.VSTS.Common.Priority", ...PLANNING],
    },
    {
      name: "Requirement",
      referenceName: "Microsoft.VSTS.CMMI.WorkItemTypes.Requirement",
      description: "Tracks a requirement",
      color: "009CCC",
      icon: "icon_book",
      role: "requirement",
      states: cmmiStates("InProgress", ["New", "Accepted", "Code complete and unit tests pass", "Validation tests pass"]),
      fields: [
        "Microsoft.VSTS.Common.Priority",
        "Microsoft.VSTS.CMMI.RequirementType",
        "Microsoft.VSTS.Scheduling.StartDate",
        "Microsoft.VSTS.Scheduling.FinishDate",
        "Microsoft.VSTS.Scheduling.TargetDate",
      ],
    },
    {
      name: "Bug",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Bug",
      description: "Tracks a defect",
      color: "CC293D",
      icon: "icon_insect",
      role: "bug",
      states: cmmiStates("Resolved", ["New", "Approved", "Fixed", "Verified"]),
      fields: [
        "Microsoft.VSTS.Common.Priority",
        "Microsoft.VSTS.Common.Severity",
        "Microsoft.VSTS.TCM.ReproSteps",
        "Microsoft.VSTS.TCM.SystemInfo",
        "Microsoft.VSTS.Build.FoundIn",
      ],
    },
    {
      name: "Task",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Task",
      description: "Tracks work",
      color: "F2CB1D",
      icon: "icon_clipboard",
      role: "task",
      states: cmmiStates("Resolved", ["New", "Work started", "Completed", "Completed"]),
      fields: [
        "Microsoft.VSTS.Common.Priority",
        "Microsoft.VSTS.Scheduling.RemainingWork",
        "Microsoft.VSTS.Scheduling.StartDate",
        "Microsoft.VSTS.Scheduling.FinishDate",
      ],
    },
    {
      name: "Change Request",
      referenceName: "Microsoft.VSTS.CMMI.WorkItemTypes.ChangeRequest",
      description: "Tracks a change request",
      color: "4A8B9A",
      icon: "icon_change_badge",
      role: "other",
      states: cmmiStates("Resolved", ["New", "Accepted", "Code complete", "Validation tests pass"]),
      fields: ["Microsoft.VSTS.Common.Priority"],
    },
    {
      name: "Risk",
      referenceName: "Microsoft.VSTS.CMMI.WorkItemTypes.Risk",
      description: "Tracks a risk",
      color: "5C197B",
      icon: "icon_alert",
      role: "other",
      states: cmmiStates("Resolved", ["New", "Accepted", "Mitigation complete", "Mitigated"]),
      fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Common.Severity"],
    },
    {
      name: "Review",
      referenceName: "Microsoft.VSTS.CMMI.WorkItemTypes.Review",
      description: "Tracks a review",
      color: "3F9BD8",
      icon: "icon_review",
      role: "other",
      states: [st("Active", "InProgress", "New"), st("Closed", "Completed", "Accepted (as is)")],
      fields: ["Microsoft.VSTS.Common.Priority"],
    },
    {
      name: "Issue",
      referenceName: "Microsoft.VSTS.CMMI.WorkItemTypes.Issue",
      description: "Tracks an issue",
      color: "B4009E",
      icon: "icon_traffic_cone",
      role: "other",
      states: cmmiStates("Resolved", ["New", "Investigate", "Resolved", "Resolved"]),
      fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Common.Severity", "Microsoft.VSTS.Scheduling.TargetDate"],
    },
    TEST_CASE,
  ],
  categories: [
    { referenceName: "Microsoft.EpicCategory", name: "Epic Category", types: ["Epic"] },
    { referenceName: "Microsoft.FeatureCategory", name: "Feature Category", types: ["Feature"] },
    { referenceName: "Microsoft.RequirementCategory", name: "Requirement Category", types: ["Requirement"] },
    { referenceName: "Microsoft.TaskCategory", name: "Task Category", types: ["Task"] },
    { referenceName: "Microsoft.BugCategory", name: "Bug Category", types: ["Bug"] },
    { referenceName: "Microsoft.TestCaseCategory", name: "Test Case Category", types: ["Test Case"] },
    { referenceName: "Microsoft.ChangeRequestCategory", name: "Change Request Category", types: ["Change Request"] },
    { referenceName: "Microsoft.RiskCategory", name: "Risk Category", types: ["Risk"] },
    { referenceName: "Microsoft.ReviewCategory", name: "Review Category", types: ["Review"] },
    { referenceName: "Microsoft.HiddenCategory", name: "Hidden Types Category", types: ["Issue"] },
  ],
};

const basicStates = (): StateDef[] => [
  st("To Do", "Proposed", "Added to backlog"),
  st("Doing", "InProgress", "Started"),
  st("Done", "Completed", "Work finished"),
];

// Basic has no Bug type: Issue is both the requirement and the bug-tracking type.
const BASIC: ProcessDef = {
  name: "Basic",
  templateTypeId: "b8a3a935-7e91-48b8-a94c-606d37c3e9f2",
  types: [
    {
      name: "Epic",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Epic",
      description: "Tracks an epic",
      color: "FF7B00",
      icon: "icon_crown",
      role: "epic",
      states: basicStates(),
      fields: ["Microsoft.VSTS.Common.Priority", ...PLANNING],
    },
    {
      name: "Issue",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Issue",
      description: "Tracks an issue",
      color: "339947",
      icon: "icon_clipboard_issue",
      role: "requirement",
      states: basicStates(),
      fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Scheduling.Effort"],
    },
    {
      name: "Task",
      referenceName: "Microsoft.VSTS.WorkItemTypes.Task",
      description: "Tracks work",
      color: "F2CB1D",
      icon: "icon_clipboard",
      role: "task",
      states: basicStates(),
      fields: ["Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Scheduling.RemainingWork"],
    },
    TEST_CASE,
  ],
  categories: [
    { referenceName: "Microsoft.EpicCategory", name: "Epic Category", types: ["Epic"] },
    { referenceName: "Microsoft.RequirementCategory", name: "Requirement Category", types: ["Issue"] },
    { referenceName: "Microsoft.TaskCategory", name: "Task Category", types: ["Task"] },
    { referenceName: "Microsoft.TestCaseCategory", name: "Test Case Category", types: ["Test Case"] },
  ],
};

/** An inherited process: Agile with renamed/added states and a custom field, as customers really do. */
function customAgile(): ProcessDef {
  const types = agileTypes().map((t) => ({ ...t, states: [...t.states], fields: [...t.fields] }));
  for (const t of types) {
    if (t.name === "User Story" || t.name === "Bug") {
      // "Resolved" renamed to "Ready for QA" (still the Resolved category); custom field added.
      t.states = t.states.map((s) => (s.name === "Resolved" ? st("Ready for QA", "Resolved", "Ready for testing") : s));
      t.fields.push("Custom.ReleaseDate");
      t.referenceName = `CustomAgile.${t.name.replace(/ /g, "")}`;
    }
    if (t.name === "User Story") t.states.splice(2, 0, st("In Review", "InProgress", "Code review started"));
    // A required custom field without a default, as customized processes often have: clients must
    // discover it from the type's fields (alwaysRequired) or get TF401320 back.
    if (t.name === "Bug") {
      t.fields.push("Custom.FoundInEnvironment");
      t.required = ["Custom.FoundInEnvironment"];
    }
  }
  return {
    name: "Custom Agile",
    templateTypeId: "8f3a9a10-4c2e-4b7b-9c2d-5d2b7c1e6a01",
    parentProcess: "Agile",
    types,
    categories: AGILE_CATEGORIES,
  };
}

export const PROCESSES: Record<string, ProcessDef> = {
  Agile: AGILE,
  Scrum: SCRUM,
  CMMI: CMMI,
  Basic: BASIC,
  "Custom Agile": customAgile(),
};

export function getProcess(name: string): ProcessDef {
  const p = PROCESSES[name];
  if (!p) throw new Error(`Unknown process ${name}`);
  return p;
}

export function findType(process: ProcessDef, name: string): WorkItemTypeDef | undefined {
  const n = name.toLowerCase();
  return process.types.find((t) => t.name.toLowerCase() === n || t.referenceName.toLowerCase() === n);
}

export function typesOfRole(process: ProcessDef, role: Role): WorkItemTypeDef[] {
  return process.types.filter((t) => t.role === role);
}

export function fieldsOfType(t: WorkItemTypeDef): FieldDef[] {
  const refs = [...SYSTEM_FIELDS, ...t.fields];
  return refs.map((r) => FIELD_BY_REF.get(r.toLowerCase())!).filter(Boolean);
}

export function categoryOfState(t: WorkItemTypeDef, state: string): StateCategory | undefined {
  return t.states.find((s) => s.name.toLowerCase() === state.toLowerCase())?.category;
}
