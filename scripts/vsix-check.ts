import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { taskVersionFor } from "../pipeline-task/version";

// tfx does not check these names (a bogus type, target or scope packages fine), so we do.
export const KNOWN_TYPES = new Set([
  "ms.vss-web.hub",
  "ms.vss-web.hub-group",
  "ms.vss-web.action",
  "ms.vss-web.tab",
  "ms.vss-web.external-content",
  "ms.vss-work-web.work-item-form-group",
  "ms.vss-work-web.work-item-form-page",
  "ms.vss-work-web.work-item-form-control",
  "ms.vss-work-web.work-item-notifications",
  "ms.vss-dashboards-web.widget",
  "ms.vss-dashboards-web.widget-configuration",
  "ms.vss-web.control",
  "ms.vss-distributed-task.task",
]);
export const KNOWN_TARGETS = new Set([
  "ms.vss-web.collection-admin-hub-group",
  "ms.vss-web.project-admin-hub-group",
  "ms.vss-work-web.work-hub-group",
  "ms.vss-test-web.test-hub-group",
  "ms.vss-code-web.code-hub-group",
  "ms.vss-build-web.build-release-hub-group",
  "ms.vss-web.project-hub-groups-collection",
  "ms.vss-work-web.work-item-form",
  "ms.vss-work-web.work-item-toolbar-menu",
  "ms.vss-work-web.work-item-context-menu",
  "ms.vss-work-web.backlog-item-menu",
  "ms.vss-work-web.query-result-work-item-menu",
  "ms.vss-test-web.test-plan-pivot-tabs",
  "ms.vss-code-web.pr-tabs",
  "ms.vss-dashboards-web.widget-catalog",
  "ms.vss-dashboards-web.widget-configuration",
  "ms.vss-distributed-task.tasks",
]);
export const KNOWN_SCOPES = new Set(
  (
    "vso.work vso.work_write vso.work_full vso.test vso.test_write vso.code vso.code_write vso.code_manage vso.code_full vso.code_status " +
    "vso.project vso.project_write vso.project_manage vso.analytics vso.hooks vso.hooks_write vso.hooks_interact vso.build vso.build_execute " +
    "vso.release vso.release_execute vso.release_manage vso.extension vso.extension_manage vso.extension.data vso.extension.data_write " +
    "vso.graph vso.graph_manage vso.identity vso.identity_manage vso.profile vso.settings vso.settings_write vso.serviceendpoint " +
    "vso.serviceendpoint_query vso.serviceendpoint_manage vso.dashboards vso.dashboards_manage vso.wiki vso.wiki_write vso.security_manage"
  ).split(" "),
);

interface Manifest {
  scopes?: string[];
  icons?: Record<string, string>;
  contributions?: { id: string; type: string; targets?: string[]; properties?: Record<string, unknown> }[];
}

/** Problems with a manifest given the set of files that are (or will be) in the package. */
export function checkManifest(m: Manifest, hasFile: (p: string) => boolean): string[] {
  const problems: string[] = [];
  for (const s of m.scopes ?? []) if (!KNOWN_SCOPES.has(s)) problems.push(`unknown scope "${s}"`);
  for (const [k, p] of Object.entries(m.icons ?? {})) if (!hasFile(p)) problems.push(`icon ${k}: file "${p}" is not in the package`);
  const ids = new Set<string>();
  for (const c of m.contributions ?? []) {
    if (ids.has(c.id)) problems.push(`duplicate contribution id "${c.id}"`);
    ids.add(c.id);
    if (!KNOWN_TYPES.has(c.type)) problems.push(`${c.id}: unknown contribution type "${c.type}"`);
    for (const t of c.targets ?? []) if (!KNOWN_TARGETS.has(t) && !t.startsWith(".")) problems.push(`${c.id}: unknown target "${t}"`);
    const props = c.properties ?? {};
    if (c.type === "ms.vss-dashboards-web.widget") problems.push(...checkWidget(c, m.contributions ?? []));
    if (
      c.type === "ms.vss-dashboards-web.widget-configuration" &&
      !(c.targets ?? []).includes("ms.vss-dashboards-web.widget-configuration")
    )
      problems.push(`${c.id}: a widget configuration must target ms.vss-dashboards-web.widget-configuration`);
    const files = [
      props.uri,
      props.catalogIconUrl,
      props.previewImageUrl,
      ...Object.values((props.icon as Record<string, string>) ?? {}),
    ].filter((x): x is string => typeof x === "string");
    for (const f of files) {
      const clean = f.split("?")[0];
      if (!hasFile(clean)) problems.push(`${c.id}: file "${clean}" is not in the package`);
    }
  }
  return problems;
}

