import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../context";

const Health = z.object({ status: z.literal("ok") }).openapi("Health");
const Ready = z
  .object({ status: z.enum(["ready", "not_ready"]), database: z.enum(["pglite", "postgres"]), reason: z.string().optional() })
  .openapi("Ready");

/** Liveness (process up) and readiness (database answers) for load balancers and the dev launcher. */
export function healthRouter(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/healthz",
        tags: ["health"],
        responses: { 200: { description: "Alive", content: { "application/json": { schema: Health } } } },
      }),
      (c) => c.json({ status: "ok" as const }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/readyz",
        tags: ["health"],
        responses: {
          200: { description: "Ready", content: { "application/json": { schema: Ready } } },
          503: { description: "Not ready", content: { "application/json": { schema: Ready } } },
        },
      }),
      async (c) => {
        try {
          // A database that does not answer within the probe's budget is as bad as one that refuses.
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("database did not answer within 3 s")), 3_000);
          });
          await Promise.race([deps.database.query("SELECT 1"), timeout]).finally(() => clearTimeout(timer));
          return c.json({ status: "ready" as const, database: deps.database.kind }, 200);
        } catch (e) {
          deps.log.error("readiness check failed", { err: e });
          return c.json({ status: "not_ready" as const, database: deps.database.kind, reason: "database unavailable" }, 503);
        }
      },
    );
}
