// Work item storage. Generated items live in compact typed arrays (seed/workitems.ts) and are rendered
// on read; an item is "materialized" into full revision snapshots only when something changes it.
// Every revision gets an org-wide watermark so the reporting revisions API can stream changes in order.
import type { CompactItems } from "./seed/workitems";
import type { Org } from "./state";

export type FieldValue = string | number | boolean | null;

export interface Relation {
  rel: string;
  /** Work item links point at another item; artifact/hyperlinks carry a url. */
  targetId?: number;
  url?: string;
  attributes: Record<string, unknown>;
}

export interface Revision {
  rev: number;
  /** Identity fields hold a user id; renderers turn them into IdentityRefs or "Name <mail>". */
  fields: Record<string, FieldValue>;
  relations: Relation[];
  watermark: number;
}

interface FullItem {
  id: number;
  projectId: string;
  revisions: Revision[];
  /** Moves to another project: from revision `fromRev` on, the item is in `projectId`. */
  moves?: { fromRev: number; projectId: string }[];
  /** The project before the first move. */
  originalProjectId?: string;
}

export interface DeletedInfo {
  deletedDate: string;
  deletedBy: string;
}

export interface LogEntry {
  wm: number;
  id: number;
  rev: number;
  kind: "rev" | "delete" | "restore";
}

export class WorkItemStore {
  compact: CompactItems | null = null;
  readonly full = new Map<number, FullItem>();
  readonly deleted = new Map<number, DeletedInfo>();
  readonly destroyed = new Set<number>();
  /** Changes after the generated history, in watermark order. */
  readonly log: LogEntry[] = [];
  private nextId = 1;

  constructor(readonly org: Org) {}

  setCompact(c: CompactItems): void {
    this.compact = c;
    this.nextId = Math.max(this.nextId, c.n + 1);
  }

  /** Watermark of the last generated revision; live changes start after it. */
  get generatedWatermark(): number {
    return this.compact?.total ?? 0;
  }

  get lastWatermark(): number {
    return this.log.length ? this.log[this.log.length - 1].wm : this.generatedWatermark;
  }

  maxId(): number {
    return this.nextId - 1;
  }

  private isCompact(id: number): boolean {
    return !!this.compact && id >= 1 && id <= this.compact.n && !this.full.has(id);
  }

  /** Exists and not permanently destroyed (may be in the recycle bin). */
  known(id: number): boolean {
    if (this.destroyed.has(id)) return false;
    return this.full.has(id) || (!!this.compact && id >= 1 && id <= this.compact.n);
  }

  /** Exists and is not deleted. */
  exists(id: number): boolean {
    return this.known(id) && !this.deleted.has(id);
  }

  isDeleted(id: number): boolean {
    return this.deleted.has(id) && !this.destroyed.has(id);
  }

  projectId(id: number): string {
    if (this.isCompact(id)) return this.compact!.projectIdOf(id - 1);
    return this.full.get(id)!.projectId;
  }

  /** The project a revision was made in (an item moved to another project keeps its older revisions where they were). */
  projectIdAt(id: number, rev: number): string {
    const item = this.full.get(id);
    if (!item?.moves) return this.projectId(id);
    let p = item.originalProjectId ?? item.projectId;
    for (const m of item.moves) if (rev >= m.fromRev) p = m.projectId;
    return p;
  }

  /** Records that the item moves to `projectId` with its next revision. */
  move(id: number, projectId: string): void {
    const item = this.materialize(id);
    item.originalProjectId ??= item.projectId;
    (item.moves ??= []).push({ fromRev: item.revisions.length + 1, projectId });
    item.projectId = projectId;
  }

  revCount(id: number): number {
    if (this.isCompact(id)) return this.compact!.revCount[id - 1];
    return this.full.get(id)!.revisions.length;
  }

  revision(id: number, rev?: number): Revision | undefined {
    const count = this.revCount(id);
    const r = rev ?? count;
    if (r < 1 || r > count) return undefined;
    if (this.isCompact(id)) return this.compact!.revision(id - 1, r);
    return this.full.get(id)!.revisions[r - 1];
  }

