// Who sends results, and what each may do. Three callers share one upload path (upload.ts):
// - a page in Azure DevOps (app token + the user's access token, checked with Azure DevOps);
// - the pipeline task: the job access token (System.AccessToken) and the build id, checked with Azure
//   DevOps — whose identity it is, which organization, can it read the project and the build, may it
//   create test runs there — exactly as a user's token is;
// - an upload key (`Authorization: Bearer tok_…`) a project administrator created for one project.
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { AdoClient } from "../ado/client";
import { getWorkItemsBatch } from "../ado/endpoints";
import { isAdoError } from "../ado/errors";
import { parseOrganizationUrl, storedOrgUrl, type OrgUrl } from "../ado/urls";
import { OrgBinder } from "../auth/orgs";
import { adoClientFor, getActiveConnection } from "../connections/service";
import type { AppDeps, AppEnv } from "../context";
import { organizations } from "../db/schema";
import { eq } from "drizzle-orm";
import { recordAudit } from "../lib/audit";
import { ApiError, fieldError } from "../lib/errors";
import type { BuildInfo, RunOrigin } from "../schemas/results";
import { keyBySecret, touchKey, type KeyRow } from "../keys/store";
import { userAccess, type UserAccess } from "./access";
import type { RunRow } from "./store";

export const BUILD_HEADER = "X-Ado-Build-Id";
const ORG_HEADER = "X-Ado-Collection-Url";
const KEY_AUDIT_TARGET = "upload_key";

export interface Project {
  id: string;
  name: string;
}

export interface Uploader {
  origin: RunOrigin;
  /** Stored as the run's creator and the audit actor. */
  actorId: string;
  actorName: string | null;
  /** The project the upload goes to, checked for this caller (400 on `project`, 403 without "Create test runs"). */
  project(c: Context<AppEnv>, requested: string | undefined): Promise<Project>;
  /** The ids among `ids` that exist and may be linked in `project` for this caller. */
  readableWorkItems(c: Context<AppEnv>, project: Project, ids: number[]): Promise<Set<number>>;
  /** The build the results belong to (pipeline task). */
  build: BuildInfo | null;
  /** The work items Azure DevOps associates with that build (pipeline task, when asked for). */
  buildWorkItems?(c: Context<AppEnv>, project: Project): Promise<number[]>;
  uploadKey: { id: string; name: string } | null;
  /** Whether this caller created `run` (then it may add files to it and push it). */
  owns(run: RunRow): boolean;
  /** After a stored upload (audit of a key's use, its last-used time). */
  used?(runId: string, project: Project): Promise<void>;
}

/** A page's user: what Azure DevOps lets the user's own token do. */
export function userUploader(access: UserAccess, c: Context<AppEnv>): Uploader {
  const userId = c.get("user").id;
  return {
    origin: "upload",
    actorId: userId,
    actorName: null,
    build: null,
    uploadKey: null,
    project: async (cc, requested) => {
      if (!requested) throw fieldError("project", "is required (the Azure DevOps project name or id)");
      const project = await access.project(cc, requested);
      await access.requirePublisher(cc, project.id);
      return project;
    },
    readableWorkItems: (cc, _p, ids) => access.readableWorkItems(cc, ids),
    owns: (run) => run.origin === "upload" && run.createdBy === userId,
  };
}

const TTL_MS = 5 * 60_000;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

interface JobIdentity {
  orgId: string;
  userId: string;
  displayName: string | null;
}

interface AdoBuild {
  id: number;
  buildNumber?: string;
  definition?: { id?: number; name?: string };
  sourceBranch?: string;
  sourceVersion?: string;
  project?: { id?: string };
}

const jobTokenRefused = () =>
  new ApiError(
    401,
    "invalid_access_token",
    "Azure DevOps did not accept the job access token for this organization (is the job still running, and is System.AccessToken passed to the task?)",
  );

/** The upload routes a CI caller may use without an app token. */
const CI_PATH = /^\/api\/results\/(junit|runs\/[0-9a-f-]{36}\/push)$/i;

/**
 * Authentication for CI callers on the upload and push routes: an upload key, or a job access token
 * with the build id. Returns false when the request is not one (then the app token is required).
 */
