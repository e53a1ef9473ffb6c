import { createSimulator, DEMO_PATS, type Simulator, type SimulatorOptions } from "../src/index";

export const ORG = "https://dev.azure.com/fabrikam";

export function basic(pat: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`:${pat}`).toString("base64")}`, "X-TFS-FedAuthRedirect": "Suppress" };
}

export function client(sim: Simulator, pat: string = DEMO_PATS.admin) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const url = path.startsWith("http") ? path : `${ORG}${path}`;
    const sep = url.includes("?") ? "&" : "?";
    const withVersion = /api-version=/.test(url) || headers["x-no-version"] ? url : `${url}${sep}api-version=7.1`;
    const h: Record<string, string> = { ...basic(pat), ...headers };
    delete h["x-no-version"];
    if (body !== undefined && !h["content-type"]) h["content-type"] = "application/json";
    const res = await sim.fetch(withVersion, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return {
    get: (p: string, h?: Record<string, string>) => call("GET", p, undefined, h),
    post: (p: string, b?: unknown, h?: Record<string, string>) => call("POST", p, b, h),
    patch: (p: string, b?: unknown, h?: Record<string, string>) => call("PATCH", p, b, h),
    put: (p: string, b?: unknown, h?: Record<string, string>) => call("PUT", p, b, h),
    del: (p: string, h?: Record<string, string>) => call("DELETE", p, undefined, h),
    jsonPatch: (method: "POST" | "PATCH", p: string, ops: unknown[]) =>
      call(method, p, ops, { "content-type": "application/json-patch+json" }),
  };
}

export const FIXED_NOW = new Date("2025-06-16T12:00:00Z");

export function demoSim(opts: SimulatorOptions = {}): Simulator {
  // Receivers in these tests listen on 127.0.0.1 over http, which only a dev/demo simulator accepts.
  return createSimulator({
    clock: () => FIXED_NOW,
    hooks: { retryDelaysMs: [0, 0], maxProbationRetries: 3, allowLocalTargets: true },
    ...opts,
  });
}
