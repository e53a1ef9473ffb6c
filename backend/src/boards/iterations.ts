import type { AdoIterationNode, BoardsLinkConfig } from "../schemas/boards";

/** Raw classification node as ADO returns it. */
export interface AdoClassNode {
  id: number;
  identifier?: string;
  name: string;
  path?: string;
  attributes?: { startDate?: string | null; finishDate?: string | null };
  children?: AdoClassNode[];
}

/**
 * "\\Fabrikam Fiber\\Iteration\\Release 1" (classification node path) → "Fabrikam Fiber\\Release 1"
 * (System.IterationPath form): drop the leading backslash and the structure segment.
 */
export function toIterationPath(nodePath: string): string {
  const segs = nodePath.replace(/^\\+/, "").split("\\");
  if (segs.length >= 2 && /^iterations?$/i.test(segs[1])) segs.splice(1, 1);
  return segs.join("\\");
}

const day = (d: string | null | undefined) => (d ? new Date(d).toISOString() : null);

/** The iteration tree in the shape the hub shows (paths in System.IterationPath form). */
export function toIterationTree(node: AdoClassNode, parentPath?: string): AdoIterationNode {
  const path = node.path ? toIterationPath(node.path) : parentPath ? `${parentPath}\\${node.name}` : node.name;
  return {
    id: node.id,
    identifier: node.identifier ?? null,
    name: node.name,
    path,
    startDate: day(node.attributes?.startDate),
    finishDate: day(node.attributes?.finishDate),
    children: (node.children ?? []).map((c) => toIterationTree(c, path)),
  };
}

export interface PlannedRelease {
  adoNodeId: number;
  path: string;
  name: string;
  startDate: string | null;
  finishDate: string | null;
}
export interface PlannedSprint extends PlannedRelease {
  releaseNodeId: number;
  releasePath: string;
  missingDates: boolean;
}
export interface IterationPlan {
  releases: PlannedRelease[];
  sprints: PlannedSprint[];
  /** Configured release paths that no longer exist in the tree. */
  missingReleasePaths: string[];
}

const key = (p: string) => p.toLowerCase();

/**
 * Step 3 as a pure function: which iteration nodes become TestOps releases and sprints.
 * Releases are the picked nodes (or every first-level node); every node below a release is one of its
 * sprints (a nested picked node is a release of its own). With the team board only the team's
 * iterations are sprints, and only releases holding some of them (or picked by the team) are kept.
 */
export function planIterations(
  root: AdoIterationNode,
  cfg: Pick<BoardsLinkConfig, "iterations">,
  teamIterationIds?: Set<string> | null,
): IterationPlan {
  const { releasePaths, fullPath, source } = cfg.iterations;
  const picked = new Set(releasePaths.map(key));
  const team = source === "teamBoard" ? (teamIterationIds ?? new Set<string>()) : null;
  const inTeam = (n: AdoIterationNode) => !team || (n.identifier !== null && team.has(n.identifier.toLowerCase()));
  const label = (n: AdoIterationNode) => (fullPath ? n.path : n.name);
  const releases: PlannedRelease[] = [];
  const sprints: PlannedSprint[] = [];
  const found = new Set<string>();

  const isRelease = (n: AdoIterationNode, depth: number) => (picked.size ? picked.has(key(n.path)) : depth === 1);
  const walk = (n: AdoIterationNode, depth: number, release: AdoIterationNode | null) => {
    let current = release;
    if (depth > 0 && isRelease(n, depth)) {
      found.add(key(n.path));
      current = n;
      releases.push({ adoNodeId: n.id, path: n.path, name: label(n), startDate: n.startDate, finishDate: n.finishDate });
    } else if (release && inTeam(n)) {
      sprints.push({
        adoNodeId: n.id,
        path: n.path,
        name: label(n),
        startDate: n.startDate,
        finishDate: n.finishDate,
        releaseNodeId: release.id,
        releasePath: release.path,
        missingDates: !n.startDate || !n.finishDate,
      });
    }
    for (const c of n.children) walk(c, depth + 1, current);
  };
  walk(root, 0, null);

  let keptReleases = releases;
  if (team) {
    const withSprints = new Set(sprints.map((s) => s.releaseNodeId));
    const teamNodes = new Set<number>();
    const mark = (n: AdoIterationNode) => {
      if (inTeam(n)) teamNodes.add(n.id);
      n.children.forEach(mark);
    };
    mark(root);
    keptReleases = releases.filter((r) => withSprints.has(r.adoNodeId) || teamNodes.has(r.adoNodeId));
  }
  return { releases: keptReleases, sprints, missingReleasePaths: releasePaths.filter((p) => !found.has(key(p))) };
}

/** Where a work item lands: its iteration path's sprint (and that sprint's release), or a release itself. */
export function placeWorkItem(plan: IterationPlan, iterationPath: string | null | undefined) {
  if (!iterationPath) return { release: null, sprint: null };
  const k = key(iterationPath);
  const sprint = plan.sprints.find((s) => key(s.path) === k) ?? null;
  if (sprint) return { release: plan.releases.find((r) => r.adoNodeId === sprint.releaseNodeId) ?? null, sprint };
  return { release: plan.releases.find((r) => key(r.path) === k) ?? null, sprint: null };
}
