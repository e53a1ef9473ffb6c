/** Typed failures of Azure DevOps calls; callers branch on `kind`, never on message text. */
export type AdoErrorKind =
  | "bad_credentials" // PAT wrong, expired or revoked (401 without a user, or a 203 sign-in page), or its owner lost access
  | "missing_scope" // authenticated, but the token lacks the scope for this area (401 TF400813)
  | "forbidden" // authenticated with the scope, but the user lacks the permission (403)
  | "not_found"
  | "bad_request"
  | "conflict" // e.g. JSON Patch `test /rev` failed
  | "throttled" // 429 after the retries we allow ourselves
  | "unreachable" // DNS, connection refused/reset, timeout, truncated body
  | "server"; // 5xx after retries

export class AdoError extends Error {
  constructor(
    public readonly kind: AdoErrorKind,
    message: string,
    public readonly details: {
      status?: number;
      scope?: string;
      path?: string;
      retryAfterSec?: number;
      adoMessage?: string;
      /** bad_credentials because the PAT's owner lost access to the organization (the PAT itself is valid). */
      lostAccess?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "AdoError";
  }
}

export const isAdoError = (e: unknown, kind?: AdoErrorKind): e is AdoError =>
  e instanceof AdoError && (kind === undefined || e.kind === kind);

/** The scope an Azure DevOps request path needs, so a 401 TF400813 can name what is missing. */
export function scopeForPath(path: string, method: string): string {
  const p = path.toLowerCase();
  const write = method !== "GET" && method !== "HEAD";
  if (p.includes("/_apis/wit/wiql") || p.includes("/_apis/wit/workitemsbatch")) return "vso.work";
  if (p.includes("/_apis/wit/") || p.includes("/_apis/work/")) return write ? "vso.work_write" : "vso.work";
  if (p.includes("/_apis/git/")) return write ? "vso.code_write" : "vso.code";
  if (p.includes("/_apis/test/") || p.includes("/_apis/testplan/") || p.includes("/_apis/testresults/"))
    return write ? "vso.test_write" : "vso.test";
  if (p.includes("/_apis/hooks/")) return "vso.work";
  if (p.includes("/_apis/projects") || p.includes("/_apis/teams")) return "vso.project";
  return "vso.profile";
}
