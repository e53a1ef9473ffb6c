// Multipart uploads through the app: read by our streaming reader, the file part spooled to a temporary file
// until every field is known (they may come before or after it), with the form parser's semantics, refusals
// naming the field, and no spool left behind whatever happens.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { RESULTS_LIMITS } from "../src/schemas/results";
import { MULTIPART_MAX_BYTES, spoolStats } from "../src/results/upload";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(120_000);

const PROJECT = "Fabrikam Fiber";
const BOUNDARY = "----TestOpsBoundary7MA4YWxkTrZu0gW";

type Part = { name: string; value: string | Buffer; filename?: string };

/** A multipart body as curl sends it (-F name=value, -F name=@file, -F "name=<file"), parts in the given order. */
function multipart(parts: Part[], o: { closing?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}`;
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n`));
    if (p.filename !== undefined) out.push(Buffer.from("Content-Type: application/xml\r\n"));
    out.push(Buffer.from("\r\n"), Buffer.from(p.value), Buffer.from("\r\n"));
  }
  if (o.closing !== false) out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

/** A stream of `body` in `size`-byte chunks; `fail` makes it error after that many bytes (a dropped connection). */
function streamOf(body: Buffer, size = 16 * 1024, fail?: number) {
  let at = 0;
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctl) {
      pulled++;
      if (fail !== undefined && at >= fail) return ctl.error(new Error("connection reset"));
      if (at >= body.length) return ctl.close();
      ctl.enqueue(Uint8Array.from(body.subarray(at, at + size)));
      at += size;
    },
  });
  return { stream, pulled: () => pulled };
}

const cases = (n: number, prefix = "t") =>
  `<testsuite name="mp">${Array.from({ length: n }, (_, i) => `<testcase classname="Mp.C${i % 5}" name="${prefix}${i}"/>`).join("")}</testsuite>`;

/** Descriptors of this process pointing at a spool file (they show as deleted files under the temp dir). */
const openSpoolFiles = () =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes("testops-upload-");
    } catch {
      return false;
    }
  });

