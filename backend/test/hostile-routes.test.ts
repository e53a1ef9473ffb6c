// Every route of /openapi.json (and the service-hook receiver) gets generated classes of hostile input:
// NUL and lone surrogates in path params, query params, every string leaf and key of a JSON body built
// from the route's own schema, malformed and too-deep JSON, over-long query strings, odd multipart
// uploads, odd webhook payloads. None may answer >= 500, every refusal names its field, nothing is
// stored, the process keeps serving and no job is left running.
import { randomBytes, randomUUID } from "node:crypto";
import { createSimulator, DEMO_USERS } from "@testops/ado-sim";
import { connections, organizations } from "../src/db/schema";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(180_000);

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: unknown;
  format?: string;
};
type Operation = {
  parameters?: { name: string; in: "path" | "query" | "header"; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const BAD_TEXT = ["a\u0000b", "\uD800", "x\uDFFFy", "\u0000", "ok\uDBFF"];
const BAD_URL = ["a%00b", "%ED%A0%80", "%C0%80", "x%FFy", "%00"];

/** A sample value for a schema, and the paths of its string leaves. */
function sample(doc: Doc, s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 12) return "s";
  if (s.$ref) return sample(doc, doc.components?.schemas?.[s.$ref.split("/").pop()!], depth + 1);
  if (s.enum) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return sample(doc, alt.find((a) => a.type !== "null") ?? alt[0], depth + 1);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((a) => sample(doc, a, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (type === "object" || s.properties)
    return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(doc, v, depth + 1)]));
  if (type === "array") return [sample(doc, s.items, depth + 1)];
  if (type === "integer" || type === "number") return 1;
  if (type === "boolean") return true;
  if (s.format === "uuid") return randomUUID();
  return "s";
}
function stringLeaves(v: unknown, path: string[] = []): string[][] {
  if (typeof v === "string") return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, [...path, String(i)]));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, [...path, k]));
  return [];
}
function withLeaf(v: unknown, path: string[], value: string): unknown {
  const copy = JSON.parse(JSON.stringify(v));
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = value;
  return copy;
}

interface Probe {
  what: string;
  method: string;
  url: string;
  body?: string | FormData;
  type?: string;
  /** The field the refusal must name (when known). */
  field?: string;
}

function probesFor(doc: Doc): Probe[] {
  const probes: Probe[] = [];
  let n = 0;
  for (const [template, ops] of Object.entries(doc.paths)) {
    if (!template.startsWith("/api/")) continue;
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === "path");
      const fill = (bad?: { name: string; raw: string }) =>
        template.replace(/\{(\w+)\}/g, (_m, name: string) => {
          if (bad?.name === name) return bad.raw;
          const p = pathParams.find((x) => x.name === name);
          const t = p?.schema?.type;
          return t === "integer" || t === "number" ? "1" : name.toLowerCase().endsWith("id") ? randomUUID() : "x";
        });
      const M = method.toUpperCase();
      for (const p of pathParams)
        for (const raw of BAD_URL)
          probes.push({ what: `${M} ${template} path ${p.name}=${raw}`, method: M, url: fill({ name: p.name, raw }), field: "path" });
      const queryNames = params.filter((p) => p.in === "query").map((p) => p.name);
      for (const q of queryNames.length ? queryNames : ["q"])
        for (const raw of BAD_URL) {
          const field = raw.includes("%ED") || raw.includes("%C0") || raw.includes("%FF") ? "query" : q;
          probes.push({ what: `${M} ${template} query ${q}=${raw}`, method: M, url: `${fill()}?${q}=${raw}`, field });
        }
      probes.push({ what: `${M} ${template} 17 KB query`, method: M, url: `${fill()}?q=${"a".repeat(17 * 1024)}`, field: "query" });

      const schema = op.requestBody?.content?.["application/json"]?.schema;
      if (!schema || M === "GET") continue;
      const base = sample(doc, schema);
      for (const leaf of stringLeaves(base)) {
        const bad = BAD_TEXT[n++ % BAD_TEXT.length];
        probes.push({
          what: `${M} ${template} body ${leaf.join(".")}`,
          method: M,
          url: fill(),
          body: JSON.stringify(withLeaf(base, leaf, bad)),
          type: "application/json",
          field: leaf.join("."),
        });
      }
      const text = JSON.stringify(base);
      for (const cut of [1, Math.floor(text.length / 2), text.length - 1])
        probes.push({
          what: `${M} ${template} malformed JSON (${cut})`,
          method: M,
          url: fill(),
          body: text.slice(0, cut),
          type: "application/json",
          field: "body",
        });
      probes.push({
        what: `${M} ${template} trailing garbage`,
        method: M,
        url: fill(),
        body: `${text}}`,
        type: "application/json",
        field: "body",
      });
      probes.push({
        what: `${M} ${template} key with NUL`,
        method: M,
        url: fill(),
        body: JSON.stringify({ ...(base as object), "k\u0000": 1 }),
        type: "application/json",
        field: "k\u0000",
      });
      probes.push({
        what: `${M} ${template} nested 200 deep`,
        method: M,
        url: fill(),
        body: "[".repeat(200) + "]".repeat(200),
        type: "application/json",
      });
    }
  }
  return probes;
}

