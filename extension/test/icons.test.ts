/** @jest-environment node */
// azure-devops-ui draws icons from a font: an iconName it has no glyph for renders as nothing, silently.
// Every icon name the hubs use must be one the library's icon CSS defines.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const iconCss = path.join(root, "node_modules/azure-devops-ui/Components/Icon");

function knownIcons(): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync(iconCss).filter((f) => f.endsWith(".css")))
    for (const m of readFileSync(path.join(iconCss, f), "utf8").matchAll(/\.ms-Icon--([A-Za-z0-9]+):before/g)) names.add(m[1]);
  return names;
}

/** The expression after each `iconName:` / `iconName=` (balanced braces), and the icon names it can yield. */
function iconNamesIn(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/iconName\s*[:=]\s*/g)) {
    let i = m.index + m[0].length;
    let depth = 0;
    const start = i;
    for (; i < source.length; i++) {
      const c = source[i];
      if (c === "{" || c === "(") depth++;
      else if (c === "}" || c === ")") {
        if (depth === 0) break;
        depth--;
        if (depth === 0 && source[start] === "{") {
          i++;
          break;
        }
      } else if (c === "," && depth === 0) break;
    }
    // Results of the expression: a literal right at its start or after `?` / `:` / `(` / `??` (not the operands of comparisons).
    for (const lit of source.slice(start, i).matchAll(/(?:^\{?\s*|[?:(]\s*)"([A-Za-z0-9]+)"/g)) out.push(lit[1]);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

describe("icon names", () => {
  it("reads the names an iconName expression can take", () => {
    expect(iconNamesIn(`<Button iconProps={{ iconName: "Refresh" }} />`)).toEqual(["Refresh"]);
    expect(iconNamesIn(`<Icon iconName={open ? "ChevronDownMed" : "ChevronRightMed"} />`)).toEqual(["ChevronDownMed", "ChevronRightMed"]);
    expect(
      iconNamesIn(`<Icon iconName={n.kind === "link" ? "GitLogo" : (n.name === "Test Cases" ? "TestPlan" : "FabricFolder")} />`),
    ).toEqual(["GitLogo", "TestPlan", "FabricFolder"]);
    expect(iconNamesIn(`{ iconName: "Add", size: 1 }`)).toEqual(["Add"]);
  });

  it("every icon the hubs name has a glyph in azure-devops-ui", () => {
    const known = knownIcons();
    expect(known.size).toBeGreaterThan(100);
    const unknown = sources(path.join(root, "extension/src")).flatMap((f) =>
      iconNamesIn(readFileSync(f, "utf8"))
        .filter((n) => !known.has(n))
        .map((n) => `${path.relative(root, f)}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });
});
