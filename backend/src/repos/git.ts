// The few Azure Repos calls a Repos link needs, shaped for efficiency: one tree listing, blobs in
// one zip, and commit diffs for later syncs (docs: ado-rest-notes §4).
import { unzipSync } from "fflate";
import type { AdoClient } from "../ado/client";
import { AdoError, isAdoError } from "../ado/errors";
import type { VersionType } from "./url";

export interface RepoRef {
  /** Project id or name the repository lives in. */
  project: string;
  repositoryId: string;
}

export interface AdoRepository {
  id: string;
  name: string;
  project: { id: string; name: string };
  defaultBranch?: string;
  isDisabled?: boolean;
}

const repoPath = (r: RepoRef, rest: string) =>
  `${encodeURIComponent(r.project)}/_apis/git/repositories/${encodeURIComponent(r.repositoryId)}/${rest}`;

/** The repository, or undefined when ADO does not know it (or the PAT cannot see it). */
export async function getRepository(client: AdoClient, project: string, repo: string): Promise<AdoRepository | undefined> {
  try {
    return await client.get<AdoRepository>(`${encodeURIComponent(project)}/_apis/git/repositories/${encodeURIComponent(repo)}`);
  } catch (e) {
    if (isAdoError(e, "not_found")) return undefined;
    throw e;
  }
}

interface GitRef {
  name: string;
  objectId: string;
  peeledObjectId?: string;
}

/** Commit a branch, tag or commit resolves to; undefined when it does not exist. */
export async function resolveCommit(client: AdoClient, r: RepoRef, type: VersionType, value: string): Promise<string | undefined> {
  if (type === "commit") {
    try {
      const c = await client.get<{ commitId: string }>(repoPath(r, `commits/${encodeURIComponent(value)}`));
      return c.commitId;
    } catch (e) {
      if (isAdoError(e, "not_found") || isAdoError(e, "bad_request")) return undefined;
      throw e;
    }
  }
  const full = `refs/${type === "branch" ? "heads" : "tags"}/${value}`;
  try {
    // `filter` is a prefix match ("heads/main" also returns "heads/main-old"): keep the exact name.
    for await (const page of client.pages<GitRef>(repoPath(r, "refs"), {
      query: { filter: full.slice("refs/".length), peelTags: type === "tag" ? true : undefined },
    })) {
      const hit = page.find((x) => x.name === full);
      if (hit) return hit.peeledObjectId || hit.objectId;
    }
  } catch (e) {
    if (isAdoError(e, "not_found")) return undefined;
    throw e;
  }
  return undefined;
}

export interface GitItem {
  path: string;
  objectId: string;
  isFolder: boolean;
}

const versionQuery = (commit: string) => ({ "versionDescriptor.version": commit, "versionDescriptor.versionType": "commit" });

/** What is at `path` in a commit: a folder, a file, or nothing. */
export async function itemKind(client: AdoClient, r: RepoRef, path: string, commit: string): Promise<"folder" | "file" | undefined> {
  try {
    const res = await client.get<{ value?: { path: string; isFolder?: boolean; gitObjectType?: string }[] }>(repoPath(r, "items"), {
      query: { scopePath: path, recursionLevel: "none", ...versionQuery(commit) },
    });
    const item = res.value?.[0];
    if (!item) return undefined;
    return item.isFolder || item.gitObjectType === "tree" ? "folder" : "file";
  } catch (e) {
    if (isAdoError(e, "not_found")) return undefined;
    throw e;
  }
}

/**
 * The existing path that equals `path` ignoring case, if any (git paths are case-sensitive, so a
 * wrongly-cased folder is "not found"; this only makes the error say what was meant). One request
 * per path segment, asked only after the exact path failed.
 */
export async function pathIgnoringCase(client: AdoClient, r: RepoRef, path: string, commit: string): Promise<string | undefined> {
  let cur = "/";
  for (const seg of path.split("/").filter(Boolean)) {
    let children: { path: string }[];
    try {
      const res = await client.get<{ value?: { path: string }[] }>(repoPath(r, "items"), {
        query: { scopePath: cur, recursionLevel: "oneLevel", ...versionQuery(commit) },
      });
      children = res.value ?? [];
    } catch (e) {
      if (isAdoError(e, "not_found")) return undefined;
      throw e;
    }
    const want = `${cur === "/" ? "" : cur}/${seg}`.toLowerCase();
    const hit = children.find((c) => c.path.toLowerCase() === want && c.path !== cur);
    if (!hit) return undefined;
    cur = hit.path;
  }
  return cur === path ? undefined : cur;
}

