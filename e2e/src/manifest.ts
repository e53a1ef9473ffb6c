// The contributions the host can show, read from the same vss-extension.json that goes into the .vsix.
import { readFileSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");

/** Where Azure DevOps would show a contribution; decides the page context the host gives it. */
export type Surface =
  "organization-settings" | "project-settings" | "project-hub" | "work-item-form" | "panel" | "dashboard" | "widget-configuration";

/** A dashboard widget's size in grid cells (the manifest's supportedSizes). */
export interface WidgetSize {
  rowSpan: number;
  columnSpan: number;
}

export interface HostContribution {
  /** Short id from the manifest, e.g. "org-settings". */
  id: string;
  /** What SDK.getContributionId() returns: publisher.extension.id */
  fullId: string;
  name: string;
  type: string;
  targets: string[];
  /** Page path relative to the extension's base URI, e.g. "dist/org-settings/org-settings.html". */
  uri: string;
  surface: Surface;
  /** Height Azure DevOps gives form groups before the page resizes itself. */
  height?: number;
  /** Dashboard widgets: the sizes the dashboard offers, and the id of the widget's configuration contribution. */
  supportedSizes?: WidgetSize[];
  configurationId?: string;
}

export interface ExtensionInfo {
  publisherId: string;
  extensionId: string;
  /** publisher.extension */
  id: string;
  version: string;
  name: string;
  /** The manifest's `scopes`: Azure DevOps limits the extension's access token to them. */
  scopes: string[];
  contributions: HostContribution[];
}

interface ManifestContribution {
  id: string;
  type: string;
  targets?: string[];
  properties?: { name?: string; uri?: string; height?: number; supportedSizes?: WidgetSize[] };
}

export function surfaceOf(type: string, targets: string[]): Surface {
  if (targets.includes("ms.vss-web.collection-admin-hub-group")) return "organization-settings";
  if (targets.includes("ms.vss-web.project-admin-hub-group")) return "project-settings";
  if (targets.includes("ms.vss-work-web.work-item-form") || type.startsWith("ms.vss-work-web.work-item-form")) return "work-item-form";
  if (type === "ms.vss-web.external-content") return "panel";
  if (type === "ms.vss-dashboards-web.widget") return "dashboard";
  if (type === "ms.vss-dashboards-web.widget-configuration") return "widget-configuration";
  return "project-hub";
}

export function readExtension(manifestPath = path.join(ROOT, "vss-extension.json")): ExtensionInfo {
  const m = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    publisher: string;
    id: string;
    version: string;
    name: string;
    scopes?: string[];
    contributions: ManifestContribution[];
  };
  const id = `${m.publisher}.${m.id}`;
  return {
    publisherId: m.publisher,
    extensionId: m.id,
    id,
    version: m.version,
    name: m.name,
    scopes: m.scopes ?? [],
    contributions: m.contributions
      .filter((c) => c.properties?.uri)
      .map((c) => ({
        id: c.id,
        fullId: `${id}.${c.id}`,
        name: c.properties?.name ?? c.id,
        type: c.type,
        targets: c.targets ?? [],
        uri: c.properties!.uri!,
        surface: surfaceOf(c.type, c.targets ?? []),
        height: c.properties?.height,
        supportedSizes: c.properties?.supportedSizes,
        // A widget names its configuration among its targets by relative id (".<id>").
        configurationId: (c.targets ?? []).find((t) => t.startsWith("."))?.slice(1),
      })),
  };
}
