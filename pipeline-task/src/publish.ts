// What the task does, apart from the agent: upload every matched report to TestOps as one run (the
// first file creates it, the others are added to it), list files it could not use with the reason,
// optionally push the run to Azure Test Plans, and sum up. Pure of the task library so that tests can
// call it; index.ts reads the agent's inputs and variables and calls it.

export interface PublishInputs {
  /** The TestOps backend, e.g. https://testops.example.com. */
  testopsUrl: string;
  /** Report files found (absolute paths). */
  files: string[];
  runName?: string;
  linkBuildWorkItems: boolean;
  failOnFailedTests: boolean;
  push: boolean;
}

/** What the agent says about the job (Azure DevOps' own variables, never the pipeline author's). */
export interface AgentJob {
  accessToken: string;
  collectionUri: string;
  projectId: string;
  buildId: string;
}

export interface PublishIo {
  readFile(path: string): Promise<Uint8Array>;
  fetch: typeof fetch;
  log(line: string): void;
  warn(line: string): void;
  sleep?(ms: number): Promise<void>;
}

export interface Totals {
  total: number;
  passed: number;
  failed: number;
  error: number;
  skipped: number;
}

export interface PublishSummary {
  runId: string | null;
  webUrl: string | null;
  totals: Totals | null;
  uploaded: string[];
  rejected: { file: string; reason: string }[];
  warnings: string[];
  linkedWorkItems: number[];
  pushJobId: string | null;
  /** Why the task fails, or null. */
  failure: string | null;
}

interface ApiError {
  error?: string;
  message?: string;
  fields?: { field: string; message: string }[];
}

const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** Answers worth retrying: throttled or the backend/its Azure DevOps momentarily away. */
const TRANSIENT = new Set([429, 502, 503, 504]);

async function send(io: PublishIo, url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await io.fetch(url, init);
    } catch (e) {
      if (attempt >= 2) throw new Error(`Could not reach TestOps at ${new URL(url).origin}: ${(e as Error).message}`);
      await (io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(1000 * 2 ** attempt);
      continue;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text for the message
    }
    if (TRANSIENT.has(res.status) && attempt < 2) {
      const wait = Number(res.headers.get("retry-after")) * 1000 || 1000 * 2 ** attempt;
      await (io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(Math.min(wait, 30_000));
      continue;
    }
    return { status: res.status, body };
  }
}

const describe = (status: number, body: unknown) => {
  const e = (body ?? {}) as ApiError;
  return `${status} ${e.message ?? (typeof body === "string" ? body.slice(0, 500) : "")}`.trim();
};

/** The job's token is a credential: it goes only over https (plain http only to this machine, for local setups). */
export function checkTestopsUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`testopsUrl must be a URL, not "${url}"`);
  }
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && local))
    throw new Error(`testopsUrl must be https (the job's access token is sent to it), not "${url}"`);
}

export async function publish(inputs: PublishInputs, job: AgentJob, io: PublishIo): Promise<PublishSummary> {
  const summary: PublishSummary = {
    runId: null,
    webUrl: null,
    totals: null,
    uploaded: [],
    rejected: [],
    warnings: [],
    linkedWorkItems: [],
    pushJobId: null,
    failure: null,
  };
  const api = inputs.testopsUrl.replace(/\/+$/, "");
  const headers = {
    Authorization: `Bearer ${job.accessToken}`,
    "X-Ado-Collection-Url": job.collectionUri,
    "X-Ado-Build-Id": job.buildId,
  };
  const linked = new Set<number>();
  for (const file of inputs.files) {
    const q = new URLSearchParams({ project: job.projectId, fileName: baseName(file) });
    if (inputs.runName) q.set("runName", inputs.runName);
    if (inputs.linkBuildWorkItems) q.set("buildWorkItems", "true");
    if (summary.runId) q.set("runId", summary.runId);
    const bytes = await io.readFile(file);
    const { status, body } = await send(io, `${api}/api/results/junit?${q}`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/xml" },
      body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    });
    const fields = ((body ?? {}) as ApiError).fields ?? [];
    if (status === 413 || (status === 400 && fields.some((f) => f.field === "file"))) {
      // This file cannot be used; the others still count.
      const reason = status === 413 ? describe(status, body) : fields.find((f) => f.field === "file")!.message;
      summary.rejected.push({ file, reason });
      io.warn(`${file}: not uploaded: ${reason}`);
      continue;
    }
    if (status !== 201) {
      summary.failure = `TestOps refused ${baseName(file)}: ${describe(status, body)}`;
      return summary;
    }
    const r = body as {
      run: { id: string; totals: Totals };
      webUrl: string;
      warnings: string[];
      linked: { workItems: number[] };
    };
    summary.runId = r.run.id;
    summary.webUrl = r.webUrl;
    summary.totals = r.run.totals;
    summary.uploaded.push(file);
    for (const w of r.warnings) {
      summary.warnings.push(`${baseName(file)}: ${w}`);
      io.warn(`${baseName(file)}: ${w}`);
    }
    r.linked.workItems.forEach((id) => linked.add(id));
    io.log(`${file}: ${r.run.totals.total} results so far in run ${r.run.id}`);
  }
  summary.linkedWorkItems = [...linked].sort((a, b) => a - b);
  if (!summary.runId) {
    if (inputs.files.length) summary.failure = `None of the ${inputs.files.length} result files could be used`;
    return summary;
  }
  if (inputs.push) {
    const { status, body } = await send(io, `${api}/api/results/runs/${summary.runId}/push`, { method: "POST", headers });
    if (status === 202) summary.pushJobId = (body as { job: { id: string } }).job.id;
    else {
      const w = `Not pushed to Azure Test Plans: ${describe(status, body)}`;
      summary.warnings.push(w);
      io.warn(w);
    }
  }
  const t = summary.totals!;
  if (inputs.failOnFailedTests && t.failed + t.error > 0) summary.failure = `${t.failed + t.error} of ${t.total} tests failed`;
  return summary;
}

/** The lines the task prints at the end. */
export function summaryLines(s: PublishSummary): string[] {
  const lines: string[] = [];
  if (s.totals) {
    const t = s.totals;
    lines.push(`TestOps run: ${t.total} results — ${t.passed} passed, ${t.failed} failed, ${t.error} errors, ${t.skipped} skipped`);
  }
  lines.push(`Files uploaded: ${s.uploaded.length}; not usable: ${s.rejected.length}`);
  for (const r of s.rejected) lines.push(`  ${r.file}: ${r.reason}`);
  if (s.linkedWorkItems.length) lines.push(`Linked to work items: ${s.linkedWorkItems.join(", ")}`);
  if (s.pushJobId) lines.push(`Pushing to Azure Test Plans (job ${s.pushJobId})`);
  if (s.webUrl) lines.push(`See the run: ${s.webUrl}`);
  return lines;
}
