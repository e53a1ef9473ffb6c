import {
  BoardsLinkConfigSchema,
  TESTOPS_SEVERITIES,
  type BoardsLink,
  type BoardsLinkConfig,
  type BugStatus,
  type RequirementStatus,
  type TestOpsSeverity,
} from "@testops/backend/schemas/boards";

/**
 * The wizard's draft is the backend's own config type; these pure helpers build, pre-fill and validate it
 * per step (the same zod schema the API validates with, plus the completeness checks the wizard adds).
 */

export const STEPS = [
  { id: "project", title: "Project" },
  { id: "pull", title: "What to pull" },
  { id: "iterations", title: "Iteration paths" },
  { id: "priority", title: "Priority" },
  { id: "requirements", title: "Requirements" },
  { id: "bugs", title: "Bugs" },
] as const;
export type StepId = (typeof STEPS)[number]["id"];

export interface FieldIssue {
  /** Config path, e.g. "requirements.workItemTypes" (the backend's field names without "config."). */
  field: string;
  message: string;
}

/** A project's requirement/bug types with their states, as the picker endpoint returns them. */
export interface TypeInfo {
  name: string;
  states: { name: string; category: string; suggestedStatus: string | null }[];
}
export interface ProcessInfo {
  requirement: TypeInfo[];
  bug: TypeInfo[];
  defaultRequirementType: string | null;
  defaultBugType: string | null;
}

export function newDraft(project: { id: string; name: string }): BoardsLinkConfig {
  return {
    project: { id: project.id, name: project.name },
    team: null,
    description: "",
    pullRequirements: true,
    bugMapping: false,
    iterations: { source: "projectTree", releasePaths: [], fullPath: false },
    priorityMapping: { "1": "Highest", "2": "High", "3": "Medium", "4": "Low" },
    requirements: { workItemTypes: [], releaseDateFields: [], stateMapping: {} },
    bugs: { workItemTypes: [], severityMapping: {}, stateMapping: {} },
  };
}

export const draftFromLink = (link: BoardsLink): BoardsLinkConfig => structuredCloneJson(link.config);

function structuredCloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Steps the draft walks through: 5 and 6 only when their toggle in step 2 is on. */
export function activeSteps(d: BoardsLinkConfig): StepId[] {
  return STEPS.map((s) => s.id).filter((id) => (id === "requirements" ? d.pullRequirements : id === "bugs" ? d.bugMapping : true));
}

/** Which step owns a config field (for server-side errors: jump to the step that can fix it). */
export function stepOfField(field: string): StepId {
  const f = field.replace(/^config\./, "");
  if (/^(project|team|description)\b/.test(f)) return "project";
  if (/^(pullRequirements|bugMapping)\b/.test(f)) return "pull";
  if (f.startsWith("iterations")) return "iterations";
  if (f.startsWith("priorityMapping")) return "priority";
  if (f.startsWith("requirements")) return "requirements";
  if (f.startsWith("bugs")) return "bugs";
  return "project";
}

const LABELS: [RegExp, string][] = [
  [/^project/, "Project"],
  [/^team/, "Team"],
  [/^description/, "Description"],
  [/^pullRequirements/, "Pull Requirements"],
  [/^bugMapping/, "Bug Mapping"],
  [/^iterations\.source/, "Iteration source"],
  [/^iterations\.releasePaths/, "Release iterations"],
  [/^iterations/, "Iteration paths"],
  [/^priorityMapping\.(\d)/, "Priority $1"],
  [/^requirements\.workItemTypes/, "Requirement work item types"],
  [/^requirements\.releaseDateFields/, "Release date fields"],
  [/^requirements\.stateMapping\.([^.]+)\.(.+)$/, "State “$2” of $1"],
  [/^requirements\.stateMapping/, "Requirement states"],
  [/^bugs\.workItemTypes/, "Bug work item types"],
  [/^bugs\.severityMapping\.(.+)$/, "Severity “$1”"],
  [/^bugs\.severityMapping/, "Severity mapping"],
  [/^bugs\.stateMapping\.([^.]+)\.(.+)$/, "State “$2” of $1"],
  [/^bugs\.stateMapping/, "Bug states"],
];

/** "requirements.workItemTypes" → "Requirement work item types": messages name the field as the wizard shows it. */
export function fieldLabel(field: string): string {
  const f = field.replace(/^config\./, "");
  for (const [re, label] of LABELS) {
    if (re.test(f)) return label.includes("$") ? f.replace(re, label) : label;
  }
  return f;
}

