// Work item domain logic: JSON Patch application with ADO's rules, create/update/delete/restore,
// and the three renderings (REST WorkItem, hook payload fields, reporting revision fields).
import type { SimCore } from "./core-types";
import { AdoError, badRequest, identityRef, identityString } from "./http";
import {
  categoryOfState,
  FIELD_BY_NAME,
  FIELD_BY_REF,
  fieldsOfType,
  findType,
  getProcess,
  type FieldDef,
  type WorkItemTypeDef,
} from "./processes";
import { findNodeByPath, projectById, type Org, type Project, type User } from "./state";
import type { FieldValue, Relation, Revision } from "./workitems";

export const WIT_TYPENAME = (k: string) =>
  `Microsoft.TeamFoundation.WorkItemTracking.Server.${k}, Microsoft.TeamFoundation.WorkItemTracking.Server`;

export function witError(status: number, message: string, typeKey: string, extra: Record<string, unknown> = {}) {
  return new AdoError(status, message, typeKey, WIT_TYPENAME(typeKey), extra);
}

export const notFoundWorkItem = (id: number | string) =>
  witError(
    404,
    `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`,
    "WorkItemUnauthorizedAccessException",
    { errorCode: 600171, eventId: 3200 },
  );

export function ruleError(field: FieldDef | { name: string; referenceName: string }, flag: string) {
  return witError(
    400,
    `TF401320: Rule Error for field ${field.name}. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.`,
    "RuleValidationException",
    {
      customProperties: {
        FieldReferenceName: field.referenceName,
        FieldStatusFlags: flag,
        ErrorMessage: `TF401320: Rule Error for field ${field.name}.`,
        RuleValidationErrors: [
          {
            fieldReferenceName: field.referenceName,
            fieldStatusFlags: flag,
            errorMessage: `TF401320: Rule Error for field ${field.name}.`,
          },
        ],
      },
    },
  );
}

export const fieldNotFound = (name: string) =>
  witError(400, `TF51535: Cannot find field ${name}.`, "WorkItemFieldNotFoundException" as string);

/** Link types known to the simulator (reference name → display name, reverse). */
export const LINK_TYPES: Record<string, { name: string; reverse?: string; topology?: string }> = {
  "System.LinkTypes.Hierarchy-Forward": { name: "Child", reverse: "System.LinkTypes.Hierarchy-Reverse", topology: "tree" },
  "System.LinkTypes.Hierarchy-Reverse": { name: "Parent", reverse: "System.LinkTypes.Hierarchy-Forward", topology: "tree" },
  "System.LinkTypes.Related": { name: "Related", reverse: "System.LinkTypes.Related", topology: "network" },
  "System.LinkTypes.Dependency-Forward": { name: "Successor", reverse: "System.LinkTypes.Dependency-Reverse", topology: "dependency" },
  "System.LinkTypes.Dependency-Reverse": { name: "Predecessor", reverse: "System.LinkTypes.Dependency-Forward", topology: "dependency" },
  "Microsoft.VSTS.Common.TestedBy-Forward": {
    name: "Tested By",
    reverse: "Microsoft.VSTS.Common.TestedBy-Reverse",
    topology: "dependency",
  },
  "Microsoft.VSTS.Common.TestedBy-Reverse": { name: "Tests", reverse: "Microsoft.VSTS.Common.TestedBy-Forward", topology: "dependency" },
};
export const RESOURCE_LINK_TYPES: Record<string, string> = {
  ArtifactLink: "Artifact Link",
  Hyperlink: "Hyperlink",
  AttachedFile: "Attached File",
};

function canonicalRel(rel: string): string | undefined {
  const k = rel.toLowerCase();
  return [...Object.keys(LINK_TYPES), ...Object.keys(RESOURCE_LINK_TYPES)].find((r) => r.toLowerCase() === k);
}

export function typeOfItem(core: SimCore, org: Org, id: number): { project: Project; type: WorkItemTypeDef } {
  const project = projectById(org, org.workItems.projectId(id))!;
  const typeName = String(org.workItems.field(id, "System.WorkItemType"));
  return { project, type: findType(getProcess(project.processName), typeName)! };
}

