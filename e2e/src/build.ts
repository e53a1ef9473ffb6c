// The harness serves the production bundle that goes into the .vsix (dist/), never a dev build.
// It rebuilds only when dist/ is missing or older than the sources that end up in it.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { ROOT, type ExtensionInfo } from "./manifest";

/** What the bundle is made of (the backend contributes its shared zod schemas at runtime). */
const SOURCES = ["extension/src", "backend/src/schemas", "webpack.config.js", "package-lock.json"];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const e of readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

/** Why dist/ needs a build, or undefined when it is current. */
export function staleReason(ext: ExtensionInfo, root = ROOT): string | undefined {
  let oldestBuilt = Infinity;
  for (const c of ext.contributions) {
    const html = path.join(root, c.uri);
    if (!existsSync(html)) return `${c.uri} is missing`;
    const js = html.replace(/\.html$/, ".js");
    oldestBuilt = Math.min(oldestBuilt, statSync(html).mtimeMs, existsSync(js) ? statSync(js).mtimeMs : 0);
  }
  const newestSource = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
  if (newestSource > oldestBuilt) return "sources changed since the last build";
  return undefined;
}

/** Runs `webpack --mode production` (what `npm run build` and `npm run package` run) when needed. */
export function ensureBuilt(ext: ExtensionInfo, o: { log?: (line: string) => void; root?: string } = {}): void {
  const root = o.root ?? ROOT;
  const reason = staleReason(ext, root);
  if (!reason) return;
  // E2E_NO_BUILD=1: use dist/ as it is (a shared tree where someone's half-saved file breaks webpack).
  if (process.env.E2E_NO_BUILD === "1" && !/missing/.test(reason)) {
    o.log?.(`dist/ may be stale (${reason}); E2E_NO_BUILD=1 uses it as it is.`);
    return;
  }
  o.log?.(`Building the extension (webpack --mode production): ${reason}…`);
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/webpack-cli/bin/cli.js"), "--mode", "production"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`webpack --mode production failed:\n${r.stdout}\n${r.stderr}`);
  // Only presence is checked afterwards: in a shared tree sources may change while webpack runs.
  const missing = ext.contributions.find((c) => !existsSync(path.join(root, c.uri)));
  if (missing) throw new Error(`webpack --mode production did not produce ${missing.uri}`);
}

/** The pipeline task's bundle (dist-task/, what the .vsix carries), built when missing or older than its sources. */
export function ensureTaskBuilt(o: { log?: (line: string) => void; root?: string } = {}): string {
  const root = o.root ?? ROOT;
  const bundle = path.join(root, "dist-task/TestOpsPublishResults/index.js");
  const newest = Math.max(...["pipeline-task", "vss-extension.json"].map((s) => newestMtime(path.join(root, s))));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest) return bundle;
  o.log?.("Building the pipeline task (webpack --config pipeline-task/webpack.config.js)…");
  const r = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/webpack-cli/bin/cli.js"), "--config", "pipeline-task/webpack.config.js", "--mode", "production"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`building the pipeline task failed:\n${r.stdout}\n${r.stderr}`);
  return bundle;
}
