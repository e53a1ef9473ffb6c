// git area: repositories, refs, items (incl. zip), trees, blobs (incl. zip batch), commits, diffs, pushes.
import { zipSync } from "fflate";
import { canSeeProject } from "./auth";
import type { SimCore } from "./core-types";
import { AdoError, badRequest, boolParam, intParam, json, list, notFound, orgUrl, type Ctx } from "./http";
import { GitError, GitRepo, normPath, ZERO_ID, type ChangeType, type FileChange, type GitPushRecord } from "./gitstore";
import type { RouteDef } from "./router";
import type { Org, Project } from "./state";

const READ = ["vso.code"];
const WRITE = ["vso.code_write"];

export interface PushInput {
  branch: string;
  changes: FileChange[];
  comment?: string;
  pushedByUserId: string;
  /** Expected current tip (optimistic concurrency); ZERO_ID to create the branch. */
  oldObjectId?: string;
}

const branchRef = (b: string) => (b.startsWith("refs/") ? b : `refs/heads/${b}`);

/** Pushes one commit to a branch, records the push and fires git.push hooks. */
export function pushToRepo(
  core: SimCore,
  org: Org,
  project: Project,
  repo: GitRepo,
  input: PushInput,
): { push: GitPushRecord; commitId: string } {
  const ref = branchRef(input.branch);
  const current = repo.refs.get(ref);
  if (input.oldObjectId !== undefined && (current ?? ZERO_ID) !== input.oldObjectId.toLowerCase())
    throw new GitError(
      409,
      `TF401028: The reference '${ref}' has already been updated by another client, so you cannot update it. Please try again.`,
      "GitReferenceStaleException",
    );
  const user = core.state.users.get(input.pushedByUserId);
  const now = core
    .clock()
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
  const pushId = repo.pushes.length + 1;
  const parent = current ?? (input.oldObjectId === undefined ? repo.refs.get(repo.defaultBranch) : undefined);
  const commitId = repo.commitChanges(parent, input.changes, {
    comment: input.comment ?? "Updated files",
    author: { name: user?.displayName ?? "Unknown", email: user?.uniqueName ?? "unknown@example.com", date: now },
    pushId,
  });
  repo.refs.set(ref, commitId);
  if (!repo.refs.has(repo.defaultBranch)) repo.defaultBranch = ref;
  const push: GitPushRecord = {
    pushId,
    date: core.clock().toISOString(),
    pushedByUserId: input.pushedByUserId,
    refUpdates: [{ name: ref, oldObjectId: current ?? ZERO_ID, newObjectId: commitId }],
    commitIds: [commitId],
  };
  repo.pushes.push(push);
  core.emit({ type: "git.push", org, project, repo, push });
  return { push, commitId };
}

// ---------- helpers ----------

function gitErr(e: unknown): never {
  if (e instanceof GitError)
    throw new AdoError(
      e.status,
      e.message,
      e.typeKey,
      `Microsoft.TeamFoundation.Git.Server.${e.typeKey}, Microsoft.TeamFoundation.Git.Server`,
    );
  throw e;
}

function findRepoCtx(ctx: Ctx): { repo: GitRepo; project: Project } {
  const k = ctx.params.repo.toLowerCase();
  const projects = (ctx.project ? [ctx.project] : ctx.org.projects).filter((p) => canSeeProject(ctx.identity, p.id));
  for (const p of projects) {
    const repo = p.repos.find((r) => r.id === k || r.name.toLowerCase() === k);
    if (repo) return { repo, project: p };
  }
  throw notFound(
    `TF401019: The Git repository with name or identifier ${ctx.params.repo} does not exist or you do not have permissions for the operation you are attempting.`,
    "GitRepositoryNotFoundException",
  );
}

const repoUrl = (ctx: Ctx, p: Project, r: GitRepo) => `${orgUrl(ctx)}/${p.id}/_apis/git/repositories/${r.id}`;

