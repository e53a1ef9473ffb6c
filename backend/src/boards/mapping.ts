import type {
  BoardsLinkConfig,
  BugStatus,
  RequirementStatus,
  StateCategory,
  TestOpsPriority,
  TestOpsSeverity,
  Unmapped,
} from "../schemas/boards";

/**
 * Config + ADO fields → TestOps entities, as pure functions (table-tested in boards-mapping.test.ts).
 * Nothing here throws on odd data: missing fields and unmapped values are returned as notes.
 */

export const F = {
  id: "System.Id",
  rev: "System.Rev",
  title: "System.Title",
  state: "System.State",
  type: "System.WorkItemType",
  iteration: "System.IterationPath",
  deleted: "System.IsDeleted",
  priority: "Microsoft.VSTS.Common.Priority",
  severity: "Microsoft.VSTS.Common.Severity",
} as const;

const REQ_BY_CATEGORY: Record<StateCategory, RequirementStatus> = {
  Proposed: "Open",
  InProgress: "In Progress",
  Resolved: "Resolved",
  Completed: "Done",
  Removed: "Removed",
};
const BUG_BY_CATEGORY: Record<StateCategory, BugStatus> = {
  Proposed: "Open",
  InProgress: "In Progress",
  Resolved: "Resolved",
  Completed: "Closed",
  Removed: "Removed",
};
/** Default status of a state, by its category (custom/renamed states keep their category). */
export const suggestedRequirementStatus = (category: string): RequirementStatus | null =>
  REQ_BY_CATEGORY[category as StateCategory] ?? null;
export const suggestedBugStatus = (category: string): BugStatus | null => BUG_BY_CATEGORY[category as StateCategory] ?? null;

/** The fields the reporting revisions request asks for: only what the mapping reads. */
export function fieldsNeeded(cfg: BoardsLinkConfig): string[] {
  const f: string[] = [F.id, F.rev, F.title, F.state, F.type, F.iteration, F.priority, F.deleted];
  if (cfg.pullRequirements) f.push(...cfg.requirements.releaseDateFields);
  if (cfg.bugMapping) f.push(F.severity);
  return [...new Set(f)];
}

/** Work item types the sync reads (requirement types first when a type is in both lists). */
export function typesNeeded(cfg: BoardsLinkConfig): string[] {
  return [...new Set([...(cfg.pullRequirements ? cfg.requirements.workItemTypes : []), ...(cfg.bugMapping ? cfg.bugs.workItemTypes : [])])];
}

export type Kind = "requirement" | "bug";
const has = (list: string[], v: string) => list.some((x) => x.toLowerCase() === v.toLowerCase());
export function classify(cfg: BoardsLinkConfig, type: string | undefined): Kind | null {
  if (!type) return null;
  if (cfg.pullRequirements && has(cfg.requirements.workItemTypes, type)) return "requirement";
  if (cfg.bugMapping && has(cfg.bugs.workItemTypes, type)) return "bug";
  return null;
}

export type Fields = Record<string, unknown>;
export interface Revision {
  id: number;
  rev: number;
  fields: Fields;
}

export interface MappedBase {
  adoId: number;
  adoRev: number;
  workItemType: string;
  title: string;
  adoState: string | null;
  priority: TestOpsPriority | null;
  iterationPath: string | null;
  removed: boolean;
}
export interface MappedRequirement extends MappedBase {
  kind: "requirement";
  status: RequirementStatus | null;
  releaseDate: string | null;
}
export interface MappedBug extends MappedBase {
  kind: "bug";
  status: BugStatus | null;
  severity: TestOpsSeverity | null;
}
export type Note = Omit<Unmapped, "count" | "example"> & { adoId: number };
export type MapResult =
  | { kind: "requirement"; entity: MappedRequirement; notes: Note[] }
  | { kind: "bug"; entity: MappedBug; notes: Note[] }
  /** Not a synced type (any more): a stored copy is marked removed. */
  | { kind: "outOfScope"; adoId: number; adoRev: number; removed: boolean; notes: Note[] };

const str = (v: unknown): string | null => (v === undefined || v === null || v === "" ? null : String(v));