/** Azure DevOps' dashboard scopes: team dashboards and project dashboards. */
const WIDGET_SCOPES = new Set(["project_team", "project"]);
type Contribution = NonNullable<Manifest["contributions"]>[number];

/**
 * A dashboard widget as the catalog needs it: in the widget catalog, a name, the sizes it supports
 * (dashboards are at most 10 columns wide), its catalog icon and preview (checked as files with the
 * other files), scopes, and — when it targets one — a configuration contribution of the right type.
 */
export function checkWidget(c: Contribution, all: readonly Contribution[]): string[] {
  const problems: string[] = [];
  const at = (m: string) => problems.push(`${c.id}: ${m}`);
  const targets = c.targets ?? [];
  const p = c.properties ?? {};
  if (!targets.includes("ms.vss-dashboards-web.widget-catalog")) at("a widget must target ms.vss-dashboards-web.widget-catalog");
  if (typeof p.name !== "string" || !p.name.trim()) at("a widget needs a name");
  const sizes = p.supportedSizes;
  if (!Array.isArray(sizes) || !sizes.length) at("a widget needs supportedSizes");
  else
    for (const s of sizes as { rowSpan?: unknown; columnSpan?: unknown }[]) {
      const ok = (n: unknown, max: number) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;
      if (!ok(s?.rowSpan, 10) || !ok(s?.columnSpan, 10))
        at(`supported size ${JSON.stringify(s)} needs whole rowSpan and columnSpan from 1 to 10`);
    }
  for (const k of ["catalogIconUrl", "previewImageUrl"]) if (typeof p[k] !== "string") at(`a widget needs ${k}`);
  const scopes = p.supportedScopes;
  if (!Array.isArray(scopes) || !scopes.length) at("a widget needs supportedScopes");
  else for (const s of scopes) if (!WIDGET_SCOPES.has(String(s))) at(`unknown widget scope "${String(s)}"`);
  for (const t of targets.filter((x) => x.startsWith("."))) {
    const config = all.find((x) => x.id === t.slice(1));
    if (!config) at(`its configuration "${t}" is not a contribution of this extension`);
    else if (config.type !== "ms.vss-dashboards-web.widget-configuration")
      at(`its configuration "${t}" is a ${config.type}, not a ms.vss-dashboards-web.widget-configuration`);
  }
  return problems;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INPUT_TYPES = new Set([
  "string",
  "multiLine",
  "boolean",
  "pickList",
  "filePath",
  "radio",
  "int",
  "secureFile",
  "identities",
  "querycontrol",
]);
const HANDLERS = ["Node20_1", "Node16", "Node10", "Node"];

/**
 * A pipeline task's task.json as Azure DevOps reads it: identity, version (grown with the extension's:
 * agents only update a task whose version grew), a Node handler whose file is in the package, inputs.
 * `folder` is the task's folder in the package (the contribution's `name`).
 */
export function checkTask(taskJson: string, folder: string, hasFile: (p: string) => boolean, extensionVersion: string): string[] {
  const problems: string[] = [];
  const at = (m: string) => problems.push(`task ${folder}: ${m}`);
  let t: Record<string, unknown>;
  try {
    t = JSON.parse(taskJson) as Record<string, unknown>;
  } catch (e) {
    at(`task.json is not valid JSON (${(e as Error).message})`);
    return problems;
  }
  if (typeof t.id !== "string" || !GUID.test(t.id)) at("id must be a GUID");
  if (typeof t.name !== "string" || !/^[A-Za-z0-9_-]+$/.test(t.name)) at("name must be letters, digits, - or _ (it is what YAML names)");
  for (const k of ["friendlyName", "description", "instanceNameFormat", "author"])
    if (typeof t[k] !== "string" || !(t[k] as string).trim()) at(`${k} is required`);
  const v = t.version as { Major?: unknown; Minor?: unknown; Patch?: unknown } | undefined;
  if (!v || ![v.Major, v.Minor, v.Patch].every((n) => Number.isInteger(n) && (n as number) >= 0))
    at("version needs whole Major, Minor and Patch");
  else {
    const want = taskVersionFor(extensionVersion, v.Major as number);
    if (v.Minor !== want.Minor || v.Patch !== want.Patch)
      at(
        `version ${v.Major}.${v.Minor}.${v.Patch} does not follow the extension's ${extensionVersion} (expected ${want.Major}.${want.Minor}.${want.Patch}): agents would keep the old task`,
      );
  }
  const execution = (t.execution ?? {}) as Record<string, { target?: unknown }>;
  const handlers = HANDLERS.filter((h) => execution[h]);
  if (!handlers.length) at(`execution needs a Node handler (${HANDLERS.join(", ")})`);
  for (const h of handlers) {
    const target = execution[h].target;
    if (typeof target !== "string" || !target) at(`execution.${h}.target is required`);
    else if (!hasFile(`${folder}/${target}`)) at(`execution.${h}.target "${target}" is not in the package`);
  }
  const names = new Set<string>();
  for (const input of (t.inputs ?? []) as { name?: unknown; type?: unknown; options?: Record<string, string>; defaultValue?: unknown }[]) {
    const name = typeof input.name === "string" ? input.name : "";
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) at(`input name "${String(input.name)}" is not valid`);
    if (names.has(name.toLowerCase())) at(`input "${name}" is declared twice`);
    names.add(name.toLowerCase());
    const type = String(input.type ?? "");
    if (!INPUT_TYPES.has(type) && !type.startsWith("connectedService:")) at(`input "${name}" has an unknown type "${type}"`);
    if (type === "pickList" || type === "radio") {
      const options = Object.keys(input.options ?? {});
      if (!options.length) at(`input "${name}" (${type}) has no options`);
      else if (input.defaultValue !== undefined && !options.includes(String(input.defaultValue)))
        at(`input "${name}" defaults to "${String(input.defaultValue)}", which is not one of its options`);
    }
    if (type === "boolean" && input.defaultValue !== undefined && !["true", "false"].includes(String(input.defaultValue)))
      at(`input "${name}" (boolean) defaults to "${String(input.defaultValue)}"`);
  }
  return problems;
}