function repoJson(ctx: Ctx, p: Project, r: GitRepo) {
  const web = `${orgUrl(ctx)}/${encodeURIComponent(p.name)}/_git/${encodeURIComponent(r.name)}`;
  return {
    id: r.id,
    name: r.name,
    url: repoUrl(ctx, p, r),
    project: {
      id: p.id,
      name: p.name,
      description: p.description,
      url: `${orgUrl(ctx)}/_apis/projects/${p.id}`,
      state: p.state,
      revision: p.revision,
      visibility: p.visibility,
      lastUpdateTime: p.lastUpdateTime,
    },
    ...(r.refs.size ? { defaultBranch: r.defaultBranch } : {}),
    size: r.size(),
    remoteUrl: web.replace("://", `://${ctx.org.name}@`),
    sshUrl: `git@ssh.dev.azure.com:v3/${ctx.org.name}/${encodeURIComponent(p.name)}/${encodeURIComponent(r.name)}`,
    webUrl: web,
    isDisabled: false,
    isInMaintenance: false,
  };
}

/** Resolves versionDescriptor (branch/tag/commit) to a commit id. */
function resolveVersion(ctx: Ctx, repo: GitRepo, version?: string, type?: string): string {
  const t = (type ?? "branch").toLowerCase();
  if (!version) {
    const head = repo.refs.get(repo.defaultBranch);
    if (!head) throw new AdoError(404, `TF401174: The repository ${repo.name} is empty.`, "GitItemNotFoundException");
    return head;
  }
  let id: string | undefined;
  if (t === "branch") id = repo.refs.get(branchRef(version));
  else if (t === "tag") id = repo.refs.get(version.startsWith("refs/") ? version : `refs/tags/${version}`);
  else if (t === "commit")
    id = [...repo.commits.keys()].find((c) => c === version.toLowerCase() || (version.length >= 7 && c.startsWith(version.toLowerCase())));
  else throw badRequest(`Invalid version type ${type}`);
  if (!id)
    throw new AdoError(
      404,
      `TF401175: The version descriptor <${t[0].toUpperCase()}${t.slice(1)}: ${version}> could not be resolved to a version in the repository ${repo.name}`,
      "GitUnresolvableToCommitException",
    );
  return id;
}

const versionOf = (ctx: Ctx, repo: GitRepo) =>
  resolveVersion(
    ctx,
    repo,
    ctx.q("versionDescriptor.version") ?? ctx.q("version"),
    ctx.q("versionDescriptor.versionType") ?? ctx.q("versionType"),
  );

function itemJson(
  ctx: Ctx,
  p: Project,
  repo: GitRepo,
  commitId: string,
  path: string,
  objectId: string,
  folder: boolean,
  content?: string,
) {
  const out: Record<string, unknown> = {
    objectId,
    gitObjectType: folder ? "tree" : "blob",
    commitId,
    path,
  };
  if (folder) out.isFolder = true;
  if (content !== undefined) out.content = content;
  if (!folder && boolParam(ctx, "includeContentMetadata"))
    out.contentMetadata = { fileName: path.split("/").pop(), encoding: 65001, contentType: "text/plain" };
  out.url = `${repoUrl(ctx, p, repo)}/items?path=${encodeURIComponent(path)}&versionType=Commit&version=${commitId}`;
  return out;
}

function zipResponse(files: Record<string, Uint8Array>, name: string): Response {
  const data = zipSync(files, { level: 1 });
  return new Response(data as unknown as BodyInit, {
    status: 200,
    headers: { "content-type": "application/zip", "content-disposition": `attachment; filename="${name}.zip"` },
  });
}

function rawResponse(data: Uint8Array, name: string, download: boolean): Response {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (download) headers["content-disposition"] = `attachment; filename="${encodeURIComponent(name)}"`;
  return new Response(data as unknown as BodyInit, { status: 200, headers });
}

const wantsJson = (ctx: Ctx) => {
  const f = (ctx.q("$format") ?? "").toLowerCase();
  if (f) return f === "json";
  return (ctx.req.headers.get("accept") ?? "").toLowerCase().includes("application/json");
};

