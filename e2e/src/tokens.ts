// Tokens Azure DevOps hands to an extension page, minted the way the real host does.
import { randomBytes } from "node:crypto";
import { sign } from "hono/jwt";

export const APP_TOKEN_ISSUER = "app.vstoken.visualstudio.com";

/**
 * SDK.getAppToken(): an HS256 JWT signed with the extension's certificate (its "secret"), naming the
 * user in `nameid`. Real tokens live about 70 minutes and carry an extension-specific `aud`.
 */
export async function mintAppToken(o: {
  userId: string;
  secret: string;
  audience: string;
  lifetimeSec?: number;
  tenantId?: string;
  /** Azure DevOps' clock minus ours, in seconds: its tokens carry its time, which may be off by minutes. */
  clockSkewSec?: number;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000) + (o.clockSkewSec ?? 0);
  return sign(
    {
      nameid: o.userId,
      tid: o.tenantId ?? "00000000-0000-0000-0000-000000000000",
      jti: randomBytes(16).toString("hex"),
      iss: APP_TOKEN_ISSUER,
      aud: o.audience,
      nbf: now - 5,
      exp: now + (o.lifetimeSec ?? 70 * 60),
    },
    o.secret,
    "HS256",
  );
}
