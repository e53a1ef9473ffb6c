import { AdoError } from "../src/ado/errors";
import { failureOutcome, featureTable, REQUIREMENTS, type Capability, type CapabilityState } from "../src/connections/probe";

const all = (s: CapabilityState): Record<Capability, CapabilityState> => ({
  project: s,
  work: s,
  workWrite: s,
  code: s,
  testWrite: s,
  editSubscriptions: s,
  readPermissions: s,
});
const no = (c: Capability): CapabilityState => ({ state: "no", requirement: REQUIREMENTS[c] });

describe("Test Connection feature table (pure)", () => {
  it("every feature allowed when every capability is there", () => {
    const table = featureTable(all({ state: "yes" }));
    expect(table.every((f) => f.allowed === true && f.missing.length === 0)).toBe(true);
    expect(table.filter((f) => f.detail !== null).map((f) => f.feature)).toEqual(["linkDefect", "createDefect"]);
  });

  it("the create defect row says defects are created with the user's token, and whether the PAT can stand in", () => {
    const ok = featureTable(all({ state: "yes" })).find((f) => f.feature === "createDefect")!;
    expect(ok.detail).toContain("each user's own Azure DevOps token");
    expect(ok.detail).toContain("this PAT creates it instead and the description names the user");
    const without = featureTable({ ...all({ state: "yes" }), workWrite: no("workWrite") }).find((f) => f.feature === "createDefect")!;
    expect(without).toMatchObject({ allowed: true, missing: [] });
    expect(without.detail).toContain("cannot stand in");
  });

  it.each([
    ["workWrite", ["linkTestCase"]],
    ["testWrite", ["pushTestResult"]],
    ["code", ["manualSync", "handleWebhookEvents", "webhookSetup"]],
    ["project", ["manualSync"]],
    ["editSubscriptions", ["webhookSetup"]],
    ["readPermissions", ["roleChecks"]],
  ] as const)("missing %s blocks exactly %j, naming it", (cap, blocked) => {
    const table = featureTable({ ...all({ state: "yes" }), [cap]: no(cap) });
    expect(table.filter((f) => f.allowed === false).map((f) => f.feature)).toEqual(blocked);
    for (const f of table.filter((x) => x.allowed === false)) {
      expect(f.missing).toEqual([REQUIREMENTS[cap]]);
      expect(f.detail).toContain(REQUIREMENTS[cap].label);
    }
  });

  it("unknown is neither yes nor no, and says why; a known gap still wins", () => {
    const table = featureTable({ ...all({ state: "yes" }), testWrite: { state: "unknown", detail: "no project" } });
    expect(table.find((f) => f.feature === "pushTestResult")).toMatchObject({ allowed: null, missing: [], detail: "no project" });
    const both = featureTable({ ...all({ state: "yes" }), work: no("work"), code: { state: "unknown", detail: "timeout" } });
    expect(both.find((f) => f.feature === "manualSync")).toMatchObject({ allowed: false, missing: [REQUIREMENTS.work] });
  });

  it.each([
    [new AdoError("bad_credentials", "x"), "bad_credentials", "pat"],
    [new AdoError("not_found", "x"), "unreachable", "organizationUrl"],
    [new AdoError("unreachable", "x"), "unreachable", "organizationUrl"],
    [new AdoError("throttled", "x", { retryAfterSec: 30 }), "throttled", null],
    [new AdoError("server", "x"), "unavailable", null],
  ])("failureOutcome(%s)", (err, outcome, field) => {
    expect(failureOutcome(err, "https://dev.azure.com/x")).toMatchObject({ outcome, field });
  });
});