// ---------- users ----------

export function resolveUser(core: SimCore, org: Org, value: unknown, field: FieldDef): string | null {
  if (value === null || value === undefined || value === "") return null;
  let key = "";
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    key = String(v.id ?? v.uniqueName ?? v.displayName ?? "");
  } else key = String(value);
  const m = /<([^>]+)>\s*$/.exec(key);
  const k = (m ? m[1] : key).trim().toLowerCase();
  for (const u of core.state.users.values()) {
    if (!org.members.has(u.id)) continue;
    if (u.id === k || u.uniqueName.toLowerCase() === k || u.displayName.toLowerCase() === k) return u.id;
  }
  throw ruleError(field, "InvalidIdentity");
}

// ---------- JSON Patch ----------

export interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export interface ApplyOptions {
  byUserId: string;
  bypassRules?: boolean;
  validateOnly?: boolean;
  suppressNotifications?: boolean;
}

interface Draft {
  fields: Record<string, FieldValue>;
  relations: Relation[];
  rev: number;
}

function findField(type: WorkItemTypeDef, nameOrRef: string): FieldDef {
  const d = FIELD_BY_REF.get(nameOrRef.toLowerCase()) ?? FIELD_BY_NAME.get(nameOrRef.toLowerCase());
  if (!d) throw fieldNotFound(nameOrRef);
  if (!fieldsOfType(type).includes(d)) throw fieldNotFound(nameOrRef);
  return d;
}

function convertValue(core: SimCore, org: Org, project: Project, d: FieldDef, value: unknown): FieldValue {
  if (value === null || value === undefined) return null;
  switch (d.type) {
    case "integer": {
      const n = Number(value);
      if (!Number.isInteger(n)) throw ruleError(d, "InvalidType");
      return n;
    }
    case "double": {
      const n = Number(value);
      if (Number.isNaN(n)) throw ruleError(d, "InvalidType");
      return n;
    }
    case "boolean":
      return value === true || String(value).toLowerCase() === "true";
    case "dateTime": {
      const t = Date.parse(String(value));
      if (Number.isNaN(t)) throw ruleError(d, "InvalidType");
      return new Date(t).toISOString();
    }
    case "identity":
      return resolveUser(core, org, value, d);
    case "treePath": {
      const root = d.referenceName === "System.IterationPath" ? project.iterations : project.areas;
      const node = findNodeByPath(root, String(value));
      if (!node)
        throw witError(
          400,
          `TF401347: Invalid tree name given for work item -1, field '${d.referenceName}'.`,
          "WorkItemInvalidTreeNameException",
        );
      // Normalise to the stored casing.
      const path = String(value).replace(/^\\+/, "").split("\\");
      path[0] = project.name;
      return canonicalPath(root, path);
    }
    default:
      return typeof value === "string" ? value : JSON.stringify(value);
  }
}

function canonicalPath(root: { name: string; children: { name: string; children: unknown[] }[] }, parts: string[]): string {
  const out = [root.name];
  let node = root as { name: string; children: { name: string; children: unknown[] }[] };
  for (const p of parts.slice(1)) {
    const c = node.children.find((x) => x.name.toLowerCase() === p.toLowerCase())!;
    out.push(c.name);
    node = c as typeof node;
  }
  return out.join("\\");
}

const workItemIdFromUrl = (url: string): number | undefined => {
  const m = /\/workitems\/(\d+)\/?$/i.exec(url);
  return m ? Number(m[1]) : undefined;
};

function valuesEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return Number(a) === Number(b);
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function applyOps(
  core: SimCore,
  org: Org,
  project: Project,
  type: WorkItemTypeDef,
  draft: Draft,
  ops: PatchOp[],
  id: number | null,
  opts: ApplyOptions,
): Set<string> {
  const touched = new Set<string>();
  if (!Array.isArray(ops))
    throw badRequest("You must pass a valid patch document in the body of the request.", "VssPropertyValidationException");
  for (const op of ops) {
    const kind = String(op?.op ?? "").toLowerCase();
    const path = String(op?.path ?? "");
    if (!["add", "replace", "remove", "test", "move", "copy"].includes(kind))
      throw badRequest(`Invalid patch operation '${op?.op}'.`, "JsonPatchException");
    const seg = path.split("/").filter(Boolean);
    if (seg[0]?.toLowerCase() === "rev" || seg[0]?.toLowerCase() === "id") {
      if (kind !== "test") throw badRequest(`The path '${path}' is not valid for operation '${kind}'.`, "PatchOperationFailedException");
      const current = seg[0].toLowerCase() === "rev" ? draft.rev : id;
      if (typeof op.value !== "number" && !/^\d+$/.test(String(op.value)))
        throw badRequest(`Test operation value for '${path}' must be an integer.`, "TestPatchOperationFailedException");
      if (Number(op.value) !== current)
        throw new AdoError(
          412,
          `Test operation failed: the value of '${path}' is '${current}', expected '${op.value}'.`,
          "TestPatchOperationFailedException",
        );
      continue;
    }
    if (seg[0]?.toLowerCase() === "fields" && seg[1]) {
      const d = findField(type, decodeURIComponent(seg.slice(1).join("/")));
      const ref = d.referenceName;
      if (kind === "test") {
        if (!valuesEqual(draft.fields[ref], op.value))
          throw new AdoError(412, `Test operation failed for '${path}'.`, "TestPatchOperationFailedException");
        continue;
      }
      if (d.readOnly && !opts.bypassRules && !(id === null && ref === "System.WorkItemType"))
        throw witError(400, `TF401326: Invalid field status 'ReadOnly' for field '${ref}'.`, "RuleValidationException");
      if (kind === "remove") delete draft.fields[ref];
      else {
        const v = convertValue(core, org, project, d, op.value);
        if (v === null) delete draft.fields[ref];
        else draft.fields[ref] = v;
      }
      touched.add(ref);
      continue;
    }
    if (seg[0]?.toLowerCase() === "relations") {
      if (kind === "add" && seg[1] === "-") {
        const v = (op.value ?? {}) as { rel?: string; url?: string; attributes?: Record<string, unknown> };
        const rel = canonicalRel(String(v.rel ?? ""));
        if (!rel) throw witError(400, `TF201063: The link type '${v.rel}' does not exist.`, "WorkItemLinkTypeNotFoundException");
        if (LINK_TYPES[rel]) {
          const target = workItemIdFromUrl(String(v.url ?? ""));
          if (!target || !org.workItems.exists(target))
            throw witError(
              400,
              `TF201036: You cannot add a link to work item ${target ?? v.url} because it does not exist.`,
              "WorkItemLinkInvalidException",
            );
          if (target === id) throw witError(400, "TF201036: A work item cannot be linked to itself.", "WorkItemLinkInvalidException");
          if (draft.relations.some((r) => r.rel === rel && r.targetId === target))
            throw witError(400, `TF201035: The link to work item ${target} already exists.`, "WorkItemLinkAlreadyExistsException");
          if (rel === "System.LinkTypes.Hierarchy-Reverse" && draft.relations.some((r) => r.rel === rel))
            throw witError(
              400,
              "TF201036: You cannot add a Parent link because a work item can have only one Parent link.",
              "WorkItemLinkInvalidException",
            );
          draft.relations.push({
            rel,
            targetId: target,
            attributes: { isLocked: false, ...(v.attributes ?? {}), name: LINK_TYPES[rel].name },
          });
        } else {
          if (!v.url) throw badRequest("The relation url is required.", "WorkItemLinkInvalidException");
          if (draft.relations.some((r) => r.rel === rel && r.url?.toLowerCase() === String(v.url).toLowerCase()))
            throw witError(400, `TF26071: The link to '${v.url}' already exists.`, "WorkItemLinkAlreadyExistsException");
          draft.relations.push({
            rel,
            url: String(v.url),
            attributes: { ...(v.attributes ?? {}), name: (v.attributes?.name as string) ?? RESOURCE_LINK_TYPES[rel] },
          });
        }
        touched.add("relations");
        continue;
      }
      const idx = Number(seg[1]);
      if (!Number.isInteger(idx) || idx < 0 || idx >= draft.relations.length)
        throw badRequest(`The path '${path}' is not valid: relation index out of range.`, "PatchOperationFailedException");
      if (kind === "remove") draft.relations.splice(idx, 1);
      else if (kind === "replace" && seg[2]?.toLowerCase() === "attributes") {
        const r = draft.relations[idx];
        if (seg[3]) r.attributes = { ...r.attributes, [seg[3]]: op.value };
        else r.attributes = { ...r.attributes, ...(op.value as object) };
      } else if (kind === "test") {
        continue;
      } else throw badRequest(`Operation '${kind}' is not supported on '${path}'.`, "PatchOperationFailedException");
      touched.add("relations");
      continue;
    }
    if (seg[0]?.toLowerCase() === "multilinefieldsformat") continue;
    throw badRequest(`The path '${path}' is not a valid work item patch path.`, "PatchOperationFailedException");
  }
  return touched;
}

