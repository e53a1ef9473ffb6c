// One JUnit upload, from bytes to a stored run, in bounded memory: the file is read as it arrives, its
// cases are written in chunks while reading goes on, and the case limit is enforced as cases are read.
// Every way results enter (the upload route, CI keys, the pipeline task) goes through ingestJUnit.
import type { AppDeps } from "../context";
import { RESULTS_LIMITS } from "../schemas/results";
import { JUnitParseError, JUnitReader, type ReportSummary } from "./junit";
import { RunWriter, type RunExtras, type SavedRun } from "./store";

export interface IngestOptions extends RunExtras {
  orgId: string;
  /** The project, already checked: the caller may publish results to it. */
  project: { id: string; name: string };
  createdBy: string;
  /** Run name; default: the report's name (else the file name) and its start time. */
  runName?: string;
  /** Where the results come from; default "Katalon" or "JUnit" by the report's format. */
  source?: string;
  fileName: string | null;
  /** Work items to link every result to, already checked (they exist and the caller may read them). */
  workItemIds: number[];
  /**
   * Which of the work items named by workitem properties may be linked (exist and are readable): asked
   * once, after the whole file was read, with every distinct id (at most maxPropertyWorkItems).
   */
  readableWorkItems(ids: number[]): Promise<Set<number>>;
  /** Most test cases accepted (default: the configured limit). */
  maxCases?: number;
  /** Results written per statement. */
  batchSize?: number;
  /** A stored run this file is added to (a pipeline's next file), instead of a new run. */
  appendTo?: string;
}

export interface IngestResult extends SavedRun {
  report: ReportSummary;
  /** The report's own warnings, then what could not be linked or had to be replaced. */
  warnings: string[];
}

/** Bytes (their encoding from a BOM or the XML declaration), or text already decoded (a plain multipart field). */
export type UploadBody = AsyncIterable<Uint8Array> | AsyncIterable<string> | Uint8Array | string;

/** Default batch: small enough that one statement keeps the embedded database busy only for a few ms. */
export const INGEST_BATCH = 100;
export const INGEST_BATCH_POSTGRES = 1_000;
/** Bytes read per task (about 150 test cases of a typical report). */
const SLICE = 16 * 1024;

/**
 * Reads a JUnit report and stores it as one run (or adds it to one: `appendTo`). Throws JUnitParseError (missing, empty, not XML, corrupt
 * with line and column, too deep, not JUnit, too large, too many cases) after deleting what was written.
 */
