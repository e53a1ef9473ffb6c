/** @jest-environment node */
import path from "node:path";
import { checkManifest, checkSourceManifest } from "../../scripts/vsix-check";

const root = path.resolve(__dirname, "../..");

describe("extension manifest", () => {
  it("declares only known types, targets and scopes, and every file it names exists", () => {
    // Files under dist/ exist only after a build; pretend they do here (package.ts checks the real .vsix).
    const manifest = require(path.join(root, "vss-extension.json"));
    const problems = checkManifest(manifest, (p) => p.startsWith("dist/") || require("node:fs").existsSync(path.join(root, p)));
    expect(problems).toEqual([]);
  });

  it("has the four contributions on their hub groups", () => {
    const manifest = require(path.join(root, "vss-extension.json"));
    const byTarget = Object.fromEntries(manifest.contributions.map((c: { targets: string[]; id: string }) => [c.targets[0], c.id]));
    expect(byTarget).toEqual({
      "ms.vss-web.collection-admin-hub-group": "org-settings",
      "ms.vss-web.project-admin-hub-group": "project-settings",
      "ms.vss-work-web.work-hub-group": "plans",
      "ms.vss-work-web.work-item-form": "work-item-results",
    });
  });

  it.each([
    [{ scopes: ["vso.wrk"] }, 'unknown scope "vso.wrk"'],
    [{ contributions: [{ id: "a", type: "ms.vss-web.hubb", targets: [] }] }, 'unknown contribution type "ms.vss-web.hubb"'],
    [{ contributions: [{ id: "a", type: "ms.vss-web.hub", targets: ["ms.vss-web.nowhere"] }] }, 'unknown target "ms.vss-web.nowhere"'],
    [
      { contributions: [{ id: "a", type: "ms.vss-web.hub", targets: [], properties: { uri: "dist/missing.html" } }] },
      'file "dist/missing.html" is not in the package',
    ],
    [
      {
        contributions: [
          { id: "a", type: "ms.vss-web.hub" },
          { id: "a", type: "ms.vss-web.hub" },
        ],
      },
      'duplicate contribution id "a"',
    ],
  ])("reports %p", (manifest, problem) => {
    expect(checkManifest(manifest, () => false).join("\n")).toContain(problem);
  });

  it("source manifest check sees icons and the overview", () => {
    expect(checkSourceManifest(root).filter((p) => !p.includes("dist/"))).toEqual([]);
  });
});
