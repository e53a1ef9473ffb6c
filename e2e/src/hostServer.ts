// The fake Azure DevOps host: serves the host page (its script is TypeScript compiled on the fly), the
// SDK's own XDM.js for the host side of the channel, and the host's server-side duties: tokens for the
// signed-in user and the work item the form shows, read and saved through the simulator's REST API with
// that user's access token (so the simulator's permission checks apply, as in Azure DevOps).
import { Hono } from "hono";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { fileResponse, listen, type Listening } from "./http";
import { ROOT, type ExtensionInfo, type HostContribution } from "./manifest";
import { themes } from "./themes";
import { mintAppToken } from "./tokens";

const HOST_DIR = path.join(__dirname, "host");
const SDK_ESM = path.join(ROOT, "node_modules/azure-devops-extension-sdk/esm");

/** What the host needs from the simulator (structural, so the harness does not reach into its internals). */
export interface HostSimulator {
  state: {
    orgs: Map<
      string,
      {
        id: string;
        name: string;
        members: Map<string, { userId: string; collectionAdmin: boolean; projectAdmins: Set<string> }>;
        projects: { id: string; name: string; teams: { id: string; name: string }[] }[];
      }
    >;
    users: Map<string, { id: string; displayName: string; uniqueName: string; descriptor: string }>;
  };
  fetch: typeof fetch;
  issueAccessToken(org: string, userId: string, validForMs?: number, scopes?: string[]): string;
}

export interface HostOptions {
  sim: HostSimulator;
  extension: ExtensionInfo;
  /** Base URI of the served extension files (another origin than the host). */
  extensionBaseUri: string;
  /** The backend's extension secret: app tokens are signed with it. */
  extensionSecret: string;
  /** Extra contributions (tests serve deliberately broken pages this way). */
  extraContributions?: HostContribution[];
  defaultOrg?: string;
  /** How long the host waits for a page's handshake, and then for notifyLoadSucceeded. */
  handshakeTimeoutMs?: number;
  loadTimeoutMs?: number;
  port?: number;
}

export interface SessionUser {
  id: string;
  displayName: string;
  uniqueName: string;
  descriptor: string;
  role: string;
  isOrgAdmin: boolean;
}

/** Everything the host page needs to render its toolbar and answer the handshake. */
export function session(o: HostOptions) {
  const orgs = [...o.sim.state.orgs.values()].map((org) => ({
    id: org.id,
    name: org.name,
    url: `https://dev.azure.com/${org.name}/`,
    // Seed order: the organization's main project comes first, as in its project list.
    projects: org.projects.map((p) => ({
      id: p.id,
      name: p.name,
      team: p.teams[0] ? { id: p.teams[0].id, name: p.teams[0].name } : undefined,
    })),
    users: [...org.members.values()]
      .map((m): SessionUser | undefined => {
        const u = o.sim.state.users.get(m.userId);
        if (!u) return undefined;
        const adminOf = org.projects.filter((p) => m.projectAdmins.has(p.id)).map((p) => p.name);
        const role = m.collectionAdmin ? "org admin" : adminOf.length ? `project admin: ${adminOf.join(", ")}` : "member";
        return { ...u, role, isOrgAdmin: m.collectionAdmin };
      })
      .filter((u): u is SessionUser => !!u)
      // Admins first, then project admins, then members: the toolbar's natural order.
      .sort((a, b) => rank(a) - rank(b) || a.displayName.localeCompare(b.displayName)),
  }));
  const defaultOrg = orgs.find((x) => x.name === (o.defaultOrg ?? "fabrikam")) ?? orgs[0];
  return {
    extension: {
      id: o.extension.id,
      publisherId: o.extension.publisherId,
      extensionId: o.extension.extensionId,
      version: o.extension.version,
      name: o.extension.name,
      baseUri: o.extensionBaseUri,
    },
    contributions: [...o.extension.contributions, ...(o.extraContributions ?? [])],
    orgs,
    defaults: {
      org: defaultOrg?.name,
      user: defaultOrg?.users[0]?.id,
      project: defaultOrg?.projects[0]?.id,
      contribution: o.extension.contributions[0]?.id,
      theme: "light",
    },
    themes: themes(),
    timeouts: { handshakeMs: o.handshakeTimeoutMs ?? 30_000, loadMs: o.loadTimeoutMs ?? 60_000 },
  };
}
export type Session = ReturnType<typeof session>;
const rank = (u: SessionUser) => (u.isOrgAdmin ? 0 : u.role.startsWith("project admin") ? 1 : 2);

