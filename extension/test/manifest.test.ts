/** @jest-environment node */
import path from "node:path";
import { readFileSync } from "node:fs";
import { checkManifest, checkSourceManifest, checkTask } from "../../scripts/vsix-check";

const root = path.resolve(__dirname, "../..");

describe("extension manifest", () => {
  it("declares only known types, targets and scopes, and every file it names exists", () => {
    // Files under dist/ exist only after a build; pretend they do here (package.ts checks the real .vsix).
    const manifest = require(path.join(root, "vss-extension.json"));
    const problems = checkManifest(manifest, (p) => p.startsWith("dist/") || require("node:fs").existsSync(path.join(root, p)));
    expect(problems).toEqual([]);
  });

  it("has the five contributions on their hub groups", () => {
    const manifest = require(path.join(root, "vss-extension.json"));
    const byTarget = Object.fromEntries(manifest.contributions.map((c: { targets: string[]; id: string }) => [c.targets[0], c.id]));
    expect(byTarget).toEqual({
      "ms.vss-web.collection-admin-hub-group": "org-settings",
      "ms.vss-web.project-admin-hub-group": "project-settings",
      "ms.vss-work-web.work-hub-group": "plans",
      "ms.vss-work-web.work-item-form": "work-item-results",
      "ms.vss-distributed-task.tasks": "publish-results-task",
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

describe("pipeline task check", () => {
  const source = readFileSync(path.join(root, "pipeline-task/task/task.json"), "utf8");
  const ext = require(path.join(root, "vss-extension.json")).version as string;
  // What the build writes into the package: the source task.json with the version following the extension's.
  const built = (edit: (t: Record<string, any>) => void = () => undefined, extensionVersion = ext) => {
    const t = JSON.parse(source);
    t.version = require("../../pipeline-task/version").taskVersionFor(extensionVersion, t.version.Major);
    edit(t);
    return JSON.stringify(t);
  };
  const inPackage = (p: string) => p === "TestOpsPublishResults/index.js";

  it("accepts the task as built", () => {
    expect(checkTask(built(), "TestOpsPublishResults", inPackage, ext)).toEqual([]);
  });

  it.each([
    ["not JSON", () => "{", "not valid JSON"],
    ["a version that did not grow with the extension", () => built(undefined, "0.0.9"), "does not follow the extension's"],
    [
      "a handler file missing from the package",
      () => built((t) => (t.execution.Node20_1.target = "main.js")),
      '"main.js" is not in the package',
    ],
    ["no Node handler", () => built((t) => (t.execution = { PowerShell3: { target: "x.ps1" } })), "needs a Node handler"],
    ["an id that is not a GUID", () => built((t) => (t.id = "testops")), "id must be a GUID"],
    ["a duplicate input", () => built((t) => t.inputs.push({ ...t.inputs[0] })), "declared twice"],
    ["an unknown input type", () => built((t) => (t.inputs[0].type = "text")), 'unknown type "text"'],
    [
      "a pickList default that is not an option",
      () => built((t) => (t.inputs.find((i: any) => i.type === "pickList").defaultValue = "all")),
      "not one of its options",
    ],
  ])("reports %s", (_what, json, problem) => {
    expect(checkTask(json(), "TestOpsPublishResults", inPackage, ext).join("\n")).toContain(problem);
  });
});
