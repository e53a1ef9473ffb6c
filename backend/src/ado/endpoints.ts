import type { TeamProjectReference } from "azure-devops-extension-api/Core";
import type { ConnectionData } from "azure-devops-extension-api/Locations";
import type { Subscription } from "azure-devops-extension-api/ServiceHooks";
import type { WorkItem } from "azure-devops-extension-api/WorkItemTracking";
import { chunk, type AdoClient } from "./client";

// Typed helpers for the Azure DevOps calls several features share. Shapes come from
// azure-devops-extension-api (dates arrive as ISO strings on the wire, hence the Omit/overrides).

export type ConnectionInfo = Pick<ConnectionData, "instanceId" | "deploymentType"> & {
  authenticatedUser: { id: string; descriptor?: string; providerDisplayName?: string; properties?: { Account?: { $value?: string } } };
};

/** Who a credential belongs to and which organization (instanceId) answered. Needs no scope. */
export function connectionData(client: AdoClient, signal?: AbortSignal): Promise<ConnectionInfo> {
  // connectionData is only published as a preview resource (azure-devops-node-api uses 7.x-preview).
  return client.get<ConnectionInfo>("_apis/connectionData", { apiVersion: "7.1-preview", signal });
}

export type ProjectRef = Pick<TeamProjectReference, "id" | "name" | "description" | "visibility"> & { state: string };

/** Every well-formed project, following `x-ms-continuationtoken` pages. */
export async function listProjects(client: AdoClient, o: { pageSize?: number; signal?: AbortSignal } = {}): Promise<ProjectRef[]> {
  const out: ProjectRef[] = [];
  for await (const page of client.pages<ProjectRef>("_apis/projects", { query: { $top: o.pageSize ?? 100 }, signal: o.signal }))
    out.push(...page);
  return out;
}

export type WorkItemData = Pick<WorkItem, "id" | "rev" | "fields" | "relations" | "url">;

/**
 * Reads work items in batches of 200 (the workitemsbatch limit, VS403474 above it). Missing or
 * deleted ids are left out (errorPolicy omit) instead of failing the whole batch.
 */
export async function getWorkItemsBatch(
  client: AdoClient,
  ids: number[],
  o: { project?: string; fields?: string[]; expand?: "relations" | "all"; asOf?: string; signal?: AbortSignal } = {},
): Promise<WorkItemData[]> {
  const prefix = o.project ? `${encodeURIComponent(o.project)}/` : "";
  const out: WorkItemData[] = [];
  for (const ids200 of chunk([...new Set(ids)], 200)) {
    const res = await client.post<{ value: (WorkItemData | null)[] }>(
      `${prefix}_apis/wit/workitemsbatch`,
      {
        ids: ids200,
        ...(o.fields ? { fields: o.fields } : {}),
        ...(o.expand ? { $expand: o.expand } : {}),
        ...(o.asOf ? { asOf: o.asOf } : {}),
        errorPolicy: "omit",
      },
      { signal: o.signal },
    );
    for (const wi of res.value ?? []) if (wi) out.push(wi);
  }
  return out;
}

export interface PermissionCheck {
  securityNamespaceId: string;
  token: string;
  permissions: number;
}

/** Asks ADO whether the credential's identity holds each permission (no side effects). */
export async function evaluatePermissions(client: AdoClient, checks: PermissionCheck[], signal?: AbortSignal): Promise<boolean[]> {
  const res = await client.post<{ evaluations?: { value?: boolean }[] }>(
    "_apis/security/permissionevaluationbatch",
    { alwaysAllowAdministrators: false, evaluations: checks },
    { signal },
  );
  return checks.map((_, i) => res.evaluations?.[i]?.value === true);
}

export type HookSubscription = Pick<
  Subscription,
  "id" | "eventType" | "publisherId" | "consumerId" | "consumerActionId" | "resourceVersion"
> & {
  status?: string;
  publisherInputs?: Record<string, string>;
  consumerInputs?: Record<string, string>;
};

export interface NewWebhook {
  eventType: string;
  url: string;
  basicAuthUsername: string;
  basicAuthPassword: string;
  /** Omitted = every project of the organization, including projects created later. */
  projectId?: string;
  resourceVersion?: string;
}

/** Creates an org-level web hook subscription (consumer webHooks/httpRequest). */
export function createWebhookSubscription(client: AdoClient, h: NewWebhook): Promise<HookSubscription> {
  return client.post<HookSubscription>("_apis/hooks/subscriptions", {
    publisherId: "tfs",
    eventType: h.eventType,
    // 1.0 is the stable payload shape (Microsoft: "the safest route"); the receiver accepts others too.
    resourceVersion: h.resourceVersion ?? "1.0",
    consumerId: "webHooks",
    consumerActionId: "httpRequest",
    publisherInputs: h.projectId ? { projectId: h.projectId } : {},
    consumerInputs: {
      url: h.url,
      basicAuthUsername: h.basicAuthUsername,
      basicAuthPassword: h.basicAuthPassword,
      resourceDetailsToSend: "all",
      messagesToSend: "none",
      detailedMessagesToSend: "none",
    },
  });
}

/** Subscriptions of the organization, optionally only ours (consumer URL starting with `urlPrefix`). */
export async function listWebhookSubscriptions(client: AdoClient, urlPrefix?: string): Promise<HookSubscription[]> {
  const res = await client.get<{ value?: HookSubscription[] }>("_apis/hooks/subscriptions", { query: { consumerId: "webHooks" } });
  const all = res.value ?? [];
  return urlPrefix ? all.filter((s) => (s.consumerInputs?.url ?? "").startsWith(urlPrefix)) : all;
}

/** Deletes a subscription; one that is already gone counts as deleted. */
export async function deleteWebhookSubscription(client: AdoClient, id: string): Promise<void> {
  try {
    await client.delete(`_apis/hooks/subscriptions/${encodeURIComponent(id)}`);
  } catch (e) {
    if ((e as { kind?: string }).kind === "not_found") return;
    throw e;
  }
}
