// Page bundle budgets: each contribution page's JavaScript (dist/<page>/*.js, gzip -9) against the
// size recorded in extension/bundle-budgets.json. A page more than 10% over its recorded size fails
// the package step, so growth is a decision (update the budget in the same change), never an accident.
// Run after a production build: `node --import tsx scripts/bundle-budget.ts` (`--record` rewrites the budgets).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** Growth over the recorded size a page may have before it fails. */
export const TOLERANCE = 0.1;
/** Issue #18's ceiling for any page (gzip bytes); pages over it are reported, with the recorded reason. */
export const CEILING = 120 * 1024;

export interface Budget {
  /** gzip -9 bytes of the page's JS when recorded. */
  gzip: number;
  /** Why a page is over CEILING (measured), when it is. */
  overCeiling?: string;
}

/** Problems with measured page sizes (gzip bytes) against the recorded budgets. */
export function checkBudgets(sizes: Record<string, number>, budgets: Record<string, Budget>): string[] {
  const problems: string[] = [];
  for (const [page, size] of Object.entries(sizes)) {
    const b = budgets[page];
    if (!b) {
      problems.push(`${page}: no recorded budget (${kb(size)} gzip); record one in extension/bundle-budgets.json`);
      continue;
    }
    if (size > b.gzip * (1 + TOLERANCE))
      problems.push(
        `${page}: ${kb(size)} gzip is ${(((size - b.gzip) / b.gzip) * 100).toFixed(1)}% over its budget of ${kb(b.gzip)} (more than ${TOLERANCE * 100}%); make it smaller or update the budget`,
      );
    if (size > CEILING && !b.overCeiling)
      problems.push(`${page}: ${kb(size)} gzip is over the ${kb(CEILING)} ceiling and the budget gives no reason`);
  }
  for (const page of Object.keys(budgets)) if (!(page in sizes)) problems.push(`${page}: budgeted but not built`);
  return problems;
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

/** gzip -9 bytes of each page's JS in a webpack output folder. */
export function measurePages(dist: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of readdirSync(dist, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === "assets") continue;
    const files = readdirSync(path.join(dist, d.name));
    // A page is a folder with its HTML; chunks loaded on demand (React.lazy) are not part of a page's first load.
    if (!files.includes(`${d.name}.html`)) continue;
    const js = files.filter((f) => f.endsWith(".js"));
    if (!js.length) continue;
    out[d.name] = js.reduce((n, f) => n + gzipSync(readFileSync(path.join(dist, d.name, f)), { level: 9 }).byteLength, 0);
  }
  return out;
}

export const BUDGETS_FILE = path.resolve(__dirname, "../extension/bundle-budgets.json");

if (require.main === module) {
  const sizes = measurePages(path.resolve(__dirname, "../dist"));
  const budgets = JSON.parse(readFileSync(BUDGETS_FILE, "utf8")) as Record<string, Budget>;
  if (process.argv.includes("--record")) {
    const next = Object.fromEntries(Object.entries(sizes).map(([p, gzip]) => [p, { ...budgets[p], gzip }]));
    writeFileSync(BUDGETS_FILE, JSON.stringify(next, null, 2) + "\n");
  }
  for (const [p, s] of Object.entries(sizes)) console.log(`${p}: ${kb(s)} gzip (budget ${budgets[p] ? kb(budgets[p].gzip) : "none"})`);
  const problems = checkBudgets(sizes, process.argv.includes("--record") ? JSON.parse(readFileSync(BUDGETS_FILE, "utf8")) : budgets);
  if (problems.length) {
    console.error("Page bundles over budget:\n  " + problems.join("\n  "));
    process.exit(1);
  }
}
