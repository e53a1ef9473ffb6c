// Pure helpers of the Repos tab: how a link's target reads, and the Tests tree built from the API's flat
// lists. Zod-free (types only): the form's draft and validation live in ./draft, which only the link
// panel (a chunk loaded when it opens) imports (scripts/bundle-budget.ts).
import type { ReposLink, TestCase, TestsView, TestSuite } from "@testops/backend/schemas/repos";

export const shortSha = (sha: string | null | undefined) => (sha ? sha.slice(0, 8) : "");

/** "katalon-ci-samples · branch main · /tests" */
export function targetText(t: { repository: { name: string }; versionType: string; version: string; path: string }): string {
  const version = t.versionType === "commit" ? `commit ${shortSha(t.version)}` : `${t.versionType} ${t.version}`;
  return `${t.repository.name} · ${version} · ${t.path === "/" ? "whole repository" : t.path}`;
}

export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export const isRunning = (l: ReposLink) => l.job?.status === "queued" || l.job?.status === "running";

// ---- the Tests tree ----

export type TreeNode =
  | { kind: "link"; id: string; name: string; status: ReposLink["status"]; lastSyncedAt: string | null; children: TreeNode[] }
  | { kind: "group"; id: string; name: string; children: TreeNode[] }
  | { kind: "folder"; id: string; name: string; path: string; children: TreeNode[] }
  | { kind: "testCase"; id: string; item: TestCase }
  | { kind: "suite"; id: string; item: TestSuite };

/** Folders (as in the repository, "A/B") with their items, sorted folders first then by name. */
function folderTree<T extends { id: string; folder: string; name: string }>(
  prefix: string,
  items: T[],
  leaf: (item: T) => TreeNode,
): TreeNode[] {
  type Dir = { dirs: Map<string, Dir>; items: T[] };
  const root: Dir = { dirs: new Map(), items: [] };
  for (const it of items) {
    let d = root;
    for (const part of it.folder.split("/").filter(Boolean)) {
      let next = d.dirs.get(part);
      if (!next) d.dirs.set(part, (next = { dirs: new Map(), items: [] }));
      d = next;
    }
    d.items.push(it);
  }
  const build = (d: Dir, path: string): TreeNode[] => [
    ...[...d.dirs.keys()]
      .sort((a, b) => a.localeCompare(b))
      .map((name) => {
        const p = path ? `${path}/${name}` : name;
        return { kind: "folder" as const, id: `${prefix}/${p}`, name, path: p, children: build(d.dirs.get(name)!, p) };
      }),
    ...[...d.items].sort((a, b) => a.name.localeCompare(b.name)).map(leaf),
  ];
  return build(root, "");
}

export function buildTestsTree(view: TestsView): TreeNode[] {
  return view.links.map((l) => ({
    kind: "link" as const,
    id: l.id,
    name: l.name,
    status: l.status,
    lastSyncedAt: l.lastSyncedAt,
    children: [
      {
        kind: "group" as const,
        id: `${l.id}:tc`,
        name: "Test Cases",
        children: folderTree(
          `${l.id}:tc`,
          view.testCases.filter((t) => t.linkId === l.id),
          (item) => ({ kind: "testCase", id: item.id, item }),
        ),
      },
      {
        kind: "group" as const,
        id: `${l.id}:ts`,
        name: "Test Suites",
        children: folderTree(
          `${l.id}:ts`,
          view.suites.filter((s) => s.linkId === l.id),
          (item) => ({ kind: "suite", id: item.id, item }),
        ),
      },
    ],
  }));
}

export const SUITE_KIND_LABEL: Record<TestSuite["kind"], string> = {
  suite: "Test suite",
  collection: "Suite collection",
  dynamic: "Dynamic suite",
};
