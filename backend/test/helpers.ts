import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sign } from "hono/jwt";
import { APP_TOKEN_ISSUER } from "../src/auth/appToken";
import { loadConfig, type Config } from "../src/config";
import { openDatabase, type Database } from "../src/db/client";
import { memoryLogger } from "../src/log";
import { buildBackend } from "../src/server";

export const TEST_SECRET = "test-extension-secret-0123456789";
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
export const DB_KINDS = ["pglite", "postgres"] as const;
export type DbKind = (typeof DB_KINDS)[number];

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    EXTENSION_SECRET: TEST_SECRET,
    ENCRYPTION_KEY: `t1:${randomBytes(32).toString("base64")}`,
    LOG_LEVEL: "debug",
    ADO_SIMULATOR_URL: "http://ado-sim.test",
    // A public https receiver, as Azure DevOps Services requires for service hooks (tests deliver in-process by path).
    PUBLIC_URL: "https://testops.example.com",
    CORS_ORIGINS: "https://testops.gallerycdn.vsassets.io,http://localhost:7000",
    ...env,
  });
}

export async function signAppToken(userId: string, o: { secret?: string; expInSec?: number; nbfInSec?: number; iss?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    {
      nameid: userId,
      tid: "tenant",
      iss: o.iss ?? APP_TOKEN_ISSUER,
      aud: "ext-aud",
      nbf: now + (o.nbfInSec ?? -10),
      exp: now + (o.expInSec ?? 3600),
      jti: randomBytes(6).toString("hex"),
    },
    o.secret ?? TEST_SECRET,
    "HS256",
  );
}

/** A unique Postgres schema per test file keeps parallel jest workers apart. */
export const uniqueSchema = (prefix = "t") => `${prefix}_${randomBytes(5).toString("hex")}`;

export async function openTestDatabase(kind: DbKind): Promise<Database & { drop(): Promise<void> }> {
  if (kind === "pglite") {
    const db = await openDatabase({});
    return Object.assign(db, { drop: () => db.close() });
  }
  const schemaName = uniqueSchema();
  const db = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schemaName });
  return Object.assign(db, {
    drop: async () => {
      await db.exec(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE; DROP SCHEMA IF EXISTS "${schemaName}_boss" CASCADE`);
      await db.close();
    },
  });
}

/** A whole backend on an in-memory PGlite or a throwaway Postgres schema, talking to `fetchImpl` for ADO. */
export async function testBackend(o: { kind?: DbKind; fetch?: typeof fetch; env?: Record<string, string> } = {}) {
  const log = memoryLogger();
  const schemaName = uniqueSchema();
  const config = testConfig({ ...(o.kind === "postgres" ? { DATABASE_URL: TEST_DATABASE_URL } : {}), ...o.env });
  // In-memory PGlite for tests (no DATA_DIR on disk); Postgres gets its own schema.
  const backend = await buildBackend(
    { ...config, dataDir: "" },
    { log, fetch: o.fetch, schemaName: o.kind === "postgres" ? schemaName : undefined, memory: o.kind !== "postgres" },
  );
  return {
    ...backend,
    log,
    config,
    close: async () => {
      await backend.close();
      if (o.kind === "postgres") {
        const admin = await openDatabase({ databaseUrl: TEST_DATABASE_URL });
        await admin.exec(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE; DROP SCHEMA IF EXISTS "${schemaName}_boss" CASCADE`);
        await admin.close();
      }
    },
  };
}

/** The manifest's scopes: Azure DevOps limits the extension's access token (SDK.getAccessToken()) to them. */
export const EXTENSION_SCOPES: string[] = (
  JSON.parse(readFileSync(path.join(__dirname, "../../vss-extension.json"), "utf8")) as { scopes: string[] }
).scopes;

/** The headers a hub page sends: app token (who), collection URL and the user's ADO access token (where). */
export async function authHeaders(
  sim: { issueAccessToken(org: string, userId: string, validForMs?: number, scopes?: string[]): string },
  org: string,
  userId: string,
): Promise<Record<string, string>> {
  return {
    Authorization: `Bearer ${await signAppToken(userId)}`,
    "X-Ado-Collection-Url": `https://dev.azure.com/${org}/`,
    "X-Ado-Access-Token": sim.issueAccessToken(org, userId, undefined, EXTENSION_SCOPES),
  };
}

/**
 * Connects `org` through the API as its administrator. Role checks need it: Azure DevOps does not
 * answer them for the extension's token, so the backend reads members' rights with the connection's PAT.
 */
export async function connectOrg(
  app: { request(url: string, init: RequestInit): Response | Promise<Response> },
  headers: Record<string, string>,
  org: string,
  pat: string,
): Promise<string> {
  const res = await app.request("/api/connections", {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ name: `${org} connection`, organizationUrl: `https://dev.azure.com/${org}`, pat }),
  });
  if (res.status !== 201) throw new Error(`connecting ${org} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
