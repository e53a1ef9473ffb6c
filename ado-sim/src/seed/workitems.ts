// Compact, deterministic generation of many work items. Each item is ~40 bytes of typed arrays; fields,
// titles, revisions and links are derived on read, so 100,000 items take seconds and little memory.
import { categoryOfState, getProcess, SEVERITIES, type StateDef, type WorkItemTypeDef } from "../processes";
import { hash32, Rng } from "../prng";
import { nodePaths, type ClassNode, type Org, type Project } from "../state";
import type { FieldValue, Relation, Revision } from "../workitems";

const NONE = 255;
const DAY = 86_400_000;

/** Link kinds stored per row (the row → an earlier item). */
const LINK_PARENT = 1; // Hierarchy-Reverse (this is a child of target)
const LINK_RELATED = 2; // Related (symmetric)
const LINK_TESTS = 3; // TestedBy-Reverse (this test case tests target)

export interface GenerateOptions {
  org: Org;
  /** Projects to spread items over, with weights. */
  projects: { project: Project; weight: number }[];
  /** User ids used for created-by / assigned-to. */
  users: string[];
  count: number;
  seed: number;
  /** Items are created evenly between start and end (ms since epoch). */
  start: number;
  end: number;
}

interface ProjectInfo {
  project: Project;
  types: WorkItemTypeDef[];
  iterations: { path: string; node: ClassNode; parentFinish?: string }[];
  areas: string[];
  custom: boolean;
}

const PERSONAS = ["customer", "technician", "dispatcher", "administrator", "field agent", "call center agent", "manager", "guest user"];
const ACTIONS = ["view", "update", "export", "search", "cancel", "schedule", "approve", "share", "filter", "print"];
const OBJECTS = [
  "service tickets",
  "work orders",
  "invoices",
  "customer profile",
  "parts orders",
  "appointments",
  "dashboard",
  "reports",
  "notifications",
  "payment details",
  "login page",
  "shopping cart",
];
const CHANNELS = [
  "on Windows Phone",
  "on the web portal",
  "on Android",
  "from the call center",
  "via the REST API",
  "offline",
  "on iOS",
  "in the admin console",
];
const FAILURES = [
  "crashes",
  "shows a blank page",
  "times out",
  "shows wrong totals",
  "loses data",
  "returns HTTP 500",
  "renders incorrectly",
  "is very slow",
];
const CONDITIONS = [
  "after login",
  "with an empty cart",
  "when the session expires",
  "on slow networks",
  "with non-ASCII names",
  "after a password reset",
  "when sorting by date",
  "for large accounts",
];
const TASK_VERBS = ["Implement", "Design", "Write tests for", "Refactor", "Document", "Review", "Automate", "Deploy"];
const TAGS = ["", "", "", "regression", "ui", "api", "katalon", "customer-reported", "performance", "security; api"];

export class CompactItems {
  readonly n: number;
  readonly project: Uint8Array;
  readonly type: Uint8Array;
  readonly midState: Uint8Array;
  readonly finalState: Uint8Array;
  readonly revCount: Uint8Array;
  readonly priority: Uint8Array;
  readonly severity: Uint8Array;
  readonly iteration: Uint16Array;
  readonly area: Uint8Array;
  readonly assignee: Uint8Array;
  readonly creator: Uint8Array;
  readonly created: Float64Array;
  readonly titleSeed: Uint32Array;
  readonly link: Int32Array;
  readonly linkKind: Uint8Array;
  /** Reverse links (CSR): items that link to row i are revList[revOff[i]..revOff[i+1]). */
  readonly revOff: Uint32Array;
  readonly revList: Int32Array;
  /** Watermark of revision 1 of each row; revision r has wmStart + r - 1. */
  readonly wmStart: Uint32Array;
  readonly total: number;
  readonly step: number;
  private readonly info: ProjectInfo[];
  private readonly users: string[];