/** Problems of one step: the API's schema (restricted to the step's fields) plus the wizard's completeness checks. */
export function validateStep(d: BoardsLinkConfig, step: StepId, process?: ProcessInfo, severities?: string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const parsed = BoardsLinkConfigSchema.safeParse(d);
  if (!parsed.success)
    for (const i of parsed.error.issues) {
      const field = i.path.map(String).join(".");
      if (stepOfField(field) === step) issues.push({ field, message: i.message });
    }
  const has = (f: string) => issues.some((i) => i.field === f);
  if (step === "project" && !d.project.id && !has("project.id")) issues.push({ field: "project", message: "pick a project" });
  if (step === "requirements" && d.pullRequirements && process) unmappedStates(d, "requirements", process.requirement, issues);
  if (step === "bugs" && d.bugMapping && process) {
    unmappedStates(d, "bugs", process.bug, issues);
    for (const s of severities ?? [])
      if (!d.bugs.severityMapping[s]) issues.push({ field: `bugs.severityMapping.${s}`, message: "pick a TestOps severity" });
  }
  return issues;
}

function unmappedStates(d: BoardsLinkConfig, section: "requirements" | "bugs", types: TypeInfo[], out: FieldIssue[]) {
  for (const t of d[section].workItemTypes) {
    const info = types.find((x) => x.name.toLowerCase() === t.toLowerCase());
    const map = d[section].stateMapping[t] ?? {};
    for (const s of info?.states ?? [])
      if (!map[s.name]) out.push({ field: `${section}.stateMapping.${t}.${s.name}`, message: "pick a TestOps status" });
  }
}

/**
 * Pre-fills what the process suggests without overriding the admin's choices: the default requirement/bug
 * type when none is picked, each selected type's states by their category, and drops types the process lacks.
 */
export function prefillFromProcess(d: BoardsLinkConfig, p: ProcessInfo, o: { pickDefaults: boolean }): BoardsLinkConfig {
  const next = structuredCloneJson(d);
  if (o.pickDefaults && !next.requirements.workItemTypes.length && p.defaultRequirementType)
    next.requirements.workItemTypes = [p.defaultRequirementType];
  if (o.pickDefaults && !next.bugs.workItemTypes.length && p.defaultBugType) next.bugs.workItemTypes = [p.defaultBugType];
  next.requirements.stateMapping = fillStates(next.requirements.workItemTypes, next.requirements.stateMapping, p.requirement) as Record<
    string,
    Record<string, RequirementStatus>
  >;
  next.bugs.stateMapping = fillStates(next.bugs.workItemTypes, next.bugs.stateMapping, p.bug) as Record<string, Record<string, BugStatus>>;
  return next;
}

function fillStates(selected: string[], current: Record<string, Record<string, string>>, types: TypeInfo[]) {
  const out: Record<string, Record<string, string>> = {};
  for (const t of selected) {
    const info = types.find((x) => x.name.toLowerCase() === t.toLowerCase());
    const cur = current[t] ?? {};
    const m: Record<string, string> = {};
    for (const s of info?.states ?? []) {
      const v = cur[s.name] ?? s.suggestedStatus;
      if (v) m[s.name] = v;
    }
    // Keep stored values for states the picker did not list (the server reports them if they are gone).
    out[t] = info ? m : cur;
  }
  return out;
}

/** "2 - High" → a TestOps severity by its number (1 Critical … 4 Trivial); the admin can change each. */
export function suggestSeverity(adoValue: string): TestOpsSeverity {
  const byName = TESTOPS_SEVERITIES.find((s) => adoValue.toLowerCase().includes(s.toLowerCase()));
  if (byName) return byName;
  const n = Number(/^\s*(\d+)/.exec(adoValue)?.[1]);
  return (["Critical", "Major", "Minor", "Trivial"] as const)[n - 1] ?? "Major";
}

export function prefillSeverities(d: BoardsLinkConfig, severities: string[]): BoardsLinkConfig {
  const missing = severities.filter((s) => !d.bugs.severityMapping[s]);
  if (!missing.length) return d;
  const next = structuredCloneJson(d);
  for (const s of missing) next.bugs.severityMapping[s] = suggestSeverity(s);
  return next;
}