function validate(core: SimCore, type: WorkItemTypeDef, fields: Record<string, FieldValue>, bypassRules = false) {
  const title = fields["System.Title"];
  if (title === undefined || String(title).trim() === "") throw ruleError(FIELD_BY_REF.get("system.title")!, "Required, InvalidEmpty");
  if (String(title).length > 255) throw ruleError(FIELD_BY_REF.get("system.title")!, "InvalidTooLong");
  const state = String(fields["System.State"] ?? "");
  const s = type.states.find((x) => x.name.toLowerCase() === state.toLowerCase());
  if (!s) throw ruleError(FIELD_BY_REF.get("system.state")!, "LimitedToValues, InvalidListValue");
  fields["System.State"] = s.name;
  for (const d of fieldsOfType(type)) {
    const v = fields[d.referenceName];
    if (v === undefined || !d.allowedValues) continue;
    if (!d.allowedValues.some((a) => String(a) === String(v))) throw ruleError(d, "LimitedToValues, InvalidListValue");
  }
  if (bypassRules) return;
  for (const ref of type.required ?? []) {
    const v = fields[ref];
    if (v === undefined || v === null || String(v).trim() === "")
      throw ruleError(FIELD_BY_REF.get(ref.toLowerCase())!, "Required, InvalidEmpty");
  }
}

/** Sets the fields ADO maintains itself when a state changes or any revision is made. */
function systemUpdates(
  core: SimCore,
  type: WorkItemTypeDef,
  prev: Record<string, FieldValue> | null,
  fields: Record<string, FieldValue>,
  by: string,
  touched: Set<string>,
  now: string,
) {
  const prevState = prev?.["System.State"];
  const state = String(fields["System.State"]);
  if (prevState !== state) {
    const def = type.states.find((s) => s.name === state)!;
    if (!touched.has("System.Reason")) fields["System.Reason"] = def.reason;
    fields["Microsoft.VSTS.Common.StateChangeDate"] = now;
    const cat = def.category;
    if (cat === "InProgress" && !fields["Microsoft.VSTS.Common.ActivatedDate"]) {
      fields["Microsoft.VSTS.Common.ActivatedDate"] = now;
      fields["Microsoft.VSTS.Common.ActivatedBy"] = by;
    }
    if (cat === "Resolved") fields["Microsoft.VSTS.Common.ResolvedDate"] = now;
    if (cat === "Completed") {
      fields["Microsoft.VSTS.Common.ClosedDate"] = now;
      fields["Microsoft.VSTS.Common.ClosedBy"] = by;
    } else {
      delete fields["Microsoft.VSTS.Common.ClosedDate"];
      delete fields["Microsoft.VSTS.Common.ClosedBy"];
    }
    if (cat === "Proposed") delete fields["Microsoft.VSTS.Common.ActivatedDate"];
  }
  fields["System.BoardColumn"] = state;
  if (!touched.has("System.ChangedDate") || !fields["System.ChangedDate"]) fields["System.ChangedDate"] = now;
  if (!touched.has("System.ChangedBy")) fields["System.ChangedBy"] = by;
  fields["System.AuthorizedDate"] = now;
}

