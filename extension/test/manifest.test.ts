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
    const byTarget = Object.fromEntries(
      manifest.contributions
        .filter((c: { type: string }) => !c.type.startsWith("ms.vss-dashboards-web."))
        .map((c: { targets: string[]; id: string }) => [c.targets[0], c.id]),
    );
    expect(byTarget).toEqual({
      "ms.vss-web.collection-admin-hub-group": "org-settings",
      "ms.vss-web.project-admin-hub-group": "project-settings",
      "ms.vss-work-web.work-hub-group": "plans",
      "ms.vss-work-web.work-item-form": "work-item-results",
      "ms.vss-distributed-task.tasks": "publish-results-task",
    });
  });

  it("has the three dashboard widgets in the catalog, each with its configuration", () => {
    const manifest = require(path.join(root, "vss-extension.json"));
    type C = { id: string; type: string; targets: string[]; properties: Record<string, unknown> };
    const widgets = (manifest.contributions as C[]).filter((c) => c.type === "ms.vss-dashboards-web.widget");
    expect(widgets.map((w) => [w.id, w.targets])).toEqual(
      ["pass-rate-widget", "coverage-widget", "flaky-widget"].map((id) => [id, ["ms.vss-dashboards-web.widget-catalog", `.${id}-config`]]),
    );
    for (const w of widgets) {
      expect(w.properties).toMatchObject({ supportedScopes: ["project_team"], isNameConfigurable: true });
      const config = (manifest.contributions as C[]).find((c) => c.id === `${w.id}-config`)!;
      expect(config).toMatchObject({
        type: "ms.vss-dashboards-web.widget-configuration",
        targets: ["ms.vss-dashboards-web.widget-configuration"],
      });
      expect(config.properties.uri).toBe(`dist/${w.id}-config/${w.id}-config.html`);
    }
  });

  const widget = (props: Record<string, unknown>, targets = ["ms.vss-dashboards-web.widget-catalog"]) => ({
    contributions: [
      {
        id: "w",
        type: "ms.vss-dashboards-web.widget",
        targets,
        properties: {
          name: "W",
          catalogIconUrl: "i.png",
          previewImageUrl: "p.png",
          supportedSizes: [{ rowSpan: 2, columnSpan: 2 }],
          supportedScopes: ["project_team"],
          ...props,
        },
      },
      { id: "c", type: "ms.vss-web.hub", targets: [] },
    ],
  });
  it.each([
    [widget({}, ["ms.vss-web.project-hub-groups-collection"]), "must target ms.vss-dashboards-web.widget-catalog"],
    [widget({ supportedSizes: [] }), "needs supportedSizes"],
    [widget({ supportedSizes: [{ rowSpan: 0, columnSpan: 2 }] }), "needs whole rowSpan and columnSpan"],
    [widget({ supportedSizes: [{ rowSpan: 2, columnSpan: 11 }] }), "needs whole rowSpan and columnSpan"],
    [widget({ supportedScopes: ["everywhere"] }), 'unknown widget scope "everywhere"'],
    [widget({ previewImageUrl: undefined }), "needs previewImageUrl"],
    [widget({}), 'file "p.png" is not in the package'],
    [widget({}, ["ms.vss-dashboards-web.widget-catalog", ".missing"]), '".missing" is not a contribution'],
    [widget({}, ["ms.vss-dashboards-web.widget-catalog", ".c"]), "not a ms.vss-dashboards-web.widget-configuration"],
    [
      {
        contributions: [{ id: "c", type: "ms.vss-dashboards-web.widget-configuration", targets: ["ms.vss-dashboards-web.widget-catalog"] }],
      },
      "must target ms.vss-dashboards-web.widget-configuration",
    ],
  ])("reports a widget problem %#", (manifest, problem) => {
    expect(checkManifest(manifest, () => false).join("\n")).toContain(problem);
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