const compiled = new Map<string, { mtime: number; code: string }>();
/** The host page's scripts are TypeScript; compile one file per request (cached by mtime). */
async function hostScript(name: string): Promise<Response | undefined> {
  const file = path.join(HOST_DIR, name.replace(/\.js$/, ".ts"));
  if (path.dirname(file) !== HOST_DIR) return undefined;
  let mtime: number;
  try {
    mtime = (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
  let hit = compiled.get(file);
  if (!hit || hit.mtime !== mtime) {
    const out = ts.transpileModule(await readFile(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020, sourceMap: false },
      fileName: file,
    });
    hit = { mtime, code: out.outputText };
    compiled.set(file, hit);
  }
  return new Response(hit.code, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" } });
}

type Json = Record<string, unknown>;

export function hostApp(o: HostOptions) {
  const tokens = new Map<string, { token: string; until: number }>();
  /**
   * The signed-in user's Azure DevOps access token: the web UI's own (every scope) for the host's
   * calls, or the one SDK.getAccessToken() hands the extension, limited to the manifest's scopes.
   */
  const accessToken = (org: string, userId: string, forExtension = false) => {
    const key = `${org}/${userId}/${forExtension ? "ext" : "web"}`;
    const hit = tokens.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    const token = o.sim.issueAccessToken(org, userId, undefined, forExtension ? o.extension.scopes : undefined);
    tokens.set(key, { token, until: Date.now() + 50 * 60_000 });
    return token;
  };
  /** Calls the simulator's REST API as the signed-in user, like the Azure DevOps web UI does. */
  const ado = async (org: string, userId: string, pathAndQuery: string, init: RequestInit = {}) => {
    const res = await o.sim.fetch(`http://ado.sim/${encodeURIComponent(org)}/${pathAndQuery}`, {
      ...init,
      headers: { authorization: `Bearer ${accessToken(org, userId)}`, "x-tfs-fedauthredirect": "Suppress", ...(init.headers ?? {}) },
    });
    const body = (await res.json().catch(() => ({}))) as Json;
    return { status: res.status, body };
  };
  const audience = `${o.extension.id}.app`;

  const app = new Hono();
  app.onError((err, c) => c.json({ error: "host_error", message: err.message }, 500));
  app.get("/", async (c) => (await fileResponse(HOST_DIR, "index.html")) ?? c.notFound());
  app.get("/favicon.ico", async (c) => (await fileResponse(path.join(ROOT, "extension/images"), "logo.png")) ?? c.body(null, 204));
  app.get("/host/:file", async (c) => {
    const f = c.req.param("file");
    const res = f.endsWith(".js") ? await hostScript(f) : await fileResponse(HOST_DIR, f);
    return res ?? c.notFound();
  });
  // The SDK's exports map hides esm/XDM.js from imports, so the host serves the file itself.
  app.get("/sdk/XDM.js", async (c) => (await fileResponse(SDK_ESM, "XDM.js")) ?? c.notFound());
  app.get("/api/session", (c) => c.json(session(o)));

  app.post("/api/tokens/access", async (c) => {
    const { org, userId } = await c.req.json<{ org: string; userId: string }>();
    try {
      return c.json({ token: accessToken(org, userId, true) });
    } catch (e) {
      return c.json({ error: "forbidden", message: (e as Error).message }, 403);
    }
  });
  app.post("/api/tokens/app", async (c) => {
    const { userId } = await c.req.json<{ userId: string }>();
    return c.json({ token: await mintAppToken({ userId, secret: o.extensionSecret, audience }) });
  });

  app.get("/api/orgs/:org/projects/:project/workitems", async (c) => {
    const { org, project } = c.req.param();
    const user = c.req.query("user") ?? "";
    const q = await ado(org, user, `${encodeURIComponent(project)}/_apis/wit/wiql?$top=40&api-version=7.1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query:
          "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] IN ('User Story', 'Product Backlog Item', 'Requirement', 'Issue', 'Bug') ORDER BY [System.Id]",
      }),
    });
    if (q.status !== 200) return c.json(q.body, q.status as 400);
    const ids = ((q.body.workItems as { id: number }[]) ?? []).map((w) => w.id);
    if (!ids.length) return c.json({ value: [] });
    const items = await ado(
      org,
      user,
      `_apis/wit/workitems?ids=${ids.join(",")}&fields=System.Id,System.Title,System.WorkItemType,System.State&api-version=7.1`,
    );
    if (items.status !== 200) return c.json(items.body, items.status as 400);
    return c.json({
      value: ((items.body.value as { id: number; fields: Json }[]) ?? []).map((w) => ({
        id: w.id,
        title: w.fields["System.Title"],
        type: w.fields["System.WorkItemType"],
        state: w.fields["System.State"],
      })),
    });
  });
  app.get("/api/orgs/:org/workitems/:id", async (c) => {
    const { org, id } = c.req.param();
    const r = await ado(org, c.req.query("user") ?? "", `_apis/wit/workitems/${encodeURIComponent(id)}?$expand=relations&api-version=7.1`);
    return c.json(r.body, r.status as 200);
  });
  app.patch("/api/orgs/:org/workitems/:id", async (c) => {
    const { org, id } = c.req.param();
    const { fields } = await c.req.json<{ fields: Json }>();
    const ops = Object.entries(fields).map(([k, v]) =>
      v === null ? { op: "remove", path: `/fields/${k}` } : { op: "add", path: `/fields/${k}`, value: v },
    );
    const r = await ado(org, c.req.query("user") ?? "", `_apis/wit/workitems/${encodeURIComponent(id)}?$expand=relations&api-version=7.1`, {
      method: "PATCH",
      headers: { "content-type": "application/json-patch+json" },
      body: JSON.stringify(ops),
    });
    return c.json(r.body, r.status as 200);
  });
  app.get("/api/orgs/:org/fields", async (c) => {
    const r = await ado(c.req.param("org"), c.req.query("user") ?? "", `_apis/wit/fields?api-version=7.1`);
    return c.json(r.body, r.status as 200);
  });
  return app;
}

export async function startHostServer(o: HostOptions): Promise<Listening> {
  // 127.0.0.1 while the extension is served from localhost: two origins, as in Azure DevOps.
  return listen(hostApp(o).fetch, { port: o.port ?? 0, hostname: "127.0.0.1" });
}
