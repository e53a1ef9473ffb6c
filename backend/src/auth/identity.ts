import { createHash } from "node:crypto";
import { AdoClient } from "../ado/client";
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

const TTL_MS = 5 * 60_000;
const hash = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Establishes which organization a request belongs to and what its user may do, by asking
 * Azure DevOps with the user's own access token (SDK.getAccessToken()). Nothing is trusted from the UI.
 */
export class IdentityVerifier {
  private cache = new CoalescingCache(TTL_MS);

  constructor(private readonly transport: AdoTransport) {}

  private client(org: OrgUrl, accessToken: string) {
    return new AdoClient({ org, auth: { type: "bearer", token: accessToken }, ...this.transport, maxRetries: 1, timeoutMs: 15_000 });
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

  private async evaluate(org: OrgUrl, accessToken: string, namespace: string, token: string, permissions: number): Promise<boolean> {
    return this.cached(`p:${hash(accessToken)}:${org.url}:${namespace}:${token}:${permissions}`, async () => {
      try {
        const res = await this.client(org, accessToken).post<{ evaluations?: { value?: boolean }[] }>(
          "_apis/security/permissionevaluationbatch",
          {
            alwaysAllowAdministrators: false,
            evaluations: [{ securityNamespaceId: namespace, token, permissions }],
          },
        );
        return res.evaluations?.[0]?.value === true;
      } catch (e) {
        if (isAdoError(e, "forbidden") || isAdoError(e, "missing_scope")) return false;
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Could not check permissions with Azure DevOps: ${e.message}`);
        throw e;
      }
    });
  }

  isOrgAdmin(org: OrgUrl, accessToken: string): Promise<boolean> {
    const c = SECURITY.collection;
    return this.evaluate(org, accessToken, c.namespace, c.token, c.genericWrite);
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