function items(ctx: Ctx): Response {
  const { repo, project } = findRepoCtx(ctx);
  try {
    const commitId = versionOf(ctx, repo);
    const scopePath = ctx.q("scopePath");
    const path = normPath(ctx.q("path") ?? scopePath ?? "/");
    const level = (ctx.q("recursionLevel") ?? "none").toLowerCase();
    const format = (ctx.q("$format") ?? "").toLowerCase();
    const hit = repo.resolvePath(commitId, path);
    if (!hit)
      throw new GitError(
        404,
        `TF401174: The item '${path}' could not be found in the repository '${repo.name}' at the version specified by '<Commit: ${commitId}>' (resolved from '${commitId}').`,
        "GitItemNotFoundException",
      );
    const flat = repo.flatFiles(commitId);
    if (format === "zip") {
      const files: Record<string, Uint8Array> = {};
      const prefix = path === "/" ? "/" : `${path}/`;
      for (const [p, sha] of flat) if (p.startsWith(prefix) || p === path) files[p.slice(1)] = repo.get(sha)!.data;
      return zipResponse(files, path.split("/").pop() || repo.name);
    }
    const listMode = !!scopePath || level === "onelevel" || level === "full" || level === "onelevelplusnestedemptyfolders";
    if (!listMode) {
      if (hit.type === "blob") {
        const data = repo.get(hit.objectId)!.data;
        if (!wantsJson(ctx) || boolParam(ctx, "download") || format === "octetstream" || format === "text")
          return rawResponse(data, path.split("/").pop()!, boolParam(ctx, "download"));
        const content = boolParam(ctx, "includeContent") ? Buffer.from(data).toString("utf8") : undefined;
        return json(itemJson(ctx, project, repo, commitId, path, hit.objectId, false, content));
      }
      return json(itemJson(ctx, project, repo, commitId, path, hit.objectId, true));
    }
    if (hit.type === "blob") return list([itemJson(ctx, project, repo, commitId, path, hit.objectId, false)]);
    const out: unknown[] = [itemJson(ctx, project, repo, commitId, path, hit.objectId, true)];
    const walk = (tree: string, prefix: string, depth: number) => {
      for (const e of repo.readTree(tree)) {
        const p = `${prefix === "/" ? "" : prefix}/${e.name}`;
        out.push(itemJson(ctx, project, repo, commitId, p, e.objectId, e.type === "tree"));
        if (
          e.type === "tree" &&
          (level === "full" || (level === "onelevelplusnestedemptyfolders" && depth === 0 && repo.readTree(e.objectId).length === 0))
        )
          walk(e.objectId, p, depth + 1);
      }
    };
    if (level !== "none") walk(hit.objectId, path, 0);
    return list(out);
  } catch (e) {
    gitErr(e);
  }
}

function commitRefJson(ctx: Ctx, p: Project, repo: GitRepo, id: string, withChanges = true) {
  const c = repo.commits.get(id)!;
  const out: Record<string, unknown> = {
    commitId: id,
    author: c.author,
    committer: c.committer,
    comment: c.comment,
    commentTruncated: false,
  };
  if (withChanges) {
    const counts = changeCounts(diff(repo, c.parents[0], id).filter((x) => x.type === "blob"));
    out.changeCounts = counts;
  }
  out.url = `${repoUrl(ctx, p, repo)}/commits/${id}`;
  out.remoteUrl = `${orgUrl(ctx)}/${encodeURIComponent(p.name)}/_git/${encodeURIComponent(repo.name)}/commit/${id}`;
  return out;
}

interface DiffEntry {
  path: string;
  type: "blob" | "tree";
  changeType: string;
  objectId?: string;
  originalObjectId?: string;
  originalPath?: string;
}

function folderSet(flat: Map<string, string>): Set<string> {
  const s = new Set<string>();
  for (const p of flat.keys()) {
    const parts = p.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) s.add(`/${parts.slice(0, i).join("/")}`);
  }
  return s;
}

