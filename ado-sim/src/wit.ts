// wit area: types, states, categories, fields, WIQL, work items (get/batch/create/update/delete),
// revisions, updates, reporting revisions (incremental sync), classification nodes, recycle bin.
import { canSeeProject } from "./auth";
import { projectNotFound } from "./core";
import { AdoError, badRequest, boolParam, intParam, json, list, notFound, orgUrl, type Ctx } from "./http";
import {
  FIELD_BY_NAME,
  FIELD_BY_REF,
  FIELDS,
  fieldsOfType,
  findType,
  getProcess,
  stateColor,
  type FieldDef,
  type WorkItemTypeDef,
} from "./processes";
import type { RouteDef } from "./router";
import { findNodeByPath, projectById, walkNodes, type ClassNode, type Project } from "./state";
import { compileWhere, parseWiql, sortIds } from "./wiql";
import {
  createWorkItem,
  deleteWorkItem,
  LINK_TYPES,
  notFoundWorkItem,
  parseExpand,
  renderFields,
  renderRelations,
  renderWorkItem,
  resolveFieldList,
  restoreWorkItem,
  RESOURCE_LINK_TYPES,
  typeOfItem,
  updateWorkItem,
  witError,
  workItemUrl,
  type PatchOp,
  type RenderCtx,
} from "./witmodel";
import type { Revision } from "./workitems";

const READ = ["vso.work"];
const WRITE = ["vso.work_write"];
const MAX_IDS = 200;
const WIQL_LIMIT = 20_000;
const MAX_REPORTING_PAGE = 200;

const rc = (ctx: Ctx): RenderCtx => ({ base: ctx.base, org: ctx.org, users: ctx.state.users });
const needProject = (ctx: Ctx): Project => {
  if (!ctx.project) throw badRequest("A project is required in the URL for this request.", "ArgumentNullException");
  return ctx.project;
};
const process = (p: Project) => getProcess(p.processName);

function typeOrThrow(ctx: Ctx, name: string): WorkItemTypeDef {
  const p = needProject(ctx);
  const t = findType(process(p), name);
  if (!t)
    throw witError(
      404,
      `VS402323: Work item type ${name} does not exist in project ${p.name} or you do not have permission to access it.`,
      "WorkItemTypeNotFoundException",
    );
  return t;
}

// ---------- metadata ----------

function fieldJson(ctx: Ctx, d: FieldDef) {
  return {
    name: d.name,
    referenceName: d.referenceName,
    description: d.description ?? "",
    type: d.allowedValues ? (d.type === "integer" ? "integer" : "string") : d.type,
    usage: "workItem",
    readOnly: !!d.readOnly,
    canSortBy: d.type !== "html" && d.type !== "history",
    isQueryable: true,
    supportedOperations: [
      { referenceName: "SupportedOperations.Equals", name: "=" },
      { referenceName: "SupportedOperations.NotEquals", name: "<>" },
    ],
    isIdentity: !!d.isIdentity,
    isPicklist: !!d.allowedValues && d.referenceName.startsWith("Custom."),
    isPicklistSuggested: false,
    isLocked: false,
    url: `${orgUrl(ctx)}/_apis/wit/fields/${d.referenceName}`,
  };
}

function typeFieldJson(ctx: Ctx, t: WorkItemTypeDef, d: FieldDef, withAllowed: boolean) {
  const out: Record<string, unknown> = {
    alwaysRequired: d.referenceName === "System.Title" || d.referenceName === "System.State" || !!t.required?.includes(d.referenceName),
    defaultValue: d.referenceName === "System.State" ? t.states[0].name : d.referenceName === "Microsoft.VSTS.Common.Priority" ? 2 : null,
    dependentFields: [],
    helpText: d.description ?? "",
    name: d.name,
    referenceName: d.referenceName,
    url: `${orgUrl(ctx)}/_apis/wit/fields/${d.referenceName}`,
  };
  if (withAllowed) {
    out.allowedValues = d.referenceName === "System.State" ? t.states.map((s) => s.name) : (d.allowedValues ?? []);
  }
  return out;
}

