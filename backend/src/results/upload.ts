// One upload path for every caller (page, pipeline task, upload key): read the body, parse it with
// parseJUnit, check the project and work items for that caller, store it with saveRun/appendToRun.
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../context";
import { recordAudit } from "../lib/audit";
import { ApiError, fieldError, zodFields } from "../lib/errors";
import { findUnstorable, unstorableReason } from "../lib/text";
import { RESULTS_LIMITS, UploadMetadataSchema, type UploadMetadata, type UploadResponse } from "../schemas/results";
import { ingestJUnit, type UploadBody } from "./ingest";
import { JUnitParseError, parseJUnit, type ReportSummary } from "./junit";
import { enqueuePush } from "./push";
import { appendToRun, findRun, toRunDto, writeResultLinks, type SavedRun } from "./store";
import type { Uploader } from "./uploaders";
import { linkRunThroughChain } from "../trace/chain";

/** The extension's project settings hub (publisher.extension.contribution), where a run is shown. */
export const PROJECT_HUB_CONTRIBUTION = "testops.testops-azure-devops.project-settings";

/** Where people see a run: the project settings hub's Test runs tab, on the organization's bound URL. */
export const runWebUrl = (orgUrl: string, projectName: string, runId: string) =>
  `${orgUrl}/${encodeURIComponent(projectName)}/_settings/${PROJECT_HUB_CONTRIBUTION}?tab=runs&runId=${runId}`;

export const tooLargeMessage = `The upload is larger than ${RESULTS_LIMITS.maxXmlBytes / 1024 / 1024} MB; split the JUnit report into several uploads`;

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength) yield value;
    }
  } finally {
    // A refused upload stops reading; the rest of the body is not wanted.
    await reader.cancel().catch(() => undefined);
  }
}

/** The XML and the metadata of an upload: multipart (field `file`, metadata fields or a `metadata` JSON part) or a raw XML body. */
export async function readUpload(
  c: Context<AppEnv>,
): Promise<{ body: UploadBody | undefined; fileName: string | null; meta: Record<string, unknown> }> {
  const meta: Record<string, unknown> = { ...c.req.query() };
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      throw fieldError("body", "is not a readable multipart/form-data body");
    }
    let file: File | undefined;
    let text: string | undefined;
    for (const [k, v] of Object.entries(form)) {
      const value = Array.isArray(v) ? v[0] : v;
      if (value instanceof File) {
        if (k === "file" || !file) file = value;
      } else if (k === "file") {
        // `curl -F "file=<report.xml"` sends the content as a plain field.
        text = value;
      } else if (k === "metadata") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw fieldError("metadata", "must be a JSON object");
        }
        const bad = findUnstorable(parsed);
        if (bad) throw fieldError(bad.field === "body" ? "metadata" : bad.field, bad.message);
        Object.assign(meta, parsed);
      } else {
        const why = unstorableReason(k) ?? unstorableReason(value);
        if (why) throw fieldError(unstorableReason(k) ? "body" : k, why);
        meta[k] = value;
      }
    }
    const nameWhy = file ? unstorableReason(file.name) : null;
    if (nameWhy) throw fieldError("file", `the file name ${nameWhy}`);
    // An empty file part is "empty"; no file at all is "missing".
    const body = file ? (file.size ? chunksOf(file.stream()) : new Uint8Array(0)) : text ? text : undefined;
    return { body, fileName: file?.name?.slice(0, 256) || null, meta };
  }
  if (type.startsWith("application/json") || type.startsWith("application/x-www-form-urlencoded"))
    throw fieldError("body", 'must be the JUnit XML (Content-Type application/xml) or multipart/form-data with the file in field "file"');
  return {
    body: c.req.raw.body ? chunksOf(c.req.raw.body) : undefined,
    fileName: c.req.query("fileName")?.slice(0, 256) || null,
    meta,
  };
}