/** Changes from base to target: blobs (add/edit/delete/rename) and folders (add/delete/edit). */
function diff(repo: GitRepo, base: string | undefined, target: string): DiffEntry[] {
  const a = base ? repo.flatFiles(base) : new Map<string, string>();
  const b = repo.flatFiles(target);
  const out: DiffEntry[] = [];
  const added: string[] = [];
  const deleted: string[] = [];
  for (const [p, sha] of b) {
    const old = a.get(p);
    if (old === undefined) added.push(p);
    else if (old !== sha) out.push({ path: p, type: "blob", changeType: "edit", objectId: sha, originalObjectId: old });
  }
  for (const p of a.keys()) if (!b.has(p)) deleted.push(p);
  // Renames: explicit ones recorded by pushes along the history, else same content moved.
  const explicit = new Map<string, string>();
  for (const c of repo.history(target)) {
    if (c.commitId === base) break;
    for (const [to, from] of repo.renames.get(c.commitId) ?? []) if (!explicit.has(to)) explicit.set(to, from);
  }
  const deletedSet = new Set(deleted);
  const byBlob = new Map<string, string[]>();
  for (const p of deleted) byBlob.set(a.get(p)!, [...(byBlob.get(a.get(p)!) ?? []), p]);
  for (const p of added) {
    let from = explicit.get(p);
    if (from && !deletedSet.has(from)) from = undefined;
    if (!from) {
      const cands = byBlob.get(b.get(p)!)?.filter((x) => deletedSet.has(x));
      from = cands?.[0];
    }
    if (from) {
      deletedSet.delete(from);
      const edited = a.get(from) !== b.get(p);
      out.push({
        path: p,
        type: "blob",
        changeType: edited ? "edit, rename" : "rename",
        objectId: b.get(p),
        originalObjectId: a.get(from),
        originalPath: from,
      });
    } else out.push({ path: p, type: "blob", changeType: "add", objectId: b.get(p) });
  }
  for (const p of deletedSet) out.push({ path: p, type: "blob", changeType: "delete", originalObjectId: a.get(p) });
  const fa = folderSet(a);
  const fb = folderSet(b);
  for (const f of fb) if (!fa.has(f)) out.push({ path: f, type: "tree", changeType: "add" });
  for (const f of fa) if (!fb.has(f)) out.push({ path: f, type: "tree", changeType: "delete" });
  const touched = new Set(out.filter((x) => x.type === "blob").flatMap((x) => [x.path, x.originalPath ?? x.path]));
  for (const f of fb)
    if (fa.has(f) && [...touched].some((p) => p.startsWith(`${f}/`))) out.push({ path: f, type: "tree", changeType: "edit" });
  out.sort((x, y) => x.path.localeCompare(y.path));
  return out;
}

