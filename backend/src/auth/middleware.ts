import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { parseOrganizationUrl } from "../ado/urls";
import type { AppDeps, AppEnv } from "../context";
import { ApiError } from "../lib/errors";
import { AppTokenError, verifyAppToken, type AppTokenClaims } from "./appToken";
import { OrgBinder } from "./orgs";

export const ORG_HEADER = "X-Ado-Collection-Url";
export const ACCESS_TOKEN_HEADER = "X-Ado-Access-Token";

/**
 * Every /api request: a valid app token (who), and an organization proven with the user's own
 * Azure DevOps access token (where). The org id for tenancy comes from ADO, never from the body.
 */
export function requireAuth(
  deps: AppDeps,
  alternative?: { authenticate(c: Context<AppEnv>): Promise<boolean> },
): MiddlewareHandler<AppEnv> {
  const binder = new OrgBinder(deps.database);
  // A page sends the same app token for about an hour: its signature is checked once (the HMAC through
  // WebCrypto is most of an authenticated request's CPU), its expiry on every request. Keyed by a hash.
  const signedTokens = new Map<string, AppTokenClaims>();
  return async (c, next) => {
    // CI callers of the upload routes (pipeline job token, upload key) authenticate their own way.
    if (alternative && (await alternative.authenticate(c))) return next();
    const header = c.req.header("Authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError(401, "unauthorized", "An app token is required (Authorization: Bearer <SDK.getAppToken()>)");
    let userId: string;
    const key = createHash("sha256").update(m[1]).digest("base64");
    const known = signedTokens.get(key);
    if (known && known.exp + deps.config.appTokenLeewaySeconds > Date.now() / 1000) userId = known.userId;
    else {
      try {
        const claims = await verifyAppToken(
          m[1],
          deps.config.extensionSecrets,
          deps.config.extensionAudiences,
          deps.config.appTokenLeewaySeconds,
        );
        if (signedTokens.size >= 10_000) signedTokens.clear();
        signedTokens.set(key, claims);
        userId = claims.userId;
      } catch (e) {
        signedTokens.delete(key);
        if (e instanceof AppTokenError) throw new ApiError(401, "unauthorized", e.message);
        throw e;
      }
    }
    const orgHeader = c.req.header(ORG_HEADER);
    if (!orgHeader)
      throw new ApiError(400, "validation_failed", `${ORG_HEADER} header is required`, [{ field: ORG_HEADER, message: "is required" }]);
    const parsed = parseOrganizationUrl(orgHeader, deps.config.adoServerHosts);
    if (!parsed.ok)
      throw new ApiError(400, "validation_failed", `${ORG_HEADER} ${parsed.reason}`, [{ field: ORG_HEADER, message: parsed.reason }]);
    const accessToken = c.req.header(ACCESS_TOKEN_HEADER);
    if (!accessToken) throw new ApiError(401, "unauthorized", `${ACCESS_TOKEN_HEADER} header is required (SDK.getAccessToken())`);

    // parseOrganizationUrl let through only Microsoft's hosts and operator-listed servers, so the
    // access token goes nowhere else and the answer comes from a host trusted to say which org it is.
    const verified = await deps.identity.verifyMembership(parsed.value, accessToken, userId);
    const org = await binder.bind(verified, parsed.value);
    c.set("user", { id: userId });
    c.set("org", { ...org, parsed: parsed.value });
    c.set("accessToken", accessToken);
    await next();
  };
}

/**
 * Throws 403 unless ADO says the caller administers the organization (Project Collection Administrators).
 * `candidatePat`: a PAT the caller is about to save, to check with when the organization has no connection yet.
 */
export async function requireOrgAdmin(c: Context<AppEnv>, deps: AppDeps, candidatePat?: string): Promise<void> {
  if (!(await deps.identity.isOrgAdmin(c.get("org").parsed, c.get("accessToken"), candidatePat))) {
    throw new ApiError(403, "forbidden", "Only organization administrators (Project Collection Administrators) can do this");
  }
}

/** Throws 403 unless ADO says the caller administers the project. */
export async function requireProjectAdmin(c: Context<AppEnv>, deps: AppDeps, projectId: string): Promise<void> {
  if (!(await deps.identity.isProjectAdmin(c.get("org").parsed, c.get("accessToken"), projectId))) {
    throw new ApiError(403, "forbidden", "Only project administrators can change this project's links");
  }
}