/** Case-insensitive lookup in a name-keyed map (ADO names are case-insensitive). */
function lookup<T>(map: Record<string, T> | undefined, k: string): T | undefined {
  if (!map) return undefined;
  if (k in map) return map[k];
  const lk = k.toLowerCase();
  for (const [key, v] of Object.entries(map)) if (key.toLowerCase() === lk) return v;
  return undefined;
}

export function mapPriority(cfg: BoardsLinkConfig, raw: unknown): TestOpsPriority | null {
  const v = str(raw);
  if (v === null) return null;
  return (cfg.priorityMapping as Record<string, TestOpsPriority>)[String(Number(v))] ?? null;
}

/** First non-empty, valid date among the configured fields (priority order). */
export function pickReleaseDate(fieldsInOrder: string[], fields: Fields): { date: string | null; invalid: string | null } {
  let invalid: string | null = null;
  for (const f of fieldsInOrder) {
    const v = str(fields[f]);
    if (v === null) continue;
    const t = Date.parse(v);
    if (Number.isNaN(t)) {
      invalid ??= v;
      continue;
    }
    return { date: new Date(t).toISOString(), invalid };
  }
  return { date: null, invalid };
}

/** One reporting revision → the TestOps requirement or bug it stands for. */
export function mapRevision(cfg: BoardsLinkConfig, r: Revision): MapResult {
  const f = r.fields ?? {};
  const type = str(f[F.type]);
  const removed = f[F.deleted] === true;
  const notes: Note[] = [];
  const kind = classify(cfg, type ?? undefined);
  if (!kind || !type) return { kind: "outOfScope", adoId: r.id, adoRev: r.rev, removed, notes };

  const note = (k: Note["kind"], value: string | null) => notes.push({ kind: k, workItemType: type, value, adoId: r.id });
  const adoState = str(f[F.state]);
  const priorityRaw = str(f[F.priority]);
  const priority = mapPriority(cfg, priorityRaw);
  if (!priority) note("priority", priorityRaw);
  const base: MappedBase = {
    adoId: r.id,
    adoRev: r.rev,
    workItemType: type,
    title: str(f[F.title]) ?? `#${r.id}`,
    adoState,
    priority,
    iterationPath: str(f[F.iteration]),
    removed,
  };

  if (kind === "requirement") {
    const status = adoState === null ? undefined : lookup(lookup(cfg.requirements.stateMapping, type), adoState);
    if (!status) note("state", adoState);
    const rd = pickReleaseDate(cfg.requirements.releaseDateFields, f);
    if (cfg.requirements.releaseDateFields.length && (rd.invalid !== null || rd.date === null)) note("releaseDate", rd.invalid);
    return { kind, entity: { ...base, kind, status: status ?? null, releaseDate: rd.date }, notes };
  }
  const status = adoState === null ? undefined : lookup(lookup(cfg.bugs.stateMapping, type), adoState);
  if (!status) note("state", adoState);
  const sevRaw = str(f[F.severity]);
  const severity = sevRaw === null ? undefined : lookup(cfg.bugs.severityMapping, sevRaw);
  if (!severity) note("severity", sevRaw);
  return { kind, entity: { ...base, kind, status: status ?? null, severity: severity ?? null }, notes };
}

/** Aggregates notes into the "unmapped" list of a sync result or preview (one line per kind/type/value). */
export class UnmappedTally {
  private map = new Map<string, Unmapped>();
  constructor(initial: Unmapped[] = []) {
    for (const u of initial) this.map.set(this.key(u), { ...u });
  }
  private key(u: { kind: string; workItemType: string | null; value: string | null }) {
    return `${u.kind}\u0000${u.workItemType ?? ""}\u0000${u.value ?? "\u0001"}`;
  }
  add(notes: Note[]): void {
    for (const n of notes) {
      const k = this.key(n);
      const cur = this.map.get(k);
      if (cur) cur.count++;
      else this.map.set(k, { kind: n.kind, workItemType: n.workItemType, value: n.value, count: 1, example: n.adoId });
    }
  }
  list(): Unmapped[] {
    return [...this.map.values()].sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  }
}