function typeJson(ctx: Ctx, p: Project, t: WorkItemTypeDef) {
  // WorkItemTypeFieldInstance.defaultValue is a string (absent when there is none).
  const fields = fieldsOfType(t).map((d) => {
    const f = typeFieldJson(ctx, t, d, false);
    if (f.defaultValue === null) delete f.defaultValue;
    else f.defaultValue = String(f.defaultValue);
    return f;
  });
  // Inherited processes allow every transition; "actions" is only present when a transition has some.
  const transitions: Record<string, { to: string }[]> = { "": [{ to: t.states[0].name }] };
  for (const s of t.states) transitions[s.name] = t.states.filter((x) => x !== s).map((x) => ({ to: x.name }));
  return {
    name: t.name,
    referenceName: t.referenceName,
    description: t.description,
    color: t.color,
    icon: { id: t.icon, url: `${ctx.base}/${ctx.org.name}/_apis/wit/workItemIcons/${t.icon}?color=${t.color}&v=2` },
    isDisabled: false,
    fieldInstances: fields,
    fields,
    transitions,
    states: t.states.map((s) => ({ name: s.name, color: stateColor(s.category), category: s.category })),
    _links: { self: { href: `${orgUrl(ctx)}/${p.id}/_apis/wit/workItemTypes/${encodeURIComponent(t.name)}` } },
    url: `${orgUrl(ctx)}/${p.id}/_apis/wit/workItemTypes/${encodeURIComponent(t.name)}`,
  };
}

function categoryJson(ctx: Ctx, p: Project, c: { referenceName: string; name: string; types: string[] }) {
  const typeRef = (n: string) => ({ name: n, url: `${orgUrl(ctx)}/${p.id}/_apis/wit/workItemTypes/${encodeURIComponent(n)}` });
  return {
    name: c.name,
    referenceName: c.referenceName,
    defaultWorkItemType: typeRef(c.types[0]),
    workItemTypes: c.types.map(typeRef),
    url: `${orgUrl(ctx)}/${p.id}/_apis/wit/workItemTypeCategories/${c.referenceName}`,
  };
}

const metadataRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypes",
    scopes: READ,
    handler: (ctx) => list(process(needProject(ctx)).types.map((t) => typeJson(ctx, ctx.project!, t))),
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypes/:type",
    scopes: READ,
    handler: (ctx) => json(typeJson(ctx, ctx.project!, typeOrThrow(ctx, ctx.params.type))),
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypes/:type/states",
    scopes: READ,
    handler: (ctx) =>
      list(typeOrThrow(ctx, ctx.params.type).states.map((s) => ({ name: s.name, color: stateColor(s.category), category: s.category }))),
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypes/:type/fields",
    scopes: READ,
    handler: (ctx) => {
      const t = typeOrThrow(ctx, ctx.params.type);
      const allowed = (ctx.q("$expand") ?? "").toLowerCase().includes("allowedvalues") || (ctx.q("$expand") ?? "").toLowerCase() === "all";
      return list(fieldsOfType(t).map((d) => typeFieldJson(ctx, t, d, allowed)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypes/:type/fields/:field",
    scopes: READ,
    handler: (ctx) => {
      const t = typeOrThrow(ctx, ctx.params.type);
      const d = fieldsOfType(t).find(
        (x) => x.referenceName.toLowerCase() === ctx.params.field.toLowerCase() || x.name.toLowerCase() === ctx.params.field.toLowerCase(),
      );
      if (!d) throw witError(404, `TF51535: Cannot find field ${ctx.params.field}.`, "WorkItemFieldNotFoundException");
      return json(typeFieldJson(ctx, t, d, true));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypecategories",
    scopes: READ,
    handler: (ctx) => list(process(needProject(ctx)).categories.map((c) => categoryJson(ctx, ctx.project!, c))),
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/workitemtypecategories/:category",
    scopes: READ,
    handler: (ctx) => {
      const c = process(needProject(ctx)).categories.find((x) => x.referenceName.toLowerCase() === ctx.params.category.toLowerCase());
      if (!c)
        throw witError(
          404,
          `VS402324: Work item type category ${ctx.params.category} does not exist.`,
          "WorkItemTypeCategoryNotFoundException",
        );
      return json(categoryJson(ctx, ctx.project!, c));
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/fields",
    scopes: READ,
    handler: (ctx) =>
      list(FIELDS.filter((d) => ctx.project || !d.referenceName.startsWith("Custom.") || true).map((d) => fieldJson(ctx, d))),
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/fields/:field",
    scopes: READ,
    handler: (ctx) => {
      const d = FIELD_BY_REF.get(ctx.params.field.toLowerCase()) ?? FIELD_BY_NAME.get(ctx.params.field.toLowerCase());
      if (!d) throw witError(404, `TF51535: Cannot find field ${ctx.params.field}.`, "WorkItemFieldNotFoundException");
      return json(fieldJson(ctx, d));
    },
  },
  {
    method: "GET",
    levels: ["org"],
    path: "wit/workitemrelationtypes",
    scopes: READ,
    handler: (ctx) =>
      list([
        ...Object.entries(LINK_TYPES).map(([ref, l]) => ({
          referenceName: ref,
          name: l.name,
          attributes: {
            usage: "workItemLink",
            editable: false,
            enabled: true,
            acyclic: l.topology !== "network",
            directional: l.topology !== "network",
            singleTarget: ref.endsWith("Hierarchy-Reverse"),
            topology: l.topology,
          },
          url: `${orgUrl(ctx)}/_apis/wit/workItemRelationTypes/${ref}`,
        })),
        ...Object.entries(RESOURCE_LINK_TYPES).map(([ref, name]) => ({
          referenceName: ref,
          name,
          attributes: { usage: "resourceLink", editable: false, enabled: true },
          url: `${orgUrl(ctx)}/_apis/wit/workItemRelationTypes/${ref}`,
        })),
      ]),
  },
];

// ---------- reading work items ----------

function parseIds(raw: string | undefined): number[] {
  if (!raw) throw badRequest("The ids parameter is required.", "ArgumentNullException");
  const ids = raw
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s) => Number(s.trim()));
  if (ids.some((n) => !Number.isInteger(n) || n <= 0)) throw badRequest(`Invalid work item ids: ${raw}`, "ArgumentException");
  return ids;
}

function tooManyIds(n: number) {
  return witError(
    400,
    `VS403474: You requested ${n} work items which exceeds the limit of ${MAX_IDS}`,
    "WorkItemTrackingQueryResultSizeLimitExceededException" as string,
  );
}

/** The revision current at asOf (or latest). */
function revisionAt(ctx: Ctx, id: number, asOf?: string): Revision | undefined {
  const store = ctx.org.workItems;
  if (!asOf) return store.latest(id);
  const t = Date.parse(asOf);
  if (Number.isNaN(t)) throw badRequest(`Invalid asOf ${asOf}`);
  let found: Revision | undefined;
  for (const r of store.revisions(id)) if (Date.parse(String(r.fields["System.ChangedDate"])) <= t) found = r;
  return found;
}

/** A work item of a project the caller is not a member of does not exist for them (e.g. a job token scoped to its project). */
function visible(ctx: Ctx, id: number): boolean {
  return ctx.org.workItems.exists(id) && canSeeProject(ctx.identity, ctx.org.workItems.projectId(id));
}

function readMany(ctx: Ctx, ids: number[], opts: { fields?: string[]; expand?: string; asOf?: string; errorPolicy?: string }) {
  if (ids.length > MAX_IDS) throw tooManyIds(ids.length);
  const fields = resolveFieldList(opts.fields);
  const expand = parseExpand(opts.expand);
  if (fields && expand !== "none")
    throw badRequest("The expand parameter can not be used with the fields parameter.", "ConflictingParametersException");
  const omit = (opts.errorPolicy ?? "fail").toLowerCase() === "omit";
  const out: unknown[] = [];
  for (const id of ids) {
    const rev = visible(ctx, id) ? revisionAt(ctx, id, opts.asOf) : undefined;
    if (!rev) {
      if (omit) {
        out.push(null);
        continue;
      }
      throw notFoundWorkItem(id);
    }
    out.push(renderWorkItem(rc(ctx), id, rev, { fields, expand, links: expand === "links" || expand === "all" }));
  }
  return out;
}

const splitList = (v: string | undefined) =>
  v
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

async function patchBody(ctx: Ctx): Promise<PatchOp[]> {
  const ct = (ctx.req.headers.get("content-type") ?? "").toLowerCase();
  if (!ct.includes("application/json-patch+json"))
    throw new AdoError(
      415,
      `The request indicated a Content-Type of "${ct || "(none)"}" for method type "${ctx.method}" which is not supported. Valid content types for this method are: application/json-patch+json.`,
      "VssRequestContentTypeNotSupportedException",
    );
  const body = await ctx.body<PatchOp[]>();
  if (!Array.isArray(body))
    throw badRequest("You must pass a valid patch document in the body of the request.", "VssPropertyValidationException");
  return body;
}

function applyOpts(ctx: Ctx) {
  return {
    byUserId: ctx.identity.user.id,
    bypassRules: boolParam(ctx, "bypassRules"),
    validateOnly: boolParam(ctx, "validateOnly"),
    suppressNotifications: boolParam(ctx, "suppressNotifications"),
  };
}

function workItemIdParam(raw: string): number {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0) throw badRequest(`The id '${raw}' is not a valid work item id.`);
  return id;
}

