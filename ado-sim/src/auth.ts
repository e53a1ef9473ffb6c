// Authentication (PAT via Basic, user access tokens via Bearer), PAT scopes and role-based permissions.
// Outcomes mirror ADO: bad credentials → 401 (or a 203 HTML sign-in page unless
// X-TFS-FedAuthRedirect: Suppress), missing scope → 401 TF400813, missing permission → 403.
import { randomBytes } from "node:crypto";
import { AdoError, type Identity } from "./http";
import type { Org, Pat, SimState } from "./state";

export const UNAUTHORIZED_TYPENAME =
  "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server";

export const SECURITY_NAMESPACES = {
  collection: "3e65f728-f8bc-4ecd-8764-7e378b19bfa7",
  project: "52d39943-cb85-4d7f-8fa8-c6baac873819",
};
export const GENERIC_READ = 1;
export const GENERIC_WRITE = 2;

export const ALL_SCOPES = [
  "vso.profile",
  "vso.project",
  "vso.project_write",
  "vso.work",
  "vso.work_write",
  "vso.code",
  "vso.code_write",
  "vso.test",
  "vso.test_write",
  "vso.analytics",
  "vso.hooks_write",
  "vso.build",
  "vso.identity",
  "vso.graph",
  "vso.security_manage",
];

export type AuthOutcome = { ok: true; identity: Identity } | { ok: false; response: Response };

function wwwAuth(): Record<string, string> {
  return {
    "WWW-Authenticate":
      'Bearer authorization_uri=https://login.microsoftonline.com/common, Basic realm="https://tfsprodweu5.app.visualstudio.com/"',
    "X-TFS-ProcessId": "00000000-0000-0000-0000-000000000000",
  };
}

