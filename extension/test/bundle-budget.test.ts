/** @jest-environment node */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { BUDGETS_FILE, CEILING, checkBudgets, type Budget } from "../../scripts/bundle-budget";

describe("page bundle budgets", () => {
  const budgets: Record<string, Budget> = { a: { gzip: 100_000 }, big: { gzip: 150_000, overCeiling: "measured reason" } };

  it.each([
    ["at its budget", { a: 100_000, big: 150_000 }, []],
    ["10% over is still fine", { a: 110_000, big: 150_000 }, []],
    ["just over 10% fails, naming the page", { a: 110_001, big: 150_000 }, [/^a: .* over its budget/]],
    ["smaller is fine", { a: 50_000, big: 10_000 }, []],
    ["a page without a budget fails", { a: 100_000, big: 150_000, c: 1 }, [/^c: no recorded budget/]],
    ["a budgeted page that was not built fails", { a: 100_000 }, [/^big: budgeted but not built/]],
  ] as const)("%s", (_what, sizes, want) => {
    const problems = checkBudgets({ ...sizes }, budgets);
    expect(problems).toHaveLength(want.length);
    want.forEach((re, i) => expect(problems[i]).toMatch(re));
  });

  it("a page over the ceiling must say why in its budget", () => {
    expect(checkBudgets({ a: CEILING + 1 }, { a: { gzip: CEILING + 1 } })).toEqual([expect.stringMatching(/over the .* ceiling/)]);
  });

  it("the recorded budgets are well-formed: every page has a size, and one over the ceiling a reason", () => {
    const recorded = JSON.parse(readFileSync(BUDGETS_FILE, "utf8")) as Record<string, Budget>;
    // Every page webpack builds: a contribution folder's <name>.tsx, and a widget's <name>-config.tsx.
    const src = path.resolve(__dirname, "../src");
    const pages = readdirSync(src, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(src, d.name, `${d.name}.tsx`)))
      .flatMap((d) => [d.name, ...(existsSync(path.join(src, d.name, `${d.name}-config.tsx`)) ? [`${d.name}-config`] : [])]);
    expect(pages).toContain("pass-rate-widget-config");
    expect(Object.keys(recorded).sort()).toEqual(pages.sort());
    for (const b of Object.values(recorded)) {
      expect(b.gzip).toBeGreaterThan(0);
      if (b.gzip > CEILING) expect(b.overCeiling?.length).toBeGreaterThan(20);
    }
  });
});

/** Backend modules a file imports as values (type-only imports never reach the bundle). */
function valueImports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/import\s+(?!type\b)([^;]*?)\s+from\s+"([^"]+)"/g)]
    .filter((m) => !/^\{\s*(type\s+\w+\s*,?\s*)+\}$/.test(m[1].trim()))
    .map((m) => m[2]);
}
const backendSrc = path.resolve(__dirname, "../../backend/src");
function resolveBackend(spec: string, from: string): string | null {
  const base = spec.startsWith("@testops/backend/")
    ? path.join(backendSrc, spec.slice("@testops/backend/".length))
    : spec.startsWith(".")
      ? path.resolve(path.dirname(from), spec)
      : null;
  if (!base) return null;
  for (const f of [`${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) if (existsSync(f)) return f;
  return null;
}
const isZod = (spec: string) => spec === "zod" || spec.startsWith("zod/") || spec.startsWith("@hono/zod");
/** Does `file` (or a backend module it imports as a value, transitively) import zod? */
function pullsZod(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  return valueImports(file).some((spec) => {
    if (isZod(spec)) return true;
    const next = resolveBackend(spec, file);
    return next !== null && (next.startsWith(backendSrc) || spec.startsWith(".")) && pullsZod(next, seen);
  });
}
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [path.join(dir, d.name)] : [],
  );

it.each(["plans", "work-item-results"])("the %s page does not validate, so no zod reaches its bundle", (page) => {
  const offenders = files(path.resolve(__dirname, "../src", page)).filter((f) => pullsZod(f));
  expect(offenders.map((f) => path.relative(path.resolve(__dirname, ".."), f))).toEqual([]);
});

/** Source files in a page's first load: its entry's static value imports, transitively; chunks behind `import()` are not. */
function firstLoad(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const spec of valueImports(file)) {
    const next = resolveBackend(spec, file);
    if (next) firstLoad(next, seen);
  }
  return seen;
}
const src = path.resolve(__dirname, "../src");
const pages = readdirSync(src).filter((d) => existsSync(path.join(src, d, `${d}.tsx`)));

// Pages that validate a form (org settings, the Boards wizard, the Repos link panel) load that form and zod
// as a chunk when it opens; nothing the page loads up front may import zod.
it.each(pages)("the %s page's first load imports no zod (forms that validate with it are chunks loaded on demand)", (page) => {
  const offenders = [...firstLoad(path.join(src, page, `${page}.tsx`))].filter((f) => valueImports(f).some(isZod));
  expect(offenders.map((f) => path.relative(path.resolve(__dirname, "../.."), f))).toEqual([]);
});

it("the first-load walk follows static imports and stops at import() chunks", () => {
  const org = [...firstLoad(path.join(src, "org-settings/org-settings.tsx"))].map((f) => path.relative(src, f));
  expect(org).toEqual(expect.arrayContaining(["org-settings/ConnectionsHub.tsx", "org-settings/format.ts", "common/api.ts"]));
  expect(org).not.toContain("org-settings/ConnectionPanel.tsx");
  // The lazily loaded form does validate with zod: what the walk leaves out is what the chunk carries.
  expect(pullsZod(path.join(src, "org-settings/ConnectionPanel.tsx"))).toBe(true);
  const project = [...firstLoad(path.join(src, "project-settings/project-settings.tsx"))].map((f) => path.relative(src, f));
  expect(project).toContain("project-settings/boards/BoardsLinks.tsx");
  for (const lazy of ["boards/Wizard.tsx", "repos/ReposLinks.tsx", "runs/RunsTab.tsx"])
    expect(project).not.toContain(`project-settings/${lazy}`);
});
