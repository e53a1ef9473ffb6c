import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { unzipSync, strFromU8 } from "fflate";

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
  "ms.vss-web.control",
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
    const files = [props.uri, ...Object.values((props.icon as Record<string, string>) ?? {})].filter(
      (x): x is string => typeof x === "string",
    );
    for (const f of files) {
      const clean = f.split("?")[0];
      if (!hasFile(clean)) problems.push(`${c.id}: file "${clean}" is not in the package`);
    }
  }
  return problems;
}

/** Checks a built .vsix: its merged manifest, and that every referenced file is inside it. */
export function checkVsix(vsixPath: string): { problems: string[]; contributions: string[] } {
  const entries = unzipSync(new Uint8Array(readFileSync(vsixPath)));
  const names = new Set(Object.keys(entries).map((n) => n.replace(/\\/g, "/")));
  const manifestEntry = entries["extension.vsomanifest"];
  if (!manifestEntry) return { problems: ["extension.vsomanifest is missing"], contributions: [] };
  const m = JSON.parse(strFromU8(manifestEntry)) as Manifest;
  return {
    problems: checkManifest(m, (p) => names.has(p.replace(/^\/+/, ""))),
    contributions: (m.contributions ?? []).map((c) => `${c.id} (${c.type})`),
  };
}

/** Same check on the source manifest against the working tree (before packaging). */
export function checkSourceManifest(root: string): string[] {
  const m = JSON.parse(readFileSync(path.join(root, "vss-extension.json"), "utf8")) as Manifest;
  return checkManifest(m, (p) => existsSync(path.join(root, p)));
}