  constructor(opts: GenerateOptions) {
    const n = opts.count;
    this.n = n;
    this.users = opts.users;
    this.info = opts.projects.map(({ project }) => projectInfo(project));
    this.project = new Uint8Array(n);
    this.type = new Uint8Array(n);
    this.midState = new Uint8Array(n);
    this.finalState = new Uint8Array(n);
    this.revCount = new Uint8Array(n);
    this.priority = new Uint8Array(n);
    this.severity = new Uint8Array(n);
    this.iteration = new Uint16Array(n);
    this.area = new Uint8Array(n);
    this.assignee = new Uint8Array(n);
    this.creator = new Uint8Array(n);
    this.created = new Float64Array(n);
    this.titleSeed = new Uint32Array(n);
    this.link = new Int32Array(n);
    this.linkKind = new Uint8Array(n);
    this.wmStart = new Uint32Array(n);
    this.step = n > 0 ? Math.max(1000, Math.floor((opts.end - opts.start) / n)) : DAY;

    const rng = new Rng(opts.seed);
    const weights = opts.projects.map((p, i) => [i, p.weight] as const);
    // Last item of each role per project, for links.
    const last = this.info.map(() => ({ requirement: 0, feature: 0, epic: 0 }));
    const roleWeights = [
      ["requirement", 34],
      ["bug", 20],
      ["task", 22],
      ["testcase", 8],
      ["feature", 8],
      ["epic", 3],
      ["other", 5],
    ] as const;
    let wm = 1;
    for (let i = 0; i < n; i++) {
      const id = i + 1;
      const p = rng.weighted(weights);
      const info = this.info[p];
      let role: string = rng.weighted(roleWeights);
      let candidates = info.types.map((t, k) => [t, k] as const).filter(([t]) => t.role === role);
      if (!candidates.length) {
        role = "requirement";
        candidates = info.types.map((t, k) => [t, k] as const).filter(([t]) => t.role === role);
      }
      const [t, typeIdx] = rng.pick(candidates);
      const finalCat = rng.weighted([
        ["Proposed", 30],
        ["InProgress", 30],
        ["Resolved", 10],
        ["Completed", 25],
        ["Removed", 5],
      ] as const);
      let finalIdx = t.states.findIndex((s) => s.category === finalCat);
      if (finalIdx < 0) finalIdx = rng.int(0, t.states.length - 1);
      const finalState = t.states[finalIdx];
      let mid = NONE;
      if (finalIdx !== 0 && finalState.category !== "InProgress" && finalState.category !== "Proposed" && rng.chance(0.7)) {
        const m = t.states.findIndex((s) => s.category === "InProgress");
        if (m > 0 && m !== finalIdx) mid = m;
      }
      this.type[i] = typeIdx;
      this.project[i] = p;
      this.finalState[i] = finalIdx;
      this.midState[i] = mid;
      this.revCount[i] = 1 + (finalIdx !== 0 ? 1 : 0) + (mid !== NONE ? 1 : 0);
      this.priority[i] = rng.weighted([
        [1, 10],
        [2, 40],
        [3, 35],
        [4, 15],
      ] as const);
      this.severity[i] = t.fields.includes("Microsoft.VSTS.Common.Severity")
        ? rng.weighted([
            [0, 10],
            [1, 30],
            [2, 45],
            [3, 15],
          ] as const)
        : NONE;
      // Most items sit in sprints; some in a release or the root iteration.
      this.iteration[i] = rng.chance(0.1) ? 0 : rng.int(0, info.iterations.length - 1);
      this.area[i] = rng.int(0, info.areas.length - 1);
      this.assignee[i] = this.users.length && rng.chance(0.8) ? rng.int(0, this.users.length - 1) : NONE;
      this.creator[i] = this.users.length ? rng.int(0, this.users.length - 1) : NONE;
      this.created[i] = opts.start + i * this.step;
      this.titleSeed[i] = Math.floor(rng.float() * 0xffffffff);
      const l = last[p];
      if (role === "task" && l.requirement) this.setLink(i, l.requirement, LINK_PARENT);
      else if (role === "bug" && l.requirement && rng.chance(0.6)) this.setLink(i, l.requirement, LINK_RELATED);
      else if (role === "testcase" && l.requirement) this.setLink(i, l.requirement, LINK_TESTS);
      else if (role === "requirement" && l.feature && rng.chance(0.5)) this.setLink(i, l.feature, LINK_PARENT);
      else if (role === "feature" && l.epic && rng.chance(0.7)) this.setLink(i, l.epic, LINK_PARENT);
      if (role === "requirement") l.requirement = id;
      if (role === "feature") l.feature = id;
      if (role === "epic") l.epic = id;
      this.wmStart[i] = wm;
      wm += this.revCount[i];
    }
    this.total = wm - 1;
    // Reverse index.
    this.revOff = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) if (this.link[i]) this.revOff[this.link[i] - 1 + 1]++;
    for (let i = 0; i < n; i++) this.revOff[i + 1] += this.revOff[i];
    this.revList = new Int32Array(this.revOff[n]);
    const fill = this.revOff.slice(0, n);
    for (let i = 0; i < n; i++) if (this.link[i]) this.revList[fill[this.link[i] - 1]++] = i + 1;
  }

  private setLink(i: number, target: number, kind: number) {
    this.link[i] = target;
    this.linkKind[i] = kind;
  }

  projectIdOf(i: number): string {
    return this.info[this.project[i]].project.id;
  }

  typeOf(i: number): WorkItemTypeDef {
    return this.info[this.project[i]].types[this.type[i]];
  }

  private statePath(i: number): StateDef[] {
    const t = this.typeOf(i);
    const path = [t.states[0]];
    if (this.midState[i] !== NONE) path.push(t.states[this.midState[i]]);
    if (this.finalState[i] !== 0) path.push(t.states[this.finalState[i]]);
    return path;
  }

  title(i: number): string {
    const r = new Rng(this.titleSeed[i]);
    const role = this.typeOf(i).role;
    switch (role) {
      case "bug":
        return `${cap(r.pick(OBJECTS))} ${r.pick(FAILURES)} ${r.pick(CONDITIONS)}`;
      case "task":
        return `${r.pick(TASK_VERBS)} ${r.pick(OBJECTS)} ${r.pick(ACTIONS)} flow`;
      case "testcase":
        return `Verify ${r.pick(PERSONAS)} can ${r.pick(ACTIONS)} ${r.pick(OBJECTS)}`;
      case "feature":
        return `${cap(r.pick(OBJECTS))} ${r.pick(CHANNELS)}`;
      case "epic":
        return `Modernize ${r.pick(OBJECTS)} experience`;
      case "other":
        return `${cap(r.pick(OBJECTS))} blocked by ${r.pick(["vendor API", "missing licence", "test environment", "security review"])}`;
      default:
        return `As a ${r.pick(PERSONAS)}, I can ${r.pick(ACTIONS)} ${r.pick(OBJECTS)} ${r.pick(CHANNELS)}`;
    }
  }

  /** Cheap access to common fields of the latest revision. */
  latestField(i: number, ref: string): FieldValue | undefined {
    const info = this.info[this.project[i]];
    switch (ref) {
      case "System.Id":
        return i + 1;
      case "System.TeamProject":
        return info.project.name;
      case "System.WorkItemType":
        return this.typeOf(i).name;
      case "System.State":
        return this.typeOf(i).states[this.finalState[i]].name;
      case "System.IterationPath":
        return info.iterations[this.iteration[i]].path;
      case "System.AreaPath":
        return info.areas[this.area[i]];
      case "System.Rev":
        return this.revCount[i];
      case "System.ChangedDate":
        return iso(this.created[i] + (this.revCount[i] - 1) * (this.step / 4));
      case "System.CreatedDate":
        return iso(this.created[i]);
      case "System.Title":
        return this.title(i);
      default:
        return this.revision(i, this.revCount[i]).fields[ref];
    }
  }

  relations(i: number): Relation[] {
    const out: Relation[] = [];
    const k = this.linkKind[i];
    if (k === LINK_PARENT)
      out.push({ rel: "System.LinkTypes.Hierarchy-Reverse", targetId: this.link[i], attributes: { isLocked: false, name: "Parent" } });
    if (k === LINK_RELATED)
      out.push({ rel: "System.LinkTypes.Related", targetId: this.link[i], attributes: { isLocked: false, name: "Related" } });
    if (k === LINK_TESTS)
      out.push({ rel: "Microsoft.VSTS.Common.TestedBy-Reverse", targetId: this.link[i], attributes: { isLocked: false, name: "Tests" } });
    for (let j = this.revOff[i]; j < this.revOff[i + 1]; j++) {
      const src = this.revList[j];
      const sk = this.linkKind[src - 1];
      if (sk === LINK_PARENT)
        out.push({ rel: "System.LinkTypes.Hierarchy-Forward", targetId: src, attributes: { isLocked: false, name: "Child" } });
      if (sk === LINK_RELATED)
        out.push({ rel: "System.LinkTypes.Related", targetId: src, attributes: { isLocked: false, name: "Related" } });
      if (sk === LINK_TESTS)
        out.push({ rel: "Microsoft.VSTS.Common.TestedBy-Forward", targetId: src, attributes: { isLocked: false, name: "Tested By" } });
    }
    return out;
  }

  revision(i: number, rev: number): Revision {
    const info = this.info[this.project[i]];
    const t = this.typeOf(i);
    const path = this.statePath(i);
    const state = path[rev - 1];
    const at = (r: number) => iso(this.created[i] + (r - 1) * (this.step / 4));
    const creator = this.creator[i] === NONE ? null : this.users[this.creator[i]];
    const assignee = this.assignee[i] === NONE ? null : this.users[this.assignee[i]];
    const it = info.iterations[this.iteration[i]];
    const r = new Rng(this.titleSeed[i] ^ 0x9e3779b9);
    const fields: Record<string, FieldValue> = {
      "System.Id": i + 1,
      "System.AreaPath": info.areas[this.area[i]],
      "System.TeamProject": info.project.name,
      "System.IterationPath": it.path,
      "System.WorkItemType": t.name,
      "System.State": state.name,
      "System.Reason": state.reason,
      "System.CreatedDate": at(1),
      "System.CreatedBy": creator,
      "System.ChangedDate": at(rev),
      "System.ChangedBy": rev === 1 ? creator : (assignee ?? creator),
      "System.AuthorizedDate": at(rev),
      "System.CommentCount": 0,
      "System.Title": this.title(i),
      "System.Rev": rev,
      "System.BoardColumn": state.name,
      "Microsoft.VSTS.Common.StateChangeDate": at(rev),
    };
    if (assignee) fields["System.AssignedTo"] = assignee;
    const tag = TAGS[this.titleSeed[i] % TAGS.length];
    if (tag) fields["System.Tags"] = tag;
    fields["System.Description"] = `<div>${escapeHtml(this.title(i))}.</div><div>Generated by the simulator (seed row ${i + 1}).</div>`;
    const has = (ref: string) => t.fields.includes(ref);
    if (has("Microsoft.VSTS.Common.Priority")) fields["Microsoft.VSTS.Common.Priority"] = this.priority[i];
    if (has("Microsoft.VSTS.Common.Severity") && this.severity[i] !== NONE)
      fields["Microsoft.VSTS.Common.Severity"] = SEVERITIES[this.severity[i]];
    if (has("Microsoft.VSTS.Common.ValueArea")) fields["Microsoft.VSTS.Common.ValueArea"] = r.chance(0.8) ? "Business" : "Architectural";
    if (has("Microsoft.VSTS.Scheduling.StoryPoints")) fields["Microsoft.VSTS.Scheduling.StoryPoints"] = r.pick([1, 2, 3, 5, 8, 13]);
    if (has("Microsoft.VSTS.Scheduling.Effort")) fields["Microsoft.VSTS.Scheduling.Effort"] = r.pick([1, 2, 3, 5, 8, 13]);
    if (has("Microsoft.VSTS.Scheduling.RemainingWork")) fields["Microsoft.VSTS.Scheduling.RemainingWork"] = r.int(0, 16);
    if (has("Microsoft.VSTS.TCM.ReproSteps"))
      fields["Microsoft.VSTS.TCM.ReproSteps"] = `<div>1. Open the app<br>2. ${escapeHtml(this.title(i))}</div>`;
    if (has("Microsoft.VSTS.TCM.AutomationStatus")) fields["Microsoft.VSTS.TCM.AutomationStatus"] = "Not Automated";
    const start = it.node.startDate;
    const finish = it.node.finishDate;
    if (has("Microsoft.VSTS.Scheduling.StartDate") && start) fields["Microsoft.VSTS.Scheduling.StartDate"] = start;
    if (has("Microsoft.VSTS.Scheduling.FinishDate") && finish) fields["Microsoft.VSTS.Scheduling.FinishDate"] = finish;
    if (has("Microsoft.VSTS.Scheduling.TargetDate"))
      fields["Microsoft.VSTS.Scheduling.TargetDate"] = it.parentFinish ?? finish ?? iso(this.created[i] + 60 * DAY);
    if (has("Microsoft.VSTS.Scheduling.DueDate")) fields["Microsoft.VSTS.Scheduling.DueDate"] = iso(this.created[i] + 14 * DAY);
    if (has("Custom.FoundInEnvironment")) fields["Custom.FoundInEnvironment"] = r.pick(["Development", "Test", "Staging", "Production"]);
    if (has("Custom.ReleaseDate")) fields["Custom.ReleaseDate"] = it.parentFinish ?? iso(this.created[i] + 30 * DAY);
    // Dates that record state transitions.
    for (let k = 1; k <= rev; k++) {
      const cat = path[k - 1].category;
      if (cat === "InProgress" && !fields["Microsoft.VSTS.Common.ActivatedDate"]) {
        fields["Microsoft.VSTS.Common.ActivatedDate"] = at(k);
        fields["Microsoft.VSTS.Common.ActivatedBy"] = assignee ?? creator;
      }
      if (cat === "Resolved") fields["Microsoft.VSTS.Common.ResolvedDate"] = at(k);
      if (cat === "Completed") {
        fields["Microsoft.VSTS.Common.ClosedDate"] = at(k);
        fields["Microsoft.VSTS.Common.ClosedBy"] = assignee ?? creator;
      }
    }
    const relations = this.relations(i);
    const parent = relations.find((x) => x.rel === "System.LinkTypes.Hierarchy-Reverse");
    if (parent) fields["System.Parent"] = parent.targetId!;
    for (const k of Object.keys(fields)) if (fields[k] === null) delete fields[k];
    return { rev, fields, relations, watermark: this.wmStart[i] + rev - 1 };
  }
}

function projectInfo(project: Project): ProjectInfo {
  const process = getProcess(project.processName);
  const iterations: ProjectInfo["iterations"] = [];
  const all = nodePaths(project.iterations);
  for (const { node, path } of all) {
    const parent = all.find((x) => x.node.children.includes(node));
    iterations.push({ node, path, parentFinish: parent?.node.finishDate });
  }
  return {
    project,
    types: process.types,
    iterations,
    areas: nodePaths(project.areas).map((x) => x.path),
    custom: !!process.parentProcess,
  };
}

function iso(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function generateWorkItems(opts: GenerateOptions): CompactItems {
  return new CompactItems({ ...opts, seed: opts.seed ^ hash32(opts.org.name) });
}

export { categoryOfState };
