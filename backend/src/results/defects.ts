// Defects of a work item's tests: create a bug in Azure DevOps from a failed result, link an existing
// work item, unlink, search, and read their live state. Which credential:
// - Creating runs with the USER's access token, so Azure DevOps records who filed the bug (history,
//   Created By) and applies that user's own rights (area permissions, "create work items"). The
//   extension asks for vso.work_write for this.
// - Only when the user's token lacks the scope (an installation not yet re-authorized after the scope
//   was added: ADO answers 401 TF400813) does it fall back to the organization connection's PAT, and the
//   description names the user. A user whom ADO refuses (403: no permission) is never escalated to the PAT.
// - Searching and reading defects always use the user's token (they only see what they may read).
import type { Context } from "hono";
import type { AdoClient } from "../ado/client";
import { getWorkItemsBatch, type WorkItemData } from "../ado/endpoints";
import { isAdoError } from "../ado/errors";
import { adoClientFor } from "../connections/service";
import type { AppDeps, AppEnv } from "../context";
import { recordAudit } from "../lib/audit";
import { CoalescingCache } from "../lib/cache";
import { ApiError, fieldError } from "../lib/errors";
import { scrubSecrets } from "../lib/scrub";
import type { Defect, DefectCandidate, DefectField, DefectForm } from "../schemas/results";
import type { UserAccess } from "./access";
import { trimText } from "./junit";
import { refreshTotals } from "./links";
import { CLOSED_CATEGORIES, findTest, type StoredDefect } from "./tests";

/** How a new defect is linked to the work item its test is linked to (every process has Related). */
export const DEFECT_LINK_TYPE = "System.LinkTypes.Related";
const SHOWN_FIELDS = [
  "System.Title",
  "Microsoft.VSTS.TCM.ReproSteps",
  "System.Description",
  "System.AreaPath",
  "System.IterationPath",
  "Microsoft.VSTS.Common.Severity",
  "Microsoft.VSTS.Common.Priority",
];
/** Fields Azure DevOps fills itself, never asked of the user even when alwaysRequired. */
const SYSTEM_SET = new Set(["System.State", "System.Reason", "System.WorkItemType", "System.TeamProject", "System.Id"]);