/** Every item under `scopePath` at `commit`, in one request (undefined when the folder does not exist). */
export async function listTree(client: AdoClient, r: RepoRef, scopePath: string, commit: string): Promise<GitItem[] | undefined> {
  try {
    const res = await client.get<{ value?: { path: string; objectId: string; isFolder?: boolean; gitObjectType?: string }[] }>(
      repoPath(r, "items"),
      { query: { scopePath, recursionLevel: "full", ...versionQuery(commit) } },
    );
    return (res.value ?? []).map((i) => ({ path: i.path, objectId: i.objectId, isFolder: !!i.isFolder || i.gitObjectType === "tree" }));
  } catch (e) {
    if (isAdoError(e, "not_found")) return undefined;
    throw e;
  }
}

/** ADO zips at most this many blobs per request in our use; a 1,000-test-case project needs one. */
export const BLOBS_PER_ZIP = 2500;

/** Blob contents by object id, fetched as zips (entries are named by object id). */
export async function fetchBlobs(client: AdoClient, r: RepoRef, ids: string[], signal?: AbortSignal): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const unique = [...new Set(ids.map((i) => i.toLowerCase()))];
  for (let i = 0; i < unique.length; i += BLOBS_PER_ZIP) {
    const batch = unique.slice(i, i + BLOBS_PER_ZIP);
    const files = await client.readWith("POST", repoPath(r, "blobs"), { body: batch, accept: "application/zip", signal }, async (res) => {
      try {
        return unzipSync(new Uint8Array(await res.arrayBuffer()));
      } catch {
        // Cut mid-stream or corrupt: the client asks again (blobs is a read-only POST).
        throw new AdoError("unreachable", "Azure DevOps sent an incomplete zip of file contents");
      }
    });
    for (const [name, data] of Object.entries(files)) {
      const id = name.replace(/^.*\//, "").toLowerCase();
      if (/^[0-9a-f]{40}$/.test(id)) out.set(id, data);
    }
  }
  return out;
}

export interface GitChange {
  path: string;
  objectId?: string;
  originalPath?: string;
  isFolder: boolean;
  types: Set<string>;
}

const DIFF_PAGE = 1000;

/**
 * Changes between two commits, or undefined when they cannot be diffed cheaply (unknown base after
 * a force push, or more than `maxPages` pages) and a fresh listing is the better deal.
 */
export async function diffCommits(
  client: AdoClient,
  r: RepoRef,
  base: string,
  target: string,
  maxPages = 4,
): Promise<GitChange[] | undefined> {
  const changes: GitChange[] = [];
  for (let page = 0; page < maxPages; page++) {
    let res: {
      changes?: {
        item?: { path?: string; objectId?: string; isFolder?: boolean; gitObjectType?: string };
        changeType?: string;
        originalPath?: string;
      }[];
    };
    try {
      res = await client.get(repoPath(r, "diffs/commits"), {
        query: {
          baseVersion: base,
          baseVersionType: "commit",
          targetVersion: target,
          targetVersionType: "commit",
          diffCommonCommit: false,
          $top: DIFF_PAGE,
          $skip: page * DIFF_PAGE,
        },
      });
    } catch (e) {
      if (isAdoError(e, "not_found") || isAdoError(e, "bad_request")) return undefined;
      throw e;
    }
    const list = res.changes ?? [];
    for (const c of list) {
      if (!c.item?.path) continue;
      // changeType may be a comma-joined flag list ("edit, rename", "delete, sourceRename").
      const types = new Set(
        String(c.changeType ?? "")
          .split(",")
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean),
      );
      changes.push({
        path: c.item.path,
        objectId: c.item.objectId,
        originalPath: c.originalPath,
        isFolder: !!c.item.isFolder || c.item.gitObjectType === "tree",
        types,
      });
    }
    if (list.length < DIFF_PAGE) return changes;
  }
  return undefined;
}