function changeCounts(changes: DiffEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of changes) {
    const k = c.changeType.split(",")[0].trim();
    const key = k[0].toUpperCase() + k.slice(1);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function changeJson(ctx: Ctx, p: Project, repo: GitRepo, commitId: string, c: DiffEntry) {
  const item: Record<string, unknown> = { gitObjectType: c.type, commitId, path: c.path };
  if (c.objectId) item.objectId = c.objectId;
  if (c.originalObjectId) item.originalObjectId = c.originalObjectId;
  if (c.type === "tree") item.isFolder = true;
  item.url = `${repoUrl(ctx, p, repo)}/items${encodeURI(c.path)}?versionType=Commit&version=${commitId}`;
  const out: Record<string, unknown> = { item, changeType: c.changeType };
  if (c.originalPath) {
    out.sourceServerItem = c.originalPath;
    out.originalPath = c.originalPath;
  }
  return out;
}

function pushJson(ctx: Ctx, p: Project, repo: GitRepo, push: GitPushRecord) {
  const u = ctx.state.users.get(push.pushedByUserId);
  const url = `${repoUrl(ctx, p, repo)}/pushes/${push.pushId}`;
  return {
    commits: push.commitIds.map((id) => commitRefJson(ctx, p, repo, id, false)),
    refUpdates: push.refUpdates.map((r) => ({ repositoryId: repo.id, ...r })),
    repository: repoJson(ctx, p, repo),
    pushedBy: u
      ? {
          displayName: u.displayName,
          url: `${orgUrl(ctx)}/_apis/Identities/${u.id}`,
          id: u.id,
          uniqueName: u.uniqueName,
          imageUrl: `${orgUrl(ctx)}/_api/_common/identityImage?id=${u.id}`,
          descriptor: u.descriptor,
        }
      : undefined,
    pushId: push.pushId,
    date: push.date,
    url,
    _links: {
      self: { href: url },
      repository: { href: repoUrl(ctx, p, repo) },
      commits: { href: `${url}/commits` },
      pusher: { href: `${orgUrl(ctx)}/_apis/Identities/${push.pushedByUserId}` },
      refs: { href: `${repoUrl(ctx, p, repo)}/refs` },
    },
  };
}

function wrap(fn: (ctx: Ctx) => Response | Promise<Response>) {
  return async (ctx: Ctx) => {
    try {
      return await fn(ctx);
    } catch (e) {
      gitErr(e);
    }
  };
}

interface PushBody {
  refUpdates?: { name: string; oldObjectId?: string }[];
  commits?: {
    comment?: string;
    changes?: {
      changeType: string;
      item?: { path?: string };
      sourceServerItem?: string;
      newContent?: { content?: string; contentType?: string };
    }[];
  }[];
}

export const gitRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories",
    scopes: READ,
    handler: (ctx) =>
      list(
        (ctx.project ? [ctx.project] : ctx.org.projects)
          .filter((p) => canSeeProject(ctx.identity, p.id))
          .flatMap((p) => p.repos.map((r) => repoJson(ctx, p, r))),
      ),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo",
    scopes: READ,
    handler: (ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      return json(repoJson(ctx, project, repo));
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/refs",
    scopes: READ,
    handler: (ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const filter = ctx.q("filter");
      const top = Math.min(intParam(ctx, "$top", 1000)!, 1000);
      const skip = Number(ctx.q("continuationToken") ?? 0) || 0;
      const refs = [...repo.refs]
        .filter(([n]) => !filter || n.slice(5).startsWith(filter.replace(/^refs\//, "")))
        .sort(([a], [b]) => a.localeCompare(b));
      const page = refs.slice(skip, skip + top);
      const headers: Record<string, string> = {};
      if (skip + top < refs.length) headers["x-ms-continuationtoken"] = String(skip + top);
      const admin = ctx.state.users.get([...ctx.org.members.values()][0]?.userId ?? "");
      return list(
        page.map(([name, objectId]) => ({
          name,
          objectId,
          creator: admin ? { displayName: admin.displayName, id: admin.id, uniqueName: admin.uniqueName } : undefined,
          url: `${repoUrl(ctx, project, repo)}/refs?filter=${encodeURIComponent(name.slice(5))}`,
        })),
        headers,
      );
    },
  },
  { method: "GET", levels: ["org", "project"], path: "git/repositories/:repo/items", scopes: READ, handler: items },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/trees/:sha",
    scopes: READ,
    handler: wrap((ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const sha = ctx.params.sha.toLowerCase();
      const recursive = boolParam(ctx, "recursive");
      const entries: unknown[] = [];
      const base = repoUrl(ctx, project, repo);
      const walk = (tree: string, prefix: string) => {
        for (const e of repo.readTree(tree)) {
          const rel = prefix ? `${prefix}/${e.name}` : e.name;
          const size = e.type === "blob" ? repo.get(e.objectId)!.data.length : repo.get(e.objectId)!.data.length;
          entries.push({
            objectId: e.objectId,
            relativePath: rel,
            mode: e.mode,
            gitObjectType: e.type,
            url: `${base}/${e.type === "tree" ? "trees" : "blobs"}/${e.objectId}`,
            size,
          });
          if (recursive && e.type === "tree") walk(e.objectId, rel);
        }
      };
      walk(sha, "");
      if ((ctx.q("$format") ?? "").toLowerCase() === "zip") {
        const files: Record<string, Uint8Array> = {};
        for (const e of entries as { relativePath: string; gitObjectType: string; objectId: string }[])
          if (e.gitObjectType === "blob") files[e.relativePath] = repo.get(e.objectId)!.data;
        return zipResponse(files, ctx.q("fileName") ?? sha);
      }
      return json({
        objectId: sha,
        url: `${base}/trees/${sha}`,
        treeEntries: entries,
        size: repo.get(sha)!.data.length,
        _links: { self: { href: `${base}/trees/${sha}` }, repository: { href: base } },
      });
    }),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/blobs/:sha",
    scopes: READ,
    handler: (ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const sha = ctx.params.sha.toLowerCase();
      const o = repo.get(sha);
      if (!o || o.type !== "blob")
        throw notFound(`TF401174: The blob ${sha} could not be found in the repository.`, "GitItemNotFoundException");
      const format = (ctx.q("$format") ?? "").toLowerCase();
      const accept = (ctx.req.headers.get("accept") ?? "").toLowerCase();
      if (format === "zip" || accept.includes("application/zip")) return zipResponse({ [ctx.q("fileName") ?? sha]: o.data }, sha);
      if (
        format === "octetstream" ||
        format === "text" ||
        boolParam(ctx, "download") ||
        accept.includes("application/octet-stream") ||
        accept.includes("text/plain")
      )
        return rawResponse(o.data, ctx.q("fileName") ?? sha, boolParam(ctx, "download"));
      const base = repoUrl(ctx, project, repo);
      return json({
        objectId: sha,
        size: o.data.length,
        url: `${base}/blobs/${sha}`,
        _links: { self: { href: `${base}/blobs/${sha}` }, repository: { href: base } },
      });
    },
  },
  {
    method: "POST",
    levels: ["org", "project"],
    path: "git/repositories/:repo/blobs",
    scopes: READ,
    handler: async (ctx) => {
      const { repo } = findRepoCtx(ctx);
      const ids = await ctx.body<string[]>();
      if (!Array.isArray(ids)) throw badRequest("The body must be an array of blob ids.");
      const files: Record<string, Uint8Array> = {};
      for (const id of ids) {
        const o = repo.get(String(id));
        if (!o || o.type !== "blob")
          throw notFound(`TF401174: The blob ${id} could not be found in the repository.`, "GitItemNotFoundException");
        files[String(id).toLowerCase()] = o.data;
      }
      return zipResponse(files, ctx.q("filename") ?? "blobs");
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/commits",
    scopes: READ,
    handler: wrap((ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      if (!repo.refs.size) return list([]);
      const version = ctx.q("searchCriteria.itemVersion.version");
      const vtype = ctx.q("searchCriteria.itemVersion.versionType");
      const tip = resolveVersion(ctx, repo, version, vtype);
      const top = intParam(ctx, "searchCriteria.$top", intParam(ctx, "$top", 100))!;
      const skip = intParam(ctx, "searchCriteria.$skip", intParam(ctx, "$skip", 0))!;
      const itemPath = ctx.q("searchCriteria.itemPath");
      const from = ctx.q("searchCriteria.fromDate");
      const to = ctx.q("searchCriteria.toDate");
      let hist = repo.history(tip);
      if (itemPath) {
        const ip = normPath(itemPath);
        hist = hist.filter((c) =>
          diff(repo, c.parents[0], c.commitId).some((d) => d.path === ip || d.path.startsWith(`${ip}/`) || d.originalPath === ip),
        );
      }
      if (from) hist = hist.filter((c) => Date.parse(c.committer.date) >= Date.parse(from));
      if (to) hist = hist.filter((c) => Date.parse(c.committer.date) <= Date.parse(to));
      return list(hist.slice(skip, skip + top).map((c) => commitRefJson(ctx, project, repo, c.commitId)));
    }),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/commits/:id",
    scopes: READ,
    handler: wrap((ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const id = resolveVersion(ctx, repo, ctx.params.id, "commit");
      const c = repo.commits.get(id)!;
      const base = repoUrl(ctx, project, repo);
      const out: Record<string, unknown> = {
        treeId: c.treeId,
        ...commitRefJson(ctx, project, repo, id),
        parents: c.parents,
        _links: {
          self: { href: `${base}/commits/${id}` },
          repository: { href: base },
          changes: { href: `${base}/commits/${id}/changes` },
          tree: { href: `${base}/trees/${c.treeId}` },
        },
      };
      if (c.pushId) {
        const push = repo.pushes.find((x) => x.pushId === c.pushId);
        if (push) out.push = { pushId: push.pushId, date: push.date, pushedBy: { id: push.pushedByUserId } };
      }
      return json(out);
    }),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/commits/:id/changes",
    scopes: READ,
    handler: wrap((ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const id = resolveVersion(ctx, repo, ctx.params.id, "commit");
      const c = repo.commits.get(id)!;
      const d = diff(repo, c.parents[0], id);
      const top = intParam(ctx, "top", intParam(ctx, "$top", 100))!;
      const skip = intParam(ctx, "skip", intParam(ctx, "$skip", 0))!;
      return json({
        changeCounts: changeCounts(d.filter((x) => x.type === "blob")),
        changes: d.slice(skip, skip + top).map((x) => changeJson(ctx, project, repo, id, x)),
      });
    }),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/diffs/commits",
    scopes: READ,
    handler: wrap((ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const base = resolveVersion(
        ctx,
        repo,
        ctx.q("baseVersion") ?? repo.defaultBranch.replace("refs/heads/", ""),
        ctx.q("baseVersionType"),
      );
      const target = resolveVersion(
        ctx,
        repo,
        ctx.q("targetVersion") ?? repo.defaultBranch.replace("refs/heads/", ""),
        ctx.q("targetVersionType"),
      );
      const top = intParam(ctx, "$top", 100)!;
      const skip = intParam(ctx, "$skip", 0)!;
      const all = diff(repo, base, target);
      const page = all.slice(skip, skip + top);
      const targetHist = repo.history(target).map((c) => c.commitId);
      const baseHist = repo.history(base).map((c) => c.commitId);
      const common = targetHist.find((c) => baseHist.includes(c)) ?? base;
      return json({
        allChangesIncluded: skip + top >= all.length,
        changeCounts: changeCounts(all.filter((x) => x.type === "blob")),
        changes: page.map((x) => changeJson(ctx, project, repo, target, x)),
        commonCommit: common,
        baseCommit: base,
        targetCommit: target,
        aheadCount: targetHist.indexOf(common) < 0 ? targetHist.length : targetHist.indexOf(common),
        behindCount: baseHist.indexOf(common) < 0 ? baseHist.length : baseHist.indexOf(common),
      });
    }),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/pushes",
    scopes: READ,
    handler: (ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const top = intParam(ctx, "$top", 100)!;
      const skip = intParam(ctx, "$skip", 0)!;
      return list(
        [...repo.pushes]
          .reverse()
          .slice(skip, skip + top)
          .map((p) => pushJson(ctx, project, repo, p)),
      );
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "git/repositories/:repo/pushes/:pushId",
    scopes: READ,
    handler: (ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const p = repo.pushes.find((x) => x.pushId === Number(ctx.params.pushId));
      if (!p) throw notFound(`TF401180: The requested push ${ctx.params.pushId} could not be found.`, "GitPushNotFoundException");
      return json(pushJson(ctx, project, repo, p));
    },
  },
  {
    method: "POST",
    levels: ["org", "project"],
    path: "git/repositories/:repo/pushes",
    scopes: WRITE,
    handler: wrap(async (ctx) => {
      const { repo, project } = findRepoCtx(ctx);
      const body = await ctx.body<PushBody>();
      const ref = body?.refUpdates?.[0];
      const commit = body?.commits?.[0];
      if (!ref?.name || !commit) throw badRequest("A push needs refUpdates[0] and commits[0].", "ArgumentException");
      if ((body.commits?.length ?? 0) > 1) throw badRequest("The simulator accepts one commit per push.", "NotSupportedException");
      const changes: FileChange[] = (commit.changes ?? []).map((c) => {
        const ct = String(c.changeType).toLowerCase() as ChangeType;
        const nc = c.newContent;
        let content: string | Uint8Array | undefined;
        if (nc?.content !== undefined)
          content =
            (nc.contentType ?? "rawtext").toLowerCase() === "base64encoded"
              ? new Uint8Array(Buffer.from(nc.content, "base64"))
              : nc.content;
        return { changeType: ct, path: c.item?.path ?? "", content, sourcePath: c.sourceServerItem };
      });
      if (!changes.length) throw badRequest("TF401216: The push must contain at least one change.", "ArgumentException");
      const { push } = pushToRepo(ctx.sim, ctx.org, project, repo, {
        branch: ref.name,
        changes,
        comment: commit.comment,
        pushedByUserId: ctx.identity.user.id,
        oldObjectId: ref.oldObjectId ?? ZERO_ID,
      });
      return json(pushJson(ctx, project, repo, push), 201);
    }),
  },
];
