// core + location + security: connectionData, projects, teams, permissionevaluationbatch, ACL query.
import { canSeeProject, evaluatePermission, isCollectionAdmin, isProjectAdmin, permissionDenied, SECURITY_NAMESPACES } from "./auth";
import { badRequest, intParam, json, list, notFound, orgUrl, AdoError, type Ctx } from "./http";
import { getProcess } from "./processes";
import type { RouteDef } from "./router";
import { findProject, type Project, type Team } from "./state";

export function projectNotFound(name: string): AdoError {
  return new AdoError(
    404,
    `TF200016: The following project does not exist: ${name}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
    "ProjectDoesNotExistWithNameException",
    "Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, Microsoft.TeamFoundation.Core.WebApi",
  );
}

export function projectRef(ctx: Ctx, p: Project) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    url: `${orgUrl(ctx)}/_apis/projects/${p.id}`,
    state: p.state,
    revision: p.revision,
    visibility: p.visibility,
    lastUpdateTime: p.lastUpdateTime,
  };
}

export function teamJson(ctx: Ctx, p: Project, t: Team) {
  return {
    id: t.id,
    name: t.name,
    url: `${orgUrl(ctx)}/_apis/projects/${p.id}/teams/${t.id}`,
    description: t.description,
    identityUrl: `${ctx.base.replace("://", "://vssps.")}/${ctx.org.name}/_apis/Identities/${t.id}`,
    projectName: p.name,
    projectId: p.id,
  };
}

/** A user's identity descriptor as connectionData reports it (and ACLs key their entries by). */
const identityDescriptor = (orgId: string, uniqueName: string) => `Microsoft.IdentityModel.Claims.ClaimsIdentity;${orgId}\\${uniqueName}`;

function connectionData(ctx: Ctx): Response {
  const u = ctx.identity.user;
  const identity = {
    id: u.id,
    descriptor: identityDescriptor(ctx.org.id, u.uniqueName),
    subjectDescriptor: u.descriptor,
    providerDisplayName: u.displayName,
    isActive: true,
    properties: { Account: { $type: "System.String", $value: u.uniqueName } },
    resourceVersion: 2,
    metaTypeId: 0,
  };
  return json({
    authenticatedUser: identity,
    authorizedUser: identity,
    instanceId: ctx.org.id,
    deploymentId: ctx.org.accountId,
    deploymentType: "hosted",
    locationServiceData: {
      serviceOwner: "00025394-6065-48ca-87d9-7f5672854ef7",
      defaultAccessMappingMoniker: "PublicAccessMapping",
      lastChangeId: 1,
      lastChangeId64: 1,
    },
  });
}

function listProjects(ctx: Ctx): Response {
  const top = intParam(ctx, "$top", 100)!;
  // ADO's continuation token for projects is the number already returned.
  const skip = intParam(ctx, "continuationToken") ?? intParam(ctx, "$skip", 0)!;
  const stateFilter = (ctx.q("stateFilter") ?? "wellFormed").toLowerCase();
  const all = ctx.org.projects.filter(
    (p) => (stateFilter === "all" || p.state.toLowerCase() === stateFilter) && canSeeProject(ctx.identity, p.id),
  );
  all.sort((a, b) => a.name.localeCompare(b.name));
  const page = all.slice(skip, skip + top);
  const headers: Record<string, string> = {};
  if (skip + top < all.length) headers["x-ms-continuationtoken"] = String(skip + top);
  return list(
    page.map((p) => projectRef(ctx, p)),
    headers,
  );
}

function getProject(ctx: Ctx): Response {
  const p = findProject(ctx.org, ctx.params.projectId);
  if (!p || !canSeeProject(ctx.identity, p.id)) throw projectNotFound(ctx.params.projectId);
  const process = getProcess(p.processName);
  const team = p.teams[0];
  return json({
    ...projectRef(ctx, p),
    _links: {
      self: { href: `${orgUrl(ctx)}/_apis/projects/${p.id}` },
      collection: { href: `${orgUrl(ctx)}/_apis/projectCollections/${ctx.org.id}` },
      web: { href: `${orgUrl(ctx)}/${encodeURIComponent(p.name)}` },
    },
    capabilities: {
      versioncontrol: { sourceControlType: "Git", gitEnabled: "True", tfvcEnabled: "False" },
      processTemplate: { templateName: process.name, templateTypeId: process.templateTypeId },
    },
    defaultTeam: { id: team.id, name: team.name, url: `${orgUrl(ctx)}/_apis/projects/${p.id}/teams/${team.id}` },
  });
}

function listTeams(ctx: Ctx): Response {
  const p = findProject(ctx.org, ctx.params.projectId);
  if (!p) throw projectNotFound(ctx.params.projectId);
  const top = intParam(ctx, "$top", 100)!;
  const skip = intParam(ctx, "$skip", 0)!;
  const teams = [...p.teams].sort((a, b) => a.name.localeCompare(b.name));
  return list(teams.slice(skip, skip + top).map((t) => teamJson(ctx, p, t)));
}

function getTeam(ctx: Ctx): Response {
  const p = findProject(ctx.org, ctx.params.projectId);
  if (!p) throw projectNotFound(ctx.params.projectId);
  const k = ctx.params.teamId.toLowerCase();
  const t = p.teams.find((x) => x.id === k || x.name.toLowerCase() === k);
  if (!t) throw notFound(`The team with id ${ctx.params.teamId} does not exist.`, "TeamNotFoundException");
  return json(teamJson(ctx, p, t));
}

async function permissionBatch(ctx: Ctx): Promise<Response> {
  const body = await ctx.body<{
    evaluations?: { securityNamespaceId: string; token: string; permissions: number }[];
    alwaysAllowAdministrators?: boolean;
  }>();
  if (!body || !Array.isArray(body.evaluations)) throw badRequest("evaluations is required", "ArgumentNullException");
  return json({
    alwaysAllowAdministrators: body.alwaysAllowAdministrators ?? false,
    evaluations: body.evaluations.map((e) => ({
      securityNamespaceId: e.securityNamespaceId,
      token: e.token,
      permissions: e.permissions,
      value: evaluatePermission(ctx.org, ctx.identity, String(e.securityNamespaceId), String(e.token ?? ""), Number(e.permissions)),
    })),
  });
}

/**
 * `GET _apis/accesscontrollists/{namespace}?token=&descriptors=&includeExtendedInfo=true`: the ACL of one
 * token with, per requested identity, its effective permissions (own and inherited through groups, as
 * `az devops security permission show` reads them). ACEs are not stored: each is derived from the
 * identity's roles, like permissionevaluationbatch. Reading another identity's permissions needs an
 * administrator of the token's scope (stricter than "View permissions" grants, which are not modelled).
 */
function queryAcl(ctx: Ctx): Response {
  const q = (n: string) => ctx.url.searchParams.get(n) ?? undefined;
  const namespace = ctx.params.namespaceId.toLowerCase();
  const token = q("token");
  if (!token) throw badRequest("The simulator answers ACL queries for one token only: token is required.", "ArgumentNullException");
  const project = /^\$PROJECT:vstfs:\/\/\/Classification\/TeamProject\/([0-9a-f-]{36})/i.exec(token)?.[1]?.toLowerCase();
  const admin =
    isCollectionAdmin(ctx.identity) ||
    (namespace === SECURITY_NAMESPACES.project && project !== undefined && isProjectAdmin(ctx.identity, project));
  if (!admin) throw permissionDenied(ctx.identity, "View permissions");
  const extended = (q("includeExtendedInfo") ?? "").toLowerCase() === "true";
  const aces: Record<string, unknown> = {};
  for (const d of (q("descriptors") ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const user = [...ctx.org.members.keys()]
      .map((id) => ctx.state.users.get(id))
      .find((u) => u && identityDescriptor(ctx.org.id, u.uniqueName).toLowerCase() === d.toLowerCase());
    if (!user) continue; // unknown identities have no entry
    const who = { kind: "pat" as const, user, membership: ctx.org.members.get(user.id)!, scopes: "all" as const };
    let effective = 0;
    for (let bit = 0; bit < 31; bit++) if (evaluatePermission(ctx.org, who, namespace, token, 1 << bit)) effective |= 1 << bit;
    // Roles come from group membership, so nothing is explicit on the token itself.
    aces[d] = {
      descriptor: d,
      allow: 0,
      deny: 0,
      ...(extended ? { extendedInfo: { effectiveAllow: effective, effectiveDeny: 0, inheritedAllow: effective } } : {}),
    };
  }
  return list([{ inheritPermissions: true, token, acesDictionary: aces, includeExtendedInfo: extended }]);
}

export const coreRoutes: RouteDef[] = [
  { method: "GET", levels: ["org"], path: "connectionData", scopes: [], handler: connectionData },
  { method: "GET", levels: ["org"], path: "projects", scopes: ["vso.project", "vso.profile"], handler: listProjects },
  { method: "GET", levels: ["org"], path: "projects/:projectId", scopes: ["vso.project", "vso.profile"], handler: getProject },
  { method: "GET", levels: ["org"], path: "projects/:projectId/teams", scopes: ["vso.project", "vso.profile"], handler: listTeams },
  { method: "GET", levels: ["org"], path: "projects/:projectId/teams/:teamId", scopes: ["vso.project", "vso.profile"], handler: getTeam },
  // The spec declares no OAuth scope for the security reads (../shared/ado-rest-specs/security/7.1/security.json:
  // only the PAT scheme), so the extension's own access token is refused there; see docs/ado-fidelity.md.
  { method: "POST", levels: ["org"], path: "security/permissionevaluationbatch", scopes: [], oauth: false, handler: permissionBatch },
  {
    method: "GET",
    levels: ["org"],
    path: "accesscontrollists/:namespaceId",
    scopes: ["vso.security_manage"],
    oauth: false,
    handler: queryAcl,
  },
];
