// build area: pipeline runs (builds) with their associated work items and commits, and the job access
// token (System.AccessToken) a running job gets for the project's build service identity.
// Shapes: ../shared/ado-rest-specs/build/7.1/build.json (Build, ResourceRef, Change).
import { createHash } from "node:crypto";
import { newTokenString } from "./auth";
import type { SimCore } from "./core-types";
import { intParam, json, list, notFound, orgUrl, type Ctx } from "./http";
import type { RouteDef } from "./router";
import type { Org, Project, User } from "./state";

const READ = ["vso.build"];

export interface BuildRecord {
  id: number;
  projectId: string;
  buildNumber: string;
  definition: { id: number; name: string };
  status: "inProgress" | "completed";
  result?: "succeeded" | "partiallySucceeded" | "failed" | "canceled";
  sourceBranch: string;
  sourceVersion: string;
  repository: { id: string; name: string; type: "TfsGit" };
  requestedForId: string;
  queueTime: string;
  startTime: string;
  finishTime?: string;
  workItemIds: number[];
  commits: { id: string; message: string; author: string; timestamp: string }[];
}

export interface BuildState {
  builds: BuildRecord[];
  nextBuildId: number;
  definitions: { id: number; name: string; projectId: string }[];
}

export function newBuildState(): BuildState {
  return { builds: [], nextBuildId: 1001, definitions: [] };
}