describe.each(DB_KINDS)("multipart uploads (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  let admin: Record<string, string>;
  let story: number;
  let temp: string;
  const savedTmp = process.env.TMPDIR;

  beforeAll(async () => {
    // Spools go to os.tmpdir(): a directory of this test's own shows whether anything is left there.
    temp = mkdtempSync(path.join(tmpdir(), "mp-test-"));
    process.env.TMPDIR = temp;
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Multipart" }).id;
  });
  afterAll(async () => {
    process.env.TMPDIR = savedTmp;
    await backend.close();
    rmSync(temp, { recursive: true, force: true });
  });

  async function send(
    body: Buffer | ReadableStream<Uint8Array>,
    o: { query?: string; headers?: Record<string, string>; type?: string; auth?: Record<string, string> } = {},
  ) {
    const res = await backend.app.request(`/api/results/junit${o.query ?? ""}`, {
      method: "POST",
      headers: { ...(o.auth ?? admin), "Content-Type": o.type ?? `multipart/form-data; boundary=${BOUNDARY}`, ...o.headers },
      body: body instanceof Buffer ? new Uint8Array(body) : body,
      ...(body instanceof Buffer ? {} : { duplex: "half" }),
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const runRows = async () => Number((await backend.deps.database.query<{ n: string }>(`SELECT count(*) AS n FROM test_runs`))[0].n);
  /** Runs `f` and says how many spools it created; after it, no spool is open and nothing is in the temp dir. */
  async function spools<T>(f: () => Promise<T>): Promise<[T, number]> {
    const before = spoolStats.created;
    const out = await f();
    expect(spoolStats.open).toBe(0);
    expect(openSpoolFiles()).toEqual([]);
    expect(readdirSync(temp)).toEqual([]);
    return [out, spoolStats.created - before];
  }

  it("file first, metadata after (curl -F file=@r.xml -F project=…): the file is spooled, the metadata applies", async () => {
    const [r, spooled] = await spools(() =>
      send(
        multipart([
          { name: "file", filename: "first.xml", value: cases(250) },
          { name: "project", value: PROJECT },
          { name: "runName", value: "File first" },
          { name: "workItemIds", value: String(story) },
        ]),
      ),
    );
    expect(r.status).toBe(201);
    expect(spooled).toBe(1);
    expect(r.body.run).toMatchObject({ name: "File first", fileName: "first.xml", totals: { total: 250, passed: 250 } });
    expect(r.body.linked).toEqual({ results: 250, workItems: [story] });
  });

  it("metadata first, file last, in small chunks", async () => {
    const body = multipart([
      { name: "project", value: PROJECT },
      { name: "source", value: "Curl" },
      { name: "file", filename: "last.xml", value: cases(2000) },
    ]);
    const [r, spooled] = await spools(() => send(streamOf(body, 4096).stream));
    expect(r.status).toBe(201);
    expect(spooled).toBe(1);
    expect(r.body.run).toMatchObject({ source: "Curl", fileName: "last.xml", totals: { total: 2000 } });
  });

  it("fields on both sides of the file all apply, as with the form parser (the project before, work items after)", async () => {
    const [r, spooled] = await spools(() =>
      send(
        multipart([
          { name: "project", value: PROJECT },
          { name: "file", filename: "mid.xml", value: cases(300) },
          { name: "workItemIds", value: String(story) },
          { name: "runName", value: "Named late" },
          { name: "metadata", value: JSON.stringify({ source: "Late source" }) },
        ]),
      ),
    );
    expect(spooled).toBe(1);
    expect(r.status).toBe(201);
    expect(r.body.run).toMatchObject({ name: "Named late", source: "Late source", totals: { total: 300 } });
    expect(r.body.linked).toEqual({ results: 300, workItems: [story] });
  });

  it("takes the report as a plain field (curl -F 'file=<r.xml') in both orders, decoded as UTF-8", async () => {
    const xml = `<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="plain"><testcase classname="P" name="caf\u00e9"/></testsuite>`;
    for (const parts of [
      [
        { name: "file", value: xml },
        { name: "project", value: PROJECT },
      ],
      [
        { name: "project", value: PROJECT },
        { name: "file", value: xml },
      ],
    ]) {
      const [r, spooled] = await spools(() => send(multipart(parts)));
      expect(r.status).toBe(201);
      expect(spooled).toBe(1);
      expect(r.body.run).toMatchObject({ fileName: null, totals: { total: 1 } });
      const results = await backend.app.request(`/api/results/runs/${r.body.run.id}/results`, { headers: admin });
      expect(((await results.json()) as { results: { name: string }[] }).results[0].name).toBe("caf\u00e9");
    }
  });

  it("keeps the form parser's choices: the field `file` over the first file part, a file part over text, first values only", async () => {
    const [r] = await spools(() =>
      send(
        multipart([
          { name: "attachment", filename: "other.xml", value: cases(1, "other") },
          { name: "project", value: PROJECT },
          { name: "project", value: "Ignored second value" },
          { name: "file", filename: "chosen.xml", value: cases(2, "chosen") },
        ]),
      ),
    );
    expect(r.status).toBe(201);
    expect(r.body.run).toMatchObject({ fileName: "chosen.xml", totals: { total: 2 } });

    const [t] = await spools(() =>
      send(
        multipart([
          { name: "file", value: cases(1, "text") },
          { name: "report", filename: "report.xml", value: cases(4, "part") },
          { name: "project", value: PROJECT },
        ]),
      ),
    );
    expect(t.status).toBe(201);
    expect(t.body.run).toMatchObject({ fileName: "report.xml", totals: { total: 4 } });
  });

  it("an empty file part is empty, no file is missing (400 on file)", async () => {
    const [empty] = await spools(() =>
      send(
        multipart([
          { name: "project", value: PROJECT },
          { name: "file", filename: "e.xml", value: "" },
        ]),
      ),
    );
    expect(empty.status).toBe(400);
    expect(empty.body.fields[0].field).toBe("file");
    expect(empty.body.fields[0].message).not.toContain("is required");
    const [none] = await spools(() => send(multipart([{ name: "project", value: PROJECT }])));
    expect([none.status, none.body.fields[0].field, none.body.fields[0].message]).toEqual([
      400,
      "file",
      expect.stringContaining("is required"),
    ]);
  });

  it("NUL in a field name, a field value, a metadata value or the file name: 400 naming it, in both orders, nothing stored", async () => {
    const before = await runRows();
    const file = (filename = "r.xml"): Part => ({ name: "file", filename, value: cases(150) });
    const bad: [Part[], string][] = [
      [[{ name: "project", value: PROJECT }, { name: "run\u0000Name", value: "x" }, file()], "body"],
      [[{ name: "project", value: PROJECT }, file(), { name: "run\u0000Name", value: "x" }], "body"],
      [[{ name: "project", value: PROJECT }, { name: "runName", value: "r\u0000" }, file()], "runName"],
      [[file(), { name: "project", value: PROJECT }, { name: "source", value: "s\u0000" }], "source"],
      [[{ name: "project", value: PROJECT }, file(), { name: "metadata", value: JSON.stringify({ runName: "m\u0000" }) }], "runName"],
      [[{ name: "project", value: PROJECT }, file("r\u0000.xml")], "file"],
      [[file("r\u0000.xml"), { name: "project", value: PROJECT }], "file"],
    ];
    for (const [parts, field] of bad) {
      const [r] = await spools(() => send(multipart(parts)));
      expect([r.status, r.body.fields?.[0]?.field]).toEqual([400, field]);
    }
    expect(await runRows()).toBe(before);
  });

  it("truncated, boundary-less, wrong-boundary and non-multipart bodies: 400 on body, never 5xx, nothing stored", async () => {
    const before = await runRows();
    const whole = multipart([
      { name: "project", value: PROJECT },
      { name: "file", filename: "t.xml", value: cases(400) },
    ]);
    const fileFirst = multipart([
      { name: "file", filename: "t.xml", value: cases(400) },
      { name: "project", value: PROJECT },
    ]);
    const attempts: [Buffer, string | undefined, string][] = [
      [whole.subarray(0, whole.length - 10), undefined, "cut short"],
      [fileFirst.subarray(0, fileFirst.length - 10), undefined, "cut short"],
      [multipart([{ name: "project", value: PROJECT }], { closing: false }), undefined, "cut short"],
      [whole, "multipart/form-data", "without a boundary"],
      [whole, 'multipart/form-data; boundary="bad{boundary}"', "invalid multipart boundary"],
      [whole, "multipart/form-data; boundary=SomethingElse", "no multipart boundary line"],
      [Buffer.from(cases(5)), undefined, "no multipart boundary line"],
    ];
    for (const [body, type, reason] of attempts) {
      const [r] = await spools(() => send(body, { type, query: `?project=${encodeURIComponent(PROJECT)}` }));
      expect([r.status, r.body.fields?.[0]?.field]).toEqual([400, "body"]);
      expect(r.body.fields[0].message).toContain(reason);
    }
    expect(await runRows()).toBe(before);
  });

  it("a connection that drops while the file arrives: 400 on body, the spool is closed, nothing stored", async () => {
    const before = await runRows();
    for (const parts of [
      [
        { name: "file", filename: "d.xml", value: cases(3000) },
        { name: "project", value: PROJECT },
      ],
      [
        { name: "project", value: PROJECT },
        { name: "file", filename: "d.xml", value: cases(3000) },
      ],
    ]) {
      const [r] = await spools(() => send(streamOf(multipart(parts), 8192, 60_000).stream));
      expect([r.status, r.body.fields?.[0]?.field]).toEqual([400, "body"]);
    }
    expect(await runRows()).toBe(before);
  });

  it("a body over the limit is refused with 413 while it arrives (both orders); a declared one before reading", async () => {
    const before = await runRows();
    const big = Buffer.concat([Buffer.from("<testsuite>"), Buffer.alloc(RESULTS_LIMITS.maxXmlBytes + 1, " "), Buffer.from("</testsuite>")]);
    for (const parts of [
      [
        { name: "file", filename: "big.xml", value: big },
        { name: "project", value: PROJECT },
      ],
      [
        { name: "project", value: PROJECT },
        { name: "file", filename: "big.xml", value: big },
      ],
    ]) {
      const [r] = await spools(() => send(streamOf(multipart(parts), 256 * 1024).stream));
      expect(r.status).toBe(413);
      expect(r.body.error).toBe("too_large");
    }
    const declared = streamOf(Buffer.from("x"));
    const r = await send(declared.stream, { headers: { "Content-Length": String(MULTIPART_MAX_BYTES + 1) } });
    expect(r.status).toBe(413);
    expect(declared.pulled()).toBeLessThanOrEqual(1);
    expect(await runRows()).toBe(before);
  });

  it("FormData bodies (browsers, fetch) work as before: metadata JSON part and the file", async () => {
    const form = new FormData();
    form.set("file", new File([cases(5)], "TEST-form.xml", { type: "text/xml" }));
    form.set("metadata", JSON.stringify({ project: PROJECT, source: "GitHub Actions", runName: "Form" }));
    const res = await backend.app.request("/api/results/junit", { method: "POST", headers: admin, body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      run: { name: "Form", source: "GitHub Actions", fileName: "TEST-form.xml", totals: { total: 5 } },
    });
    expect(spoolStats.open).toBe(0);
  });

  it("an upload key implies the project: fields before and after the file apply", async () => {
    const projectAdmin = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
    const created = await backend.app.request("/api/keys", {
      method: "POST",
      headers: { ...projectAdmin, "Content-Type": "application/json" },
      body: JSON.stringify({ project: PROJECT, name: `Multipart ${kind}` }),
    });
    expect(created.status).toBe(201);
    const key = { Authorization: `Bearer ${((await created.json()) as { secret: string }).secret}` };
    const [first, spooledFirst] = await spools(() =>
      send(
        multipart([
          { name: "file", filename: "k.xml", value: cases(20) },
          { name: "workItemIds", value: String(story) },
        ]),
        { auth: key },
      ),
    );
    expect([first.status, spooledFirst]).toEqual([201, 1]);
    expect(first.body.run).toMatchObject({ origin: "key", projectName: PROJECT, totals: { total: 20 } });
    expect(first.body.linked).toEqual({ results: 20, workItems: [story] });
    const [last, spooledLast] = await spools(() =>
      send(
        multipart([
          { name: "runName", value: "Key, file last" },
          { name: "file", filename: "k.xml", value: cases(7) },
        ]),
        { auth: key },
      ),
    );
    expect([last.status, spooledLast]).toEqual([201, 1]);
    expect(last.body.run).toMatchObject({ origin: "key", name: "Key, file last", totals: { total: 7 } });
  });

  it("over real HTTP: a client that goes away half-way through a spooled file leaves no spool and no run", async () => {
    const before = await runRows();
    const created = spoolStats.created;
    let port = 0;
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: backend.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        port = info.port;
        resolve(s);
      });
    });
    try {
      const body = multipart([
        { name: "file", filename: "gone.xml", value: cases(5000) },
        { name: "project", value: PROJECT },
      ]);
      const req = httpRequest({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/results/junit",
        headers: { ...admin, "Content-Type": `multipart/form-data; boundary=${BOUNDARY}`, "Content-Length": String(body.length) },
      });
      req.on("error", () => undefined);
      req.write(body.subarray(0, Math.floor(body.length / 2)));
      // The spool exists once the server has started reading the file part; then the client disappears.
      while (spoolStats.created === created) await new Promise((r) => setTimeout(r, 10));
      req.destroy();
      while (spoolStats.open > 0) await new Promise((r) => setTimeout(r, 10));
      expect(openSpoolFiles()).toEqual([]);
      expect(readdirSync(temp)).toEqual([]);
      expect(await runRows()).toBe(before);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
