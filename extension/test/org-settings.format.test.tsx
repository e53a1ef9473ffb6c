import type { Connection } from "@testops/backend/schemas/connections";
import { createBody, draftOf, editBody, emptyDraft, validateDraft } from "../src/org-settings/draft";
import { auditText, hookSummary, patSummary, type HookHealthView } from "../src/org-settings/format";

const conn: Connection = {
  id: "c1",
  name: "Main",
  organizationUrl: "https://dev.azure.com/fabrikam",
  organizationName: "fabrikam",
  description: "",
  status: "Active",
  statusReason: null,
  statusChangedAt: "2030-01-01T00:00:00.000Z",
  pat: { setAt: "2030-01-01T10:00:00.000Z", expiresOn: "2030-01-31", ownerName: "Ada Admin" },
  hooks: { count: 5, error: null },
  createdBy: "u",
  createdAt: "2030-01-01T00:00:00.000Z",
  updatedBy: "u",
  updatedAt: "2030-01-01T00:00:00.000Z",
};

describe("org settings hub helpers", () => {
  it.each([
    [{}, "create", { name: "is required", organizationUrl: "is required", pat: "is required" }],
    [{ name: "n", organizationUrl: "https://dev.azure.com/fabrikam", pat: "p" }, "create", {}],
    [{ name: "n", organizationUrl: "https://dev.azure.com/fabrikam" }, "edit", {}],
    [
      { name: "n", organizationUrl: "https://dev.azure.com/", pat: "p" },
      "create",
      { organizationUrl: "must include the organization name" },
    ],
    [{ name: "n", organizationUrl: "ftp://x", pat: "p" }, "create", { organizationUrl: "must be an https:// URL" }],
    [{ name: "n", organizationUrl: "https://dev.azure.com/f", pat: "p q" }, "create", { pat: "no spaces" }],
    [
      { name: "n", organizationUrl: "https://dev.azure.com/f", pat: "p", patExpiresOn: "2030-02-30" },
      "create",
      { patExpiresOn: "YYYY-MM-DD" },
    ],
  ] as const)("validateDraft(%j, %s)", (partial, mode, want) => {
    const errors = validateDraft({ ...emptyDraft(), ...partial }, mode);
    expect(Object.keys(errors).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) expect(errors[k as keyof typeof errors]).toContain(v);
  });

  it("edit sends only what changed; an empty PAT keeps the stored one", () => {
    const d = draftOf(conn);
    expect(d.pat).toBe("");
    expect(editBody(conn, d)).toEqual({});
    expect(editBody(conn, { ...d, name: " Renamed ", pat: " newpat " })).toEqual({ name: "Renamed", pat: "newpat" });
    expect(editBody(conn, { ...d, patExpiresOn: "" })).toEqual({ patExpiresOn: null });
    expect(createBody({ ...emptyDraft(), name: " a ", organizationUrl: " https://dev.azure.com/f ", pat: "p" })).toEqual({
      name: "a",
      organizationUrl: "https://dev.azure.com/f",
      pat: "p",
      description: "",
      patExpiresOn: null,
    });
  });

  it("summarises the PAT without showing it, and warns before it expires", () => {
    const s = patSummary(conn, new Date(2030, 0, 25));
    expect(s.text).toMatch(/^PAT set on .+, expires .+, belongs to Ada Admin$/);
    expect(s.warning).toBe("The PAT expires in 6 days: replace it before then.");
    expect(patSummary(conn, new Date(2030, 0, 1)).warning).toBeUndefined();
    expect(patSummary(conn, new Date(2030, 1, 2)).warning).toMatch(/has expired/);
    expect(patSummary({ ...conn, pat: { ...conn.pat, expiresOn: null } }).text).toContain("expiry date not recorded");
  });

  it.each([
    [{ action: "connection.created", details: { hooksCreated: 5 } }, "Connected", "5 service hooks set up"],
    [
      { action: "connection.updated", details: { changed: ["name", "pat"], status: "Active" } },
      "Edited",
      "Changed name, PAT replaced. back to Active",
    ],
    [{ action: "connection.disconnected", details: { hooksRemoved: 1 } }, "Disconnected", "1 service hook removed"],
    [{ action: "connection.error", details: { reason: "PAT expired" } }, "PAT rejected by Azure DevOps", "PAT expired"],
    [{ action: "something.else", details: {} }, "something.else", ""],
  ])("auditText(%j)", (entry, action, details) => {
    expect(auditText(entry)).toEqual({ action, details });
  });
});

describe("hookSummary", () => {
  const h = (eventType: string, over: Partial<HookHealthView> = {}): HookHealthView => ({
    eventType,
    status: "enabled",
    checkedAt: "2030-01-01T10:00:00.000Z",
    lastDeliveryAt: null,
    lastAction: null,
    lastActionAt: null,
    ...over,
  });
  const when = (iso: string) => iso.slice(11, 16);
  it.each<[string, HookHealthView[], ReturnType<typeof hookSummary>]>([
    [
      "no subscriptions",
      [],
      {
        line: "Service hooks: none — changes in Azure DevOps reach TestOps at the next periodic sync",
        problems: [],
        lastDelivery: null,
        action: null,
      },
    ],
    [
      "never checked",
      [h("git.push", { status: null, checkedAt: null })],
      { line: "Service hooks: 1 set up, not checked with Azure DevOps yet", problems: [], lastDelivery: null, action: null },
    ],
    [
      "Azure DevOps' own states, the latest delivery and the latest repair",
      [
        h("workitem.updated", { status: "disabledBySystem", lastDeliveryAt: "2030-01-01T09:00:00.000Z" }),
        h("git.push", {
          status: "onProbation",
          lastDeliveryAt: "2030-01-01T09:30:00.000Z",
          lastAction: "old",
          lastActionAt: "2030-01-01T08:00:00.000Z",
        }),
        h("workitem.created", { status: "missing", lastAction: "Recreated", lastActionAt: "2030-01-01T09:45:00.000Z" }),
        h("workitem.deleted"),
      ],
      {
        line: "Service hooks: 1 of 4 enabled in Azure DevOps (checked 10:00)",
        problems: [
          "workitem.updated: disabled by Azure DevOps after failed deliveries",
          "git.push: on probation (Azure DevOps is retrying failed deliveries)",
          "workitem.created: deleted in Azure DevOps",
        ],
        lastDelivery: "Last delivery received 09:30",
        action: "09:45: Recreated",
      },
    ],
  ])("%s", (_what, hooks, expected) => {
    expect(hookSummary(hooks, when)).toEqual(expected);
  });
});