const guid = (seed: string) => {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/**
 * The project's build service identity ("{Project} Build Service ({org})"). Jobs of a project whose
 * "Limit job authorization scope to current project" is on (the default for new projects) run as it:
 * a member of that project only, with Contributor-like rights there (it creates test runs and reads
 * work items), nothing elsewhere.
 */
export function buildServiceIdentity(sim: SimCore, org: Org, project: Project): User {
  const id = guid(`build-service:${org.id}:${project.id}`);
  let user = sim.state.users.get(id);
  if (!user) {
    user = {
      id,
      displayName: `${project.name} Build Service (${org.name})`,
      uniqueName: `${project.id}@build.${org.name}`,
      descriptor: `svc.${Buffer.from(`${org.id}:Build:${project.id}`).toString("base64url")}`,
    };
    sim.state.users.set(id, user);
  }
  if (!org.members.has(id))
    org.members.set(id, { userId: id, collectionAdmin: false, projectAdmins: new Set(), projects: new Set([project.id]) });
  return user;
}

export interface StartPipelineRun {
  pipeline?: string;
  branch?: string;
  /** Work items associated with the build (as Azure DevOps finds them from commits and pull requests). */
  workItemIds?: number[];
  commits?: { message: string; author?: string }[];
  repository?: string;
}

/** Queues and starts a build, and issues the job access token its agent job gets. */
export function startPipelineRun(sim: SimCore, org: Org, project: Project, input: StartPipelineRun, validForMs = 60 * 60_000) {
  const now = sim.clock();
  const name = input.pipeline ?? `${project.name}-CI`;
  let def = org.builds.definitions.find((d) => d.projectId === project.id && d.name.toLowerCase() === name.toLowerCase());
  if (!def) {
    def = { id: org.builds.definitions.length + 1, name, projectId: project.id };
    org.builds.definitions.push(def);
  }
  for (const id of input.workItemIds ?? []) if (!org.workItems.exists(id)) throw new Error(`Work item ${id} does not exist`);
  const id = org.builds.nextBuildId++;
  const day = now.toISOString().slice(0, 10).replace(/-/g, "");
  const sameDay = org.builds.builds.filter((b) => b.definition.id === def.id && b.buildNumber.startsWith(day)).length;
  const commits = (input.commits ?? [{ message: `Change for build ${id}` }]).map((c, i) => ({
    id: createHash("sha1").update(`${org.id}:${id}:${i}:${c.message}`).digest("hex"),
    message: c.message,
    author: c.author ?? "Ada Admin",
    timestamp: new Date(now.getTime() - (i + 1) * 60_000).toISOString(),
  }));
  const repo = project.repos.find((r) => r.name.toLowerCase() === (input.repository ?? project.name).toLowerCase()) ?? project.repos[0];
  const build: BuildRecord = {
    id,
    projectId: project.id,
    buildNumber: `${day}.${sameDay + 1}`,
    definition: { id: def.id, name: def.name },
    status: "inProgress",
    sourceBranch: input.branch ?? "refs/heads/main",
    sourceVersion: commits[0].id,
    repository: { id: repo?.id ?? guid(`repo:${project.id}`), name: repo?.name ?? project.name, type: "TfsGit" },
    requestedForId: [...org.members.values()].find((m) => m.collectionAdmin)?.userId ?? "",
    queueTime: now.toISOString(),
    startTime: now.toISOString(),
    workItemIds: [...new Set(input.workItemIds ?? [])],
    commits,
  };
  org.builds.builds.push(build);
  const identity = buildServiceIdentity(sim, org, project);
  const token = `eyJ0eXAiOiJKV1Qi.${newTokenString()}.${newTokenString()}`;
  sim.state.accessTokens.set(token, {
    token,
    userId: identity.id,
    org: org.name.toLowerCase(),
    validTo: new Date(now.getTime() + validForMs),
    buildId: id,
  });
  return { build, token, identity };
}

/** Finishes a build; its job access tokens stop working (they live only as long as the job). */
export function completeBuild(sim: SimCore, org: Org, buildId: number, result: BuildRecord["result"] = "succeeded"): BuildRecord {
  const build = org.builds.builds.find((b) => b.id === buildId);
  if (!build) throw new Error(`Unknown build ${buildId}`);
  build.status = "completed";
  build.result = result;
  build.finishTime = sim.clock().toISOString();
  for (const [k, t] of sim.state.accessTokens)
    if (t.buildId === buildId && t.org === org.name.toLowerCase()) sim.state.accessTokens.delete(k);
  return build;
}

function buildJson(ctx: Ctx, b: BuildRecord) {
  const p = ctx.org.projects.find((x) => x.id === b.projectId)!;
  const projectRef = { id: p.id, name: p.name, url: `${orgUrl(ctx)}/_apis/projects/${p.id}`, state: p.state, visibility: p.visibility };
  const self = `${orgUrl(ctx)}/${p.id}/_apis/build/Builds/${b.id}`;
  const web = `${orgUrl(ctx)}/${encodeURIComponent(p.name)}/_build/results?buildId=${b.id}`;
  const requestedFor = ctx.state.users.get(b.requestedForId);
  return {
    _links: {
      self: { href: self },
      web: { href: web },
      sourceVersionDisplayUri: { href: `${self}/sources` },
      timeline: { href: `${self}/Timeline` },
      badge: { href: `${orgUrl(ctx)}/${p.id}/_apis/build/status/${b.definition.id}` },
    },
    properties: {},
    tags: [],
    validationResults: [],
    plans: [{ planId: guid(`plan:${b.id}`) }],
    triggerInfo: {},
    id: b.id,
    buildNumber: b.buildNumber,
    status: b.status,
    ...(b.result ? { result: b.result } : {}),
    queueTime: b.queueTime,
    startTime: b.startTime,
    ...(b.finishTime ? { finishTime: b.finishTime } : {}),
    url: self,
    definition: {
      drafts: [],
      id: b.definition.id,
      name: b.definition.name,
      url: `${orgUrl(ctx)}/${p.id}/_apis/build/Definitions/${b.definition.id}?revision=1`,
      uri: `vstfs:///Build/Definition/${b.definition.id}`,
      path: "\\",
      type: "build",
      queueStatus: "enabled",
      revision: 1,
      project: projectRef,
    },
    buildNumberRevision: Number(b.buildNumber.split(".").pop()),
    project: projectRef,
    uri: `vstfs:///Build/Build/${b.id}`,
    sourceBranch: b.sourceBranch,
    sourceVersion: b.sourceVersion,
    priority: "normal",
    reason: "individualCI",
    ...(requestedFor
      ? { requestedFor: { displayName: requestedFor.displayName, id: requestedFor.id, uniqueName: requestedFor.uniqueName } }
      : {}),
    repository: { ...b.repository, checkoutSubmodules: false },
    keepForever: false,
    retainedByRelease: false,
  };
}

function findBuild(ctx: Ctx): BuildRecord {
  const id = Number(ctx.params.buildId);
  const b = Number.isInteger(id) ? ctx.org.builds.builds.find((x) => x.id === id && x.projectId === ctx.project!.id) : undefined;
  // Builds_Get on an unknown id: 404 with the build service's own wording (text is an assumption).
  if (!b) throw notFound(`The requested build ${ctx.params.buildId} could not be found.`, "BuildNotFoundException");
  return b;
}

export const buildRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["project"],
    path: "build/builds/:buildId",
    scopes: READ,
    handler: (ctx) => json(buildJson(ctx, findBuild(ctx))),
  },
  {
    // "Gets the work items associated with a build. Only work items in the same project are returned."
    method: "GET",
    levels: ["project"],
    path: "build/builds/:buildId/workitems",
    scopes: READ,
    handler: (ctx) => {
      const b = findBuild(ctx);
      const top = intParam(ctx, "$top", 50)!;
      const ids = b.workItemIds.filter((id) => ctx.org.workItems.exists(id) && ctx.org.workItems.projectId(id) === b.projectId);
      return list(ids.slice(0, top).map((id) => ({ id: String(id), url: `${orgUrl(ctx)}/_apis/wit/workItems/${id}` })));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "build/builds/:buildId/changes",
    scopes: READ,
    handler: (ctx) => {
      const b = findBuild(ctx);
      const top = intParam(ctx, "$top", 50)!;
      const repoUrl = `${orgUrl(ctx)}/${b.projectId}/_apis/git/repositories/${b.repository.id}`;
      return list(
        b.commits.slice(0, top).map((c) => ({
          id: c.id,
          message: c.message,
          type: "TfsGit",
          author: { displayName: c.author },
          timestamp: c.timestamp,
          location: `${repoUrl}/commits/${c.id}`,
          messageTruncated: false,
        })),
      );
    },
  },
];