/** The pipeline's default run name: "<pipeline> <build number>". */
const buildRunName = (u: Uploader) =>
  u.build?.pipeline && u.build.number ? `${u.build.pipeline} ${u.build.number}`.slice(0, RESULTS_LIMITS.runName) : null;

/** Stores one uploaded report (a new run, or more results of a run the same caller created). */
export async function storeUpload(deps: AppDeps, c: Context<AppEnv>, uploader: Uploader): Promise<UploadResponse> {
  const { body, fileName, meta: raw } = await readUpload(c);
  const parsedMeta = UploadMetadataSchema.safeParse(raw);
  if (!parsedMeta.success) {
    const fields = zodFields(parsedMeta.error.issues);
    throw new ApiError(400, "validation_failed", fields.map((f) => `${f.field}: ${f.message}`).join("; "), fields);
  }
  const meta: UploadMetadata = parsedMeta.data;
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

  let saved: SavedRun;
  let report: ReportSummary;
  let warnings: string[];
  try {
    if (appendTo) {
      // A further file of a pipeline's run (the task sends one request per file): parsed whole (bounded by the
      // upload size limit) and added in one transaction, so the run's totals move in one step.
      const parsed = parseJUnit(await collect(body));
      const ids = [...new Set(parsed.cases.flatMap((x) => x.workItemIds))];
      const readable = await readableProperties(ids);
      saved = await appendToRun(deps, appendTo.id, {
        orgId,
        project,
        report: parsed,
        allowedPropertyIds: readable,
        workItemIds: explicit,
        workItemSource: "upload",
      });
      report = parsed;
      warnings = [
        ...parsed.warnings,
        ...unreadableWarnings(
          ids.filter((id) => !runWide.includes(id) && !readable.has(id)),
          parsed.replaced,
        ),
      ];
    } else {
      // A new run is read as it arrives and written in chunks (bounded memory; other requests keep being served).
      const r = await ingestJUnit(deps, body, {
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
      });
      saved = r;
      report = r.report;
      warnings = r.warnings;
    }
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
    const more = await linkBuildItems(deps, orgId, saved.run.id, saved.run.total - report.totals.total, buildLinked);
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

/** Links the results this upload added (from position `firstSeq`) to the build's work items. Returns how many results. */
async function linkBuildItems(deps: AppDeps, orgId: string, runId: string, firstSeq: number, workItemIds: number[]): Promise<number> {
  const rows = await deps.database.query<{ id: string | number }>(
    `SELECT id FROM test_results WHERE org_id = $1 AND run_id = $2 AND seq >= $3 ORDER BY seq`,
    [orgId, runId, firstSeq],
  );
  // Through writeResultLinks, which keeps the per work item × test summaries.
  await writeResultLinks(
    deps.database.db,
    orgId,
    rows.flatMap((r) => workItemIds.map((w) => ({ resultId: Number(r.id), workItemId: w, source: "build" as const }))),
  );
  return rows.length;
}

/** The whole body (for a file appended to a run); the upload limit bounds it. */
async function collect(body: UploadBody | undefined): Promise<Uint8Array | string | undefined> {
  if (body === undefined || typeof body === "string" || body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > RESULTS_LIMITS.maxXmlBytes) throw new JUnitParseError("too_large", tooLargeMessage);
    parts.push(chunk);
  }
  return size ? Buffer.concat(parts) : undefined;
}

/** What could not be linked or had to be replaced, said in a bounded number of lines. */
function unreadableWarnings(unreadable: number[], replaced: number): string[] {
  return [
    ...unreadable
      .slice(0, 20)
      .map((id) => `Work item ${id} (from a workitem property) does not exist or you cannot read it; its tests were not linked to it`),
    ...(unreadable.length > 20
      ? [`… and ${unreadable.length - 20} more work items from workitem properties that do not exist or you cannot read`]
      : []),
    ...(replaced
      ? [`${replaced} NUL characters or lone surrogates in the report were stored as U+FFFD (the database cannot store them)`]
      : []),
  ];
}
