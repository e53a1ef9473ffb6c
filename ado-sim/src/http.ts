// Shared HTTP plumbing: request context, ADO-shaped errors and JSON responses, URL builders.
import type { Org, Project, SimState, Team, User, Membership } from "./state";
import type { SimCore } from "./core-types";

export const API_VERSION = "7.1";

/** An error rendered as ADO's exception JSON ({$id, innerException, message, typeName, typeKey, errorCode, eventId}). */
export class AdoError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly typeKey = "VssServiceException",
    readonly typeName = `Microsoft.VisualStudio.Services.WebApi.${typeKey}, Microsoft.VisualStudio.Services.WebApi`,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function adoErrorBody(message: string, typeKey: string, typeName: string, extra: Record<string, unknown> = {}) {
  return { $id: "1", innerException: null, message, typeName, typeKey, errorCode: 0, eventId: 3000, ...extra };
}

export function errorResponse(e: AdoError): Response {
  return new Response(JSON.stringify(adoErrorBody(e.message, e.typeKey, e.typeName, e.extra)), {
    status: e.status,
    headers: { "content-type": "application/json; charset=utf-8", ...e.headers },
  });
}

export const badRequest = (message: string, typeKey = "ArgumentException", typeName?: string) =>
  new AdoError(400, message, typeKey, typeName ?? `System.${typeKey}, mscorlib`);
export const notFound = (message: string, typeKey = "VssResourceNotFoundException") => new AdoError(404, message, typeKey);

export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(data), {
    status,
    headers: { "content-type": `application/json; charset=utf-8; api-version=${API_VERSION}`, ...headers },
  });
}

/** The live service wraps lists as {count, value}. */
export function list<T>(values: T[], headers: Record<string, string> = {}): Response {
  return json({ count: values.length, value: values }, 200, headers);
}

export interface Identity {
  kind: "pat" | "bearer";
  user: User;
  membership: Membership;
  /** "all" for full-access PATs (and unscoped test tokens); an extension's access token has its manifest's scopes. */
  scopes: Set<string> | "all";
}

export interface Ctx {
  sim: SimCore;
  state: SimState;
  req: Request;
  url: URL;
  method: string;
  /** Origin used in response URLs (the request's own origin, like ADO). */
  base: string;
  org: Org;
  project?: Project;
  team?: Team;
  params: Record<string, string>;
  identity: Identity;
  apiVersion: string;
  /** Case-insensitive query parameter. */
  q(name: string): string | undefined;
  body<T = unknown>(): Promise<T>;
}

export function queryGetter(url: URL): (name: string) => string | undefined {
  const map = new Map<string, string>();
  for (const [k, v] of url.searchParams) if (!map.has(k.toLowerCase())) map.set(k.toLowerCase(), v);
  return (name) => map.get(name.toLowerCase());
}

export function intParam(ctx: Ctx, name: string, def?: number): number | undefined {
  const v = ctx.q(name);
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`The value '${v}' is not valid for ${name}.`, "ArgumentException");
  return n;
}

export function boolParam(ctx: Ctx, name: string): boolean {
  return (ctx.q(name) ?? "").toLowerCase() === "true";
}

export const orgUrl = (ctx: { base: string; org: Org }) => `${ctx.base}/${encodeURIComponent(ctx.org.name)}`;
export const projectUrl = (ctx: { base: string; org: Org }, project: Project) => `${orgUrl(ctx)}/${project.id}`;

export function identityRef(base: string, org: Org, user: User) {
  return {
    displayName: user.displayName,
    url: `${base}/${org.name}/_apis/Identities/${user.id}`,
    _links: { avatar: { href: `${base}/${org.name}/_apis/GraphProfile/MemberAvatars/${user.descriptor}` } },
    id: user.id,
    uniqueName: user.uniqueName,
    imageUrl: `${base}/${org.name}/_api/_common/identityImage?id=${user.id}`,
    descriptor: user.descriptor,
  };
}

/** "Display Name <mail>": how identities appear in hook payloads and reporting revisions. */
export const identityString = (u: User) => `${u.displayName} <${u.uniqueName}>`;
