import { and, eq } from "drizzle-orm";
import type { AppDeps } from "../context";
import { resultsImports } from "../db/schema";

export type ImportRow = typeof resultsImports.$inferSelect;

export const importResourceKey = (projectId: string) => `results-import:${projectId}`;

export async function findImport(deps: AppDeps, orgId: string, projectId: string): Promise<ImportRow | undefined> {
  const [row] = await deps.database.db
    .select()
    .from(resultsImports)
    .where(and(eq(resultsImports.orgId, orgId), eq(resultsImports.projectId, projectId)))
    .limit(1);
  return row;
}

/** Turns the import on or off. The first time on, the cursor starts `sinceDays` back; later it stays where it is. */
export async function setImport(
  deps: AppDeps,
  s: { orgId: string; project: { id: string; name: string }; enabled: boolean; sinceDays: number; by: string },
): Promise<ImportRow> {
  const cursor = new Date(Date.now() - s.sinceDays * 24 * 3600_000);
  const [row] = await deps.database.db
    .insert(resultsImports)
    .values({
      orgId: s.orgId,
      projectId: s.project.id,
      projectName: s.project.name,
      enabled: s.enabled,
      cursorAt: cursor,
      updatedBy: s.by,
    })
    .onConflictDoUpdate({
      target: [resultsImports.orgId, resultsImports.projectId],
      set: { enabled: s.enabled, projectName: s.project.name, updatedBy: s.by, updatedAt: new Date() },
    })
    .returning();
  return row;
}

/** Live imports (for the periodic catch-up). */
export async function enabledImports(deps: AppDeps): Promise<ImportRow[]> {
  return deps.database.db.select().from(resultsImports).where(eq(resultsImports.enabled, true));
}
