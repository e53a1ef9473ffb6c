import type { AdoClient } from "../ado/client";
import type { AdoIterationNode } from "../schemas/boards";
import { toIterationTree, type AdoClassNode } from "./iterations";
import { suggestedBugStatus, suggestedRequirementStatus } from "./mapping";

/** Reads that fill the wizard's pickers (and that the engine reuses): always from ADO, never typed by hand. */

const enc = encodeURIComponent;

export async function listProjects(client: AdoClient) {
  const out: { id: string; name: string; description: string | null }[] = [];
  for await (const page of client.pages<{ id: string; name: string; description?: string }>("_apis/projects", { query: { $top: 100 } }))
    for (const p of page) out.push({ id: p.id, name: p.name, description: p.description ?? null });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function listTeams(client: AdoClient, project: string) {
  const out: { id: string; name: string; description: string | null }[] = [];
  const top = 100;
  for (let skip = 0; ; skip += top) {
    const res = await client.get<{ value: { id: string; name: string; description?: string }[] }>(`_apis/projects/${enc(project)}/teams`, {
      query: { $top: top, $skip: skip },
    });
    for (const t of res.value) out.push({ id: t.id, name: t.name, description: t.description ?? null });
    if (res.value.length < top) break;
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function iterationTree(client: AdoClient, project: string): Promise<AdoIterationNode> {
  const root = await client.get<AdoClassNode>(`${enc(project)}/_apis/wit/classificationnodes/Iterations`, { query: { $depth: 20 } });
  return toIterationTree(root);
}

export async function teamIterations(client: AdoClient, project: string, team: string) {
  const res = await client.get<{
    value: { id: string; name: string; path: string; attributes?: { startDate?: string; finishDate?: string; timeFrame?: string } }[];
  }>(`${enc(project)}/${enc(team)}/_apis/work/teamsettings/iterations`);
  return res.value.map((i) => ({
    id: i.id,
    name: i.name,
    path: i.path,
    startDate: i.attributes?.startDate ? new Date(i.attributes.startDate).toISOString() : null,
    finishDate: i.attributes?.finishDate ? new Date(i.attributes.finishDate).toISOString() : null,
    timeFrame: i.attributes?.timeFrame ?? null,
  }));
}

interface AdoType {
  name: string;
  referenceName: string;
  color?: string;
  isDisabled?: boolean;
  states?: { name: string; color?: string; category: string }[];
}
interface AdoCategory {
  referenceName: string;
  defaultWorkItemType?: { name: string } | null;
  workItemTypes: { name: string }[];
}

export interface WorkItemTypeInfo {
  name: string;
  referenceName: string;
  color: string | null;
  states: { name: string; category: string; color: string | null; suggestedStatus: string | null }[];
}

/** Requirement and bug types of the project's process (through categories, so every process works) with their states. */
export async function workItemTypes(client: AdoClient, project: string) {
  const [cats, types] = await Promise.all([
    client.get<{ value: AdoCategory[] }>(`${enc(project)}/_apis/wit/workitemtypecategories`),
    client.get<{ value: AdoType[] }>(`${enc(project)}/_apis/wit/workitemtypes`),
  ]);
  const byName = new Map(types.value.map((t) => [t.name.toLowerCase(), t]));
  const of = (ref: string, suggest: (category: string) => string | null) => {
    const cat = cats.value.find((c) => c.referenceName === ref);
    const list: WorkItemTypeInfo[] = [];
    for (const r of cat?.workItemTypes ?? []) {
      const t = byName.get(r.name.toLowerCase());
      if (!t || t.isDisabled) continue;
      list.push({
        name: t.name,
        referenceName: t.referenceName,
        color: t.color ?? null,
        states: (t.states ?? []).map((s) => ({
          name: s.name,
          category: s.category,
          color: s.color ?? null,
          suggestedStatus: suggest(s.category),
        })),
      });
    }
    return { list, default: cat?.defaultWorkItemType?.name ?? null };
  };
  const req = of("Microsoft.RequirementCategory", suggestedRequirementStatus);
  const bug = of("Microsoft.BugCategory", suggestedBugStatus);
  return { requirement: req.list, bug: bug.list, defaultRequirementType: req.default, defaultBugType: bug.default };
}

export async function typeStates(client: AdoClient, project: string, type: string) {
  const res = await client.get<{ value: { name: string; color?: string; category: string }[] }>(
    `${enc(project)}/_apis/wit/workitemtypes/${enc(type)}/states`,
  );
  return res.value.map((s) => ({
    name: s.name,
    category: s.category,
    color: s.color ?? null,
    suggestedStatus: suggestedRequirementStatus(s.category),
  }));
}

const PRIORITY = "Microsoft.VSTS.Common.Priority";
const SEVERITY = "Microsoft.VSTS.Common.Severity";

/** Date fields (release-date candidates) and the priority/severity picklists of the given types. */
export async function typeFields(client: AdoClient, project: string, typeNames: string[]) {
  const [all, ...perType] = await Promise.all([
    client.get<{ value: { referenceName: string; name: string; type: string }[] }>(`${enc(project)}/_apis/wit/fields`),
    ...typeNames.map((t) =>
      client.get<{ value: { referenceName: string; name: string; allowedValues?: (string | number)[] }[] }>(
        `${enc(project)}/_apis/wit/workitemtypes/${enc(t)}/fields`,
        { query: { $expand: "allowedValues" } },
      ),
    ),
  ]);
  const dateRefs = new Map(all.value.filter((f) => f.type === "dateTime").map((f) => [f.referenceName, f.name]));
  const dates = new Map<string, string>();
  const priorities = new Set<string>();
  const severities = new Set<string>();
  for (const res of perType)
    for (const f of res.value) {
      if (dateRefs.has(f.referenceName)) dates.set(f.referenceName, dateRefs.get(f.referenceName)!);
      if (f.referenceName === PRIORITY) for (const v of f.allowedValues ?? []) priorities.add(String(v));
      if (f.referenceName === SEVERITY) for (const v of f.allowedValues ?? []) severities.add(String(v));
    }
  return {
    dateFields: [...dates].map(([referenceName, name]) => ({ referenceName, name })).sort((a, b) => a.name.localeCompare(b.name)),
    priorities: [...priorities].sort(),
    severities: [...severities].sort(),
  };
}