/** A strictly increasing change date per item, even with a frozen test clock. */
function changeTime(core: SimCore, prev?: Record<string, FieldValue>): string {
  let t = core.clock().getTime();
  const last = prev ? Date.parse(String(prev["System.ChangedDate"] ?? 0)) : 0;
  if (t <= last) t = last + 10;
  return new Date(t).toISOString();
}

function parentField(fields: Record<string, FieldValue>, relations: Relation[]) {
  const p = relations.find((r) => r.rel === "System.LinkTypes.Hierarchy-Reverse");
  if (p) fields["System.Parent"] = p.targetId!;
  else delete fields["System.Parent"];
}

export interface ChangeResult {
  id: number;
  revision: Revision;
  previous?: Revision;
  project: Project;
}

/** Adds/removes the reverse link on the other end, creating a revision there as ADO does. */
function syncReverseLinks(core: SimCore, org: Org, id: number, before: Relation[], after: Relation[], by: string, notify: boolean) {
  const key = (r: Relation) => `${r.rel}|${r.targetId}`;
  const b = new Set(before.filter((r) => r.targetId).map(key));
  const a = new Set(after.filter((r) => r.targetId).map(key));
  const added = after.filter((r) => r.targetId && !b.has(key(r)));
  const removed = before.filter((r) => r.targetId && !a.has(key(r)));
  const byTarget = new Map<number, { add: Relation[]; remove: Relation[] }>();
  for (const r of added) {
    const e = byTarget.get(r.targetId!) ?? { add: [], remove: [] };
    e.add.push(r);
    byTarget.set(r.targetId!, e);
  }
  for (const r of removed) {
    const e = byTarget.get(r.targetId!) ?? { add: [], remove: [] };
    e.remove.push(r);
    byTarget.set(r.targetId!, e);
  }
  for (const [target, { add, remove }] of byTarget) {
    if (!org.workItems.exists(target)) continue;
    const prev = org.workItems.latest(target);
    let relations = [...prev.relations];
    for (const r of add) {
      const rev = LINK_TYPES[r.rel].reverse!;
      if (!relations.some((x) => x.rel === rev && x.targetId === id))
        relations.push({ rel: rev, targetId: id, attributes: { isLocked: false, name: LINK_TYPES[rev].name } });
    }
    for (const r of remove) {
      const rev = LINK_TYPES[r.rel].reverse!;
      relations = relations.filter((x) => !(x.rel === rev && x.targetId === id));
    }
    const fields = { ...prev.fields };
    delete fields["System.History"];
    const now = changeTime(core, prev.fields);
    fields["System.ChangedDate"] = now;
    fields["System.ChangedBy"] = by;
    fields["System.AuthorizedDate"] = now;
    parentField(fields, relations);
    const revision = org.workItems.append(target, fields, relations);
    const { project } = typeOfItem(core, org, target);
    if (notify) core.emit({ type: "workitem.updated", org, project, id: target, previous: prev, revision, byUserId: by });
  }
}

