import { CoalescingCache } from "../src/lib/cache";
import { defectFields, prefillFromResult, ruleErrorField, textToHtml, type TypeField } from "../src/results/defects";
import { isFlaky } from "../src/results/tests";
import type { Outcome } from "../src/schemas/results";

const o = (s: string) =>
  s.split("").map((c) => ({ outcome: ({ p: "passed", f: "failed", e: "error", s: "skipped" } as Record<string, Outcome>)[c] }));

describe("work item tests: pure parts", () => {
  it.each([
    ["", false],
    ["pppp", false],
    ["ffff", false],
    ["ffpp", false], // broke once and stays broken
    ["pfp", true],
    ["fpf", true],
    ["fspsf", true], // skips do not count
    ["epe", true],
    ["ppppppf", false],
  ])("flaky(%s) = %s", (seq, flaky) => {
    expect(isFlaky(o(seq))).toBe(flaky);
  });

  const FIELDS: TypeField[] = [
    { referenceName: "System.Title", name: "Title", alwaysRequired: true },
    { referenceName: "System.State", name: "State", alwaysRequired: true, defaultValue: "New", allowedValues: ["New", "Closed"] },
    { referenceName: "System.Description", name: "Description" },
    { referenceName: "Microsoft.VSTS.TCM.ReproSteps", name: "Repro Steps" },
    { referenceName: "System.AreaPath", name: "Area Path" },
    { referenceName: "Microsoft.VSTS.Common.Priority", name: "Priority", defaultValue: 2, allowedValues: [1, 2, 3, 4] },
    { referenceName: "Custom.FoundIn", name: "Found In", alwaysRequired: true, allowedValues: ["Test", "Production"] },
    { referenceName: "System.Tags", name: "Tags" },
  ];

  it("shows the usual bug fields and every required one, never the state; repro steps take the failure", () => {
    const f = defectFields(FIELDS, { "System.Title": "t fails", repro: "steps", "System.AreaPath": "P\\A" });
    expect(f.map((x) => [x.referenceName, x.kind, x.required, x.value])).toEqual([
      ["System.Title", "text", true, "t fails"],
      ["Microsoft.VSTS.TCM.ReproSteps", "html", false, "steps"],
      ["System.AreaPath", "text", false, "P\\A"],
      ["Microsoft.VSTS.Common.Priority", "choice", false, "2"],
      ["Custom.FoundIn", "choice", true, ""],
    ]);
    expect(f[3].allowedValues).toEqual(["1", "2", "3", "4"]);
  });

  it("puts the failure in the description for a type without repro steps (Basic's Issue)", () => {
    const f = defectFields(
      FIELDS.filter((x) => x.referenceName !== "Microsoft.VSTS.TCM.ReproSteps"),
      { repro: "steps" },
    );
    expect(f.find((x) => x.referenceName === "System.Description")).toMatchObject({ kind: "html", value: "steps" });
  });

  const BASE = {
    id: 1,
    name: "pays",
    full_name: "Checkout.pays",
    outcome: "failed",
    message: "Expected 200\nbut was 500",
    stack: "at Checkout.pays",
    ado_result_id: 100001,
    run_id: "r",
    run_name: "Nightly 7",
    source: "GitHub Actions",
    ado_run_id: 5,
    ado_run_url: "https://dev.azure.com/fabrikam/P/_testManagement/runs?runId=5",
  };

  it("prefills title and repro steps from the failed result", () => {
    const p = prefillFromResult(BASE, { id: 12, title: "Pay by card" });
    expect(p.title).toBe("pays fails: Expected 200");
    expect(p.repro).toContain("Run: Nightly 7 (Azure Test Plans: https://dev.azure.com/fabrikam/P/_testManagement/runs?runId=5)");
    expect(p.repro).toContain("Environment: GitHub Actions");
    expect(p.repro).toContain("Stack trace:\nat Checkout.pays");
    expect(prefillFromResult({ ...BASE, name: "x".repeat(300), message: null, stack: null }, { id: 1, title: "" }).title).toHaveLength(255);
    expect(prefillFromResult({ ...BASE, message: `${"word ".repeat(40)}end` }, { id: 1, title: "" }).title).toBe(
      `pays fails: ${"word ".repeat(24).trim()}…`,
    );
  });

  it("maps TF401320 to the field it names", () => {
    const msg = "TF401320: Rule Error for field Found In. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.";
    expect(ruleErrorField(msg, FIELDS)).toMatchObject({ field: "Custom.FoundIn" });
    expect(ruleErrorField("TF401320: Rule Error for field Unknown Thing.", FIELDS)).toMatchObject({ field: "Unknown Thing" });
    expect(ruleErrorField("VS402323: no such type", FIELDS)).toBeNull();
  });

  it("turns typed text into safe HTML", () => {
    expect(textToHtml(`a <b>\r\n"c" & d`)).toBe("a &lt;b&gt;<br>&quot;c&quot; &amp; d");
  });

  it("coalesces concurrent misses into one load and does not cache failures", async () => {
    const cache = new CoalescingCache(60_000);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return loads;
    };
    expect(await Promise.all(Array.from({ length: 16 }, () => cache.get("k", load)))).toEqual(Array(16).fill(1));
    expect(await cache.get("k", load)).toBe(1);
    await expect(cache.get("bad", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(await cache.get("bad", async () => 7)).toBe(7);
  });
});
