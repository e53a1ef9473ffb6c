import { verify } from "hono/jwt";
import { decode } from "hono/jwt";

export const APP_TOKEN_ISSUER = "app.vstoken.visualstudio.com";

export interface AppTokenClaims {
  userId: string;
  tenantId?: string;
  exp: number;
}

export class AppTokenError extends Error {}

/**
 * App tokens are stamped with Azure DevOps' clock, not ours: `nbf`/`exp` are checked with this much
 * leeway (config APP_TOKEN_LEEWAY_SECONDS) so a few minutes of skew does not lock everyone out.
 */
export const DEFAULT_APP_TOKEN_LEEWAY_SECONDS = 300;

/**
 * Verifies `SDK.getAppToken()`: an HS256 JWT signed with the extension's secret (UTF-8 bytes).
 * Several secrets are tried so dev/prod extensions and rotated certificates all work.
 */
export async function verifyAppToken(
  token: string,
  secrets: string[],
  audiences: string[] = [],
  leewaySeconds: number = DEFAULT_APP_TOKEN_LEEWAY_SECONDS,
  now: number = Math.floor(Date.now() / 1000),
): Promise<AppTokenClaims> {
  let header: { alg?: string };
  try {
    header = decode(token).header;
  } catch {
    throw new AppTokenError("the app token is not a JWT");
  }
  if (header.alg !== "HS256") throw new AppTokenError("the app token must be signed with HS256");
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      // Times are checked below, with leeway; hono's own checks allow none.
      const payload = await verify(token, secret, {
        alg: "HS256",
        iss: APP_TOKEN_ISSUER,
        nbf: false,
        exp: false,
        iat: false,
        ...(audiences.length ? { aud: audiences } : {}),
      });
      if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) throw new AppTokenError("the app token has no expiry");
      if (payload.exp + leewaySeconds <= now) throw new AppTokenError("the app token has expired");
      if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || payload.nbf - leewaySeconds > now))
        throw new AppTokenError("the app token is not valid yet");
      const userId = payload.nameid;
      if (typeof userId !== "string" || !userId) throw new AppTokenError("the app token names no user (nameid)");
      return { userId, tenantId: typeof payload.tid === "string" ? payload.tid : undefined, exp: payload.exp };
    } catch (e) {
      lastError = e;
      if (e instanceof AppTokenError) throw e;
      const name = (e as Error).name;
      // Only a signature mismatch is worth trying the next secret for.
      if (name !== "JwtTokenSignatureMismatched") break;
    }
  }
  const name = (lastError as Error | undefined)?.name ?? "";
  if (name === "JwtTokenExpired") throw new AppTokenError("the app token has expired");
  if (name === "JwtTokenNotBefore") throw new AppTokenError("the app token is not valid yet");
  if (name === "JwtTokenIssuer") throw new AppTokenError("the app token was not issued by Azure DevOps");
  if (name === "JwtTokenAudience") throw new AppTokenError("the app token is for another extension");
  if (name === "JwtTokenSignatureMismatched") throw new AppTokenError("the app token signature is invalid");
  throw new AppTokenError("the app token is invalid");
}