/** Checks a built .vsix: its merged manifest, that every referenced file is inside it, and its pipeline tasks. */
export function checkVsix(vsixPath: string): { problems: string[]; contributions: string[] } {
  const entries = unzipSync(new Uint8Array(readFileSync(vsixPath)));
  const byName = new Map(Object.entries(entries).map(([n, d]) => [n.replace(/\\/g, "/"), d]));
  const hasFile = (p: string) => byName.has(p.replace(/^\/+/, ""));
  const manifestEntry = byName.get("extension.vsomanifest");
  if (!manifestEntry) return { problems: ["extension.vsomanifest is missing"], contributions: [] };
  const m = JSON.parse(strFromU8(manifestEntry)) as Manifest;
  const problems = checkManifest(m, hasFile);
  const vsixManifest = byName.get("extension.vsixmanifest");
  const version = vsixManifest ? /<Identity\b[^>]*\bVersion="([^"]+)"/.exec(strFromU8(vsixManifest))?.[1] : undefined;
  for (const c of (m.contributions ?? []).filter((x) => x.type === "ms.vss-distributed-task.task")) {
    const folder = String(c.properties?.name ?? "");
    const taskJson = byName.get(`${folder}/task.json`);
    if (!folder || !taskJson) problems.push(`${c.id}: "${folder}/task.json" is not in the package`);
    else if (!version) problems.push(`${c.id}: the package's extension version is unreadable`);
    else problems.push(...checkTask(strFromU8(taskJson), folder, hasFile, version));
  }
  return { problems, contributions: (m.contributions ?? []).map((c) => `${c.id} (${c.type})`) };
}

/** Same check on the source manifest against the working tree (before packaging). */
export function checkSourceManifest(root: string): string[] {
  const m = JSON.parse(readFileSync(path.join(root, "vss-extension.json"), "utf8")) as Manifest;
  return checkManifest(m, (p) => existsSync(path.join(root, p)));
}