async function createOrUpdate(ctx: Ctx): Promise<Response> {
  const target = ctx.params.id;
  const ops = await patchBody(ctx);
  const opts = applyOpts(ctx);
  const expand = parseExpand(ctx.q("$expand"));
  if (target.startsWith("$")) {
    const project = needProject(ctx);
    const r = createWorkItem(ctx.sim, ctx.org, project, target.slice(1), ops, opts);
    return json(
      renderWorkItem(rc(ctx), r.id, r.revision, { expand: expand === "none" ? "relations" : expand, links: true, projectId: project.id }),
    );
  }
  if (ctx.method !== "PATCH")
    throw new AdoError(405, "The requested resource does not support http method 'POST'.", "HttpMethodNotAllowedException");
  const r = updateWorkItem(ctx.sim, ctx.org, workItemIdParam(target), ops, opts);
  return json(
    renderWorkItem(rc(ctx), r.id, r.revision, { expand: expand === "none" ? "relations" : expand, links: true, projectId: r.project.id }),
  );
}

function getOne(ctx: Ctx): Response {
  const raw = ctx.params.id;
  if (raw.startsWith("$")) {
    // Work item template: default values of a new item of that type.
    const project = needProject(ctx);
    const t = typeOrThrow(ctx, raw.slice(1));
    return json({
      fields: {
        "System.WorkItemType": t.name,
        "System.State": t.states[0].name,
        "System.Reason": t.states[0].reason,
        "System.AreaPath": project.name,
        "System.IterationPath": project.name,
        "System.TeamProject": project.name,
      },
      _links: {},
      url: `${orgUrl(ctx)}/${project.id}/_apis/wit/workItems/$${encodeURIComponent(t.name)}`,
    });
  }
  const id = workItemIdParam(raw);
  const fields = resolveFieldList(splitList(ctx.q("fields")));
  const expand = parseExpand(ctx.q("$expand"));
  if (fields && expand !== "none")
    throw badRequest("The expand parameter can not be used with the fields parameter.", "ConflictingParametersException");
  if (!visible(ctx, id)) throw notFoundWorkItem(id);
  const rev = revisionAt(ctx, id, ctx.q("asOf"));
  if (!rev) throw notFoundWorkItem(id);
  return json(renderWorkItem(rc(ctx), id, rev, { fields, expand, links: true, projectId: ctx.org.workItems.projectId(id) }));
}

function deleteJson(ctx: Ctx, id: number, rev: Revision, info?: { deletedDate: string; deletedBy: string }) {
  const project = projectById(ctx.org, ctx.org.workItems.projectId(id));
  const by = info ? ctx.state.users.get(info.deletedBy) : undefined;
  return {
    code: 200,
    deletedBy: by ? `${by.displayName} <${by.uniqueName}>` : "",
    deletedDate: info?.deletedDate ?? ctx.sim.clock().toISOString(),
    id,
    name: String(rev.fields["System.Title"] ?? ""),
    project: project?.name ?? "",
    type: String(rev.fields["System.WorkItemType"] ?? ""),
    url: `${orgUrl(ctx)}/_apis/wit/recyclebin/${id}`,
    resource: renderWorkItem(rc(ctx), id, rev, { expand: "none" }),
  };
}

