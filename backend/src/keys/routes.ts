import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../context";
import { listAudit, recordAudit } from "../lib/audit";
import { errorResponses } from "../lib/errors";
import { projectAdminCheck } from "../lib/projectAdmin";
import { userAccess } from "../results/access";
import { AuditEntrySchema } from "../routes/audit";
import { CreatedKeySchema, CreateKeySchema, UploadKeySchema } from "../schemas/keys";
import { createKey, findKey, listKeys, revokeKey, toKeyDto } from "./store";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const KeyIdParam = z.object({ id: z.uuid("must be an upload key id (UUID)") });
export const KEY_AUDIT_TARGET = "upload_key";

/**
 * /api/keys: upload keys for CI systems other than Azure Pipelines. Only project administrators
 * (checked with Azure DevOps) create, list and revoke them, and see their history.
 */
export function keysRouter(deps: AppDeps) {
  const access = userAccess(deps);
  const requireAdmin = projectAdminCheck(deps);
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags: ["keys"],
        request: { query: z.object({ project: z.string().trim().min(1, "is required").max(256, "is too long") }) },
        responses: { 200: json(z.object({ keys: z.array(UploadKeySchema) }), "The project's keys, live first"), ...errorResponses },
      }),
      async (c) => {
        const project = await access.project(c, c.req.valid("query").project);
        await requireAdmin(c, project.id);
        return c.json({ keys: (await listKeys(deps, c.get("org").id, project.id)).map(toKeyDto) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags: ["keys"],
        summary: "Create an upload key (its secret is in this answer only)",
        request: { body: { required: true, content: { "application/json": { schema: CreateKeySchema } } } },
        responses: { 201: json(CreatedKeySchema, "The key and, this once, its secret"), ...errorResponses },
      }),
      async (c) => {
        const input = c.req.valid("json");
        const project = await access.project(c, input.project);
        await requireAdmin(c, project.id);
        const orgId = c.get("org").id;
        const { key, secret } = await createKey(deps, { orgId, project, name: input.name, createdBy: c.get("user").id });
        await recordAudit(deps.database.db, {
          orgId,
          actorId: c.get("user").id,
          action: "upload_key.created",
          targetType: KEY_AUDIT_TARGET,
          targetId: key.id,
          details: { project: project.name, name: key.name, prefix: key.prefix },
        });
        return c.json({ key: toKeyDto(key), secret }, 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/revoke",
        tags: ["keys"],
        request: { params: KeyIdParam },
        responses: { 200: json(UploadKeySchema, "The revoked key (uploads with it are refused from now on)"), ...errorResponses },
      }),
      async (c) => {
        const orgId = c.get("org").id;
        const found = await findKey(deps, orgId, c.req.valid("param").id);
        await requireAdmin(c, found.projectId);
        const key = await revokeKey(deps, orgId, found.id, c.get("user").id);
        if (!found.revokedAt)
          await recordAudit(deps.database.db, {
            orgId,
            actorId: c.get("user").id,
            action: "upload_key.revoked",
            targetType: KEY_AUDIT_TARGET,
            targetId: key.id,
            details: { project: key.projectName, name: key.name, prefix: key.prefix },
          });
        return c.json(toKeyDto(key), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/audit",
        tags: ["keys"],
        request: { params: KeyIdParam },
        responses: {
          200: json(z.object({ entries: z.array(AuditEntrySchema) }), "Every change and use of the key, newest first"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const orgId = c.get("org").id;
        const key = await findKey(deps, orgId, c.req.valid("param").id);
        await requireAdmin(c, key.projectId);
        const rows = await listAudit(deps.database.db, orgId, { targetType: KEY_AUDIT_TARGET, targetId: key.id, limit: 200 });
        return c.json({ entries: rows.map(({ orgId: _o, ...r }) => r) }, 200);
      },
    );
}
