// One upload path for every caller (page, pipeline task, upload key): read the body, check the project and
// work items for that caller, then parse and store the report with ingestJUnit (a new run, or a further file of one).
import type { FileHandle } from "node:fs/promises";
import { mkdtemp, open, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../context";
import { recordAudit } from "../lib/audit";
import { ApiError, fieldError, zodFields } from "../lib/errors";
import { chunksOf } from "../lib/streams";
import { findUnstorable, unstorableReason } from "../lib/text";
import { RESULTS_LIMITS, UploadMetadataSchema, type UploadMetadata, type UploadResponse } from "../schemas/results";
import { ingestJUnit, type IngestOptions, type UploadBody } from "./ingest";
import { JUnitParseError, type ReportSummary } from "./junit";
import { MultipartReader, multipartBoundary } from "./multipart";
import { enqueuePush } from "./push";
import { writeResultLinks } from "./links";
import { findRun, toRunDto, type SavedRun } from "./store";
import type { Uploader } from "./uploaders";
import { linkRunThroughChain } from "../trace/chain";

/** The extension's project settings hub (publisher.extension.contribution), where a run is shown. */
export const PROJECT_HUB_CONTRIBUTION = "testops.testops-azure-devops.project-settings";

/** Where people see a run: the project settings hub's Test runs tab, on the organization's bound URL. */
export const runWebUrl = (orgUrl: string, projectName: string, runId: string) =>
  `${orgUrl}/${encodeURIComponent(projectName)}/_settings/${PROJECT_HUB_CONTRIBUTION}?tab=runs&runId=${runId}`;

export const tooLargeMessage = `The upload is larger than ${RESULTS_LIMITS.maxXmlBytes / 1024 / 1024} MB; split the JUnit report into several uploads`;

/** Most bytes of a multipart body: the file and room for the metadata fields and part headers. */
export const MULTIPART_MAX_BYTES = RESULTS_LIMITS.maxXmlBytes + 64 * 1024;

/** The request body, refused with 413 as soon as it is larger than `max`; a connection that fails is a 400. */
async function* cappedChunks(stream: ReadableStream<Uint8Array> | null, max: number): AsyncIterable<Uint8Array> {
  if (!stream) return;
  const reader = stream.getReader();
  let size = 0;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch {
        throw fieldError("body", "was not received whole (the connection failed while it was sent)");
      }
      if (r.done) return;
      size += r.value.byteLength;
      if (size > max) throw new ApiError(413, "too_large", tooLargeMessage);
      if (r.value.byteLength) yield r.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Spools opened (created) and not yet closed (open): observable by tests. */
export const spoolStats = { created: 0, open: 0 };

/**
 * A file part kept on disk while the rest of the body is read (fields may follow it). The file is
 * unlinked as soon as it is opened: the open handle keeps its bytes, and nothing is left behind
 * whatever happens to the request or the process.
 */
class Spool {
  size = 0;
  private closed = false;
  private constructor(private readonly fh: FileHandle) {}

  static async create(): Promise<Spool> {
    const dir = await mkdtemp(join(tmpdir(), "testops-upload-")); // mode 0700
    let fh: FileHandle | undefined;
    try {
      fh = await open(join(dir, "part"), "wx+", 0o600);
      await unlink(join(dir, "part"));
    } catch (e) {
      await fh?.close();
      throw e;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    spoolStats.created++;
    spoolStats.open++;
    return new Spool(fh);
  }

  async write(chunk: Uint8Array): Promise<void> {
    let done = 0;
    while (done < chunk.byteLength) {
      const { bytesWritten } = await this.fh.write(chunk, done, chunk.byteLength - done, this.size + done);
      done += bytesWritten;
    }
    this.size += chunk.byteLength;
  }

  async *chunks(): AsyncIterable<Uint8Array> {
    for (let at = 0; at < this.size;) {
      // A fresh buffer each time: a run appended to collects the chunks.
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, this.size - at));
      const { bytesRead } = await this.fh.read(buf, 0, buf.byteLength, at);
      if (!bytesRead) throw new Error("The spooled upload ended early");
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    spoolStats.open--;
    await this.fh.close().catch(() => undefined);
  }
}

async function* decoded(chunks: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  // As the form parser did for a plain field: UTF-8 (a BOM dropped, bad bytes as U+FFFD), whatever the XML declares.
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    const s = decoder.decode(chunk, { stream: true });
    if (s) yield s;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

export interface Upload {
  body: UploadBody | undefined;
  fileName: string | null;
  meta: Record<string, unknown>;
  /** Closes the spool and stops reading the request; called whatever happened. */
  dispose(): Promise<void>;
}

/** The file part chosen so far (a file part, or the plain field `file`). */
interface Candidate {
  name: string;
  /** null: the plain field `file` (the report as text). */
  filename: string | null;
  spool: Spool | null;
}

/**
 * The XML and the metadata of an upload: multipart (field `file`, metadata fields or a `metadata` JSON part)
 * or a raw XML body.
 */
export async function readUpload(c: Context<AppEnv>): Promise<Upload> {
  const meta: Record<string, unknown> = { ...c.req.query() };
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) return readMultipart(c, meta);
  if (type.startsWith("application/json") || type.startsWith("application/x-www-form-urlencoded"))
    throw fieldError("body", 'must be the JUnit XML (Content-Type application/xml) or multipart/form-data with the file in field "file"');
  return {
    body: c.req.raw.body ? chunksOf(c.req.raw.body) : undefined,
    fileName: c.req.query("fileName")?.slice(0, 256) || null,
    meta,
    dispose: async () => undefined,
  };
}

/**
 * Reads the parts in order, as the form parser's first value of each field: the field `file` (a file part or
 * the report as a plain field), else the first file part; `metadata` (JSON) and other fields go into the
 * metadata. Fields may come before or after the file, so the file part is spooled to disk (bounded memory)
 * and parsed once every field is known: the upload's project, run and work items decide how it is stored.
 */
async function readMultipart(c: Context<AppEnv>, meta: Record<string, unknown>): Promise<Upload> {
  const boundary = multipartBoundary(c.req.header("content-type") ?? "");
  const reader = new MultipartReader(cappedChunks(c.req.raw.body, MULTIPART_MAX_BYTES), boundary);
  const seen = new Set<string>();
  const spools = new Set<Spool>();
  const dispose = async () => {
    for (const s of spools) await s.close();
    await reader.cancel();
  };
  let chosen: Candidate | null = null;
  let text: Candidate | null = null;
  try {
    for (let part = await reader.next(); part; part = await reader.next()) {
      const k = part.name;
      // Only a field's first value counts (the rest of a part is skipped by next()).
      if (seen.has(k)) continue;
      seen.add(k);
      if (part.filename === null && k !== "file") {
        addField(meta, k, await reader.text());
        continue;
      }
      // A file part beats the plain field `file`; the field `file` beats the first file part.
      if (part.filename === null ? chosen : chosen && k !== "file") continue;
      const spool = await Spool.create();
      spools.add(spool);
      setCandidate(part.filename === null ? "text" : "file", { name: k, filename: part.filename, spool });
      for (let chunk = await reader.read(); chunk; chunk = await reader.read()) await spool.write(chunk);
    }
  } catch (e) {
    await dispose();
    throw e;
  }
  // (Assigned in setCandidate: the compiler cannot see it.)
  const file = chosen as Candidate | null;
  const plain = text as Candidate | null;
  if (file?.filename != null && unstorableReason(file.filename)) {
    await dispose();
    checkFileName(file.filename);
  }
  // An empty file part is "empty"; no file at all (or an empty plain field) is "missing".
  let body: UploadBody | undefined;
  if (file) body = file.spool?.size ? file.spool.chunks() : new Uint8Array(0);
  else if (plain?.spool?.size) body = decoded(plain.spool.chunks());
  return { body, fileName: file?.filename?.slice(0, 256) || null, meta, dispose };

  function setCandidate(kind: "file" | "text", next: Candidate) {
    // The candidate it replaces (a text or an earlier file part) is not needed any more.
    const old = kind === "file" ? chosen : text;
    if (old?.spool) void closeSpool(old.spool);
    if (kind === "file" && text?.spool) void closeSpool(text.spool);
    if (kind === "file") chosen = next;
    else text = next;
  }
  async function closeSpool(s: Spool) {
    spools.delete(s);
    await s.close();
  }
}

function checkFileName(name: string) {
  const why = unstorableReason(name);
  if (why) throw fieldError("file", `the file name ${why}`);
}

/** A plain field into the metadata (`metadata`: a JSON object merged in), refused if it cannot be stored. */
function addField(meta: Record<string, unknown>, k: string, value: string) {
  if (k === "metadata") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw fieldError("metadata", "must be a JSON object");
    }
    const bad = findUnstorable(parsed);
    if (bad) throw fieldError(bad.field === "body" ? "metadata" : bad.field, bad.message);
    Object.assign(meta, parsed);
    return;
  }
  const why = unstorableReason(k) ?? unstorableReason(value);
  if (why) throw fieldError(unstorableReason(k) ? "body" : k, why);
  meta[k] = value;
}

