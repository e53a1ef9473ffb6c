import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../context";
import { listAudit } from "../lib/audit";
import { errorResponses } from "../lib/errors";

export const AuditEntrySchema = z
  .object({
    id: z.number(),
    actorId: z.string(),
    actorName: z.string().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    details: z.record(z.string(), z.unknown()),
    at: z.string(),
  })
  .openapi("AuditEntry");

/** The audit history of this organization (connections, links): who changed what and when. */
export function auditRouter(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>().openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["audit"],
      request: {
        query: z.object({
          targetType: z.string().max(50).optional(),
          targetId: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: {
        200: {
          description: "Audit entries, newest first",
          content: { "application/json": { schema: z.object({ entries: z.array(AuditEntrySchema) }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const rows = await listAudit(deps.database.db, c.get("org").id, c.req.valid("query"));
      return c.json({ entries: rows.map(({ orgId: _o, ...r }) => r) }, 200);
    },
  );
}
