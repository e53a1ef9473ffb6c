import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { requireOrgAdmin } from "../auth/middleware";
import type { AppDeps, AppEnv } from "../context";
import { connections } from "../db/schema";
import { errorResponses } from "../lib/errors";
import { checkAllHooks, hookHealth } from "./hookHealth";

const HookHealthSchema = z
  .object({
    eventType: z.string(),
    subscriptionId: z.string(),
    status: z.string().nullable().openapi({ description: "Azure DevOps' status: enabled, onProbation, disabledBySystem, ...; missing" }),
    checkedAt: z.string().nullable(),
    lastDeliveryAt: z.string().nullable(),
    lastAction: z.string().nullable(),
    lastActionAt: z.string().nullable(),
  })
  .openapi("HookHealth");
const HookChecksSchema = z
  .object({
    connections: z.array(z.object({ connectionId: z.string(), hooks: z.array(HookHealthSchema), error: z.string().nullable() })),
  })
  .openapi("HookChecks");
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: HookChecksSchema } } },
  ...errorResponses,
});

/** Service-hook health of this organization's Active connection, as Azure DevOps reports it. */
export function hooksRouter(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({ method: "get", path: "/", tags: ["connections"], responses: ok("The last known state (no call to Azure DevOps)") }),
      async (c) => {
        const rows = await deps.database.db
          .select({ id: connections.id })
          .from(connections)
          .where(and(eq(connections.orgId, c.get("org").id), eq(connections.status, "Active")));
        const out = [];
        for (const r of rows) out.push({ connectionId: r.id, hooks: await hookHealth(deps, r.id), error: null });
        return c.json({ connections: out }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/check",
        tags: ["connections"],
        responses: ok("Read from Azure DevOps now; broken subscriptions recreated and a catch-up sync queued"),
      }),
      async (c) => {
        // Repairs act with the connection's PAT: an organization admin's call, like every connection change.
        await requireOrgAdmin(c, deps);
        return c.json({ connections: await checkAllHooks(deps, c.get("org").id) }, 200);
      },
    );
}