export async function ingestJUnit(deps: AppDeps, body: UploadBody | undefined, o: IngestOptions): Promise<IngestResult> {
  if (body === undefined) throw new JUnitParseError("missing", "No JUnit XML file was sent");
  const reader = new JUnitReader({ maxCases: o.maxCases ?? deps.config.resultsMaxCases ?? RESULTS_LIMITS.maxCases });
  const pglite = deps.database.kind === "pglite";
  // PGlite runs each statement on this thread: small batches keep every pause short. Postgres works
  // elsewhere: larger batches, and the next one is read while the previous one is written.
  const batchSize = o.batchSize ?? (pglite ? INGEST_BATCH : INGEST_BATCH_POSTGRES);
  const inFlightMax = pglite ? 1 : 2;
  const inFlight = new Set<Promise<void>>();
  const propertyIds = new Set<number>();
  let writer: RunWriter | null = null;
  let bytes = 0;

  const begin = () => (o.appendTo ? RunWriter.beginAppend(deps, o.appendTo, o) : RunWriter.begin(deps, o));
  const settle = async (max: number) => {
    while (inFlight.size > max) await Promise.race(inFlight);
  };
  // Written as they come; the run row is made with the first batch, so a file refused early stores nothing at all.
  const flush = async (all: boolean) => {
    while (reader.pendingCases >= batchSize || (all && reader.pendingCases > 0)) {
      const { start, cases } = reader.takeCases(batchSize);
      for (const c of cases) for (const w of c.workItemIds) propertyIds.add(w);
      writer ??= await begin();
      const write: Promise<void> = writer.append(start, cases).finally(() => inFlight.delete(write));
      // A failed write rejects when awaited below; until then it must not count as unhandled.
      write.catch(() => undefined);
      inFlight.add(write);
      await settle(inFlightMax - 1);
      await turn();
    }
    const late = reader.takeLateLinks();
    if (late.length) await Promise.all(inFlight);
    for (const l of late) {
      for (const w of l.workItemIds) propertyIds.add(w);
      await writer?.linkRange(l.fromSeq, l.toSeq, l.workItemIds);
    }
  };

  try {
    if (typeof body === "string") {
      bytes = body.length;
      reader.write(body);
    } else if (body instanceof Uint8Array) {
      bytes = body.byteLength;
      // Fed in slices so that writes interleave with reading, as for a stream.
      for (let at = 0; at < body.byteLength; at += SLICE) {
        reader.writeBytes(body.subarray(at, at + SLICE));
        await flush(false);
        await turn();
      }
    } else {
      for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
        if (typeof chunk === "string") {
          bytes += chunk.length;
          for (let at = 0; at < chunk.length;) {
            // A slice never ends between the two halves of a surrogate pair.
            let end = Math.min(at + SLICE, chunk.length);
            if (end < chunk.length && /[\uD800-\uDBFF]/.test(chunk[end - 1]!)) end--;
            reader.write(chunk.slice(at, end));
            at = end;
            await flush(false);
            await turn();
          }
          continue;
        }
        bytes += chunk.byteLength;
        // Network chunks can be large: read them in slices, each a short task of its own.
        for (let at = 0; at < chunk.byteLength; at += SLICE) {
          reader.writeBytes(chunk.subarray(at, at + SLICE));
          await flush(false);
          await turn();
        }
      }
    }
    // An empty stream is a request without a body; an empty file or text is an empty report.
    if (!bytes && typeof body !== "string" && !(body instanceof Uint8Array))
      throw new JUnitParseError("missing", "No JUnit XML file was sent");
    const report = reader.end();
    await flush(true);
    await Promise.all(inFlight);
    writer ??= await begin();

    const fromProperties = [...propertyIds].filter((id) => !o.workItemIds.includes(id));
    const readable = fromProperties.length ? await o.readableWorkItems(fromProperties) : new Set<number>();
    const unreadable = fromProperties.filter((id) => !readable.has(id));
    const warnings = [
      ...report.warnings,
      ...unreadable
        .slice(0, 20)
        .map((id) => `Work item ${id} (from a workitem property) does not exist or you cannot read it; its tests were not linked to it`),
      ...(unreadable.length > 20
        ? [`… and ${unreadable.length - 20} more work items from workitem properties that do not exist or you cannot read`]
        : []),
      ...(report.replaced
        ? [`${report.replaced} NUL characters or lone surrogates in the report were stored as U+FFFD (the database cannot store them)`]
        : []),
    ];
    const saved = await writer.finish(report, {
      name: o.runName || defaultRunName(report, o.fileName),
      source: o.source || (report.format === "katalon" ? "Katalon" : "JUnit"),
      allowedPropertyIds: readable,
      propertyIds,
    });
    return { ...saved, report, warnings };
  } catch (e) {
    await Promise.allSettled(inFlight);
    await (writer as RunWriter | null)?.discard();
    throw e;
  }
}

/**
 * Lets the event loop serve other requests: a body already buffered and the embedded database both
 * resolve in microtasks, which would otherwise run the whole upload as one uninterrupted task.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function defaultRunName(report: ReportSummary, fileName: string | null): string {
  const base = report.name ?? fileName ?? "JUnit results";
  const at = (report.startedAt ?? new Date()).toISOString().slice(0, 16).replace("T", " ");
  return `${base} (${at} UTC)`.slice(0, RESULTS_LIMITS.runName);
}
