// Simulator-only control endpoints under /_sim (not ADO): request log, faults, reset, tokens,
// deliveries and user-like changes for demos. No auth: the simulator only ever runs locally.
import { faultSpecFromJson } from "./faults";
import type { SeedOptions } from "./seed/demo";
import { DEMO_PATS, DEMO_USERS } from "./seed/demo";
import type { SimulatorImpl } from "./simulator";

const ok = (data: unknown, status = 200) =>
  new Response(data === undefined ? null : JSON.stringify(data), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
const err = (status: number, message: string) => ok({ error: status === 404 ? "not_found" : "bad_request", message }, status);

async function body<T>(req: Request): Promise<T> {
  const t = await req.text();
  return (t ? JSON.parse(t) : {}) as T;
}

export async function controlRoutes(sim: SimulatorImpl, method: string, segs: string[], req: Request, url: URL): Promise<Response> {
  const path = segs.join("/");
  try {
    if (method === "GET" && path === "requests") return ok(sim.requestLog.entries());
    if (method === "DELETE" && path === "requests") {
      sim.requestLog.clear();
      return ok(undefined, 204);
    }
    if (method === "GET" && path === "requests/count") {
      const q = url.searchParams;
      return ok({
        count: sim.requestLog.count({
          method: q.get("method") ?? undefined,
          pathIncludes: q.get("pathIncludes") ?? undefined,
          status: q.get("status") ? Number(q.get("status")) : undefined,
        }),
      });
    }
    if (method === "POST" && path === "faults") {
      sim.faults.set(faultSpecFromJson(await body(req)));
      return ok({ ok: true });
    }
    if (method === "DELETE" && path === "faults") {
      sim.faults.clear();
      return ok(undefined, 204);
    }
    if (method === "POST" && path === "reset") {
      const b = await body<{ seed?: SeedOptions | false }>(req);
      sim.reset(b.seed === undefined ? undefined : b.seed);
      return ok({ ok: true });
    }
    if (method === "POST" && path === "tokens") {
      const b = await body<{ org: string; userId: string; scopes?: string[] }>(req);
      return ok({ token: sim.issueAccessToken(b.org, b.userId, undefined, b.scopes) });
    }
    if (method === "GET" && path === "deliveries") return ok(sim.deliveries());
    if (method === "POST" && path === "flush") {
      await sim.flushDeliveries();
      return ok({ ok: true });
    }
    if (method === "GET" && path === "info")
      return ok({
        orgs: [...sim.state.orgs.values()].map((o) => ({
          name: o.name,
          id: o.id,
          workItems: o.workItems.maxId(),
          projects: o.projects.map((p) => ({
            id: p.id,
            name: p.name,
            process: p.processName,
            teams: p.teams.map((t) => t.name),
            repos: p.repos.map((r) => r.name),
          })),
          users: [...o.members.values()].map((m) => ({
            ...sim.state.users.get(m.userId),
            collectionAdmin: m.collectionAdmin,
            projectAdminOf: [...m.projectAdmins],
          })),
        })),
        pats: DEMO_PATS,
        users: DEMO_USERS,
      });
    if (method === "POST" && path === "workitems") {
      const b = await body<{ org: string; project: string; type: string; fields: Record<string, unknown> }>(req);
      return ok(sim.createWorkItem(b.org, b.project, b.type, b.fields ?? {}));
    }
    if (segs[0] === "workitems" && segs.length === 3) {
      const [, org, id] = segs;
      if (method === "PATCH")
        return ok(sim.updateWorkItem(org, Number(id), (await body<{ fields: Record<string, unknown> }>(req)).fields ?? {}));
      if (method === "DELETE") {
        sim.deleteWorkItem(org, Number(id));
        return ok(undefined, 204);
      }
    }
    if (method === "POST" && path === "pipelines/runs") {
      const b = await body<{ org: string; project: string } & Parameters<SimulatorImpl["startPipelineRun"]>[2]>(req);
      return ok(sim.startPipelineRun(b.org, b.project, b), 201);
    }
    if (method === "POST" && segs[0] === "pipelines" && segs[1] === "builds" && segs.length === 5 && segs[4] === "complete") {
      const b = await body<{ result?: "succeeded" | "failed" }>(req);
      sim.completeBuild(segs[2], Number(segs[3]), b.result);
      return ok({ ok: true });
    }
    if (method === "POST" && segs[0] === "pipelines" && segs[1] === "builds" && segs.length === 5 && segs[4] === "testruns") {
      const b = await body<Parameters<SimulatorImpl["publishPipelineTestRun"]>[2] & { at?: string }>(req);
      return ok(sim.publishPipelineTestRun(segs[2], Number(segs[3]), { ...b, at: b.at ? new Date(b.at) : undefined }), 201);
    }
    if (method === "POST" && path === "push") {
      const b = await body<{ org: string; project: string; repo: string; branch: string; changes: never[]; comment?: string }>(req);
      return ok(sim.pushCommit(b.org, b.project, b.repo, { branch: b.branch, changes: b.changes, comment: b.comment }));
    }
    return err(404, `Unknown control endpoint ${method} /_sim/${path}`);
  } catch (e) {
    return err(400, (e as Error).message);
  }
}
