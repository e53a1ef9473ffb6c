import { parseOrganizationUrl, type OrgUrl } from "../ado/urls";

export type VersionType = "branch" | "tag" | "commit";

/** What a Repos link points at: a repository, optionally a branch/tag/commit and a folder. */
export interface RepoTarget {
  org: OrgUrl;
  /** Project name as written in the URL (ids are resolved with ADO later). */
  project: string;
  repo: string;
  /** Folder inside the repository, "/" for the whole repository; never ends with "/" otherwise. */
  path: string;
  /** Absent = the repository's default branch. */
  version?: { type: VersionType; value: string };
}

export type RepoUrlResult = { ok: true; value: RepoTarget } | { ok: false; reason: string };

const EXAMPLE = "e.g. https://dev.azure.com/fabrikam/Fabrikam/_git/tests?path=%2Fkatalon&version=GBmain";
const VERSION_PREFIX: Record<string, VersionType> = { GB: "branch", GT: "tag", GC: "commit" };

const fail = (reason: string): RepoUrlResult => ({ ok: false, reason });

/** "/a//b/" → "/a/b"; undefined when the path tries to climb out ("..") or has control characters. */
export function normaliseRepoPath(p: string): string | undefined {
  const parts = p.replace(/\\/g, "/").split("/").filter(Boolean);
  if (parts.some((s) => s === "." || s === ".." || [...s].some((ch) => ch.charCodeAt(0) < 0x20))) return undefined;
  return `/${parts.join("/")}`;
}

function decode(seg: string): string | undefined {
  try {
    return decodeURIComponent(seg);
  } catch {
    return undefined;
  }
}

