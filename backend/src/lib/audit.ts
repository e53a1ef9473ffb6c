import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditLog } from "../db/schema";

export interface AuditEntry {
  orgId: string;
  actorId: string;
  actorName?: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details?: Record<string, unknown>;
}

/** Appends to the audit history; rows are never updated or deleted. Never put secrets in details. */
export async function recordAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...e, actorName: e.actorName ?? null, details: e.details ?? {} });
}

export async function listAudit(db: Db, orgId: string, f: { targetType?: string; targetId?: string; limit?: number } = {}) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.orgId, orgId),
        f.targetType ? eq(auditLog.targetType, f.targetType) : undefined,
        f.targetId ? eq(auditLog.targetId, f.targetId) : undefined,
      ),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(Math.min(f.limit ?? 100, 500));
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
