// npm run package: webpack production build (run by the npm script), then `tfx extension create`
// (offline), then our own manifest check of the produced .vsix.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BUDGETS_FILE, checkBudgets, measurePages, type Budget } from "./bundle-budget";
import { checkSourceManifest, checkVsix } from "./vsix-check";

const root = path.resolve(__dirname, "..");
const before = checkSourceManifest(root);
if (before.length) {
  console.error("vss-extension.json has problems:\n  " + before.join("\n  "));
  process.exit(1);
}
// Page sizes first: a page that grew more than 10% over its recorded budget fails the package step.
const sizes = measurePages(path.join(root, "dist"));
const budgetProblems = checkBudgets(sizes, JSON.parse(readFileSync(BUDGETS_FILE, "utf8")) as Record<string, Budget>);
if (budgetProblems.length) {
  console.error("Page bundles over budget (scripts/bundle-budget.ts):\n  " + budgetProblems.join("\n  "));
  process.exit(1);
}
const out = path.join(root, "out");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const overrides = process.env.VSIX_OVERRIDES ? ["--overrides-file", process.env.VSIX_OVERRIDES] : [];
execFileSync(
  path.join(root, "node_modules/.bin/tfx"),
  ["extension", "create", "--manifest-globs", "vss-extension.json", "--output-path", out, "--no-prompt", "--json", ...overrides],
  {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  },
);
const vsix = readdirSync(out).find((f) => f.endsWith(".vsix"));
if (!vsix) {
  console.error("tfx produced no .vsix");
  process.exit(1);
}
const { problems, contributions } = checkVsix(path.join(out, vsix));
if (problems.length) {
  console.error(`${vsix} has problems:\n  ` + problems.join("\n  "));
  process.exit(1);
}
console.log(`out/${vsix}\n  contributions:\n    ${contributions.join("\n    ")}`);
