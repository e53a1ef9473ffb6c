// The Hono app: request log → faults → ADO routing (auth, throttling, api-version, scopes) or /_sim control.
import { Hono } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { authenticate, canSeeProject, requireScope } from "./auth";
import { buildRoutes } from "./builds";
import { coreRoutes, projectNotFound } from "./core";
import { gitRoutes } from "./git";
import { hookRoutes } from "./hooks";
import { AdoError, adoErrorBody, errorResponse, json, notFound, queryGetter, API_VERSION, type Ctx } from "./http";
import { matchRoute, type Level, type RouteDef } from "./router";
import type { SimulatorImpl } from "./simulator";
import { findOrg, findProject, findTeam } from "./state";
import { testPlanRoutes } from "./testplans";
import { testRoutes } from "./testruns";
import { throttledBody } from "./throttle";
import { witRoutes } from "./wit";
import { workRoutes } from "./work";
import { controlRoutes } from "./control";

export const ALL_ROUTES: RouteDef[] = [
  ...coreRoutes,
  ...witRoutes,
  ...workRoutes,
  ...gitRoutes,
  ...hookRoutes,
  ...testRoutes,
  ...testPlanRoutes,
  ...buildRoutes,
];

/** Header used between the app and the in-process fetch to signal an injected connection reset. */
export const RESET_HEADER = "x-sim-fault-reset";

type Env = { Bindings: Partial<HttpBindings> };

const SUPPORTED = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/;

function apiVersionOf(req: Request, url: URL): string | undefined {
  const q = queryGetter(url)("api-version");
  if (q) return q;
  const accept = req.headers.get("accept") ?? "";
  const m = /api-version\s*=\s*([0-9.]+(?:-preview(?:\.\d+)?)?)/i.exec(accept);
  return m?.[1];
}

function checkApiVersion(method: string, v: string | undefined, optional: boolean): string {
  if (!v) {
    // ADO answers GETs without a version with the latest; other verbs must send one.
    if (method === "GET" || optional) return API_VERSION;
    throw new AdoError(
      400,
      `No api-version was supplied for the "${method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. '?api-version=1.0').`,
      "VssVersionNotSpecifiedException",
    );
  }
  const m = SUPPORTED.exec(v);
  if (!m)
    throw new AdoError(
      400,
      `The api-version '${v}' is not valid. The version must be of the format 'major.minor[-preview[.resourceVersion]]'.`,
      "VssInvalidApiVersionException",
    );
  const num = Number(m[1]) + Number(m[2]) / 10;
  const preview = !!m[3];
  if (num < 1 || num > 7.2 || (num > 7.1 && !preview))
    throw new AdoError(
      400,
      `The requested REST API version of ${v} is out of range for this server. The latest REST API version this server supports is ${API_VERSION}.`,
      "VssVersionOutOfRangeException",
    );
  if (num === 7.1 || num === 7.2 || preview || num <= 7.1) return v;
  return v;
}

export function buildApp(sim: SimulatorImpl): Hono<Env> {
  const app = new Hono<Env>();
  app.all("*", async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const started = sim.clock().toISOString();
    let status = 0;
    let userId: string | undefined;
    try {
      const fault = sim.faults.decide(url.pathname);
      if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
      const action = fault.action;
      if (action.kind === "reset") {
        const socket = c.env?.incoming?.socket;
        if (socket) socket.destroy();
        return new Response(null, { status: 500, headers: { [RESET_HEADER]: "1" } });
      }
      if (action.kind === "error") {
        status = action.status;
        const msg =
          action.status === 503
            ? "VS800069: The service is temporarily unavailable. Please retry."
            : "TF400898: An Internal Error Occurred.";
        return new Response(JSON.stringify(adoErrorBody(msg, "InternalServerErrorException", "System.Exception, mscorlib")), {
          status: action.status,
          headers: { "content-type": "application/json; charset=utf-8" },
        });
      }
      if (action.kind === "throttle") {
        status = 429;
        return new Response(JSON.stringify(throttledBody("fault-injection")), {
          status: 429,
          headers: {
            "content-type": "application/json; charset=utf-8",
            "Retry-After": String(action.retryAfterSeconds),
            "X-RateLimit-Resource": "ATCPU",
            "X-RateLimit-Delay": action.retryAfterSeconds.toFixed(3),
            "X-RateLimit-Limit": String(sim.rateLimit.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": String(Math.floor(sim.clock().getTime() / 1000) + action.retryAfterSeconds),
          },
        });
      }
      const res = await handle(sim, req, url, (u) => (userId = u));
      status = res.status;
      if (action.kind === "truncate") return truncate(res);
      return res;
    } finally {
      sim.requestLog.add({ method: req.method, path: url.pathname, query: url.search, status, at: started, userId });
    }
  });
  return app;
}