function updatesOf(ctx: Ctx, id: number) {
  const revs = ctx.org.workItems.revisions(id);
  return revs.map((r, i) => {
    const prev = i > 0 ? revs[i - 1] : undefined;
    const fields: Record<string, { oldValue?: unknown; newValue?: unknown }> = {};
    const keys = new Set([...Object.keys(r.fields), ...Object.keys(prev?.fields ?? {})]);
    const render = (f: Record<string, unknown>) => renderFields(rc(ctx), f as never, "ref");
    const now = render(r.fields);
    const before = prev ? render(prev.fields) : {};
    for (const k of keys) {
      if (JSON.stringify(now[k]) === JSON.stringify(before[k])) continue;
      const e: { oldValue?: unknown; newValue?: unknown } = {};
      if (before[k] !== undefined) e.oldValue = before[k];
      if (now[k] !== undefined) e.newValue = now[k];
      fields[k] = e;
    }
    const key = (x: { rel: string; targetId?: number; url?: string }) => `${x.rel}|${x.targetId ?? x.url}`;
    const prevKeys = new Set((prev?.relations ?? []).map(key));
    const curKeys = new Set(r.relations.map(key));
    const added = r.relations.filter((x) => !prevKeys.has(key(x)));
    const removed = (prev?.relations ?? []).filter((x) => !curKeys.has(key(x)));
    const by = ctx.state.users.get(String(r.fields["System.ChangedBy"]));
    const out: Record<string, unknown> = {
      id: i + 1,
      workItemId: id,
      rev: r.rev,
      revisedBy: by
        ? {
            id: by.id,
            name: `${by.displayName} <${by.uniqueName}>`,
            displayName: by.displayName,
            uniqueName: by.uniqueName,
            descriptor: by.descriptor,
          }
        : undefined,
      revisedDate: revs[i + 1] ? String(revs[i + 1].fields["System.ChangedDate"]) : "9999-01-01T00:00:00Z",
      fields,
      url: `${workItemUrl(ctx, id)}/updates/${i + 1}`,
    };
    if (added.length || removed.length) {
      out.relations = {};
      if (added.length) (out.relations as Record<string, unknown>).added = renderRelations(rc(ctx), added);
      if (removed.length) (out.relations as Record<string, unknown>).removed = renderRelations(rc(ctx), removed);
    }
    return out;
  });
}

const workItemRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/workitems",
    scopes: READ,
    handler: (ctx) => {
      const ids = parseIds(ctx.q("ids"));
      return list(
        readMany(ctx, ids, {
          fields: splitList(ctx.q("fields")),
          expand: ctx.q("$expand"),
          asOf: ctx.q("asOf"),
          errorPolicy: ctx.q("errorPolicy"),
        }),
      );
    },
  },
  {
    method: "POST",
    levels: ["org", "project"],
    path: "wit/workitemsbatch",
    scopes: READ,
    handler: async (ctx) => {
      const body = await ctx.body<{
        ids?: number[];
        fields?: string[];
        asOf?: string;
        $expand?: string;
        expand?: string;
        errorPolicy?: string;
      }>();
      if (!body || !Array.isArray(body.ids)) throw badRequest("ids is required", "ArgumentNullException");
      return list(
        readMany(ctx, body.ids.map(Number), {
          fields: body.fields,
          expand: body.$expand ?? body.expand,
          asOf: body.asOf,
          errorPolicy: body.errorPolicy,
        }),
      );
    },
  },
  { method: "GET", levels: ["org", "project"], path: "wit/workitems/:id", scopes: READ, handler: getOne },
  { method: "POST", levels: ["project"], path: "wit/workitems/:id", scopes: WRITE, handler: createOrUpdate },
  { method: "PATCH", levels: ["org", "project"], path: "wit/workitems/:id", scopes: WRITE, handler: createOrUpdate },
  {
    method: "DELETE",
    levels: ["org", "project"],
    path: "wit/workitems/:id",
    scopes: WRITE,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      const destroy = boolParam(ctx, "destroy");
      const r = deleteWorkItem(ctx.sim, ctx.org, id, ctx.identity.user.id, destroy);
      if (destroy) return new Response(null, { status: 204 });
      return json(deleteJson(ctx, id, r.revision, ctx.org.workItems.deleted.get(id)));
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/workitems/:id/revisions",
    scopes: READ,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      if (!ctx.org.workItems.exists(id)) throw notFoundWorkItem(id);
      const top = intParam(ctx, "$top", 200)!;
      const skip = intParam(ctx, "$skip", 0)!;
      const expand = parseExpand(ctx.q("$expand"));
      const revs = ctx.org.workItems.revisions(id).slice(skip, skip + top);
      return list(revs.map((r) => renderWorkItem(rc(ctx), id, r, { expand, links: expand === "links" || expand === "all" })));
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/workitems/:id/revisions/:rev",
    scopes: READ,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      if (!ctx.org.workItems.exists(id)) throw notFoundWorkItem(id);
      const r = ctx.org.workItems.revision(id, Number(ctx.params.rev));
      if (!r)
        throw witError(404, `TF401234: Revision ${ctx.params.rev} of work item ${id} does not exist.`, "WorkItemRevisionNotFoundException");
      return json(renderWorkItem(rc(ctx), id, r, { expand: parseExpand(ctx.q("$expand")), links: true }));
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/workitems/:id/updates",
    scopes: READ,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      if (!ctx.org.workItems.exists(id)) throw notFoundWorkItem(id);
      const top = intParam(ctx, "$top", 200)!;
      const skip = intParam(ctx, "$skip", 0)!;
      return list(updatesOf(ctx, id).slice(skip, skip + top));
    },
  },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/workitems/:id/updates/:n",
    scopes: READ,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      if (!ctx.org.workItems.exists(id)) throw notFoundWorkItem(id);
      const u = updatesOf(ctx, id)[Number(ctx.params.n) - 1];
      if (!u) throw notFound(`Update ${ctx.params.n} of work item ${id} does not exist.`);
      return json(u);
    },
  },
];

