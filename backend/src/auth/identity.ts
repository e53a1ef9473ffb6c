import { createHash } from "node:crypto";
import { AdoClient, type AdoAuth } from "../ado/client";
import { isAdoError } from "../ado/errors";
import type { OrgUrl } from "../ado/urls";
import { CoalescingCache } from "../lib/cache";
import { ApiError } from "../lib/errors";

export interface VerifiedOrg {
  id: string;
  name: string;
  url: string;
}

export interface AdoTransport {
  fetch?: typeof fetch;
  simulatorUrl?: string;
  allowedHosts?: string[];
}

/** Security namespaces and bits used by Azure DevOps for the checks we need. */
export const SECURITY = {
  collection: { namespace: "3e65f728-f8bc-4ecd-8764-7e378b19bfa7", token: "NAMESPACE:", genericWrite: 2 },
  // "Create test runs" is PUBLISH_TEST_RESULTS (8) of the Project namespace: Contributors have it, Readers do not.
  project: { namespace: "52d39943-cb85-4d7f-8fa8-c6baac873819", genericWrite: 2, publishTestResults: 8 },
} as const;

/** The Project namespace's security token of a project. */
const projectToken = (projectId: string) => `$PROJECT:vstfs:///Classification/TeamProject/${projectId}`;

/**
 * A client with the organization connection's PAT, for checks Azure DevOps does not answer for the
 * extension's token (null when the organization has no usable connection). Wired in server.ts.
 */
export type PatClientSource = (org: OrgUrl) => Promise<AdoClient | null>;

const TTL_MS = 5 * 60_000;

/** One permission evaluated by Azure DevOps for the caller of `client` (the token's user, or the PAT's owner). */
async function hasPermission(client: AdoClient, namespace: string, token: string, permissions: number): Promise<boolean> {
  const res = await client.post<{ evaluations?: { value?: boolean }[] }>("_apis/security/permissionevaluationbatch", {
    alwaysAllowAdministrators: false,
    evaluations: [{ securityNamespaceId: namespace, token, permissions }],
  });
  return res.evaluations?.[0]?.value === true;
}
const hash = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Establishes which organization a request belongs to and what its user may do, by asking
 * Azure DevOps with the user's own access token (SDK.getAccessToken()). Nothing is trusted from the UI.
 */
export class IdentityVerifier {
  private cache = new CoalescingCache(TTL_MS);

  /** Set by server.ts once the database is open (connections live there). */
  patClient: PatClientSource = async () => null;

  constructor(private readonly transport: AdoTransport) {}

  /** A client with the user's access token (or, given, a PAT): one retry, a short timeout. */
  private client(org: OrgUrl, accessToken: string, auth: AdoAuth = { type: "bearer", token: accessToken }) {
    return new AdoClient({ org, auth, ...this.transport, maxRetries: 1, timeoutMs: 15_000 });
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.get(key, load);
  }

