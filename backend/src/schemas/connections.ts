import { z } from "zod";

// Shared by the backend routes and the org settings hub (inline validation uses the same limits and
// messages). Browser-safe: plain zod only. The server additionally runs parseOrganizationUrl (hosts,
// SSRF guard) and asks Azure DevOps about the PAT.

export const CONNECTION_LIMITS = { name: 50, description: 255, organizationUrl: 300, pat: 1024 } as const;

export const CONNECTION_STATUSES = ["Active", "Inactive", "Error"] as const;

const ORG_URL_EXAMPLE = "e.g. https://dev.azure.com/fabrikam";

/** Browser-side first look at an organization URL; the server's parseOrganizationUrl has the last word. */
export function organizationUrlProblem(input: string): string | undefined {
  const raw = input.trim();
  if (!raw) return `is required (${ORG_URL_EXAMPLE})`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `is not a valid URL (${ORG_URL_EXAMPLE})`;
  }
  if (u.protocol === "http:") return "must use https:// (Azure DevOps does not accept PATs over plain http)";
  if (u.protocol !== "https:") return `must be an https:// URL (${ORG_URL_EXAMPLE})`;
  if (u.hostname.toLowerCase() === "dev.azure.com" && !u.pathname.split("/").filter(Boolean)[0])
    return `must include the organization name (${ORG_URL_EXAMPLE})`;
  return undefined;
}

export const connectionName = z
  .string("is required")
  .trim()
  .min(1, "is required")
  .max(CONNECTION_LIMITS.name, `must be at most ${CONNECTION_LIMITS.name} characters`);

export const organizationUrl = z
  .string("is required")
  .trim()
  .max(CONNECTION_LIMITS.organizationUrl, `must be at most ${CONNECTION_LIMITS.organizationUrl} characters`)
  .superRefine((v, ctx) => {
    const problem = organizationUrlProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const personalAccessToken = z
  .string("is required")
  .trim()
  .min(1, "is required")
  .max(CONNECTION_LIMITS.pat, `must be at most ${CONNECTION_LIMITS.pat} characters`)
  .regex(/^[\x21-\x7e]+$/, "must be the token exactly as Azure DevOps showed it (no spaces or line breaks)");

export const connectionDescription = z
  .string()
  .max(CONNECTION_LIMITS.description, `must be at most ${CONNECTION_LIMITS.description} characters`);

/** The date the admin chose when creating the PAT in Azure DevOps (ADO does not tell a PAT its own expiry). */
export const patExpiresOn = z.iso.date("must be a date (YYYY-MM-DD)").nullable();

export const CreateConnectionSchema = z.object({
  name: connectionName,
  organizationUrl,
  pat: personalAccessToken,
  description: connectionDescription.optional(),
  patExpiresOn: patExpiresOn.optional(),
});
export type CreateConnectionInput = z.infer<typeof CreateConnectionSchema>;

/** Edit: every field optional; a PAT given here replaces the stored one (which is never read back). */
export const UpdateConnectionSchema = z
  .object({
    name: connectionName.optional(),
    organizationUrl: organizationUrl.optional(),
    pat: personalAccessToken.optional(),
    description: connectionDescription.optional(),
    patExpiresOn: patExpiresOn.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change", path: ["body"] });
export type UpdateConnectionInput = z.infer<typeof UpdateConnectionSchema>;

/** Test a PAT before saving (organizationUrl + pat), or a saved connection (connectionId, optionally with a new PAT/URL). */
export const TestConnectionSchema = z
  .object({
    connectionId: z.uuid("must be a connection id").optional(),
    organizationUrl: organizationUrl.optional(),
    pat: personalAccessToken.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.connectionId) return;
    if (v.organizationUrl === undefined)
      ctx.addIssue({ code: "custom", path: ["organizationUrl"], message: `is required (${ORG_URL_EXAMPLE})` });
    if (v.pat === undefined) ctx.addIssue({ code: "custom", path: ["pat"], message: "is required" });
  });
export type TestConnectionInput = z.infer<typeof TestConnectionSchema>;

export const ConnectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  organizationUrl: z.string(),
  organizationName: z.string(),
  description: z.string(),
  status: z.enum(CONNECTION_STATUSES),
  /** Why the status is Error (or Inactive: who disconnected it); null when Active. */
  statusReason: z.string().nullable(),
  statusChangedAt: z.string(),
  /** What is known about the stored PAT: never the token, nor any part of it. */
  pat: z.object({ setAt: z.string(), expiresOn: z.string().nullable(), ownerName: z.string().nullable() }),
  hooks: z.object({ count: z.number().int(), error: z.string().nullable() }),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedBy: z.string(),
  updatedAt: z.string(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

export const FEATURES = [
  { key: "manualSync", label: "Manual sync" },
  { key: "linkDefect", label: "Link defect" },
  { key: "createDefect", label: "Create defect" },
  { key: "pushTestResult", label: "Push test result" },
  { key: "linkTestCase", label: "Link test case" },
  { key: "handleWebhookEvents", label: "Handle webhook events" },
  { key: "webhookSetup", label: "Webhook setup" },
  // Azure DevOps does not answer permission checks for the extension's token; the PAT reads members' roles.
  { key: "roleChecks", label: "Check members' roles" },
] as const;
export type FeatureKey = (typeof FEATURES)[number]["key"];

export const RequirementSchema = z.object({
  kind: z.enum(["scope", "permission"]),
  /** e.g. "vso.work_write" or "Edit subscriptions". */
  name: z.string(),
  /** As Azure DevOps shows it, e.g. "Work Items (Read & write)". */
  label: z.string(),
});
export type Requirement = z.infer<typeof RequirementSchema>;

export const FeatureResultSchema = z.object({
  feature: z.enum(FEATURES.map((f) => f.key) as [FeatureKey, ...FeatureKey[]]),
  label: z.string(),
  /** null = could not be determined (the reason is in `detail`). */
  allowed: z.boolean().nullable(),
  missing: z.array(RequirementSchema),
  detail: z.string().nullable(),
});
export type FeatureResult = z.infer<typeof FeatureResultSchema>;

export const TEST_OUTCOMES = ["ok", "bad_credentials", "wrong_organization", "unreachable", "throttled", "unavailable"] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

export const TestResultSchema = z.object({
  outcome: z.enum(TEST_OUTCOMES),
  message: z.string(),
  /** The field to blame in the form, when one is (pat, organizationUrl). */
  field: z.enum(["pat", "organizationUrl"]).nullable(),
  user: z.object({ id: z.string(), displayName: z.string(), uniqueName: z.string().nullable() }).nullable(),
  organization: z.object({ id: z.string(), name: z.string(), url: z.string() }).nullable(),
  features: z.array(FeatureResultSchema),
  retryAfterSec: z.number().nullable(),
  checkedAt: z.string(),
});
export type TestResult = z.infer<typeof TestResultSchema>;