// ---------- WIQL ----------

async function wiql(ctx: Ctx): Promise<Response> {
  const body = await ctx.body<{ query?: string }>();
  if (!body?.query) throw badRequest("The query is required.", "ArgumentNullException");
  const parsed = parseWiql(body.query);
  const ec = {
    org: ctx.org,
    project: ctx.project,
    me: ctx.identity.user,
    users: ctx.state.users,
    now: ctx.sim.clock(),
    timePrecision: boolParam(ctx, "timePrecision"),
  };
  const pred = compileWhere(parsed.where, ec);
  const top = intParam(ctx, "$top");
  let ids: number[] = [];
  for (const id of ctx.org.workItems.ids()) if (pred(id)) ids.push(id);
  ids = sortIds(ids, ctx.org, parsed.orderBy);
  if (top !== undefined) ids = ids.slice(0, top);
  if (ids.length > WIQL_LIMIT)
    throw witError(
      400,
      `VS402337: The number of work items returned exceeds the size limit of ${WIQL_LIMIT}. Change the query to return fewer items.`,
      "WorkItemTrackingQueryResultSizeLimitExceededException",
      { eventId: 3200 },
    );
  const col = (d: FieldDef) => ({
    referenceName: d.referenceName,
    name: d.name,
    url: `${orgUrl(ctx)}/_apis/wit/fields/${d.referenceName}`,
  });
  return json({
    queryType: "flat",
    queryResultType: "workItem",
    asOf: ctx.sim.clock().toISOString(),
    columns: parsed.columns.map(col),
    sortColumns: parsed.orderBy.map((o) => ({ field: col(o.field), descending: o.desc })),
    workItems: ids.map((id) => ({ id, url: workItemUrl(ctx, id) })),
  });
}

// ---------- reporting revisions ----------

interface ReportingFilter {
  fields?: string[];
  types?: string[];
  includeDeleted?: boolean;
  includeIdentityRef?: boolean;
  includeLatestOnly?: boolean;
}

function parseToken(raw: string | undefined): number {
  if (!raw) return 0;
  const n = Number(raw.split(";")[0]);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`The continuation token '${raw}' is not valid.`, "ArgumentException");
  return n;
}

/**
 * `$maxPageSize` is a parameter of the GET only (../shared/ado-rest-specs/wit/7.1/workItemTracking.json);
 * the POST does not list it, so the simulator ignores it there (pages of MAX_REPORTING_PAGE).
 */
