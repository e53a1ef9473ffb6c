import type { AdoClient } from "../ado/client";
import { connectionData, evaluatePermissions } from "../ado/endpoints";
import { AdoError, isAdoError } from "../ado/errors";
import { FEATURES, type FeatureKey, type FeatureResult, type Requirement, type TestResult } from "../schemas/connections";

/**
 * Test Connection: proves the PAT (connectionData names its owner and the organization) and finds
 * which features it allows by probing one scope per cheap call. Probes never change anything in
 * Azure DevOps: reads, or writes aimed at ids that cannot exist and guarded by a failing JSON Patch
 * `test` op plus validateOnly. ADO checks a PAT's scope before it looks the resource up, so any
 * answer other than 401 TF400813 proves the scope.
 */
export type Capability = "project" | "work" | "workWrite" | "code" | "testWrite" | "editSubscriptions" | "readPermissions";

export const REQUIREMENTS: Record<Capability, Requirement> = {
  project: { kind: "scope", name: "vso.project", label: "Project and Team (Read)" },
  work: { kind: "scope", name: "vso.work", label: "Work Items (Read)" },
  workWrite: { kind: "scope", name: "vso.work_write", label: "Work Items (Read & write)" },
  code: { kind: "scope", name: "vso.code", label: "Code (Read)" },
  testWrite: { kind: "scope", name: "vso.test_write", label: "Test Management (Read & write)" },
  editSubscriptions: {
    kind: "permission",
    name: "Edit subscriptions",
    label: "Service hooks: Edit subscriptions (Project Collection Administrators have it)",
  },
  // Reading another identity's effective permissions (ACL query): the PAT's owner must administer the
  // organization, and a scoped PAT needs the security scope (docs/ado-fidelity.md, point 10).
  readPermissions: { kind: "scope", name: "vso.security_manage", label: "Security (Manage)" },
};

/**
 * What each feature needs from the PAT. Defects are created, searched and linked with each user's own
 * token (backend/src/results/defects.ts), so neither defect row needs anything from the PAT; what the
 * PAT adds to Create defect is said in its detail (FEATURE_NOTES).
 */
export const FEATURE_NEEDS: Record<FeatureKey, Capability[]> = {
  manualSync: ["project", "work", "code"],
  linkDefect: [],
  createDefect: [],
  pushTestResult: ["testWrite"],
  linkTestCase: ["workWrite"],
  handleWebhookEvents: ["work", "code"],
  webhookSetup: ["work", "code", "editSubscriptions"],
  roleChecks: ["readPermissions"],
};

export type CapabilityState =
  { state: "yes" } | { state: "no"; requirement: Requirement; detail?: string } | { state: "unknown"; detail: string };

/** What a feature's row says beyond its needs: the truth about which credential it uses. */
export const FEATURE_NOTES: Partial<Record<FeatureKey, (caps: Record<Capability, CapabilityState>) => string>> = {
  createDefect: (caps) =>
    "Defects are created with each user's own Azure DevOps token, so the bug's history shows who filed it and their permissions apply. " +
    (caps.workWrite.state === "yes"
      ? "When a user's token lacks the Work Items (Read & write) scope (the extension not yet re-authorized), this PAT creates it instead and the description names the user"
      : "This PAT cannot stand in when a user's token lacks the Work Items (Read & write) scope (it lacks vso.work_write itself)"),
  linkDefect: () => "Searching and linking use each user's own token (they only find what they may read); links are stored by TestOps",
};

/** The per-feature table from what the probes found (pure; table-tested). */
export function featureTable(caps: Record<Capability, CapabilityState>): FeatureResult[] {
  return FEATURES.map(({ key, label }) => {
    const states = FEATURE_NEEDS[key].map((c) => caps[c]);
    const missing = states.flatMap((s) => (s.state === "no" ? [s.requirement] : []));
    const unknown = states.flatMap((s) => (s.state === "unknown" ? [s.detail] : []));
    const noDetails = states.flatMap((s) => (s.state === "no" && s.detail ? [s.detail] : []));
    const allowed = missing.length > 0 ? false : unknown.length > 0 ? null : true;
    const detail =
      [
        ...(missing.length ? [`Missing: ${missing.map((m) => `${m.label}${m.kind === "scope" ? ` (${m.name})` : ""}`).join(", ")}`] : []),
        ...noDetails,
        ...unknown,
        ...(FEATURE_NOTES[key] ? [FEATURE_NOTES[key](caps)] : []),
      ].join(". ") || null;
    return { feature: key, label, allowed, missing, detail };
  });
}