export interface TypeField {
  referenceName: string;
  name: string;
  alwaysRequired?: boolean;
  defaultValue?: unknown;
  allowedValues?: unknown[];
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** Text typed in the panel → the HTML Azure DevOps stores in html fields. */
export const textToHtml = (s: string) => escapeHtml(s).replace(/\r\n?/g, "\n").split("\n").join("<br>");

function unavailable(e: unknown): never {
  if (isAdoError(e, "throttled")) throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
  if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", scrubSecrets(`Azure DevOps could not answer: ${e.message}`));
  throw e;
}

export const RULE_ERROR_TEXT = "was refused by Azure DevOps' rules for this field (it is required, or the value is not allowed)";

/**
 * "TF401320: Rule Error for field Found In Environment. Error code: Required, HasValues, …" → a field error
 * on the field it names. The error-code list is the same whatever rule failed, so it is not repeated.
 */
export function ruleErrorField(message: string, fields: readonly TypeField[]): { field: string; message: string } | null {
  const m = /TF401320: Rule Error for field ([^.]+)\./.exec(message);
  if (!m) return null;
  const name = m[1].trim().toLowerCase();
  const f = fields.find((x) => x.name.toLowerCase() === name || x.referenceName.toLowerCase() === name);
  return { field: f?.referenceName ?? m[1].trim(), message: RULE_ERROR_TEXT };
}

/** Pure: the panel's fields from the type's fields, prefilled (table-tested). */
export function defectFields(typeFields: readonly TypeField[], prefill: Record<string, string>): DefectField[] {
  const has = new Set(typeFields.map((f) => f.referenceName));
  const shown = typeFields.filter(
    (f) =>
      !SYSTEM_SET.has(f.referenceName) &&
      (SHOWN_FIELDS.includes(f.referenceName) || f.alwaysRequired) &&
      // Types with repro steps take the failure there; the others (Basic's Issue) in the description.
      !(f.referenceName === "System.Description" && has.has("Microsoft.VSTS.TCM.ReproSteps")),
  );
  const order = (f: TypeField) => (SHOWN_FIELDS.includes(f.referenceName) ? SHOWN_FIELDS.indexOf(f.referenceName) : 100);
  return shown
    .sort((a, b) => order(a) - order(b))
    .map((f) => {
      const allowed = (f.allowedValues ?? []).map(String);
      const html = f.referenceName === "Microsoft.VSTS.TCM.ReproSteps" || f.referenceName === "System.Description";
      const def = f.defaultValue === undefined || f.defaultValue === null ? "" : String(f.defaultValue);
      return {
        referenceName: f.referenceName,
        name: f.name,
        kind: html ? "html" : allowed.length ? "choice" : "text",
        required: !!f.alwaysRequired || f.referenceName === "System.Title",
        allowedValues: allowed,
        value: prefill[f.referenceName] ?? prefill[html ? "repro" : ""] ?? def,
      } satisfies DefectField;
    });
}

interface ResultInfo {
  id: number;
  name: string;
  full_name: string;
  outcome: string;
  message: string | null;
  stack: string | null;
  ado_result_id: number | null;
  run_id: string;
  run_name: string;
  source: string;
  ado_run_id: number | null;
  ado_run_url: string | null;
}

/** Pure: title and repro steps of a defect filed from a failed result. */
export function prefillFromResult(r: ResultInfo, requirement: { id: number; title: string }): { title: string; repro: string } {
  // The message's first line, cut at a word near 120 characters: a title, not the whole failure.
  let first = (r.message ?? "").split("\n")[0].trim();
  if (first.length > 120) first = `${first.slice(0, 120).replace(/\s+\S*$/, "")}…`;
  const title = `${r.name} fails${first ? `: ${first}` : ""}`;
  const lines = [
    `Test: ${r.full_name}`,
    `Outcome: ${r.outcome}`,
    `Run: ${r.run_name}${r.ado_run_url ? ` (Azure Test Plans: ${r.ado_run_url})` : ""}`,
    `Environment: ${r.source}`,
    `Requirement: #${requirement.id} ${requirement.title}`,
    "",
    ...(r.message ? ["Failure message:", trimText(r.message, 2_000)!, ""] : []),
    ...(r.stack ? ["Stack trace:", trimText(r.stack, 3_000)!] : []),
  ];
  return { title: title.length > 255 ? `${title.slice(0, 254)}…` : title, repro: lines.join("\n").trim() };
}

export function defectService(deps: AppDeps, access: UserAccess) {
  // Live defect states: a short TTL (states change), coalesced like every other ADO read.
  const live = new CoalescingCache(30_000);
  // State categories of a type's states are the same for everyone who can read the project.
  const categories = new CoalescingCache(10 * 60_000);

  const orgId = (c: Context<AppEnv>) => c.get("org").id;
  const userClient = (c: Context<AppEnv>) => access.client(c);

  /** The work item the tests are linked to, read with the user's token (404 when they cannot). */
  async function requirement(c: Context<AppEnv>, id: number) {
    let found: WorkItemData[];
    try {
      found = await getWorkItemsBatch(userClient(c), [id], {
        fields: ["System.Title", "System.TeamProject", "System.AreaPath", "System.IterationPath", "System.WorkItemType"],
      });
    } catch (e) {
      unavailable(e);
    }
    const w = found[0];
    if (!w) throw new ApiError(404, "not_found", `Work item ${id} does not exist or you cannot read it`);
    const f = w.fields as Record<string, string>;
    const project = await access.visibleProject(c, f["System.TeamProject"]);
    if (!project) throw new ApiError(404, "not_found", `Work item ${id} does not exist or you cannot read it`);
    return { id, title: f["System.Title"] ?? "", project, area: f["System.AreaPath"] ?? "", iteration: f["System.IterationPath"] ?? "" };
  }

  /** The test on the work item (404 when the work item has no such test). */
  async function test(c: Context<AppEnv>, workItemId: number, key: string) {
    const t = await findTest(deps, orgId(c), workItemId, key);
    if (!t) throw new ApiError(404, "not_found", "This work item has no such test");
    return t;
  }

  /** A result of that test on that work item. */
  async function result(c: Context<AppEnv>, workItemId: number, key: string, resultId: number): Promise<ResultInfo> {
    const [r] = await deps.database.query<ResultInfo>(
      `SELECT r.id, r.name, r.full_name, r.outcome, r.message, r.stack, r.ado_result_id, run.id AS run_id, run.name AS run_name,
              run.source, run.ado_run_id, run.ado_run_url
         FROM test_result_links k JOIN test_results r ON r.id = k.result_id JOIN test_runs run ON run.id = r.run_id
        WHERE k.org_id = $1 AND k.work_item_id = $2 AND k.test_key = $3 AND k.result_id = $4`,
      [orgId(c), workItemId, key, resultId],
    );
    if (!r) throw fieldError("resultId", "is not a result of this test on this work item");
    return { ...r, id: Number(r.id) };
  }

  async function bugType(client: AdoClient, projectId: string): Promise<string> {
    for (const category of ["Microsoft.BugCategory", "Microsoft.RequirementCategory"]) {
      try {
        const res = await client.get<{ defaultWorkItemType?: { name?: string } }>(
          `${encodeURIComponent(projectId)}/_apis/wit/workitemtypecategories/${category}`,
        );
        if (res.defaultWorkItemType?.name) return res.defaultWorkItemType.name;
      } catch (e) {
        // Basic has no bug category: its Issue (the requirement category's type) is what teams file.
        if (!isAdoError(e, "not_found")) unavailable(e);
      }
    }
    throw new ApiError(409, "no_bug_type", "This project's process has no bug type and no requirement type to file a defect as");
  }

  async function typeFields(client: AdoClient, projectId: string, type: string): Promise<TypeField[]> {
    try {
      const res = await client.get<{ value: TypeField[] }>(
        `${encodeURIComponent(projectId)}/_apis/wit/workitemtypes/${encodeURIComponent(type)}/fields`,
        { query: { $expand: "allowedValues" } },
      );
      return res.value ?? [];
    } catch (e) {
      unavailable(e);
    }
  }

  async function form(c: Context<AppEnv>, workItemId: number, key: string, resultId: number): Promise<DefectForm> {
    await test(c, workItemId, key);
    const [req, r] = await Promise.all([requirement(c, workItemId), result(c, workItemId, key, resultId)]);
    const client = userClient(c);
    const type = await bugType(client, req.project.id);
    const fields = await typeFields(client, req.project.id, type);
    const { title, repro } = prefillFromResult(r, req);
    return {
      project: req.project,
      workItemType: type,
      fields: defectFields(fields, {
        "System.Title": title,
        repro,
        "System.AreaPath": req.area,
        "System.IterationPath": req.iteration,
      }),
      linkType: DEFECT_LINK_TYPE,
      linksTestPlansResult: r.ado_run_id !== null && r.ado_result_id !== null,
    };
  }

  async function userName(c: Context<AppEnv>): Promise<string> {
    try {
      const d = await userClient(c).get<{ authenticatedUser?: { providerDisplayName?: string } }>("_apis/connectionData", {
        apiVersion: "7.1-preview",
      });
      return d.authenticatedUser?.providerDisplayName || c.get("user").id;
    } catch {
      return c.get("user").id;
    }
  }

  async function create(c: Context<AppEnv>, workItemId: number, key: string, input: { resultId: number; fields: Record<string, string> }) {
    await test(c, workItemId, key);
    const [req, r] = await Promise.all([requirement(c, workItemId), result(c, workItemId, key, input.resultId)]);
    await access.requirePublisher(c, req.project.id);
    const client = userClient(c);
    const type = await bugType(client, req.project.id);
    const typeFieldList = await typeFields(client, req.project.id, type);
    const known = new Map(typeFieldList.map((f) => [f.referenceName, f]));
    const problems: { field: string; message: string }[] = [];
    for (const k of Object.keys(input.fields))
      if (!known.has(k) || SYSTEM_SET.has(k)) problems.push({ field: k, message: `is not a field of ${type} you can set here` });
    for (const f of defectFields(typeFieldList, {}))
      if (f.required && !(input.fields[f.referenceName] ?? "").trim()) problems.push({ field: f.referenceName, message: "is required" });
    if (problems.length) throw new ApiError(400, "validation_failed", problems.map((p) => `${p.field}: ${p.message}`).join("; "), problems);

    const html = (ref: string) => ref === "Microsoft.VSTS.TCM.ReproSteps" || ref === "System.Description";
    const ops = (onBehalf: string | null) => {
      const values = { ...input.fields };
      const reproRef = known.has("Microsoft.VSTS.TCM.ReproSteps") ? "Microsoft.VSTS.TCM.ReproSteps" : "System.Description";
      if (onBehalf) values[reproRef] = `Filed through TestOps on behalf of ${onBehalf}.\n\n${values[reproRef] ?? ""}`;
      return [
        ...Object.entries(values)
          .filter(([, v]) => v.trim() !== "")
          .map(([k, v]) => ({ op: "add", path: `/fields/${k}`, value: html(k) ? textToHtml(v) : v })),
        {
          op: "add",
          path: "/relations/-",
          value: {
            rel: DEFECT_LINK_TYPE,
            url: `${client.base}/_apis/wit/workItems/${workItemId}`,
            attributes: { comment: `Test ${r.full_name} fails` },
          },
        },
        // The Azure Test Plans result, when the run was pushed: in the same request, so nothing is half-created.
        ...(r.ado_run_id !== null && r.ado_result_id !== null
          ? [
              {
                op: "add",
                path: "/relations/-",
                value: {
                  rel: "ArtifactLink",
                  url: `vstfs:///TestManagement/TcmResult/${r.ado_run_id}.${r.ado_result_id}`,
                  attributes: { name: "Test Result" },
                },
              },
            ]
          : []),
      ];
    };
    const post = (cl: AdoClient, onBehalf: string | null) =>
      cl.post<WorkItemData>(`${encodeURIComponent(req.project.id)}/_apis/wit/workitems/$${encodeURIComponent(type)}`, ops(onBehalf), {
        contentType: "application/json-patch+json",
      });
    let created: WorkItemData;
    let createdWith: "user" | "connection" = "user";
    try {
      try {
        created = await post(client, null);
      } catch (e) {
        if (!isAdoError(e, "missing_scope")) throw e;
        createdWith = "connection";
        created = await post(await adoClientFor(deps, orgId(c)), await userName(c));
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (isAdoError(e, "bad_request")) {
        const f = ruleErrorField(e.details.adoMessage ?? e.message, typeFieldList);
        if (f) throw new ApiError(400, "validation_failed", `${f.field}: ${f.message}`, [f]);
        throw new ApiError(400, "validation_failed", scrubSecrets(e.details.adoMessage ?? e.message), [
          { field: "fields", message: scrubSecrets(e.details.adoMessage ?? e.message) },
        ]);
      }
      if (isAdoError(e, "forbidden"))
        throw new ApiError(403, "forbidden", `Azure DevOps does not let you create a ${type} in ${req.project.name}`);
      unavailable(e);
    }
    const id = Number(created.id);
    const f = (created.fields ?? {}) as Record<string, string>;
    await deps.database.query(
      `INSERT INTO test_defects (org_id, work_item_id, test_key, defect_id, project_id, result_id, how, created_by, title, work_item_type, state, state_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'created', $7, $8, $9, $10, now()) ON CONFLICT DO NOTHING`,
      [orgId(c), workItemId, key, id, req.project.id, r.id, c.get("user").id, f["System.Title"] ?? null, type, f["System.State"] ?? null],
    );
    await refreshTotals(deps.database.db, orgId(c), [workItemId]);
    await recordAudit(deps.database.db, {
      orgId: orgId(c),
      actorId: c.get("user").id,
      action: "results.defect_created",
      targetType: "work_item",
      targetId: String(workItemId),
      details: { defectId: id, test: r.full_name, resultId: r.id, createdWith },
    });
    const [defect] = await withLiveState(c, [
      {
        test_key: key,
        defect_id: id,
        result_id: r.id,
        how: "created",
        title: null,
        work_item_type: type,
        state: null,
        state_category: null,
      },
    ]);
    return { defect, createdWith };
  }

  async function link(c: Context<AppEnv>, workItemId: number, key: string, input: { defectId: number; resultId?: number }) {
    const t = await test(c, workItemId, key);
    if (input.defectId === workItemId) throw fieldError("defectId", "is the work item itself");
    const req = await requirement(c, workItemId);
    await access.requirePublisher(c, req.project.id);
    if (input.resultId !== undefined) await result(c, workItemId, key, input.resultId);
    let found: WorkItemData[];
    try {
      found = await getWorkItemsBatch(userClient(c), [input.defectId], {
        fields: ["System.Title", "System.TeamProject", "System.WorkItemType", "System.State"],
      });
    } catch (e) {
      unavailable(e);
    }
    const d = found[0];
    if (!d) throw fieldError("defectId", `work item ${input.defectId} does not exist or you cannot read it`);
    const f = d.fields as Record<string, string>;
    if ((f["System.TeamProject"] ?? "").toLowerCase() !== req.project.name.toLowerCase())
      throw fieldError("defectId", `work item ${input.defectId} is not in ${req.project.name}`);
    const inserted = await deps.database.query(
      `INSERT INTO test_defects (org_id, work_item_id, test_key, defect_id, project_id, result_id, how, created_by, title, work_item_type, state, state_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'linked', $7, $8, $9, $10, now()) ON CONFLICT DO NOTHING RETURNING 1`,
      [
        orgId(c),
        workItemId,
        key,
        input.defectId,
        req.project.id,
        input.resultId ?? null,
        c.get("user").id,
        f["System.Title"],
        f["System.WorkItemType"],
        f["System.State"],
      ],
    );
    if (!inserted.length) throw new ApiError(409, "conflict", `Work item ${input.defectId} is already linked to this test`);
    await refreshTotals(deps.database.db, orgId(c), [workItemId]);
    await recordAudit(deps.database.db, {
      orgId: orgId(c),
      actorId: c.get("user").id,
      action: "results.defect_linked",
      targetType: "work_item",
      targetId: String(workItemId),
      details: { defectId: input.defectId, test: t.full_name },
    });
    const [defect] = await withLiveState(c, [
      {
        test_key: key,
        defect_id: input.defectId,
        result_id: input.resultId ?? null,
        how: "linked",
        title: null,
        work_item_type: null,
        state: null,
        state_category: null,
      },
    ]);
    return defect;
  }

  async function unlink(c: Context<AppEnv>, workItemId: number, key: string, defectId: number) {
    const t = await test(c, workItemId, key);
    await access.requirePublisher(c, (await requirement(c, workItemId)).project.id);
    const gone = await deps.database.query(
      `DELETE FROM test_defects WHERE org_id = $1 AND work_item_id = $2 AND test_key = $3 AND defect_id = $4 RETURNING 1`,
      [orgId(c), workItemId, key, defectId],
    );
    if (!gone.length) throw new ApiError(404, "not_found", `Work item ${defectId} is not linked to this test`);
    await refreshTotals(deps.database.db, orgId(c), [workItemId]);
    await recordAudit(deps.database.db, {
      orgId: orgId(c),
      actorId: c.get("user").id,
      action: "results.defect_unlinked",
      targetType: "work_item",
      targetId: String(workItemId),
      details: { defectId, test: t.full_name },
    });
  }

  /** Work items of the work item's project matching an id or title words, read with the user's token. */
  async function search(c: Context<AppEnv>, workItemId: number, text: string): Promise<DefectCandidate[]> {
    const req = await requirement(c, workItemId);
    const q = text.trim();
    const client = userClient(c);
    let ids: number[];
    if (/^#?\d{1,10}$/.test(q)) ids = [Number(q.replace("#", ""))];
    else {
      const words = q.split(/\s+/).filter(Boolean).slice(0, 8);
      if (!words.length) return [];
      // WIQL strings are single-quoted; a quote inside is doubled.
      const where = words.map((w) => `[System.Title] CONTAINS '${w.replace(/'/g, "''")}'`).join(" AND ");
      try {
        const res = await client.post<{ workItems?: { id: number }[] }>(
          `${encodeURIComponent(req.project.id)}/_apis/wit/wiql`,
          {
            query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND ${where} AND [System.Id] <> ${workItemId} ORDER BY [System.ChangedDate] DESC`,
          },
          { query: { $top: 20 }, idempotent: true },
        );
        ids = (res.workItems ?? []).map((w) => Number(w.id));
      } catch (e) {
        unavailable(e);
      }
    }
    if (!ids.length) return [];
    let found: WorkItemData[];
    try {
      found = await getWorkItemsBatch(client, ids, {
        fields: ["System.Title", "System.TeamProject", "System.WorkItemType", "System.State"],
      });
    } catch (e) {
      unavailable(e);
    }
    return found
      .map((w) => ({ id: Number(w.id), f: w.fields as Record<string, string> }))
      .filter((w) => w.id !== workItemId && (w.f["System.TeamProject"] ?? "").toLowerCase() === req.project.name.toLowerCase())
      .map((w) => ({
        id: w.id,
        title: w.f["System.Title"] ?? "",
        type: w.f["System.WorkItemType"] ?? "",
        state: w.f["System.State"] ?? "",
      }));
  }

  async function stateCategory(c: Context<AppEnv>, project: string, type: string, state: string): Promise<string | null> {
    const states = await categories
      .get(`${orgId(c)}:${project.toLowerCase()}:${type.toLowerCase()}`, async () => {
        const res = await userClient(c).get<{ value: { name: string; category: string }[] }>(
          `${encodeURIComponent(project)}/_apis/wit/workitemtypes/${encodeURIComponent(type)}/states`,
        );
        return res.value ?? [];
      })
      .catch(() => [] as { name: string; category: string }[]);
    return states.find((s) => s.name.toLowerCase() === state.toLowerCase())?.category ?? null;
  }

  /**
   * The stored defects with their live state read with the user's token; a changed state is written back
   * (Plans counts "failing with no defect" from the stored state). Unreadable defects keep their stored state.
   */
  async function withLiveState(c: Context<AppEnv>, stored: readonly StoredDefect[]): Promise<Defect[]> {
    if (!stored.length) return [];
    const ids = [...new Set(stored.map((d) => d.defect_id))].sort((a, b) => a - b);
    const org = orgId(c);
    // Per user (token): what one user may read says nothing about another.
    const read = await access.cachedFor(c, live, `d:${ids.join(",")}`, async () => {
      try {
        return await getWorkItemsBatch(userClient(c), ids, {
          fields: ["System.Title", "System.TeamProject", "System.WorkItemType", "System.State"],
        });
      } catch (e) {
        if (isAdoError(e, "throttled") || isAdoError(e, "unreachable") || isAdoError(e, "server")) return null;
        unavailable(e);
      }
    });
    const byId = new Map((read ?? []).map((w) => [Number(w.id), w.fields as Record<string, string>]));
    const base = c.get("org").url;
    const out: Defect[] = [];
    for (const d of stored) {
      const f = byId.get(d.defect_id);
      const state = f?.["System.State"] ?? d.state;
      const type = f?.["System.WorkItemType"] ?? d.work_item_type;
      const category = f && state && type ? await stateCategory(c, f["System.TeamProject"], type, state) : d.state_category;
      if (f && (state !== d.state || category !== d.state_category || f["System.Title"] !== d.title)) {
        const changed = await deps.database.query<{ work_item_id: number }>(
          `UPDATE test_defects SET state = $3, state_category = $4, title = $5, work_item_type = $6, state_at = now()
            WHERE org_id = $1 AND defect_id = $2 RETURNING work_item_id`,
          [org, d.defect_id, state, category, f["System.Title"] ?? null, type],
        );
        // Open or closed changes what counts as failing with no defect (Plans reads the totals).
        if (category !== d.state_category)
          await refreshTotals(
            deps.database.db,
            org,
            [...new Set(changed.map((x) => Number(x.work_item_id)))].sort((a, b) => a - b),
          );
      }
      out.push({
        id: d.defect_id,
        readable: !!f,
        title: f?.["System.Title"] ?? (read ? null : d.title),
        type: type ?? null,
        state: f || !read ? (state ?? null) : null,
        stateCategory: category ?? null,
        open: !(category && CLOSED_CATEGORIES.has(category)),
        how: d.how,
        resultId: d.result_id === null ? null : Number(d.result_id),
        url: `${base}/_workitems/edit/${d.defect_id}`,
      });
    }
    return out;
  }

  return { form, create, link, unlink, search, withLiveState };
}
export type DefectService = ReturnType<typeof defectService>;