export function createWorkItem(
  core: SimCore,
  org: Org,
  project: Project,
  typeName: string,
  ops: PatchOp[],
  opts: ApplyOptions,
): ChangeResult {
  const type = findType(getProcess(project.processName), typeName);
  if (!type)
    throw witError(
      404,
      `VS402323: Work item type ${typeName} does not exist in project ${project.name} or you do not have permission to access it.`,
      "WorkItemTypeNotFoundException",
    );
  const now = changeTime(core);
  const draft: Draft = {
    rev: 0,
    fields: {
      "System.AreaPath": project.name,
      "System.TeamProject": project.name,
      "System.IterationPath": project.name,
      "System.WorkItemType": type.name,
      "System.State": type.states[0].name,
      "System.Reason": type.states[0].reason,
      "System.CreatedDate": now,
      "System.CreatedBy": opts.byUserId,
      "System.CommentCount": 0,
    },
    relations: [],
  };
  if (type.fields.includes("Microsoft.VSTS.Common.Priority")) draft.fields["Microsoft.VSTS.Common.Priority"] = 2;
  if (type.fields.includes("Microsoft.VSTS.Common.Severity")) draft.fields["Microsoft.VSTS.Common.Severity"] = "3 - Medium";
  if (type.fields.includes("Microsoft.VSTS.Common.ValueArea")) draft.fields["Microsoft.VSTS.Common.ValueArea"] = "Business";
  const touched = applyOps(core, org, project, type, draft, ops, null, opts);
  if (draft.fields["System.WorkItemType"] !== type.name) throw ruleError(FIELD_BY_REF.get("system.workitemtype")!, "ReadOnly");
  validate(core, type, draft.fields, opts.bypassRules);
  const initial = type.states[0].name;
  if (draft.fields["System.State"] !== initial && !opts.bypassRules) {
    // ADO allows creating in the initial state only (unless bypassRules).
    throw ruleError(FIELD_BY_REF.get("system.state")!, "LimitedToValues, InvalidListValue");
  }
  systemUpdates(core, type, null, draft.fields, opts.byUserId, touched, now);
  if (!touched.has("System.CreatedDate")) draft.fields["System.CreatedDate"] = now;
  parentField(draft.fields, draft.relations);
  if (opts.validateOnly) {
    return {
      id: -1,
      project,
      revision: { rev: 1, fields: { ...draft.fields, "System.Id": -1, "System.Rev": 1 }, relations: draft.relations, watermark: 0 },
    };
  }
  const revision = org.workItems.create(project.id, draft.fields, draft.relations);
  const id = Number(revision.fields["System.Id"]);
  if (!opts.suppressNotifications) core.emit({ type: "workitem.created", org, project, id, revision, byUserId: opts.byUserId });
  syncReverseLinks(core, org, id, [], draft.relations, opts.byUserId, !opts.suppressNotifications);
  return { id, project, revision };
}

/**
 * "Change type" and "Move to team project" (learn.microsoft.com/azure/devops/boards/backlogs/move-change-type):
 * PATCH /fields/System.WorkItemType and /fields/System.TeamProject. A state the new type lacks becomes
 * the new type's first state; a move resets area and iteration to the new project's root unless the
 * same PATCH sets them (simulator assumptions, see docs/ado-fidelity.md).
 */
function retypeOrMove(
  core: SimCore,
  org: Org,
  id: number,
  ops: PatchOp[],
): { project: Project; type: WorkItemTypeDef; rest: PatchOp[]; moved: boolean } {
  const current = typeOfItem(core, org, id);
  const valueOf = (ref: string) => {
    const op = ops.find((o) => (o.op === "add" || o.op === "replace") && o.path.toLowerCase() === `/fields/${ref.toLowerCase()}`);
    return op === undefined ? undefined : String(op.value ?? "");
  };
  const wantProject = valueOf("System.TeamProject");
  const wantType = valueOf("System.WorkItemType");
  const rest = ops.filter((o) => !/^\/fields\/system\.(teamproject|workitemtype)$/i.test(o.path));
  let project = current.project;
  if (wantProject !== undefined && wantProject.toLowerCase() !== project.name.toLowerCase()) {
    const target = org.projects.find((p) => p.name.toLowerCase() === wantProject.toLowerCase() || p.id === wantProject.toLowerCase());
    if (!target)
      throw witError(
        400,
        `TF401320: Rule Error for field Team Project. Error code: Required, InvalidListValue.`,
        "RuleValidationException",
      );
    project = target;
  }
  const typeName = wantType ?? current.type.name;
  const type = findType(getProcess(project.processName), typeName);
  if (!type)
    throw witError(
      400,
      `VS402323: Work item type ${typeName} does not exist in project ${project.name} or you do not have permission to access it.`,
      "WorkItemTypeNotFoundException",
    );
  return { project, type, rest, moved: project !== current.project };
}

