import type { MappedBug, MappedRequirement } from "./mapping";

/** What the DB holds for one work item (the columns a sync compares). */
export interface StoredWorkItem {
  adoId: number;
  adoRev: number;
  configVersion: number;
  workItemType: string;
  title: string;
  adoState: string | null;
  status: string | null;
  priority: string | null;
  iterationPath: string | null;
  removed: boolean;
  releaseDate?: string | null;
  severity?: string | null;
}

/**
 * create: new; update: content changed; remove: newly deleted in ADO; touch: same content, re-mapped
 * under a newer config (bump version only); unchanged: nothing to do; older: the stored revision is newer
 * (never overwritten); ignore: deleted in ADO and never stored.
 */
export type Decision = "create" | "update" | "remove" | "touch" | "unchanged" | "older" | "ignore";

const iso = (v: string | Date | null | undefined) => (v ? new Date(v).toISOString() : null);

export function sameContent(a: StoredWorkItem, b: MappedRequirement | MappedBug): boolean {
  return (
    a.workItemType === b.workItemType &&
    a.title === b.title &&
    a.adoState === b.adoState &&
    a.status === b.status &&
    a.priority === b.priority &&
    a.iterationPath === b.iterationPath &&
    a.removed === b.removed &&
    (b.kind === "requirement" ? iso(a.releaseDate) === iso(b.releaseDate) : (a.severity ?? null) === b.severity)
  );
}

/** Pure decision for one incoming revision against the stored row (idempotent, revision-guarded). */
export function decide(stored: StoredWorkItem | undefined, incoming: MappedRequirement | MappedBug, configVersion: number): Decision {
  if (!stored) return incoming.removed ? "ignore" : "create";
  if (stored.adoRev > incoming.adoRev) return "older";
  // Deleting/restoring a work item does not always bump its revision: the flag decides.
  if (incoming.removed !== stored.removed) return incoming.removed ? "remove" : "update";
  if (stored.adoRev === incoming.adoRev && stored.configVersion >= configVersion) return "unchanged";
  if (sameContent(stored, incoming))
    return stored.adoRev === incoming.adoRev && stored.configVersion === configVersion ? "unchanged" : "touch";
  if (incoming.removed && !stored.removed) return "remove";
  return "update";
}

/** Keeps the newest revision of each work item of a batch (a page may hold several revisions of one item). */
export function latestPerItem<T extends { adoId: number; adoRev: number }>(items: T[]): T[] {
  const m = new Map<number, T>();
  for (const it of items) {
    const cur = m.get(it.adoId);
    if (!cur || cur.adoRev < it.adoRev) m.set(it.adoId, it);
  }
  return [...m.values()];
}