describe.each(DB_KINDS)("hostile input on every route (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  let admin: Record<string, string>;
  const hookId = randomUUID();
  const hookSecret = randomBytes(12).toString("hex");

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const db = backend.deps.database.db;
    await db.insert(organizations).values({ id: "org-hostile", name: "hostile", url: "https://dev.azure.com/hostile" });
    await db.insert(connections).values({
      id: hookId,
      orgId: "org-hostile",
      name: "Main",
      organizationUrl: "https://dev.azure.com/hostile",
      organizationName: "hostile",
      status: "Active",
      patSealed: backend.deps.secrets.encrypt("never-used", `pat:${hookId}`),
      hookSecretSealed: backend.deps.secrets.encrypt(hookSecret, `hook:${hookId}`),
      createdBy: "u",
      updatedBy: "u",
    });
    // The auth middleware records the organization on first use: do it now so the counts below compare like with like.
    expect((await backend.app.request("/api/me", { headers: admin })).status).toBe(200);
  });
  afterAll(() => backend.close());

  /** Rows of every table of ours: what a refused request must not change. */
  async function rowCounts(): Promise<Record<string, number>> {
    const tables = await backend.deps.database.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const out: Record<string, number> = {};
    for (const { table_name } of tables)
      out[table_name] = Number((await backend.deps.database.query<{ n: string }>(`SELECT count(*) AS n FROM "${table_name}"`))[0].n);
    return out;
  }

  async function send(p: Probe, headers: Record<string, string> = admin) {
    const res = await backend.app.request(p.url, {
      method: p.method,
      headers: { ...headers, ...(p.type ? { "Content-Type": p.type } : {}) },
      body: p.body,
    });
    const text = await res.text();
    let body: { fields?: { field: string; message: string }[] } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  }

  it("no API route answers >= 500 or a refusal without fields; each names the field; nothing is stored", async () => {
    const doc = (await (await backend.app.request("/openapi.json")).json()) as Doc;
    const probes = probesFor(doc);
    expect(probes.length).toBeGreaterThan(300);
    const before = await rowCounts();
    const problems: string[] = [];
    for (const p of probes) {
      const { status, body } = await send(p);
      if (status >= 500) problems.push(`${p.what}: ${status}`);
      else if (status < 400) problems.push(`${p.what}: accepted (${status})`);
      else if (!body?.fields?.length) problems.push(`${p.what}: ${status} without fields`);
      else if (p.field && !body.fields.some((f) => f.field === p.field)) problems.push(`${p.what}: fields ${JSON.stringify(body.fields)}`);
    }
    expect(problems).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    expect((await backend.app.request("/healthz")).status).toBe(200);
    const running = await backend.deps.database.query(`SELECT id FROM jobs WHERE status = 'running'`);
    expect(running).toEqual([]);
  });

  it("multipart uploads: NUL in the file name, fields or metadata are refused naming the field", async () => {
    const before = await rowCounts();
    const xml = '<testsuite><testcase name="t"/></testsuite>';
    const cases: { form: () => FormData; field: string }[] = [];
    // Multipart parts travel as UTF-8: a lone surrogate arrives as U+FFFD (storable); NUL arrives as sent.
    for (const bad of BAD_TEXT.filter((b) => b.includes("\u0000"))) {
      cases.push({
        form: () => {
          const f = new FormData();
          f.set("project", "Fabrikam Fiber");
          f.set("file", new File([xml], `report${bad}.xml`, { type: "application/xml" }));
          return f;
        },
        field: "file",
      });
      for (const key of ["project", "runName", "source"])
        cases.push({
          form: () => {
            const f = new FormData();
            f.set("project", "Fabrikam Fiber");
            f.set(key, `v${bad}`);
            f.set("file", new File([xml], "r.xml"));
            return f;
          },
          field: key,
        });
      cases.push({
        form: () => {
          const f = new FormData();
          f.set("metadata", JSON.stringify({ project: "Fabrikam Fiber", runName: `r${bad}` }));
          f.set("file", new File([xml], "r.xml"));
          return f;
        },
        field: "runName",
      });
    }
    for (const c of cases) {
      const res = await backend.app.request("/api/results/junit", { method: "POST", headers: admin, body: c.form() });
      const body = (await res.json()) as { fields?: { field: string }[] };
      expect([res.status, body.fields?.[0]?.field]).toEqual([400, c.field]);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("service hooks: odd event ids, ids and refUpdates get a 4xx naming the field, never 5xx", async () => {
    const auth = `Basic ${Buffer.from(`testops:${hookSecret}`).toString("base64")}`;
    const push = (resource: Record<string, unknown>, id: unknown = randomUUID()) =>
      JSON.stringify({
        id,
        eventType: "git.push",
        publisherId: "tfs",
        resource: { repository: { id: randomUUID(), project: { id: randomUUID() } }, ...resource },
      });
    const bodies: { body: string; field: string }[] = [];
    for (const bad of BAD_TEXT) {
      bodies.push({ body: push({}, `evt${bad}`), field: "id" });
      bodies.push({ body: push({ repository: { id: `r${bad}` } }), field: "resource.repository.id" });
      bodies.push({
        body: JSON.stringify({
          id: randomUUID(),
          eventType: "workitem.updated",
          resource: { workItemId: 5 },
          resourceContainers: { project: { id: `p${bad}` } },
        }),
        field: "resourceContainers.project.id",
      });
    }
    for (const refUpdates of [{}, "refs/heads/main", 42, true]) bodies.push({ body: push({ refUpdates }), field: "resource.refUpdates" });
    for (const entry of [null, 1, "x", [], true]) bodies.push({ body: push({ refUpdates: [entry] }), field: "resource.refUpdates.0" });
    bodies.push({ body: push({ refUpdates: [{ name: 5 }] }), field: "resource.refUpdates.0.name" });
    for (const { body, field } of bodies) {
      const res = await backend.app.request(`/hooks/ado/${hookId}`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body,
      });
      const json = (await res.json()) as { fields?: { field: string }[] };
      expect([res.status >= 400 && res.status < 500, json.fields?.[0]?.field]).toEqual([true, field]);
    }
    const stored = await backend.deps.database.query(`SELECT event_id FROM webhook_events`);
    expect(stored).toEqual([]);
    // A well-formed push is still accepted.
    const ok = await backend.app.request(`/hooks/ado/${hookId}`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: push({ refUpdates: [{ name: "refs/heads/main" }] }),
    });
    expect(ok.status).toBe(200);
  });
});