const ok = (): CapabilityState => ({ state: "yes" });

/** Runs one probe; only failures that say nothing about the capability escape (credentials, throttling, network). */
async function probe(cap: Capability, call: () => Promise<unknown>): Promise<CapabilityState> {
  try {
    await call();
    return ok();
  } catch (e) {
    if (!isAdoError(e)) throw e;
    switch (e.kind) {
      case "missing_scope":
        return { state: "no", requirement: REQUIREMENTS[cap] };
      // The scope was accepted and the request reached the resource, which refused as intended.
      case "not_found":
      case "bad_request":
      case "conflict":
        return ok();
      case "forbidden":
        return {
          state: "no",
          requirement: { kind: "permission", name: REQUIREMENTS[cap].label, label: `${REQUIREMENTS[cap].label}: permission denied` },
          detail: e.details.adoMessage ?? e.message,
        };
      case "server":
        return { state: "unknown", detail: `${REQUIREMENTS[cap].label} could not be checked: ${e.message}` };
      default:
        throw e;
    }
  }
}

/** An id no work item or test run can have: writes aimed at it can only fail. */
const NO_SUCH_ID = 2147483647;
const SERVICE_HOOKS_NAMESPACE = "cb594ebe-87dd-4fc9-ac2c-6a10a4c92046";
const EDIT_SUBSCRIPTIONS = 2;
const COLLECTION_NAMESPACE = "3e65f728-f8bc-4ecd-8764-7e378b19bfa7";

export interface ProbeContext {
  /** The organization the hub runs in (instanceId); a PAT for another org is refused. */
  expectedOrgId: string;
  orgName: string;
  orgUrl: string;
  /** Shortcut for the hooks permission when the admin testing is the PAT's owner. */
  requesterId: string;
  requesterIsAdmin: boolean;
  signal?: AbortSignal;
}

type Failure = Pick<TestResult, "outcome" | "message" | "field" | "retryAfterSec">;

/** Maps a failure of the credential check itself to the Test Connection outcome. */
export function failureOutcome(e: unknown, orgUrl: string): Failure {
  const base = { field: null, retryAfterSec: null } as const;
  if (!(e instanceof AdoError)) throw e;
  switch (e.kind) {
    case "bad_credentials":
    case "missing_scope":
      return {
        ...base,
        outcome: "bad_credentials",
        field: "pat",
        message: "Azure DevOps rejected this PAT: it is wrong, expired or revoked, or not valid for this organization",
      };
    case "not_found":
    case "unreachable":
      return {
        ...base,
        outcome: "unreachable",
        field: "organizationUrl",
        message: `No Azure DevOps organization answered at ${orgUrl}: ${e.message}`,
      };
    case "throttled":
      return {
        ...base,
        outcome: "throttled",
        retryAfterSec: e.details.retryAfterSec ?? null,
        message: `Azure DevOps is throttling requests for this organization; try again${e.details.retryAfterSec ? ` in ${e.details.retryAfterSec} s` : " later"}`,
      };
    default:
      return { ...base, outcome: "unavailable", message: `Azure DevOps could not answer: ${e.message}` };
  }
}

