// The one test command (npm test): lint, typecheck, unit/integration tests (backend on PGlite and
// Postgres, simulator, hub components), production build + .vsix check, browser journeys.
// Ends with the line CI reads: "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(new URL(".", import.meta.url).pathname, "..");
const only = process.argv.slice(2); // e.g. `npm test -- unit` or `npm test -- e2e`
const want = (step) => only.length === 0 || only.includes(step);
let passed = 0;
let failed = 0;
const failures = [];

function run(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  return r.status === 0;
}
function check(name, ok) {
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
}
function jest(name, args) {
  const tmp = path.join(root, ".tmp");
  mkdirSync(tmp, { recursive: true });
  const out = path.join(tmp, `jest-${name}.json`);
  rmSync(out, { force: true });
  const ok = run(name, process.execPath, [
    "--experimental-vm-modules",
    "node_modules/jest/bin/jest.js",
    "--json",
    `--outputFile=${out}`,
    // Client libraries (pg-boss, undici) may keep timers alive after the last test; never hang CI on them.
    "--forceExit",
    ...args,
  ]);
  if (!existsSync(out)) {
    check(`${name} (jest did not report)`, false);
    return;
  }
  const r = JSON.parse(readFileSync(out, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  for (const s of r.testResults) {
    for (const t of s.assertionResults) if (t.status === "failed") failures.push(`${path.relative(root, s.name)} › ${t.fullName}`);
    // A suite that failed to load has no assertions but must still fail the run.
    if (s.status === "failed" && s.assertionResults.every((t) => t.status !== "failed"))
      check(`${path.relative(root, s.name)} (suite failed to run)`, false);
  }
  if (!ok && r.numFailedTests === 0 && r.numRuntimeErrorTestSuites === 0) check(`${name} (jest exited non-zero)`, false);
}

if (want("lint")) {
  check("eslint", run("eslint", process.execPath, ["node_modules/eslint/bin/eslint.js", "--max-warnings=0", "."]));
  check("prettier", run("prettier", process.execPath, ["node_modules/prettier/bin/prettier.cjs", "--check", "--log-level=warn", "."]));
}
if (want("typecheck")) check("typecheck", run("typecheck", process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"]));
if (want("unit")) jest("unit", ["--selectProjects", "backend", "ado-sim", "extension"]);
if (want("package")) check("package (.vsix + manifest check)", run("package", "npm", ["run", "--silent", "package"]));
if (want("e2e") && existsSync(path.join(root, "e2e/jest.config.js"))) jest("e2e", ["--config", "e2e/jest.config.js", "--runInBand"]);

if (failures.length) console.log(`\nFailed:\n  ${failures.join("\n  ")}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