function reporting(ctx: Ctx, filter: ReportingFilter, honourPageSize = true): Response {
  const store = ctx.org.workItems;
  const startDate = ctx.q("startDateTime");
  const tokenRaw = ctx.q("continuationToken") ?? ctx.q("watermark");
  if (startDate && tokenRaw) throw badRequest("startDateTime cannot be used together with a continuation token.", "ArgumentException");
  let after = parseToken(tokenRaw);
  const pageSize = honourPageSize
    ? Math.min(MAX_REPORTING_PAGE, Math.max(1, intParam(ctx, "$maxPageSize", MAX_REPORTING_PAGE)!))
    : MAX_REPORTING_PAGE;
  const fields = resolveFieldList(filter.fields);
  const types = filter.types?.map((t) => t.toLowerCase());
  const expandFields = (ctx.q("$expand") ?? "").toLowerCase() === "fields";
  const projectId = ctx.project?.id;
  if (startDate) {
    const t = Date.parse(startDate);
    if (Number.isNaN(t)) throw badRequest(`Invalid startDateTime ${startDate}`);
    for (const [id, rev, wm] of store.since(0)) {
      if (!store.known(id)) continue;
      const r = store.revision(id, rev);
      if (r && Date.parse(String(r.fields["System.ChangedDate"])) >= t) {
        after = wm - 1;
        break;
      }
      after = wm;
    }
  }
  const values: unknown[] = [];
  let last = after;
  let exhausted = true;
  for (const [id, rev, wm, kind] of store.since(after)) {
    if (values.length >= pageSize) {
      exhausted = false;
      break;
    }
    last = wm;
    if (!store.known(id)) continue;
    // Scoped to a project: the project each revision was made in (an item moved away leaves no trace here).
    if (projectId && store.projectIdAt(id, rev) !== projectId) continue;
    const deleted = store.isDeleted(id);
    if (kind === "delete" && !filter.includeDeleted) continue;
    if (kind === "rev" && deleted && !filter.includeDeleted) continue;
    if (filter.includeLatestOnly && rev < store.revCount(id)) continue;
    const r = store.revision(id, rev)!;
    if (types && !types.includes(String(r.fields["System.WorkItemType"]).toLowerCase())) continue;
    const next = store.revision(id, rev + 1);
    const all: Record<string, unknown> = {
      ...r.fields,
      "System.RevisedDate": next ? String(next.fields["System.ChangedDate"]) : "9999-01-01T00:00:00Z",
      "System.Watermark": wm,
    };
    if (filter.includeDeleted) all["System.IsDeleted"] = kind === "delete" || (deleted && kind !== "restore");
    if (!fields && !expandFields) for (const d of FIELDS) if (d.longText) delete all[d.referenceName];
    values.push({
      id,
      rev,
      fields: renderFields(rc(ctx), all as never, filter.includeIdentityRef ? "ref" : "string", fields),
    });
  }
  const token = `${last};${values.length}`;
  const params = new URLSearchParams();
  params.set("continuationToken", token);
  for (const k of ["fields", "types", "includeDeleted", "includeIdentityRef", "includeLatestOnly", "$expand", "$maxPageSize"]) {
    const v = ctx.q(k);
    if (v) params.set(k, v);
  }
  params.set("api-version", ctx.apiVersion);
  const prefix = ctx.project ? `${orgUrl(ctx)}/${ctx.project.id}` : orgUrl(ctx);
  return json({
    values,
    nextLink: `${prefix}/_apis/wit/reporting/workItemRevisions?${params.toString()}`,
    continuationToken: token,
    isLastBatch: exhausted,
  });
}

// ---------- classification nodes ----------

function nodeJson(ctx: Ctx, project: Project, node: ClassNode, parents: string[], depth: number): Record<string, unknown> {
  const group = node.structureType === "iteration" ? "Iteration" : "Area";
  const below = [...parents.slice(1), ...(parents.length ? [node.name] : [])];
  const out: Record<string, unknown> = {
    id: node.id,
    identifier: node.identifier,
    name: node.name,
    structureType: node.structureType,
    hasChildren: node.children.length > 0,
    path: `\\${[project.name, group, ...below].join("\\")}`,
  };
  if (node.startDate || node.finishDate) out.attributes = { startDate: node.startDate, finishDate: node.finishDate };
  if (depth > 0 && node.children.length)
    out.children = node.children.map((c) => nodeJson(ctx, project, c, [...parents, node.name], depth - 1));
  out._links = { self: { href: nodeUrl(ctx, project, group, below) } };
  out.url = nodeUrl(ctx, project, group, below);
  return out;
}

const nodeUrl = (ctx: Ctx, p: Project, group: string, below: string[]) =>
  `${orgUrl(ctx)}/${p.id}/_apis/wit/classificationNodes/${group}s${below.map((s) => `/${encodeURIComponent(s)}`).join("")}`;

function findNodeWithParents(root: ClassNode, pred: (n: ClassNode) => boolean): [ClassNode, string[]] | undefined {
  for (const [n, parents] of walkNodes(root)) if (pred(n)) return [n, parents];
  return undefined;
}

function classificationRoots(ctx: Ctx): Response {
  const p = needProject(ctx);
  const depth = intParam(ctx, "$depth", 0)!;
  const idsRaw = ctx.q("ids");
  if (idsRaw) {
    const omit = (ctx.q("errorPolicy") ?? "").toLowerCase() === "omit";
    const out: unknown[] = [];
    for (const id of parseIds(idsRaw)) {
      const hit = findNodeWithParents(p.iterations, (n) => n.id === id) ?? findNodeWithParents(p.areas, (n) => n.id === id);
      if (!hit) {
        if (omit) continue;
        throw witError(404, `VS402485: The node with id ${id} doesn't exist.`, "WorkItemClassificationNodeDoesNotExistException" as string);
      }
      out.push(nodeJson(ctx, p, hit[0], hit[1], depth));
    }
    return list(out);
  }
  return list([nodeJson(ctx, p, p.areas, [], depth), nodeJson(ctx, p, p.iterations, [], depth)]);
}

