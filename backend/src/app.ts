import { randomUUID } from "node:crypto";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { ACCESS_TOKEN_HEADER, ORG_HEADER, requireAuth } from "./auth/middleware";
import type { AppDeps, AppEnv } from "./context";
import { boardsRouter } from "./boards/routes";
import { hooksRouter } from "./connections/hooksRoutes";
import { connectionsRouter } from "./connections/routes";
import { isDatabaseUnavailable } from "./jobs/transient";
import { ApiError, zodFields } from "./lib/errors";
import { scrubSecrets } from "./lib/scrub";
import { refuseUnstorableBody, refuseUnstorableUrl } from "./lib/input";
import { auditRouter } from "./routes/audit";
import { healthRouter } from "./routes/health";
import { jobsRouter } from "./routes/jobs";
import { reposRouter } from "./repos/routes";
import { keysRouter } from "./keys/routes";
import { importsRouter } from "./imports/routes";
import { resultsRouter } from "./results/routes";
import { traceRouter } from "./trace/routes";
import { ciAuth } from "./results/uploaders";
import { meRouter } from "./routes/me";
import { webhooksRouter } from "./webhooks/routes";
import { widgetsRouter } from "./widgets/routes";

/** Field-level 400s for every validated input (body, query, params). */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (!result.success) {
    const fields = zodFields(result.error.issues);
    return c.json({ error: "validation_failed", message: fields.map((f) => `${f.field}: ${f.message}`).join("; "), fields }, 400);
  }
};

export const JSON_BODY_LIMIT = 1024 * 1024;
export const HOOK_BODY_LIMIT = 4 * 1024 * 1024;
const tooLargeBody = (limit: number) => ({
  error: "too_large",
  message: `body: the request body exceeds ${limit / 1024 / 1024} MB`,
  fields: [{ field: "body", message: `exceeds ${limit / 1024 / 1024} MB` }],
});

/** Origins allowed to call the API: exact origins, or a leading "*." wildcard for the gallery CDN. */
export function originMatcher(allowed: string[]) {
  const rules = allowed.map((a) =>
    a.includes("*") ? new RegExp(`^${a.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[a-z0-9-]+")}$`, "i") : a.toLowerCase(),
  );
  return (origin: string) => rules.some((r) => (typeof r === "string" ? r === origin.toLowerCase() : r.test(origin)));
}

export function createApp(deps: AppDeps) {
  const allowOrigin = originMatcher(deps.config.corsOrigins);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("*", async (c, next) => {
    const requestId = c.req.header("x-request-id")?.slice(0, 64) || randomUUID();
    c.set("requestId", requestId);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    // Paths only: query strings and headers may carry tokens.
    deps.log.info("request", {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  const https = deps.config.publicUrl.startsWith("https://");
  app.use("*", async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    if (https || c.req.header("x-forwarded-proto") === "https") c.header("Strict-Transport-Security", "max-age=31536000");
    // API answers are per user and may hold an organization's data: no shared or browser cache keeps them.
    if (c.req.path.startsWith("/api/")) c.header("Cache-Control", "no-store");
  });
  // 1 MB for every JSON route (the JUnit upload has its own, larger limit), counted while reading.
  const jsonLimit = bodyLimit({ maxSize: JSON_BODY_LIMIT, onError: (c) => c.json(tooLargeBody(JSON_BODY_LIMIT), 413) });
  app.use("/api/*", async (c, next) => (c.req.path === "/api/results/junit" ? next() : jsonLimit(c, next)));
  app.use("/hooks/*", bodyLimit({ maxSize: HOOK_BODY_LIMIT, onError: (c) => c.json(tooLargeBody(HOOK_BODY_LIMIT), 413) }));
  app.use(
    "/api/*",
    cors({
      origin: (origin) => (origin && allowOrigin(origin) ? origin : null),
      allowHeaders: ["Authorization", "Content-Type", ORG_HEADER, ACCESS_TOKEN_HEADER, "X-Request-Id"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      maxAge: 600,
    }),
  );
  // Before auth: an over-long query or a NUL in the path is refused the same for everyone.
  app.use("*", refuseUnstorableUrl());
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      const body = err.body();
      return c.json({ ...body, message: scrubSecrets(body.message) }, err.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      // The framework's 400/415s are about the body (malformed JSON that reached a validator, a wrong Content-Type).
      const fields = status === 400 || status === 415 ? [{ field: "body", message: err.message || "is not readable" }] : undefined;
      return c.json(
        { error: status === 401 ? "unauthorized" : "bad_request", message: err.message || "Bad request", ...(fields ? { fields } : {}) },
        status,
      );
    }
    // The database pool is exhausted or the database went away: the request may succeed in a moment.
    if (isDatabaseUnavailable(err)) {
      deps.log.warn("database busy or unreachable", { requestId: c.get("requestId"), path: c.req.path, err });
      c.header("Retry-After", "2");
      return c.json({ error: "unavailable", message: "The backend's database is busy or unreachable; try again in a moment" }, 503);
    }
    deps.log.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, err });
    return c.json({ error: "internal", message: "Something went wrong on our side; the request id is " + c.get("requestId") }, 500);
  });
  app.notFound((c) => c.json({ error: "not_found", message: `No route ${c.req.method} ${c.req.path}` }, 404));

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.use("*", requireAuth(deps, ciAuth(deps)));
  api.use("*", refuseUnstorableBody());
  const apiRoutes = api
    .route("/connections", connectionsRouter(deps))
    .route("/hooks", hooksRouter(deps))
    .route("/me", meRouter(deps))
    .route("/jobs", jobsRouter(deps))
    .route("/audit", auditRouter(deps))
    .route("/boards", boardsRouter(deps))
    .route("/repos", reposRouter(deps))
    .route("/results", resultsRouter(deps))
    .route("/trace", traceRouter(deps))
    .route("/keys", keysRouter(deps))
    .route("/imports", importsRouter(deps))
    .route("/widgets", widgetsRouter(deps));

  const routes = app.route("/", healthRouter(deps)).route("/api", apiRoutes).route("/hooks/ado", webhooksRouter(deps));

  app.openAPIRegistry.registerComponent("securitySchemes", "appToken", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "SDK.getAppToken()",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "TestOps for Azure DevOps API",
      version: "0.1.0",
      description:
        "Backend of the TestOps Azure DevOps extension. Every /api route needs the extension's app token plus the X-Ado-Collection-Url and X-Ado-Access-Token headers.",
    },
    security: [{ appToken: [] }],
  });
  return routes;
}

export type AppType = ReturnType<typeof createApp>;