/** The pipeline's default run name: "<pipeline> <build number>". */
const buildRunName = (u: Uploader) =>
  u.build?.pipeline && u.build.number ? `${u.build.pipeline} ${u.build.number}`.slice(0, RESULTS_LIMITS.runName) : null;

/** Stores one uploaded report (a new run, or more results of a run the same caller created). */
export async function storeUpload(deps: AppDeps, c: Context<AppEnv>, uploader: Uploader): Promise<UploadResponse> {
  const upload = await readUpload(c);
  try {
    return await store(deps, c, uploader, upload);
  } finally {
    await upload.dispose();
  }
}

function parseMetadata(raw: Record<string, unknown>): UploadMetadata {
  const parsedMeta = UploadMetadataSchema.safeParse(raw);
  if (!parsedMeta.success) {
    const fields = zodFields(parsedMeta.error.issues);
    throw new ApiError(400, "validation_failed", fields.map((f) => `${f.field}: ${f.message}`).join("; "), fields);
  }
  return parsedMeta.data;
}

async function store(deps: AppDeps, c: Context<AppEnv>, uploader: Uploader, upload: Upload): Promise<UploadResponse> {
  const { body, fileName, meta: raw } = upload;
  const meta: UploadMetadata = parseMetadata(raw);
  // Only an upload key names its own project; the others must say which (checked before reading the file).
  if (!meta.project && uploader.origin !== "key") throw fieldError("project", "is required (the Azure DevOps project name or id)");
  const project = await uploader.project(c, meta.project);
  const orgId = c.get("org").id;
  const appendTo = meta.runId ? await findRun(deps, orgId, meta.runId).catch(() => null) : null;
  if (meta.runId && (!appendTo || !uploader.owns(appendTo) || appendTo.projectId !== project.id))
    throw fieldError("runId", "is not a run you uploaded to this project");
  if (appendTo && appendTo.adoStatus !== "none")
    throw fieldError("runId", "is already pushed (or being pushed) to Azure Test Plans: upload to a new run");

  const explicit = meta.workItemIds ?? [];
  const fromBuild =
    meta.buildWorkItems && uploader.buildWorkItems
      ? (await uploader.buildWorkItems(c, project)).filter((id) => !explicit.includes(id))
      : [];
  const runWide = [...explicit, ...fromBuild];
  const readableRunWide = runWide.length ? await uploader.readableWorkItems(c, project, runWide) : new Set<number>();
  const missing = explicit.filter((id) => !readableRunWide.has(id));
  if (missing.length) throw fieldError("workItemIds", `${missing.join(", ")}: no such work item, or you cannot read it`);
  const buildLinked = fromBuild.filter((id) => readableRunWide.has(id));
  const readableProperties = (ids: number[]) => {
    const asked = ids.filter((id) => !runWide.includes(id));
    return asked.length ? uploader.readableWorkItems(c, project, asked) : Promise.resolve(new Set<number>());
  };

  const ingestOptions: IngestOptions = {
    orgId,
    project,
    createdBy: uploader.actorId,
    runName: meta.runName || buildRunName(uploader) || undefined,
    source: meta.source,
    fileName,
    workItemIds: explicit,
    readableWorkItems: readableProperties,
    workItemSource: "upload",
    origin: uploader.origin,
    build: uploader.build,
    uploadKey: uploader.uploadKey,
  };
  let saved: SavedRun;
  let report: ReportSummary;
  let warnings: string[];
  try {
    // Read as it arrives and written in chunks (bounded memory; other requests keep being served), as a new
    // run or as a further file of the run named (the pipeline task sends one request per file).
    const r = await ingestJUnit(deps, body, { ...ingestOptions, appendTo: appendTo?.id });
    saved = r;
    report = r.report;
    warnings = r.warnings;
  } catch (e) {
    if (!(e instanceof JUnitParseError)) throw e;
    if (e.kind === "too_large") throw new ApiError(413, "too_large", tooLargeMessage);
    // Names the file whatever the reason (not XML, not well-formed with line and column, too deep, too many cases).
    throw fieldError(
      "file",
      e.kind === "missing" ? 'is required (the JUnit XML report, as the body or multipart field "file")' : e.message,
    );
  }
  let linkedWorkItems = saved.linkedWorkItems;
  let linkedResults = saved.linkedResults;
  if (buildLinked.length) {
    const more = await linkBuildItems(deps, orgId, saved.run.id, saved.run.total - report.totals.total, saved.run.total, buildLinked);
    linkedWorkItems = [...new Set([...linkedWorkItems, ...buildLinked])].sort((a, b) => a - b);
    linkedResults = Math.max(linkedResults, more);
  }
  // Traceability (issue 17): a Katalon result counts for every requirement its test case is linked to.
  await linkRunThroughChain(deps, orgId, saved.run.id);
  await recordAudit(deps.database.db, {
    orgId,
    actorId: uploader.actorId,
    actorName: uploader.actorName,
    action: appendTo ? "results.appended" : "results.uploaded",
    targetType: "test_run",
    targetId: saved.run.id,
    details: {
      project: project.name,
      name: saved.run.name,
      total: report.totals.total,
      fileName,
      origin: uploader.origin,
      ...(uploader.build ? { buildId: uploader.build.id } : {}),
      ...(uploader.uploadKey ? { uploadKey: uploader.uploadKey.name } : {}),
      linkedWorkItems,
    },
  });
  await uploader.used?.(saved.run.id, project);
  let run = toRunDto(saved.run);
  let pushJobId: string | null = null;
  if (meta.push) {
    try {
      const pushed = await enqueuePush(deps, orgId, saved.run.id, uploader.actorId);
      pushJobId = pushed.job.id;
      run = pushed.run;
    } catch (e) {
      // The results are stored either way; say why they were not pushed.
      if (!(e instanceof ApiError)) throw e;
      warnings.push(`Not pushed to Azure Test Plans: ${e.message}`);
    }
  }
  return {
    run,
    stats: { suites: report.stats.suites, tests: report.stats.tests, runs: report.stats.runs },
    linked: { results: linkedResults, workItems: linkedWorkItems },
    replacedCharacters: report.replaced,
    warnings,
    pushJobId,
    webUrl: runWebUrl(c.get("org").url, project.name, saved.run.id),
  };
}

/** Links the results this upload added (positions [firstSeq, endSeq)) to the build's work items. Returns how many results. */
async function linkBuildItems(
  deps: AppDeps,
  orgId: string,
  runId: string,
  firstSeq: number,
  endSeq: number,
  workItemIds: number[],
): Promise<number> {
  // Bounded above too: the next file of the run may already be being written after these.
  const rows = await deps.database.query<{ id: string | number }>(
    `SELECT id FROM test_results WHERE org_id = $1 AND run_id = $2 AND seq >= $3 AND seq < $4 ORDER BY seq`,
    [orgId, runId, firstSeq, endSeq],
  );
  // Through writeResultLinks, which keeps the per work item × test summaries.
  await writeResultLinks(
    deps.database.db,
    orgId,
    rows.flatMap((r) => workItemIds.map((w) => ({ resultId: Number(r.id), workItemId: w, source: "build" as const }))),
  );
  return rows.length;
}
