import { createHash } from "node:crypto";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AdoClient } from "../ado/client";
import { connectionData } from "../ado/endpoints";
import { requireOrgAdmin } from "../auth/middleware";
import { ApiError } from "../lib/errors";
import type { AppDeps, AppEnv } from "../context";
import { listAudit } from "../lib/audit";
import { ErrorSchema, errorResponses } from "../lib/errors";
import { AuditEntrySchema } from "../routes/audit";
import {
  ConnectionSchema,
  CreateConnectionSchema,
  TestConnectionSchema,
  TestResultSchema,
  UpdateConnectionSchema,
} from "../schemas/connections";
import {
  createConnection,
  disconnectConnection,
  getConnectionDto,
  listConnections,
  reconnectConnection,
  testConnectionFor,
  updateConnection,
  type Actor,
} from "./service";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });
const IdParam = z.object({ id: z.uuid("must be a connection id (UUID)") });
const conflict = { 409: json(ErrorSchema, "Conflicts with another connection, or not in a state that allows this") };
const busy = { 429: json(ErrorSchema, "Azure DevOps is throttling"), 502: json(ErrorSchema, "Azure DevOps could not answer") };

/** Display names for the audit log, asked of ADO with the caller's own token (cached a few minutes). */
function actorNames(deps: AppDeps) {
  const cache = new Map<string, { at: number; name: string | null }>();
  return async (c: Context<AppEnv>): Promise<string | null> => {
    const key = createHash("sha256").update(c.get("accessToken")).digest("hex");
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < 5 * 60_000) return hit.name;
    let name: string | null = null;
    try {
      const client = new AdoClient({
        org: c.get("org").parsed,
        auth: { type: "bearer", token: c.get("accessToken") },
        ...deps.ado,
        maxRetries: 0,
      });
      const who = await connectionData(client);
      name = who.authenticatedUser.providerDisplayName ?? null;
    } catch {
      // The audit keeps the user id; a missing display name is not worth failing the change.
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { at: Date.now(), name });
    return name;
  };
}

/**
 * /api/connections: the organization's Azure DevOps connection. Members may read; changes and Test
 * Connection need an organization administrator, verified with Azure DevOps on every call.
 */
export function connectionsRouter(deps: AppDeps) {
  const nameOf = actorNames(deps);
  /** Every change: an organization admin according to Azure DevOps (never the UI's say-so). */
  const actor = async (c: Context<AppEnv>, candidatePat?: string): Promise<Actor> => {
    await requireOrgAdmin(c, deps, candidatePat);
    const org = c.get("org");
    return { orgId: org.id, orgName: org.name, orgUrl: org.url, userId: c.get("user").id, userName: await nameOf(c), isOrgAdmin: true };
  };

  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags: ["connections"],
        responses: { 200: json(z.object({ connections: z.array(ConnectionSchema) }), "Connections, in use first"), ...errorResponses },
      }),
      async (c) => c.json({ connections: await listConnections(deps, c.get("org").id) }, 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags: ["connections"],
        request: body(CreateConnectionSchema),
        responses: { 201: json(ConnectionSchema, "Created and connected"), ...errorResponses, ...conflict, ...busy },
      }),
      async (c) => c.json(await createConnection(deps, await actor(c, c.req.valid("json").pat), c.req.valid("json")), 201),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/test",
        tags: ["connections"],
        request: body(TestConnectionSchema),
        responses: { 200: json(TestResultSchema, "What the PAT allows, feature by feature (or why it does not work)"), ...errorResponses },
      }),
      async (c) => {
        const input = c.req.valid("json");
        let who: Actor;
        try {
          who = await actor(c, input.pat);
        } catch (e) {
          // A PAT Azure DevOps rejects checks nobody's role, and testing it reveals nothing the caller does
          // not hold: let the probe say it was rejected, as for anyone testing a wrong PAT.
          if (!(e instanceof ApiError && e.code === "pat_rejected")) throw e;
          const org = c.get("org");
          who = { orgId: org.id, orgName: org.name, orgUrl: org.url, userId: c.get("user").id, userName: null, isOrgAdmin: true };
        }
        return c.json(await testConnectionFor(deps, who, input), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags: ["connections"],
        request: { params: IdParam },
        responses: { 200: json(ConnectionSchema, "The connection"), ...errorResponses },
      }),
      async (c) => c.json(await getConnectionDto(deps, c.get("org").id, c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}",
        tags: ["connections"],
        request: { params: IdParam, ...body(UpdateConnectionSchema) },
        responses: { 200: json(ConnectionSchema, "Updated"), ...errorResponses, ...conflict, ...busy },
      }),
      async (c) =>
        c.json(await updateConnection(deps, await actor(c, c.req.valid("json").pat), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags: ["connections"],
        request: { params: IdParam },
        responses: { 405: json(ErrorSchema, "Connections are never deleted") },
      }),
      (c) => {
        c.header("Allow", "GET, PATCH");
        return c.json(
          {
            error: "method_not_allowed",
            message:
              "Connections cannot be deleted: links, sync history and the audit log refer to them. Disconnect it instead (its service hooks are removed and syncing stops).",
          },
          405,
        );
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/disconnect",
        tags: ["connections"],
        request: { params: IdParam },
        responses: { 200: json(ConnectionSchema, "Inactive; service hooks removed"), ...errorResponses, ...conflict },
      }),
      async (c) => c.json(await disconnectConnection(deps, await actor(c), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/reconnect",
        tags: ["connections"],
        request: { params: IdParam },
        responses: { 200: json(ConnectionSchema, "Active again; service hooks restored"), ...errorResponses, ...conflict, ...busy },
      }),
      async (c) => c.json(await reconnectConnection(deps, await actor(c), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/audit",
        tags: ["connections"],
        request: { params: IdParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }) },
        responses: {
          200: json(z.object({ entries: z.array(AuditEntrySchema) }), "Changes to this connection, newest first"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const orgId = c.get("org").id;
        const { id } = c.req.valid("param");
        await getConnectionDto(deps, orgId, id); // 404 for another org's connection
        const rows = await listAudit(deps.database.db, orgId, {
          targetType: "connection",
          targetId: id,
          limit: c.req.valid("query").limit,
        });
        return c.json({ entries: rows.map(({ orgId: _o, ...r }) => r) }, 200);
      },
    );
}