  latest(id: number): Revision {
    return this.revision(id)!;
  }

  revisions(id: number): Revision[] {
    if (this.isCompact(id)) {
      const out: Revision[] = [];
      for (let r = 1; r <= this.compact!.revCount[id - 1]; r++) out.push(this.compact!.revision(id - 1, r));
      return out;
    }
    return this.full.get(id)!.revisions;
  }

  /** Latest value of one field, cheap for compact rows (WIQL scans use this). */
  field(id: number, ref: string): FieldValue | undefined {
    if (this.isCompact(id)) return this.compact!.latestField(id - 1, ref);
    const f = this.full.get(id)!.revisions;
    return f[f.length - 1].fields[ref];
  }

  /** Ascending ids of items that exist (optionally including recycle-bin items). */
  *ids(includeDeleted = false): Generator<number> {
    for (let id = 1; id < this.nextId; id++) {
      if (!this.known(id)) continue;
      if (!includeDeleted && this.deleted.has(id)) continue;
      yield id;
    }
  }

  count(): number {
    let n = 0;
    for (const _ of this.ids()) n++;
    return n;
  }

  /** Turns a compact row into full snapshots so it can change. */
  materialize(id: number): FullItem {
    let item = this.full.get(id);
    if (item) return item;
    if (!this.isCompact(id)) throw new Error(`work item ${id} does not exist`);
    const revisions = this.revisions(id);
    item = { id, projectId: this.projectId(id), revisions };
    this.full.set(id, item);
    return item;
  }

  private nextWatermark(): number {
    return this.lastWatermark + 1;
  }

  create(projectId: string, fields: Record<string, FieldValue>, relations: Relation[]): Revision {
    const id = this.nextId++;
    const rev: Revision = { rev: 1, fields: { ...fields, "System.Id": id, "System.Rev": 1 }, relations, watermark: this.nextWatermark() };
    this.full.set(id, { id, projectId, revisions: [rev] });
    this.log.push({ wm: rev.watermark, id, rev: 1, kind: "rev" });
    return rev;
  }

  append(id: number, fields: Record<string, FieldValue>, relations: Relation[]): Revision {
    const item = this.materialize(id);
    const revNo = item.revisions.length + 1;
    const rev: Revision = { rev: revNo, fields: { ...fields, "System.Rev": revNo }, relations, watermark: this.nextWatermark() };
    item.revisions.push(rev);
    this.log.push({ wm: rev.watermark, id, rev: revNo, kind: "rev" });
    return rev;
  }

  markDeleted(id: number, info: DeletedInfo): void {
    this.deleted.set(id, info);
    this.log.push({ wm: this.nextWatermark(), id, rev: this.revCount(id), kind: "delete" });
  }

  restore(id: number): void {
    this.deleted.delete(id);
    this.log.push({ wm: this.nextWatermark(), id, rev: this.revCount(id), kind: "restore" });
  }

  destroy(id: number): void {
    this.deleted.delete(id);
    this.destroyed.add(id);
    this.full.delete(id);
  }

  /**
   * Revisions with watermark > after, in watermark order: generated history first, then the log.
   * Yields [id, rev, watermark, kind].
   */
  *since(after: number): Generator<[number, number, number, LogEntry["kind"]]> {
    const c = this.compact;
    if (c && after < c.total) {
      // Binary search the first compact row with a revision after the watermark.
      let lo = 0;
      let hi = c.n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c.wmStart[mid] + c.revCount[mid] - 1 <= after) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < c.n; i++) {
        for (let r = 1; r <= c.revCount[i]; r++) {
          const wm = c.wmStart[i] + r - 1;
          if (wm > after) yield [i + 1, r, wm, "rev"];
        }
      }
    }
    const gen = this.generatedWatermark;
    for (let k = Math.max(0, after - gen); k < this.log.length; k++) {
      const e = this.log[k];
      if (e.wm > after) yield [e.id, e.rev, e.wm, e.kind];
    }
  }
}