function classificationNode(ctx: Ctx): Response {
  const p = needProject(ctx);
  const g = ctx.params.group.toLowerCase();
  const root = g === "iterations" || g === "iteration" ? p.iterations : g === "areas" || g === "area" ? p.areas : undefined;
  if (!root) throw badRequest(`Invalid structure group ${ctx.params.group}.`, "ArgumentException");
  const rel = (ctx.params.path ?? "").split("/").filter(Boolean).map(decodeURIComponent);
  const node = rel.length ? findNodeByPath(root, [root.name, ...rel].join("\\")) : root;
  if (!node)
    throw witError(
      404,
      `VS402485: The node name ${rel.join("\\")} doesn't exist.`,
      "WorkItemClassificationNodeDoesNotExistException" as string,
    );
  const hit = findNodeWithParents(root, (n) => n === node)!;
  return json(nodeJson(ctx, p, node, hit[1], intParam(ctx, "$depth", 0)!));
}

// ---------- recycle bin ----------

const recycleRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["project"],
    path: "wit/recyclebin",
    scopes: READ,
    handler: (ctx) => {
      const p = needProject(ctx);
      const store = ctx.org.workItems;
      const ids = [...store.deleted.keys()].filter((id) => store.isDeleted(id) && store.projectId(id) === p.id).sort((a, b) => a - b);
      return list(ids.map((id) => ({ id, url: `${orgUrl(ctx)}/_apis/wit/recyclebin/${id}` })));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "wit/recyclebin/:id",
    scopes: READ,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      if (!ctx.org.workItems.isDeleted(id)) throw notFoundWorkItem(id);
      return json(deleteJson(ctx, id, ctx.org.workItems.latest(id), ctx.org.workItems.deleted.get(id)));
    },
  },
  {
    method: "PATCH",
    levels: ["project"],
    path: "wit/recyclebin/:id",
    scopes: WRITE,
    handler: async (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      const body = await ctx.body<{ isDeleted?: boolean; IsDeleted?: boolean }>();
      if ((body?.isDeleted ?? body?.IsDeleted) !== false) throw badRequest('Only {"isDeleted": false} (restore) is supported.');
      const info = ctx.org.workItems.deleted.get(id);
      const r = restoreWorkItem(ctx.sim, ctx.org, id, ctx.identity.user.id);
      return json({ ...deleteJson(ctx, id, r.revision, info), url: workItemUrl(ctx, id) });
    },
  },
  {
    method: "DELETE",
    levels: ["project"],
    path: "wit/recyclebin/:id",
    scopes: WRITE,
    handler: (ctx) => {
      const id = workItemIdParam(ctx.params.id);
      if (!ctx.org.workItems.isDeleted(id)) throw notFoundWorkItem(id);
      ctx.org.workItems.destroy(id);
      return new Response(null, { status: 204 });
    },
  },
];

export const witRoutes: RouteDef[] = [
  ...metadataRoutes,
  ...workItemRoutes,
  ...recycleRoutes,
  { method: "POST", levels: ["org", "project", "team"], path: "wit/wiql", scopes: READ, handler: wiql },
  {
    method: "GET",
    levels: ["org", "project"],
    path: "wit/reporting/workitemrevisions",
    scopes: READ,
    handler: (ctx) =>
      reporting(ctx, {
        fields: splitList(ctx.q("fields")),
        types: splitList(ctx.q("types")),
        includeDeleted: boolParam(ctx, "includeDeleted"),
        includeIdentityRef: boolParam(ctx, "includeIdentityRef"),
        includeLatestOnly: boolParam(ctx, "includeLatestOnly"),
      }),
  },
  {
    method: "POST",
    levels: ["org", "project"],
    path: "wit/reporting/workitemrevisions",
    scopes: READ,
    handler: async (ctx) => reporting(ctx, (await ctx.body<ReportingFilter>()) ?? {}, false),
  },
  { method: "GET", levels: ["project"], path: "wit/classificationnodes", scopes: READ, handler: classificationRoots },
  { method: "GET", levels: ["project"], path: "wit/classificationnodes/:group/*path", scopes: READ, handler: classificationNode },
];

export { projectNotFound, typeOfItem };