  /** The org id (instanceId) if `accessToken` belongs to `userId` in that organization. */
  async verifyMembership(org: OrgUrl, accessToken: string, userId: string): Promise<VerifiedOrg> {
    return this.cached(`m:${hash(accessToken)}:${org.url}:${userId}`, async () => {
      let data: { authenticatedUser?: { id?: string }; instanceId?: string };
      try {
        data = await this.client(org, accessToken).get("_apis/connectionData", { apiVersion: "7.1-preview" });
      } catch (e) {
        if (isAdoError(e, "bad_credentials") || isAdoError(e, "missing_scope"))
          throw new ApiError(401, "invalid_access_token", "Azure DevOps did not accept the user's access token for this organization");
        if (isAdoError(e, "not_found"))
          throw new ApiError(401, "unknown_organization", `Azure DevOps has no organization or collection at ${org.url}`);
        if (isAdoError(e, "throttled"))
          throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests for this organization; try again in a minute");
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not verify the organization with Azure DevOps: ${e.message}`);
        throw e;
      }
      if (!data.instanceId || !data.authenticatedUser?.id)
        throw new ApiError(401, "invalid_access_token", "Azure DevOps did not identify the user");
      if (data.authenticatedUser.id.toLowerCase() !== userId.toLowerCase()) {
        throw new ApiError(401, "identity_mismatch", "The access token and the app token belong to different users");
      }
      return { id: data.instanceId, name: org.name, url: org.url };
    });
  }

  /**
   * Whether the user has `permissions` on a security token. Asked with the user's own token first;
   * Azure DevOps declares no OAuth scope for the security reads, so the extension's token may get a
   * missing-scope 401 (docs/ado-fidelity.md, point 10). Then the organization connection's PAT (or
   * the PAT an administrator is about to save) reads the user's effective permissions from the ACL.
   */
  private async evaluate(
    org: OrgUrl,
    accessToken: string,
    namespace: string,
    token: string,
    permissions: number,
    candidatePat?: string,
  ): Promise<boolean> {
    return this.cached(`p:${hash(accessToken)}:${org.url}:${namespace}:${token}:${permissions}`, async () => {
      try {
        return await hasPermission(this.client(org, accessToken), namespace, token, permissions);
      } catch (e) {
        if (isAdoError(e, "missing_scope")) return this.evaluateWithPat(org, accessToken, namespace, token, permissions, candidatePat);
        if (isAdoError(e, "forbidden")) return false;
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not check permissions with Azure DevOps: ${e.message}`);
        throw e;
      }
    });
  }

  private async evaluateWithPat(
    org: OrgUrl,
    accessToken: string,
    namespace: string,
    token: string,
    permissions: number,
    candidatePat?: string,
  ): Promise<boolean> {
    const pat = candidatePat ? this.client(org, accessToken, { type: "pat", pat: candidatePat }) : await this.patClient(org);
    if (!pat)
      throw new ApiError(
        409,
        "no_connection",
        "This organization has no Azure DevOps connection to check your permissions with (Azure DevOps does not let the extension do it): connect the organization first (Organization settings → TestOps)",
      );
    const descriptor = await this.descriptorOf(org, accessToken);
    try {
      // The caller's own PAT: Azure DevOps evaluates its owner's rights directly (PATs may call the batch).
      if (candidatePat) {
        const owner = await pat.get<{ authenticatedUser?: { descriptor?: string } }>("_apis/connectionData", { apiVersion: "7.1-preview" });
        if (owner.authenticatedUser?.descriptor?.toLowerCase() === descriptor.toLowerCase()) {
          return await hasPermission(pat, namespace, token, permissions);
        }
      }
      // Anyone else's: their effective permissions from the ACL (needs an administrator's PAT).
      const res = await pat.get<{ value?: { acesDictionary?: Record<string, { extendedInfo?: { effectiveAllow?: number } }> }[] }>(
        `_apis/accesscontrollists/${namespace}`,
        { query: { token, descriptors: descriptor, includeExtendedInfo: true, recurse: false } },
      );
      const aces = res.value?.[0]?.acesDictionary ?? {};
      const ace = Object.entries(aces).find(([k]) => k.toLowerCase() === descriptor.toLowerCase())?.[1];
      return ((ace?.extendedInfo?.effectiveAllow ?? 0) & permissions) === permissions;
    } catch (e) {
      if (candidatePat && isAdoError(e, "bad_credentials"))
        throw new ApiError(400, "pat_rejected", "Azure DevOps rejected this personal access token (wrong, expired or revoked)", [
          { field: "pat", message: "was rejected by Azure DevOps (wrong, expired or revoked)" },
        ]);
      if (candidatePat && (isAdoError(e, "forbidden") || isAdoError(e, "missing_scope")))
        throw new ApiError(
          403,
          "forbidden",
          "Only organization administrators (Project Collection Administrators) can do this: Azure DevOps did not let this PAT read your permissions (its owner must be an organization administrator, and a scoped PAT needs Security (Manage))",
        );
      if (isAdoError(e, "missing_scope") || isAdoError(e, "forbidden") || isAdoError(e, "bad_credentials"))
        throw new ApiError(
          403,
          "permissions_unverifiable",
          "The organization connection's PAT cannot read permissions, so yours cannot be checked: its owner must be an organization administrator and the PAT needs the Security (Manage) scope or full access",
        );
      if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not check permissions with Azure DevOps: ${e.message}`);
      throw e;
    }
  }

  /** The user's identity descriptor (connectionData), which ACL entries are keyed by. */
  private descriptorOf(org: OrgUrl, accessToken: string): Promise<string> {
    return this.cached(`d:${hash(accessToken)}:${org.url}`, async () => {
      const data = await this.client(org, accessToken).get<{ authenticatedUser?: { descriptor?: string } }>("_apis/connectionData", {
        apiVersion: "7.1-preview",
      });
      const d = data.authenticatedUser?.descriptor;
      if (!d) throw new ApiError(502, "ado_unavailable", "Azure DevOps did not report the user's identity descriptor");
      return d;
    });
  }

  /** `candidatePat`: the PAT an administrator is about to save, used when no connection exists yet. */
  isOrgAdmin(org: OrgUrl, accessToken: string, candidatePat?: string): Promise<boolean> {
    const c = SECURITY.collection;
    return this.evaluate(org, accessToken, c.namespace, c.token, c.genericWrite, candidatePat);
  }

  isProjectAdmin(org: OrgUrl, accessToken: string, projectId: string): Promise<boolean> {
    return this.evaluate(org, accessToken, SECURITY.project.namespace, projectToken(projectId), SECURITY.project.genericWrite);
  }

  /** Whether the user may create test runs in the project (upload or push results). */
  canPublishTestResults(org: OrgUrl, accessToken: string, projectId: string): Promise<boolean> {
    return this.evaluate(org, accessToken, SECURITY.project.namespace, projectToken(projectId), SECURITY.project.publishTestResults);
  }

  /** Ids of the projects the user can see (with their own token, not the connection's PAT). */
  visibleProjectIds(org: OrgUrl, accessToken: string): Promise<Set<string>> {
    return this.cached(`v:${hash(accessToken)}:${org.url}`, async () => {
      const ids = new Set<string>();
      try {
        for await (const page of this.client(org, accessToken).pages<{ id: string }>("_apis/projects", { query: { $top: 500 } }))
          for (const p of page) ids.add(p.id.toLowerCase());
      } catch (e) {
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not list your projects with Azure DevOps: ${e.message}`);
        throw e;
      }
      return ids;
    });
  }

  /** Whether the user can read a repository with their own token. */
  canReadRepository(org: OrgUrl, accessToken: string, projectId: string, repositoryId: string): Promise<boolean> {
    return this.cached(`r:${hash(accessToken)}:${org.url}:${projectId}:${repositoryId}`, async () => {
      try {
        await this.client(org, accessToken).get(
          `${encodeURIComponent(projectId)}/_apis/git/repositories/${encodeURIComponent(repositoryId)}`,
        );
        return true;
      } catch (e) {
        if (isAdoError(e, "not_found") || isAdoError(e, "forbidden") || isAdoError(e, "missing_scope")) return false;
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not check your access with Azure DevOps: ${e.message}`);
        throw e;
      }
    });
  }
}