export function updateWorkItem(core: SimCore, org: Org, id: number, ops: PatchOp[], opts: ApplyOptions): ChangeResult {
  if (!org.workItems.exists(id)) throw notFoundWorkItem(id);
  const retyped = retypeOrMove(core, org, id, ops);
  if (retyped.moved || retyped.type.name !== String(org.workItems.field(id, "System.WorkItemType")))
    return retypeOrMoveItem(core, org, id, retyped, opts);
  const { project, type } = typeOfItem(core, org, id);
  const prev = org.workItems.latest(id);
  const draft: Draft = {
    rev: prev.rev,
    fields: { ...prev.fields },
    relations: prev.relations.map((r) => ({ ...r, attributes: { ...r.attributes } })),
  };
  delete draft.fields["System.History"];
  const touched = applyOps(core, org, project, type, draft, ops, id, opts);
  if (touched.size === 0) return { id, project, revision: prev };
  if (draft.fields["System.WorkItemType"] !== prev.fields["System.WorkItemType"])
    throw witError(400, "Changing the work item type is not supported by the simulator.", "RuleValidationException");
  validate(core, type, draft.fields, opts.bypassRules);
  const now = changeTime(core, prev.fields);
  systemUpdates(core, type, prev.fields, draft.fields, opts.byUserId, touched, now);
  parentField(draft.fields, draft.relations);
  if (opts.validateOnly) return { id, project, revision: { ...prev, fields: draft.fields, relations: draft.relations, rev: prev.rev } };
  const revision = org.workItems.append(id, draft.fields, draft.relations);
  if (!opts.suppressNotifications)
    core.emit({ type: "workitem.updated", org, project, id, previous: prev, revision, byUserId: opts.byUserId });
  syncReverseLinks(core, org, id, prev.relations, draft.relations, opts.byUserId, !opts.suppressNotifications);
  return { id, project, revision, previous: prev };
}

function retypeOrMoveItem(
  core: SimCore,
  org: Org,
  id: number,
  to: { project: Project; type: WorkItemTypeDef; rest: PatchOp[]; moved: boolean },
  opts: ApplyOptions,
): ChangeResult {
  const from = typeOfItem(core, org, id);
  const prev = org.workItems.latest(id);
  const draft: Draft = {
    rev: prev.rev,
    fields: { ...prev.fields },
    relations: prev.relations.map((r) => ({ ...r, attributes: { ...r.attributes } })),
  };
  delete draft.fields["System.History"];
  draft.fields["System.WorkItemType"] = to.type.name;
  draft.fields["System.TeamProject"] = to.project.name;
  if (to.moved) {
    draft.fields["System.AreaPath"] = to.project.name;
    draft.fields["System.IterationPath"] = to.project.name;
  }
  if (!to.type.states.some((st) => st.name === draft.fields["System.State"])) draft.fields["System.State"] = to.type.states[0].name;
  const touched = applyOps(core, org, to.project, to.type, draft, to.rest, id, opts);
  touched.add("System.WorkItemType");
  const now = changeTime(core, prev.fields);
  systemUpdates(core, to.type, prev.fields, draft.fields, opts.byUserId, touched, now);
  if (opts.validateOnly) return { id, project: to.project, revision: { ...prev, fields: draft.fields, relations: draft.relations } };
  if (to.moved) org.workItems.move(id, to.project.id);
  const revision = org.workItems.append(id, draft.fields, draft.relations);
  if (!opts.suppressNotifications)
    core.emit({ type: "workitem.updated", org, project: from.project, id, previous: prev, revision, byUserId: opts.byUserId });
  return { id, project: to.project, revision, previous: prev };
}

export function deleteWorkItem(core: SimCore, org: Org, id: number, byUserId: string, destroy = false): ChangeResult {
  if (!org.workItems.exists(id)) {
    if (destroy && org.workItems.isDeleted(id)) {
      const { project } = typeOfItem(core, org, id);
      const revision = org.workItems.latest(id);
      org.workItems.destroy(id);
      return { id, project, revision };
    }
    throw notFoundWorkItem(id);
  }
  const { project } = typeOfItem(core, org, id);
  const revision = org.workItems.latest(id);
  org.workItems.materialize(id);
  org.workItems.markDeleted(id, { deletedDate: core.clock().toISOString(), deletedBy: byUserId });
  core.emit({ type: "workitem.deleted", org, project, id, revision, byUserId });
  if (destroy) org.workItems.destroy(id);
  return { id, project, revision };
}

