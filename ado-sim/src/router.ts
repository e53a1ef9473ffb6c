// A tiny router for the ADO path layout: /{org}[/{project}[/{team}]]/_apis/{area}/... .
// ADO route segments are case-insensitive (workItems == workitems, Runs == runs), which Hono's
// router is not, so ADO routes are matched here and Hono carries the server side.
import type { Ctx } from "./http";

export type Level = "org" | "project" | "team";

export interface RouteDef {
  method: string;
  /** Which URL levels the route is served at. */
  levels: Level[];
  /** Path after `_apis/`, e.g. "wit/workitems/:id"; `*rest` captures the remainder. */
  path: string;
  /** PAT scopes; any one of them is enough (implied scopes count). Empty = any authenticated caller. */
  scopes: string[];
  /**
   * False for operations whose spec declares no OAuth scope (only the PAT `accessToken` scheme), e.g.
   * the security reads: an OAuth-style token (the extension's SDK.getAccessToken()) is refused there.
   */
  oauth?: boolean;
  /** GET without api-version is allowed by ADO (latest version); other verbs must send one. */
  handler: (ctx: Ctx) => Response | Promise<Response>;
}

export interface Match {
  route: RouteDef;
  params: Record<string, string>;
}

export function matchRoute(routes: RouteDef[], method: string, level: Level, segs: string[]): Match | "method" | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const params = matchPath(route.path, segs);
    if (!params) continue;
    if (!route.levels.includes(level)) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return { route, params };
  }
  return pathMatched ? "method" : undefined;
}

function matchPath(pattern: string, segs: string[]): Record<string, string> | undefined {
  const pat = pattern.split("/").filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i];
    if (p.startsWith("*")) {
      params[p.slice(1)] = segs.slice(i).join("/");
      return params;
    }
    if (i >= segs.length) return undefined;
    if (p.startsWith(":")) params[p.slice(1)] = segs[i];
    else if (p.toLowerCase() !== segs[i].toLowerCase()) return undefined;
  }
  return pat.length === segs.length ? params : undefined;
}