/** `?version=` value: GBmain, GTv1.0, GC<sha>. */
export function parseVersion(v: string): { ok: true; value: RepoTarget["version"] } | { ok: false; reason: string } {
  const type = VERSION_PREFIX[v.slice(0, 2).toUpperCase()];
  const value = v.slice(2).trim();
  if (!type) return { ok: false, reason: `has version "${v}"; it must start with GB (branch), GT (tag) or GC (commit)` };
  if (!value) return { ok: false, reason: `has an empty ${type} name in version "${v}"` };
  if (type === "commit" && !/^[0-9a-f]{40}$/i.test(value))
    return { ok: false, reason: `has version "${v}"; GC must be followed by a full 40-character commit id` };
  return { ok: true, value: { type, value: type === "commit" ? value.toLowerCase() : value.replace(/^refs\/(heads|tags)\//, "") } };
}

/** SSH remotes: git@ssh.dev.azure.com:v3/{org}/{project}/{repo} and {org}@vs-ssh.visualstudio.com:v3/{org}/{project}/{repo}. */
function parseSsh(raw: string): RepoUrlResult | undefined {
  const m = /^(?:ssh:\/\/)?([^@\s]+)@(ssh\.dev\.azure\.com|vs-ssh\.visualstudio\.com)[:/]v3\/([^/]+)\/([^/]+)\/([^/?#]+)\/?$/i.exec(raw);
  if (!m) return undefined;
  const [, , host, org, project, repo] = m;
  const orgUrl = host.toLowerCase() === "ssh.dev.azure.com" ? `https://dev.azure.com/${org}` : `https://${org}.visualstudio.com`;
  const parsed = parseOrganizationUrl(orgUrl);
  if (!parsed.ok) return fail(parsed.reason);
  const [p, r] = [decode(project), decode(repo)];
  if (!p || !r) return fail("has a malformed percent-encoding");
  return { ok: true, value: { org: parsed.value, project: p, repo: r, path: "/" } };
}

/**
 * Parses the URL of a repository, branch or folder as copied from Azure Repos (web or clone URL):
 * dev.azure.com, {org}.visualstudio.com (optionally /DefaultCollection), Azure DevOps Server
 * https://host[:port]/[tfs/]{collection}, and SSH remotes. `?path=` is the folder, `?version=`
 * GB/GT/GC the branch, tag or commit. Reasons are phrased to follow the field name.
 */
export function parseRepoUrl(input: string, serverHosts: string[] = []): RepoUrlResult {
  const raw = input.trim();
  if (!raw) return fail(`is required (${EXAMPLE})`);
  const ssh = parseSsh(raw);
  if (ssh) return ssh;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return fail(`is not a valid URL (${EXAMPLE})`);
  }
  if (u.protocol !== "https:") return fail(`must be an https:// URL (${EXAMPLE})`);
  const rawSegs = u.pathname.split("/").filter(Boolean);
  const segs = rawSegs.map(decode);
  if (segs.some((s) => s === undefined)) return fail("has a malformed percent-encoding");
  const s = segs as string[];
  const gitAt = s.findIndex((x) => x.toLowerCase() === "_git");
  if (gitAt < 0) return fail(`is not an Azure Repos URL: it must contain /_git/{repository} (${EXAMPLE})`);
  const repo = s[gitAt + 1];
  if (!repo) return fail("must name the repository after /_git/");
  const rest = s.slice(gitAt + 2);
  if (rest.length)
    return fail(`must be the URL of a repository, branch or folder (unexpected "/${rest.join("/")}" after the repository name)`);

  // Everything before _git is the organization/collection and, optionally, the project.
  const before = rawSegs.slice(0, gitAt);
  const host = u.hostname.toLowerCase();
  let orgSegs: number;
  if (host === "dev.azure.com") orgSegs = 1;
  else if (host.endsWith(".visualstudio.com")) orgSegs = before[0]?.toLowerCase() === "defaultcollection" ? 1 : 0;
  else orgSegs = before[0]?.toLowerCase() === "tfs" ? 2 : 1;
  if (before.length < orgSegs) return fail(`must include the organization (${EXAMPLE})`);
  const projectSegs = s.slice(gitAt - (before.length - orgSegs), gitAt);
  if (projectSegs.length > 1) return fail(`has an unexpected path "/${projectSegs.join("/")}" before /_git/`);
  const orgUrl = `https://${u.host}/${before.slice(0, orgSegs).join("/")}`;
  const org = parseOrganizationUrl(orgUrl, serverHosts);
  if (!org.ok) return fail(org.reason);
  // A repository named like its project may be addressed without the project segment.
  const project = projectSegs[0] ?? repo;

  let path = "/";
  const qPath = u.searchParams.get("path");
  if (qPath !== null && qPath.trim() !== "") {
    const norm = normaliseRepoPath(qPath.trim());
    if (!norm) return fail(`has an invalid folder path "${qPath}"`);
    path = norm;
  }
  let version: RepoTarget["version"];
  const qVersion = u.searchParams.get("version");
  if (qVersion !== null && qVersion.trim() !== "") {
    const v = parseVersion(qVersion.trim());
    if (!v.ok) return fail(v.reason);
    version = v.value;
  }
  return { ok: true, value: { org: org.value, project, repo, path, ...(version ? { version } : {}) } };
}

/** dev.azure.com/x and x.visualstudio.com are the same organization; servers compare host + collection. */
export function sameOrganization(a: OrgUrl, b: OrgUrl): boolean {
  const cloud = (o: OrgUrl) => o.kind === "cloud" || o.kind === "legacy";
  if (cloud(a) && cloud(b)) return a.name.toLowerCase() === b.name.toLowerCase();
  if (cloud(a) !== cloud(b)) return false;
  return a.url.toLowerCase() === b.url.toLowerCase();
}

/** The canonical web URL of a target (stored and shown), e.g. …/_git/repo?path=%2Ftests&version=GBmain. */
export function formatRepoUrl(t: { org: OrgUrl; project: string; repo: string; path: string; version?: RepoTarget["version"] }): string {
  const base = `${t.org.url}/${encodeURIComponent(t.project)}/_git/${encodeURIComponent(t.repo)}`;
  const q = new URLSearchParams();
  if (t.path !== "/") q.set("path", t.path);
  if (t.version) q.set("version", `${{ branch: "GB", tag: "GT", commit: "GC" }[t.version.type]}${t.version.value}`);
  const qs = q.toString().replace(/\+/g, "%20");
  return qs ? `${base}?${qs}` : base;
}
