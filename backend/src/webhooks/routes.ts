import { createHash, timingSafeEqual } from "node:crypto";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq, lt } from "drizzle-orm";
import { HOOK_USER } from "../connections/hooks";
import { openHookSecret } from "../connections/store";
import type { AppDeps, AppEnv } from "../context";
import { connections, webhookEvents } from "../db/schema";
import { recordDelivery } from "../connections/hookHealth";
import { dispatchAdoEvent } from "../hooks/dispatch";
import { ErrorSchema } from "../lib/errors";
import { normaliseDelivery, parseLenientJson, WebhookRejection } from "./parse";

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const KEEP_EVENT_IDS_MS = 7 * 24 * 3600_000;

const sha = (s: string) => createHash("sha256").update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(sha(a), sha(b));

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

const json = (description: string, schema: z.ZodType = ErrorSchema) => ({ description, content: { "application/json": { schema } } });

/**
 * POST /hooks/ado/{connectionId}: Azure DevOps service-hook deliveries, authenticated by the
 * connection's basic-auth secret. Valid events are handled once (deduplicated by event id) and handed
 * to dispatchAdoEvent; what cannot be used gets a 4xx saying why. Payloads are never logged.
 */
export function webhooksRouter(deps: AppDeps) {
  let lastPrune = 0;
  const prune = async () => {
    if (Date.now() - lastPrune < 3600_000) return;
    lastPrune = Date.now();
    await deps.database.db.delete(webhookEvents).where(lt(webhookEvents.receivedAt, new Date(Date.now() - KEEP_EVENT_IDS_MS)));
  };

  const router = new OpenAPIHono<AppEnv>();
  router.openAPIRegistry.registerComponent("securitySchemes", "hookBasicAuth", {
    type: "http",
    scheme: "basic",
    description: "User testops and the connection's secret, set in the service-hook subscription",
  });
  return router.openapi(
    createRoute({
      method: "post",
      path: "/{connectionId}",
      tags: ["service hooks"],
      security: [{ hookBasicAuth: [] }],
      request: { params: z.object({ connectionId: z.string() }) },
      responses: {
        200: json(
          "Accepted (or a duplicate of an accepted event)",
          z.object({ status: z.enum(["accepted", "duplicate"]), eventId: z.string() }),
        ),
        400: json("Not a usable service-hook event"),
        401: json("Missing or wrong basic-auth credentials"),
        409: json("The connection is in Error (its PAT no longer works)"),
        410: json("The connection is disconnected"),
        413: json("Body too large"),
        422: json("An event type TestOps does not use"),
        503: json("A handler failed; Azure DevOps should retry"),
      },
    }),
    async (c) => {
      const { connectionId } = c.req.valid("param");
      const unauthorized = () => {
        c.header("WWW-Authenticate", 'Basic realm="TestOps service hooks"');
        return c.json({ error: "unauthorized", message: "Service-hook credentials are missing or wrong for this endpoint" }, 401);
      };
      const creds = basicCredentials(c.req.header("Authorization"));
      if (!creds || !z.uuid().safeParse(connectionId).success) return unauthorized();
      const [row] = await deps.database.db.select().from(connections).where(eq(connections.id, connectionId)).limit(1);
      // Unknown connection and wrong secret answer alike: the endpoint does not reveal which ids exist.
      const secret = row ? openHookSecret(deps, row) : null;
      if (!row || creds.user !== HOOK_USER || secret === null || !sameSecret(creds.password, secret)) return unauthorized();
      if (row.status === "Inactive")
        return c.json({ error: "connection_inactive", message: "This connection is disconnected; its events are not used" }, 410);
      if (row.status === "Error")
        return c.json(
          { error: "connection_error", message: `This connection is in Error: ${row.statusReason ?? "its PAT does not work"}` },
          409,
        );

      if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES)
        return c.json({ error: "too_large", message: `The body exceeds ${MAX_BODY_BYTES} bytes` }, 413);
      const text = await c.req.text();
      if (Buffer.byteLength(text) > MAX_BODY_BYTES)
        return c.json({ error: "too_large", message: `The body exceeds ${MAX_BODY_BYTES} bytes` }, 413);

      let delivery: ReturnType<typeof normaliseDelivery>;
      try {
        delivery = normaliseDelivery(parseLenientJson(text));
      } catch (e) {
        if (!(e instanceof WebhookRejection)) throw e;
        deps.log.info("service hook rejected", { connectionId, code: e.code, field: e.field });
        const fields = e.field ? [{ field: e.field, message: e.message }] : undefined;
        return c.json({ error: e.code, message: e.message, ...(fields ? { fields } : {}) }, e.status);
      }

      const fresh = await deps.database.db
        .insert(webhookEvents)
        .values({ connectionId, eventId: delivery.eventId, eventType: delivery.eventType })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.eventId });
      if (fresh.length === 0) {
        deps.log.info("service hook duplicate", { connectionId, eventType: delivery.eventType, eventId: delivery.eventId });
        return c.json({ status: "duplicate" as const, eventId: delivery.eventId }, 200);
      }
      // The org hub shows when each subscription last delivered (a failure here must not refuse the event).
      await recordDelivery(deps, connectionId, delivery.eventType).catch((e) => deps.log.warn("could not record a delivery", { err: e }));
      try {
        await dispatchAdoEvent(deps, {
          orgId: row.orgId,
          connectionId,
          eventType: delivery.eventType,
          workItemId: delivery.workItemId,
          projectId: delivery.projectId,
          repositoryId: delivery.repositoryId,
          resource: delivery.resource,
        });
      } catch (e) {
        // Forget the id so Azure DevOps' retry is handled rather than dropped as a duplicate.
        await deps.database.db
          .delete(webhookEvents)
          .where(and(eq(webhookEvents.connectionId, connectionId), eq(webhookEvents.eventId, delivery.eventId)));
        deps.log.error("service hook handler failed", { connectionId, eventType: delivery.eventType, eventId: delivery.eventId, err: e });
        return c.json({ error: "handler_failed", message: "The event could not be handled now; retry later" }, 503);
      }
      deps.log.info("service hook accepted", {
        connectionId,
        eventType: delivery.eventType,
        eventId: delivery.eventId,
        resourceVersion: delivery.resourceVersion,
      });
      await prune().catch(() => undefined);
      return c.json({ status: "accepted" as const, eventId: delivery.eventId }, 200);
    },
  );
}
