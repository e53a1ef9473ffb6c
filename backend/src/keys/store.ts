// Upload keys: secrets for CI systems that are not Azure Pipelines. A key belongs to one project of one
// organization; only the SHA-256 of the secret is stored (the secret has 256 random bits, so a fast hash
// is enough: nobody can guess one to match), and the whole secret is shown once, when it is created.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { AppDeps } from "../context";
import { uploadKeys } from "../db/schema";
import { ApiError, fieldError } from "../lib/errors";
import { isUniqueViolation } from "../lib/pgErrors";
import type { UploadKey } from "../schemas/keys";

export type KeyRow = typeof uploadKeys.$inferSelect;

export const KEY_PREFIX = "tok_";
/** tok_ + 43 base64url characters (32 random bytes). */
export const KEY_PATTERN = /^tok_[A-Za-z0-9_-]{43}$/;

export const hashKey = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");

/** A new key's secret (pure but random; its shape is KEY_PATTERN). */
export function newKeySecret(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toKeyDto(r: KeyRow): UploadKey {
  return {
    id: r.id,
    projectId: r.projectId,
    projectName: r.projectName,
    name: r.name,
    prefix: r.prefix,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    lastUsedAt: iso(r.lastUsedAt),
    revokedAt: iso(r.revokedAt),
    revokedBy: r.revokedBy,
  };
}

export async function createKey(
  deps: AppDeps,
  k: { orgId: string; project: { id: string; name: string }; name: string; createdBy: string },
): Promise<{ key: KeyRow; secret: string }> {
  const secret = newKeySecret();
  try {
    const [key] = await deps.database.db
      .insert(uploadKeys)
      .values({
        id: randomUUID(),
        orgId: k.orgId,
        projectId: k.project.id,
        projectName: k.project.name,
        name: k.name,
        prefix: secret.slice(0, KEY_PREFIX.length + 6),
        secretSha256: hashKey(secret),
        createdBy: k.createdBy,
      })
      .returning();
    return { key, secret };
  } catch (e) {
    // The partial unique index on live names (upload_keys_live_name).
    if (isUniqueViolation(e)) throw fieldError("name", `a key named "${k.name}" already exists in this project`);
    throw e;
  }
}

export async function listKeys(deps: AppDeps, orgId: string, projectId: string): Promise<KeyRow[]> {
  return deps.database.db
    .select()
    .from(uploadKeys)
    .where(and(eq(uploadKeys.orgId, orgId), eq(uploadKeys.projectId, projectId)))
    .orderBy(sql`${uploadKeys.revokedAt} IS NOT NULL`, desc(uploadKeys.createdAt));
}

export async function findKey(deps: AppDeps, orgId: string, id: string): Promise<KeyRow> {
  const [row] = await deps.database.db
    .select()
    .from(uploadKeys)
    .where(and(eq(uploadKeys.orgId, orgId), eq(uploadKeys.id, id)))
    .limit(1);
  if (!row) throw new ApiError(404, "not_found", "No such upload key in this organization");
  return row;
}

/** Revokes a live key; a revoked key stays listed (and refused) for the audit trail. */
export async function revokeKey(deps: AppDeps, orgId: string, id: string, by: string): Promise<KeyRow> {
  const [row] = await deps.database.db
    .update(uploadKeys)
    .set({ revokedAt: new Date(), revokedBy: by })
    .where(and(eq(uploadKeys.orgId, orgId), eq(uploadKeys.id, id), isNull(uploadKeys.revokedAt)))
    .returning();
  return row ?? findKey(deps, orgId, id);
}

/** The live key with this secret, or why not. */
export async function keyBySecret(deps: AppDeps, secret: string): Promise<KeyRow | "unknown" | "revoked"> {
  if (!KEY_PATTERN.test(secret)) return "unknown";
  const [row] = await deps.database.db
    .select()
    .from(uploadKeys)
    .where(eq(uploadKeys.secretSha256, hashKey(secret)))
    .limit(1);
  if (!row) return "unknown";
  return row.revokedAt ? "revoked" : row;
}

export async function touchKey(deps: AppDeps, id: string): Promise<void> {
  await deps.database.db.update(uploadKeys).set({ lastUsedAt: new Date() }).where(eq(uploadKeys.id, id));
}