function signInPage(): Response {
  // What browsers (and clients that forget the Suppress header) get for bad credentials.
  return new Response(
    "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body><p>Sign in to continue to Azure DevOps.</p></body></html>",
    { status: 203, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

export function unauthorizedBody(message: string) {
  return {
    $id: "1",
    innerException: null,
    message,
    typeName: UNAUTHORIZED_TYPENAME,
    typeKey: "UnauthorizedRequestException",
    errorCode: 0,
    eventId: 3000,
  };
}

function unauthorized(message: string): Response {
  return new Response(JSON.stringify(unauthorizedBody(message)), {
    status: 401,
    headers: { "content-type": "application/json; charset=utf-8", ...wwwAuth() },
  });
}

export function authenticate(state: SimState, org: Org, req: Request, now: Date): AuthOutcome {
  const header = req.headers.get("authorization") ?? "";
  const suppress = (req.headers.get("x-tfs-fedauthredirect") ?? "").toLowerCase() === "suppress";
  const fail = (): AuthOutcome => ({
    ok: false,
    response: suppress
      ? unauthorized("TF400813: Resource not available for anonymous access. Client authentication required.")
      : signInPage(),
  });
  if (!header)
    return { ok: false, response: unauthorized("TF400813: Resource not available for anonymous access. Client authentication required.") };
  const [scheme, ...rest] = header.split(" ");
  const cred = rest.join(" ").trim();
  if (scheme.toLowerCase() === "basic") {
    let decoded = "";
    try {
      decoded = Buffer.from(cred, "base64").toString("utf8");
    } catch {
      return fail();
    }
    const colon = decoded.indexOf(":");
    const token = colon >= 0 ? decoded.slice(colon + 1) : decoded;
    const pat = state.pats.get(token);
    if (!pat || pat.revoked || pat.validTo.getTime() <= now.getTime()) return fail();
    if (pat.org && pat.org !== org.name.toLowerCase()) return fail();
    const membership = org.members.get(pat.userId);
    const user = state.users.get(pat.userId);
    if (!user) return fail();
    // A valid PAT whose user was removed from the organization (or lost its access level): the same
    // user-shaped TF400813 as a missing scope, on every call including connectionData.
    if (!membership)
      return { ok: false, response: unauthorized(`TF400813: The user '${user.id}' is not authorized to access this resource.`) };
    const scopes: Identity["scopes"] = pat.scopes.includes("app_token") ? "all" : new Set(expandScopes(pat.scopes));
    return { ok: true, identity: { kind: "pat", user, membership, scopes } };
  }
  if (scheme.toLowerCase() === "bearer") {
    const t = state.accessTokens.get(cred);
    if (!t || t.validTo.getTime() <= now.getTime() || t.org !== org.name.toLowerCase()) return fail();
    const membership = org.members.get(t.userId);
    const user = state.users.get(t.userId);
    if (!membership || !user) return fail();
    const scopes: Identity["scopes"] = t.scopes ? new Set(expandScopes(t.scopes)) : "all";
    return { ok: true, identity: { kind: "bearer", user, membership, scopes } };
  }
  return fail();
}

/** X_write implies X; X_manage implies X_write and X; X_full implies all three. */
export function expandScopes(scopes: string[]): string[] {
  const out = new Set<string>();
  for (const s of scopes) {
    out.add(s);
    const m = /^(.*)_(write|manage|full|execute|readwrite)$/.exec(s);
    if (m) {
      out.add(m[1]);
      if (m[2] === "manage" || m[2] === "full") out.add(`${m[1]}_write`);
      if (m[2] === "full") out.add(`${m[1]}_manage`);
    }
  }
  return [...out];
}

export function hasScope(identity: Identity, anyOf: string[]): boolean {
  if (identity.scopes === "all" || anyOf.length === 0) return true;
  const s = identity.scopes;
  return anyOf.some((x) => s.has(x));
}

export function scopeError(identity: Identity): AdoError {
  return new AdoError(
    401,
    `TF400813: The user '${identity.user.id}' is not authorized to access this resource.`,
    "UnauthorizedRequestException",
    UNAUTHORIZED_TYPENAME,
  );
}

export function requireScope(identity: Identity, anyOf: string[], oauth = true): void {
  // An operation the spec lists for PATs only: OAuth-style bearer tokens get the missing-scope answer.
  if (!oauth && identity.kind === "bearer" && identity.scopes !== "all") throw scopeError(identity);
  if (!hasScope(identity, anyOf)) throw scopeError(identity);
}

export const isCollectionAdmin = (i: Identity) => i.membership.collectionAdmin;
export const isProjectAdmin = (i: Identity, projectId: string) => i.membership.collectionAdmin || i.membership.projectAdmins.has(projectId);

/** Whether the project exists for this identity (members and collection admins see it). */
export function canSeeProject(i: Identity, projectId: string): boolean {
  const m = i.membership;
  return m.collectionAdmin || m.projectAdmins.has(projectId) || !m.projects || m.projects.has(projectId);
}

/**
 * Project namespace bits (docs: "Security namespace and permission reference", Project): GENERIC_READ 1,
 * GENERIC_WRITE 2, DELETE 4, PUBLISH_TEST_RESULTS 8 ("Create test runs"), ..., VIEW_TEST_RESULTS 512.
 */
export const PROJECT_BITS = { genericRead: 1, publishTestResults: 8, viewTestResults: 512 } as const;

export function permissionDenied(identity: Identity, permission: string): AdoError {
  return new AdoError(
    403,
    `TF50309: The following account does not have sufficient permissions to complete the operation: ${identity.user.displayName}. The following permissions are needed to perform this operation: ${permission}.`,
    "AccessCheckException",
    "Microsoft.TeamFoundation.Framework.Server.AccessCheckException, Microsoft.TeamFoundation.Framework.Server",
  );
}

/** Answers a permission evaluation the way the user's roles would in ADO's security namespaces. */
export function evaluatePermission(org: Org, identity: Identity, namespaceId: string, token: string, permissions: number): boolean {
  const ns = namespaceId.toLowerCase();
  const writeBits = permissions & ~GENERIC_READ;
  if (ns === SECURITY_NAMESPACES.collection) {
    return writeBits === 0 || identity.membership.collectionAdmin;
  }
  if (ns === SECURITY_NAMESPACES.project) {
    const m = /^\$PROJECT:vstfs:\/\/\/Classification\/TeamProject\/([0-9a-f-]{36})/i.exec(token);
    if (!m) return identity.membership.collectionAdmin;
    const projectId = m[1].toLowerCase();
    if (!org.projects.some((p) => p.id === projectId) || !canSeeProject(identity, projectId)) return false;
    if (isProjectAdmin(identity, projectId)) return true;
    // Contributors create test runs; Readers only read. Every other bit is an administrator's.
    const contributor = !identity.membership.readerOf?.has(projectId);
    const memberBits = PROJECT_BITS.genericRead | PROJECT_BITS.viewTestResults | (contributor ? PROJECT_BITS.publishTestResults : 0);
    return (permissions & ~memberBits) === 0;
  }
  // Unknown namespaces: only collection admins are granted anything beyond read.
  return writeBits === 0 || identity.membership.collectionAdmin;
}

export function newTokenString(): string {
  return randomBytes(26).toString("base64url").toLowerCase();
}

export function addPat(state: SimState, pat: Omit<Pat, "revoked" | "validTo"> & Partial<Pick<Pat, "revoked" | "validTo">>): Pat {
  const full: Pat = { ...pat, revoked: pat.revoked ?? false, validTo: pat.validTo ?? new Date("2099-12-31T00:00:00Z") };
  state.pats.set(full.token, full);
  return full;
}