export function ciAuth(deps: AppDeps) {
  const binder = new OrgBinder(deps.database);
  const access = userAccess(deps);
  const identities = new Map<string, { at: number; value: JobIdentity }>();

  const whoIs = async (org: OrgUrl, token: string): Promise<JobIdentity> => {
    const k = `${sha(token)}:${org.url}`;
    const hit = identities.get(k);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const client = new AdoClient({ org, auth: { type: "bearer", token }, ...deps.ado, maxRetries: 1, timeoutMs: 15_000 });
    let data: { authenticatedUser?: { id?: string; providerDisplayName?: string }; instanceId?: string };
    try {
      data = await client.get("_apis/connectionData", { apiVersion: "7.1-preview" });
    } catch (e) {
      if (isAdoError(e, "bad_credentials") || isAdoError(e, "missing_scope")) throw jobTokenRefused();
      if (isAdoError(e, "not_found"))
        throw new ApiError(401, "unknown_organization", `Azure DevOps has no organization or collection at ${org.url}`);
      if (isAdoError(e, "throttled"))
        throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
      if (isAdoError(e))
        throw new ApiError(502, "ado_unavailable", `Could not verify the job access token with Azure DevOps: ${e.message}`);
      throw e;
    }
    if (!data.instanceId || !data.authenticatedUser?.id)
      throw new ApiError(401, "invalid_access_token", "Azure DevOps did not identify the job");
    const value = {
      orgId: data.instanceId,
      userId: data.authenticatedUser.id,
      displayName: data.authenticatedUser.providerDisplayName ?? null,
    };
    if (identities.size > 10_000) identities.clear();
    identities.set(k, { at: Date.now(), value });
    return value;
  };

  const pipeline = async (c: Context<AppEnv>, token: string, buildHeader: string): Promise<Uploader> => {
    if (!/^\d{1,10}$/.test(buildHeader) || Number(buildHeader) < 1 || Number(buildHeader) > 2_147_483_647)
      throw fieldError(BUILD_HEADER, "must be the build id (Build.BuildId)");
    const buildId = Number(buildHeader);
    const orgHeader = c.req.header(ORG_HEADER);
    if (!orgHeader) throw fieldError(ORG_HEADER, "is required (System.CollectionUri)");
    const parsed = parseOrganizationUrl(orgHeader, deps.config.adoServerHosts);
    if (!parsed.ok) throw fieldError(ORG_HEADER, parsed.reason);
    const who = await whoIs(parsed.value, token);
    const org = await binder.bind({ id: who.orgId, name: parsed.value.name, url: parsed.value.url }, parsed.value);
    c.set("user", { id: who.userId });
    c.set("org", { ...org, parsed: parsed.value });
    c.set("accessToken", token);
    const client = new AdoClient({ org: parsed.value, auth: { type: "bearer", token }, ...deps.ado, maxRetries: 1, timeoutMs: 15_000 });
    let checked: { project: Project; build: BuildInfo } | undefined;
    const projectAndBuild = async (cc: Context<AppEnv>, requested: string | undefined) => {
      if (checked) return checked;
      if (!requested) throw fieldError("project", "is required (System.TeamProjectId)");
      const project = await access.project(cc, requested);
      await access.requirePublisher(cc, project.id);
      let b: AdoBuild;
      try {
        b = await client.get<AdoBuild>(`${encodeURIComponent(project.id)}/_apis/build/builds/${buildId}`);
      } catch (e) {
        if (isAdoError(e, "bad_credentials")) throw jobTokenRefused();
        if (isAdoError(e, "not_found") || isAdoError(e, "forbidden"))
          throw fieldError(BUILD_HEADER, `there is no build ${buildId} in project "${project.name}" that this job can read`);
        if (isAdoError(e, "throttled"))
          throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not read the build from Azure DevOps: ${e.message}`);
        throw e;
      }
      // The link is built from the organization's bound URL, never from what an answer or a header says.
      const build: BuildInfo = {
        id: buildId,
        number: b.buildNumber?.slice(0, 256) ?? null,
        pipelineId: typeof b.definition?.id === "number" ? b.definition.id : null,
        pipeline: b.definition?.name?.slice(0, 256) ?? null,
        branch: b.sourceBranch?.slice(0, 1000) ?? null,
        commit: b.sourceVersion?.slice(0, 100) ?? null,
        url: `${org.url}/${encodeURIComponent(project.name)}/_build/results?buildId=${buildId}`,
      };
      checked = { project, build };
      return checked;
    };
    const uploader: Uploader = {
      origin: "task",
      actorId: who.userId,
      actorName: who.displayName,
      build: null,
      uploadKey: null,
      project: async (cc, requested) => {
        const { project, build } = await projectAndBuild(cc, requested);
        uploader.build = build;
        return project;
      },
      readableWorkItems: (cc, _p, ids) => access.readableWorkItems(cc, ids),
      buildWorkItems: async (_cc, project) => {
        try {
          const res = await client.get<{ value?: { id: string | number }[] }>(
            `${encodeURIComponent(project.id)}/_apis/build/builds/${buildId}/workitems`,
            { query: { $top: 200 } },
          );
          return [...new Set((res.value ?? []).map((w) => Number(w.id)).filter((n) => Number.isInteger(n) && n > 0))];
        } catch (e) {
          if (isAdoError(e, "bad_credentials")) throw jobTokenRefused();
          if (isAdoError(e, "throttled"))
            throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
          if (isAdoError(e))
            throw new ApiError(502, "ado_unavailable", `Could not read the build's work items from Azure DevOps: ${e.message}`);
          throw e;
        }
      },
      owns: (run) => run.origin === "task" && run.buildId === buildId && run.createdBy === who.userId,
    };
    return uploader;
  };

  const key = async (c: Context<AppEnv>, secret: string): Promise<Uploader> => {
    const found = await keyBySecret(deps, secret);
    if (found === "unknown") throw new ApiError(401, "unauthorized", "Unknown upload key");
    if (found === "revoked")
      throw new ApiError(401, "key_revoked", "This upload key was revoked; a project administrator can create a new one");
    const row: KeyRow = found;
    const [org] = await deps.database.db.select().from(organizations).where(eq(organizations.id, row.orgId)).limit(1);
    if (!org) throw new ApiError(401, "unauthorized", "Unknown upload key");
    const actorId = `key:${row.id}`;
    c.set("user", { id: actorId });
    c.set("org", { id: org.id, name: org.name, url: org.url, parsed: storedOrgUrl(org.url) });
    // No Azure DevOps identity stands behind a key: nothing may call Azure DevOps as "the user".
    c.set("accessToken", "");
    const project = { id: row.projectId, name: row.projectName };
    return {
      origin: "key",
      actorId,
      actorName: `Upload key "${row.name}"`,
      build: null,
      uploadKey: { id: row.id, name: row.name },
      project: async (_cc, requested) => {
        if (requested && requested.toLowerCase() !== project.id.toLowerCase() && requested.toLowerCase() !== project.name.toLowerCase())
          throw fieldError("project", `this upload key is for project "${project.name}" only`);
        return project;
      },
      // Checked with the organization's connection (a key has no Azure DevOps identity): only work
      // items of the key's own project are linked.
      readableWorkItems: async (_cc, p, ids) => {
        if (!ids.length) return new Set();
        if (!(await getActiveConnection(deps, org.id))) return new Set();
        try {
          const client = await adoClientFor(deps, org.id);
          const found = await getWorkItemsBatch(client, ids, { fields: ["System.Id", "System.TeamProject"] });
          return new Set(
            found
              .filter((w) => String(w.fields?.["System.TeamProject"] ?? "").toLowerCase() === p.name.toLowerCase())
              .map((w) => Number(w.id)),
          );
        } catch (e) {
          if (isAdoError(e, "throttled"))
            throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
          if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not check the work items with Azure DevOps: ${e.message}`);
          throw e;
        }
      },
      owns: (run) => run.origin === "key" && run.uploadKeyId === row.id,
      used: async (runId, p) => {
        await touchKey(deps, row.id);
        await recordAudit(deps.database.db, {
          orgId: org.id,
          actorId,
          actorName: row.name,
          action: "upload_key.used",
          targetType: KEY_AUDIT_TARGET,
          targetId: row.id,
          details: { project: p.name, run: runId, path: c.req.path },
        });
      },
    };
  };

  return {
    /** Handles the request's authentication when it is a CI caller's; false when it is not. */
    async authenticate(c: Context<AppEnv>): Promise<boolean> {
      if (c.req.method !== "POST" || !CI_PATH.test(c.req.path)) return false;
      const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
      const buildHeader = c.req.header(BUILD_HEADER);
      if (m && m[1].startsWith("tok_")) {
        c.set("uploader", await key(c, m[1]));
        return true;
      }
      if (buildHeader !== undefined) {
        if (!m) throw new ApiError(401, "unauthorized", "The job access token is required (Authorization: Bearer $(System.AccessToken))");
        c.set("uploader", await pipeline(c, m[1], buildHeader));
        return true;
      }
      return false;
    },
  };
}