export async function testConnection(client: AdoClient, ctx: ProbeContext): Promise<TestResult> {
  const checkedAt = new Date().toISOString();
  const empty = { user: null, organization: null, features: [], checkedAt };
  let who: Awaited<ReturnType<typeof connectionData>>;
  try {
    who = await connectionData(client, ctx.signal);
  } catch (e) {
    return { ...empty, ...failureOutcome(e, ctx.orgUrl) };
  }
  const user = {
    id: who.authenticatedUser.id,
    displayName: who.authenticatedUser.providerDisplayName ?? who.authenticatedUser.id,
    uniqueName: who.authenticatedUser.properties?.Account?.$value ?? null,
  };
  if (!who.instanceId || who.instanceId.toLowerCase() !== ctx.expectedOrgId.toLowerCase()) {
    return {
      ...empty,
      user,
      outcome: "wrong_organization",
      field: "organizationUrl",
      retryAfterSec: null,
      message: `${ctx.orgUrl} is a different Azure DevOps organization than the one you are in (${ctx.orgName}); connect this organization`,
    };
  }
  const organization = { id: who.instanceId, name: ctx.orgName, url: ctx.orgUrl };
  const signal = ctx.signal;
  try {
    let firstProjectId: string | undefined;
    const project = probe("project", async () => {
      const res = await client.get<{ value?: { id: string }[] }>("_apis/projects", { query: { $top: 1 }, signal });
      firstProjectId = res.value?.[0]?.id;
    });
    const [projectState, work, workWrite, code, editSubscriptions] = await Promise.all([
      project,
      probe("work", () => client.get("_apis/wit/workitemrelationtypes", { signal })),
      probe("workWrite", () =>
        client.patch(`_apis/wit/workitems/${NO_SUCH_ID}`, [{ op: "test", path: "/rev", value: -1 }], {
          contentType: "application/json-patch+json",
          query: { validateOnly: true },
          signal,
        }),
      ),
      probe("code", () => client.get("_apis/git/repositories", { query: { $top: 1 }, signal })),
      probeEditSubscriptions(client, user.id, ctx),
    ]);
    // The owner's own collection-level entry: what role checks read for each member.
    const readPermissions = await probe("readPermissions", () =>
      client.get(`_apis/accesscontrollists/${COLLECTION_NAMESPACE}`, {
        query: { token: "NAMESPACE:", descriptors: who.authenticatedUser?.descriptor ?? "", includeExtendedInfo: true },
        signal,
      }),
    );
    // Test runs only exist inside a project: probe against one the PAT can see.
    const testWrite: CapabilityState = firstProjectId
      ? await probe("testWrite", () =>
          client.patch(`${firstProjectId}/_apis/test/runs/${NO_SUCH_ID}`, { comment: "TestOps scope check" }, { signal }),
        )
      : {
          state: "unknown",
          detail:
            projectState.state === "no"
              ? "Test Management could not be checked without Project and Team (Read)"
              : "Test Management could not be checked: the PAT sees no project",
        };
    const features = featureTable({ project: projectState, work, workWrite, code, testWrite, editSubscriptions, readPermissions });
    const allowed = features.filter((f) => f.allowed).length;
    return {
      outcome: "ok",
      field: null,
      retryAfterSec: null,
      message: `The PAT belongs to ${user.displayName}. ${allowed} of ${features.length} features are available.`,
      user,
      organization,
      features,
      checkedAt,
    };
  } catch (e) {
    return { ...empty, user, organization, ...failureOutcome(e, ctx.orgUrl) };
  }
}

async function probeEditSubscriptions(client: AdoClient, patOwnerId: string, ctx: ProbeContext): Promise<CapabilityState> {
  try {
    const [allowed] = await evaluatePermissions(
      client,
      [{ securityNamespaceId: SERVICE_HOOKS_NAMESPACE, token: "PublisherSecurity", permissions: EDIT_SUBSCRIPTIONS }],
      ctx.signal,
    );
    return allowed ? ok() : { state: "no", requirement: REQUIREMENTS.editSubscriptions };
  } catch (e) {
    if (!isAdoError(e) || !["missing_scope", "forbidden", "not_found", "bad_request", "server"].includes(e.kind)) throw e;
    // ADO would not say; an organization admin testing their own PAT has the permission anyway.
    if (ctx.requesterIsAdmin && ctx.requesterId.toLowerCase() === patOwnerId.toLowerCase()) return ok();
    return { state: "unknown", detail: `The Edit subscriptions permission could not be checked: ${e.message}` };
  }
}