/** Sends half the body, then fails the stream (the client sees a cut connection / invalid JSON). */
async function truncate(res: Response): Promise<Response> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const half = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(half);
      controller.error(new TypeError("terminated"));
    },
  });
  return new Response(stream, { status: res.status, headers });
}

async function handle(sim: SimulatorImpl, req: Request, url: URL, setUser: (id: string) => void): Promise<Response> {
  const segs = url.pathname
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  let method = req.method.toUpperCase();
  const override = req.headers.get("x-http-method-override");
  if (override && method === "POST") method = override.toUpperCase();
  if (segs[0] === "_sim") return controlRoutes(sim, method, segs.slice(1), req, url);
  const apis = segs.findIndex((s) => s.toLowerCase() === "_apis");
  if (apis < 1 || apis > 3) return errorResponse(notFound(`The resource ${url.pathname} was not found.`, "ResourceNotFoundException"));
  const level: Level = apis === 1 ? "org" : apis === 2 ? "project" : "team";
  const org = findOrg(sim.state, segs[0]);
  if (!org) return errorResponse(new AdoError(404, `TF400813: The organization '${segs[0]}' could not be found.`, "HostNotFoundException"));
  // OPTIONS on an area is the location/discovery call azure-devops-node-api makes.
  if (method === "OPTIONS") return json({ count: 0, value: [] });
  const match = matchRoute(ALL_ROUTES, method, level, segs.slice(apis + 1));
  if (match === "method")
    return errorResponse(
      new AdoError(405, `The requested resource does not support http method '${method}'.`, "HttpMethodNotAllowedException"),
    );
  if (!match) return errorResponse(notFound(`The resource ${url.pathname} was not found.`, "ResourceNotFoundException"));
  const auth = authenticate(sim.state, org, req, sim.clock());
  if (!auth.ok) return auth.response;
  const identity = auth.identity;
  setUser(identity.user.id);
  const throttle = sim.throttle.charge(identity.user.id);
  if (throttle.blocked)
    return new Response(JSON.stringify(throttledBody(identity.user.id)), {
      status: 429,
      headers: { "content-type": "application/json; charset=utf-8", ...throttle.headers },
    });
  if (throttle.delayMs > 0) await new Promise((r) => setTimeout(r, throttle.delayMs));
  let res: Response;
  try {
    const apiVersion = checkApiVersion(method, apiVersionOf(req, url), match.route.path === "connectionData");
    let project;
    let team;
    if (level !== "org") {
      project = findProject(org, segs[1]);
      // A project the caller is not a member of does not exist for them (as in Azure DevOps).
      if (!project || !canSeeProject(identity, project.id)) throw projectNotFound(segs[1]);
      if (level === "team") {
        team = findTeam(project, segs[2]);
        if (!team) throw new AdoError(404, `The team with id '${segs[2]}' does not exist.`, "TeamNotFoundException");
      }
    }
    requireScope(identity, match.route.scopes, match.route.oauth !== false);
    let bodyCache: unknown;
    let bodyRead = false;
    const ctx: Ctx = {
      sim,
      state: sim.state,
      req,
      url,
      method,
      base: url.origin,
      org,
      project,
      team,
      params: match.params,
      identity,
      apiVersion,
      q: queryGetter(url),
      body: async <T>() => {
        if (!bodyRead) {
          bodyRead = true;
          const text = await req.text();
          try {
            bodyCache = text ? JSON.parse(text) : undefined;
          } catch {
            throw new AdoError(400, "The request body is not valid JSON.", "VssRequestContentException");
          }
        }
        return bodyCache as T;
      },
    };
    res = await match.route.handler(ctx);
  } catch (e) {
    if (e instanceof AdoError) res = errorResponse(e);
    else if (e && typeof e === "object" && "status" in e && "typeKey" in e)
      res = errorResponse(
        new AdoError(
          Number((e as { status: number }).status),
          String((e as unknown as Error).message),
          String((e as { typeKey: string }).typeKey),
        ),
      );
    else {
      console.error("[ado-sim] handler error", e);
      res = errorResponse(
        new AdoError(500, `TF400898: An Internal Error Occurred. ${(e as Error)?.message ?? e}`, "InternalServerErrorException"),
      );
    }
  }
  for (const [k, v] of Object.entries(throttle.headers)) res.headers.set(k, v);
  res.headers.set("x-vss-e2eid", sim.nextActivityId());
  res.headers.set("activityid", sim.nextActivityId());
  return res;
}