export function restoreWorkItem(core: SimCore, org: Org, id: number, byUserId: string): ChangeResult {
  if (!org.workItems.isDeleted(id)) throw notFoundWorkItem(id);
  org.workItems.restore(id);
  const { project } = typeOfItem(core, org, id);
  const revision = org.workItems.latest(id);
  core.emit({ type: "workitem.restored", org, project, id, revision, byUserId });
  return { id, project, revision };
}

// ---------- rendering ----------

export type Expand = "none" | "relations" | "fields" | "links" | "all";

export function parseExpand(v: string | undefined): Expand {
  const e = (v ?? "none").toLowerCase();
  if (!["none", "relations", "fields", "links", "all"].includes(e)) throw badRequest(`Invalid $expand value '${v}'.`);
  return e as Expand;
}

export interface RenderCtx {
  base: string;
  org: Org;
  users: Map<string, User>;
}

function renderIdentity(rc: RenderCtx, v: FieldValue, mode: "ref" | "string"): unknown {
  const u = rc.users.get(String(v));
  if (!u) return v;
  return mode === "ref" ? identityRef(rc.base, rc.org, u) : identityString(u);
}

export function renderFields(
  rc: RenderCtx,
  fields: Record<string, FieldValue>,
  mode: "ref" | "string",
  only?: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = only ?? Object.keys(fields);
  for (const k of keys) {
    const v = fields[k];
    if (v === undefined) continue;
    const d = FIELD_BY_REF.get(k.toLowerCase());
    out[k] = d?.isIdentity ? renderIdentity(rc, v, mode) : v;
  }
  return out;
}

export const workItemUrl = (rc: { base: string; org: Org }, id: number) => `${rc.base}/${rc.org.name}/_apis/wit/workItems/${id}`;

export function renderRelations(rc: RenderCtx, relations: Relation[]) {
  return relations.map((r) => ({ rel: r.rel, url: r.targetId ? workItemUrl(rc, r.targetId) : r.url, attributes: r.attributes }));
}

/** Resolves requested field names (ref or friendly) to ref names; unknown → TF51535. */
export function resolveFieldList(names: string[] | undefined): string[] | undefined {
  if (!names || !names.length) return undefined;
  return names.map((n) => {
    const d = FIELD_BY_REF.get(n.trim().toLowerCase()) ?? FIELD_BY_NAME.get(n.trim().toLowerCase());
    if (!d) throw fieldNotFound(n.trim());
    return d.referenceName;
  });
}

export function renderWorkItem(
  rc: RenderCtx,
  id: number,
  rev: Revision,
  opts: { fields?: string[]; expand?: Expand; links?: boolean; projectId?: string },
) {
  const expand = opts.expand ?? "none";
  const fields = { ...rev.fields };
  if (!opts.fields) {
    delete fields["System.Watermark"];
    delete fields["System.RevisedDate"];
    delete fields["System.IsDeleted"];
  }
  const out: Record<string, unknown> = {
    id,
    rev: rev.rev,
    fields: renderFields(rc, fields, "ref", opts.fields),
  };
  if (expand === "relations" || expand === "all") out.relations = renderRelations(rc, rev.relations);
  if (opts.links || expand === "links" || expand === "all") {
    const u = workItemUrl(rc, id);
    out._links = {
      self: { href: u },
      workItemUpdates: { href: `${u}/updates` },
      workItemRevisions: { href: `${u}/revisions` },
      workItemComments: { href: `${u}/comments` },
      html: { href: `${rc.base}/${rc.org.name}/web/wi.aspx?pcguid=${rc.org.id}&id=${id}` },
      workItemType: {
        href: `${rc.base}/${rc.org.name}/${opts.projectId ?? ""}/_apis/wit/workItemTypes/${encodeURIComponent(String(rev.fields["System.WorkItemType"]))}`,
      },
      fields: { href: `${rc.base}/${rc.org.name}/_apis/wit/fields` },
    };
  }
  out.url = workItemUrl(rc, id);
  return out;
}

/** The state category of an item's current state, via its type. */
export function stateCategoryOf(core: SimCore, org: Org, id: number) {
  const { type } = typeOfItem(core, org, id);
  return categoryOfState(type, String(org.workItems.field(id, "System.State")));
}
