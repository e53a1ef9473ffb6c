import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../context";
import { ApiError, errorResponses } from "../lib/errors";

export const MeSchema = z
  .object({
    userId: z.string(),
    organization: z.object({ id: z.string(), name: z.string(), url: z.string() }),
    isOrgAdmin: z.boolean(),
  })
  .openapi("Me");

/** Who the backend thinks the caller is: the hub shows admin-only actions from this (the server still checks). */
export function meRouter(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>().openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["me"],
      responses: { 200: { description: "The caller", content: { "application/json": { schema: MeSchema } } }, ...errorResponses },
    }),
    async (c) => {
      const org = c.get("org");
      // Before the first connection Azure DevOps may not tell (the extension's token cannot read
      // permissions): show the Connect form; saving checks the caller's rights with the PAT they enter.
      const isOrgAdmin = await deps.identity.isOrgAdmin(org.parsed, c.get("accessToken")).catch((e: unknown) => {
        if (e instanceof ApiError && e.code === "no_connection") return true;
        throw e;
      });
      return c.json({ userId: c.get("user").id, organization: { id: org.id, name: org.name, url: org.url }, isOrgAdmin }, 200);
    },
  );
}
