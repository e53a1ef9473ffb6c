// Service hooks: subscriptions CRUD/query (publisher tfs, consumer webHooks/httpRequest), and real
// webhook delivery of workitem.* and git.push events in ADO's payload shape, asynchronously, with
// retries and the enabled → onProbation → disabledBySystem life cycle.
import { hasScope, isCollectionAdmin, isProjectAdmin, permissionDenied, scopeError } from "./auth";
import type { SimCore } from "./core-types";
import type { GitPushEvent, SimEvent, WorkItemEvent } from "./events";
import { AdoError, badRequest, identityString, json, list, notFound, type Ctx } from "./http";
import { guidFor, Rng } from "./prng";
import type { RouteDef } from "./router";
import { projectById, type Org, type User } from "./state";
import { renderFields, renderRelations, type RenderCtx } from "./witmodel";
import type { Relation } from "./workitems";

export type SubscriptionStatus = "enabled" | "onProbation" | "disabledByUser" | "disabledBySystem" | "disabledByInactiveIdentity";

export interface HookSubscription {
  id: string;
  publisherId: string;
  eventType: string;
  resourceVersion: string;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  consumerInputs: Record<string, string>;
  status: SubscriptionStatus;
  probationRetries: number;
  lastProbationRetryDate?: string;
  createdBy: string;
  createdDate: string;
  modifiedBy: string;
  modifiedDate: string;
}

export interface HookNotification {
  id: number;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: "queued" | "processing" | "requestInProgress" | "completed";
  result: "pending" | "succeeded" | "failed" | "filtered";
  createdDate: string;
  modifiedDate: string;
  requestAttempts: number;
  url: string;
  payload: unknown;
  request?: string;
  response?: string;
  errorMessage?: string;
}

/** One HTTP attempt to deliver a notification. */
export interface HookDelivery {
  org: string;
  subscriptionId: string;
  notificationId: number;
  eventType: string;
  url: string;
  attempt: number;
  /** HTTP status, or 0 when the request failed (connection refused, timeout...). */
  status: number;
  ok: boolean;
  error?: string;
  at: string;
  payload: unknown;
  headers: Record<string, string>;
}

export interface HookState {
  subscriptions: HookSubscription[];
  notifications: HookNotification[];
  nextNotificationId: number;
}

export function newHookState(): HookState {
  return { subscriptions: [], notifications: [], nextNotificationId: 1 };
}

export const WORK_ITEM_EVENTS = ["workitem.created", "workitem.updated", "workitem.deleted", "workitem.restored", "workitem.commented"];
export const CODE_EVENTS = ["git.push", "git.pullrequest.created", "git.pullrequest.updated", "git.pullrequest.merged"];
const EVENT_DESCRIPTIONS: Record<string, string> = {
  "workitem.created": "Work item created",
  "workitem.updated": "Work item updated",
  "workitem.deleted": "Work item deleted",
  "workitem.restored": "Work item restored",
  "workitem.commented": "Work item commented on",
  "git.push": "Code pushed",
  "git.pullrequest.created": "Pull request created",
  "git.pullrequest.updated": "Pull request updated",
  "git.pullrequest.merged": "Pull request merge attempted",
};

const MASK = "********";
// Bookkeeping fields that never count as "changed fields" for the changedFields filter.
const BOOKKEEPING = new Set([
  "System.Rev",
  "System.ChangedDate",
  "System.AuthorizedDate",
  "System.RevisedDate",
  "System.Watermark",
  "System.ChangedBy",
  "System.AuthorizedAs",
  "System.BoardColumn",
]);

const norm = (s: string) => s.replace(/^\\+/, "").toLowerCase();

// ---------- payloads ----------

function containers(base: string, org: Org, projectId: string) {
  const baseUrl = `${base}/${org.name}/`;
  return { collection: { id: org.id, baseUrl }, account: { id: org.accountId, baseUrl }, project: { id: projectId, baseUrl } };
}

function messages(text: string, html: string, markdown: string, mode: string | undefined) {
  const m = (mode ?? "").toLowerCase();
  if (m === "none") return null;
  if (m === "text") return { text };
  if (m === "html") return { html };
  if (m === "markdown") return { markdown };
  return { text, html, markdown };
}

function workItemPayload(core: SimCore, sub: HookSubscription, e: WorkItemEvent, ids: EnvelopeIds) {
  const base = core.publicBase();
  const org = e.org;
  const rc: RenderCtx = { base, org, users: core.state.users };
  const by = core.state.users.get(e.byUserId);
  const byName = by?.displayName ?? "Unknown";
  const rev = e.revision;
  const title = String(rev.fields["System.Title"] ?? "");
  const type = String(rev.fields["System.WorkItemType"] ?? "");
  const wiUrl = `${base}/${org.name}/_apis/wit/workItems/${e.id}`;
  const htmlUrl = `${base}/${org.name}/web/wi.aspx?pcguid=${org.id}&id=${e.id}`;
  const verb = e.type.split(".")[1];
  const head = `${type} #${e.id} (${title}) ${verb} by ${byName}`;
  const flat = (f: Record<string, unknown>) => renderFields(rc, f as never, "string");
  let resource: Record<string, unknown>;
  let detailLines: string[] = [];
  if (e.type === "workitem.updated") {
    const prev = e.previous!;
    const now = flat({ ...rev.fields, "System.Watermark": rev.watermark });
    const before = flat({ ...prev.fields, "System.Watermark": prev.watermark });
    const fields: Record<string, { oldValue?: unknown; newValue?: unknown }> = {};
    for (const k of new Set([...Object.keys(now), ...Object.keys(before)])) {
      if (JSON.stringify(now[k]) === JSON.stringify(before[k])) continue;
      const ch: { oldValue?: unknown; newValue?: unknown } = {};
      if (before[k] !== undefined) ch.oldValue = before[k];
      if (now[k] !== undefined) ch.newValue = now[k];
      fields[k] = ch;
    }
    fields["System.RevisedDate"] = { oldValue: String(rev.fields["System.ChangedDate"]), newValue: "9999-01-01T00:00:00Z" };
    if (fields["System.State"]) detailLines.push(`New State: ${String(fields["System.State"].newValue)}`);
    const key = (r: Relation) => `${r.rel}|${r.targetId ?? r.url}`;
    const pk = new Set(prev.relations.map(key));
    const nk = new Set(rev.relations.map(key));
    const added = rev.relations.filter((r) => !pk.has(key(r)));
    const removed = prev.relations.filter((r) => !nk.has(key(r)));
    resource = {
      id: rev.rev, // the update number, NOT the work item id
      workItemId: e.id,
      rev: rev.rev,
      revisedBy: by
        ? {
            id: by.id,
            name: identityString(by),
            displayName: by.displayName,
            url: `${base}/${org.name}/_apis/Identities/${by.id}`,
            _links: { avatar: { href: `${base}/${org.name}/_apis/GraphProfile/MemberAvatars/${by.descriptor}` } },
            uniqueName: by.uniqueName,
            imageUrl: `${base}/${org.name}/_api/_common/identityImage?id=${by.id}`,
            descriptor: by.descriptor,
          }
        : null,
      revisedDate: "9999-01-01T00:00:00Z",
      fields,
    };
    if (added.length || removed.length) {
      const rel: Record<string, unknown> = {};
      if (added.length) rel.added = renderRelations(rc, added);
      if (removed.length) rel.removed = renderRelations(rc, removed);
      resource.relations = rel;
    }
    Object.assign(resource, {
      _links: {
        self: { href: `${wiUrl}/updates/${rev.rev}` },
        workItemUpdates: { href: `${wiUrl}/updates` },
        parent: { href: wiUrl },
        html: { href: htmlUrl },
      },
      url: `${wiUrl}/updates/${rev.rev}`,
      revision: {
        id: e.id,
        rev: rev.rev,
        fields: flat(rev.fields),
        ...(rev.relations.length ? { relations: renderRelations(rc, rev.relations) } : {}),
        _links: { self: { href: `${wiUrl}/revisions/${rev.rev}` }, parent: { href: wiUrl } },
        url: `${wiUrl}/revisions/${rev.rev}`,
      },
    });
  } else {
    const deleted = e.type === "workitem.deleted";
    const selfUrl = deleted ? `${base}/${org.name}/_apis/wit/recyclebin/${e.id}` : wiUrl;
    resource = {
      id: e.id,
      rev: rev.rev,
      fields: flat(rev.fields),
      ...(rev.relations.length && !deleted ? { relations: renderRelations(rc, rev.relations) } : {}),
      _links: {
        self: { href: selfUrl },
        ...(deleted
          ? {}
          : { workItemUpdates: { href: `${wiUrl}/updates` }, workItemRevisions: { href: `${wiUrl}/revisions` }, html: { href: htmlUrl } }),
        workItemType: { href: `${base}/${org.name}/${e.project.id}/_apis/wit/workItemTypes/${encodeURIComponent(type)}` },
        fields: { href: `${base}/${org.name}/_apis/wit/fields` },
      },
      url: selfUrl,
    };
    detailLines = [`State: ${String(rev.fields["System.State"] ?? "")}`];
    const sev = rev.fields["Microsoft.VSTS.Common.Severity"];
    if (sev) detailLines.push(`Severity: ${String(sev)}`);
  }
  const detail = (fmt: "text" | "html" | "markdown") =>
    fmt === "html"
      ? `<ul>\r\n${detailLines.map((l) => `<li>${l}</li>`).join("\r\n")}</ul>`
      : `\r\n\r\n${detailLines.map((l) => `${fmt === "text" ? "-" : "*"} ${l}`).join("\r\n")}\r\n`;
  const text = `${head}.\r\n(${htmlUrl})`;
  const html = `<a href="${htmlUrl}">${type} #${e.id}</a> (${title}) ${verb} by ${byName}.`;
  const markdown = `[${type} #${e.id}](${htmlUrl}) (${title}) ${verb} by ${byName}.`;
  return envelope(
    core,
    sub,
    ids,
    e.type,
    messages(text, html, markdown, sub.consumerInputs.messagesToSend),
    messages(text + detail("text"), html + detail("html"), markdown + detail("markdown"), sub.consumerInputs.detailedMessagesToSend),
    resource,
    containers(base, org, e.project.id),
  );
}

function gitPushPayload(core: SimCore, sub: HookSubscription, e: GitPushEvent, ids: EnvelopeIds) {
  const base = core.publicBase();
  const { org, project, repo, push } = e;
  const by = core.state.users.get(push.pushedByUserId);
  const repoUrl = `${base}/${org.name}/${project.id}/_apis/git/repositories/${repo.id}`;
  const webUrl = `${base}/${org.name}/${encodeURIComponent(project.name)}/_git/${encodeURIComponent(repo.name)}`;
  const ref = push.refUpdates[0];
  const branch = ref.name.replace(/^refs\/heads\//, "");
  const commits = [...push.commitIds].reverse().map((id) => {
    const c = repo.commits.get(id)!;
    return { commitId: id, author: c.author, committer: c.committer, comment: c.comment, url: `${repoUrl}/commits/${id}` };
  });
  const resource = {
    commits,
    refUpdates: push.refUpdates,
    repository: {
      id: repo.id,
      name: repo.name,
      url: repoUrl,
      project: {
        id: project.id,
        name: project.name,
        url: `${base}/${org.name}/_apis/projects/${project.id}`,
        state: project.state,
        visibility: project.visibility,
      },
      defaultBranch: repo.defaultBranch,
      remoteUrl: webUrl,
    },
    pushedBy: by
      ? {
          displayName: by.displayName,
          url: `${base}/${org.name}/_apis/Identities/${by.id}`,
          id: by.id,
          uniqueName: by.uniqueName,
          imageUrl: `${base}/${org.name}/_api/_common/identityImage?id=${by.id}`,
          descriptor: by.descriptor,
        }
      : null,
    pushId: push.pushId,
    date: push.date,
    url: `${repoUrl}/pushes/${push.pushId}`,
    _links: {
      self: { href: `${repoUrl}/pushes/${push.pushId}` },
      repository: { href: repoUrl },
      commits: { href: `${repoUrl}/pushes/${push.pushId}/commits` },
      pusher: { href: `${base}/${org.name}/_apis/Identities/${by?.id ?? ""}` },
      refs: { href: `${repoUrl}/refs/heads/${branch}` },
    },
  };
  const who = by?.displayName ?? "Someone";
  const text = `${who} pushed updates to ${repo.name}:${branch}\r\n(${webUrl}/#version=GB${branch})`;
  const html = `${who} pushed updates to <a href="${webUrl}/">${repo.name}</a>:<a href="${webUrl}/#version=GB${branch}">${branch}</a>`;
  const markdown = `${who} pushed updates to [${repo.name}](${webUrl}/):[${branch}](${webUrl}/#version=GB${branch})`;
  const lines = commits.map((c) => `${c.comment.split("\n")[0]} ${c.commitId.slice(0, 8)}`);
  return envelope(
    core,
    sub,
    ids,
    "git.push",
    messages(text, html, markdown, sub.consumerInputs.messagesToSend),
    messages(
      `${who} pushed ${commits.length} commit(s) to branch ${branch} of ${repo.name}\r\n - ${lines.join("\r\n - ")}`,
      `${html}<ul>${lines.map((l) => `<li>${l}</li>`).join("")}</ul>`,
      `${markdown}\r\n* ${lines.join("\r\n* ")}`,
      sub.consumerInputs.detailedMessagesToSend,
    ),
    resource,
    containers(base, org, project.id),
  );
}

/**
 * `notificationId` is per subscription; `id` is the event's, the same in every subscription's
 * payload (one work item change delivered to two subscriptions carries one event id).
 */
interface EnvelopeIds {
  notificationId: number;
  eventId: string;
}

function envelope(
  core: SimCore,
  sub: HookSubscription,
  { notificationId, eventId }: EnvelopeIds,
  eventType: string,
  message: unknown,
  detailedMessage: unknown,
  resource: Record<string, unknown>,
  resourceContainers: unknown,
) {
  const detail = (sub.consumerInputs.resourceDetailsToSend ?? "").toLowerCase();
  let res: unknown = resource;
  if (detail === "none") res = null;
  else if (detail === "minimal") {
    res = Object.fromEntries(
      Object.entries(resource).filter(([k]) => ["id", "workItemId", "rev", "url", "_links", "pushId", "refUpdates"].includes(k)),
    );
  }
  return {
    subscriptionId: sub.id,
    notificationId,
    id: eventId,
    eventType,
    publisherId: "tfs",
    message,
    detailedMessage,
    resource: res,
    resourceVersion: sub.resourceVersion || "1.0",
    resourceContainers,
    createdDate: core.clock().toISOString(),
  };
}

// ---------- matching & delivery ----------

function matches(core: SimCore, sub: HookSubscription, e: SimEvent): boolean {
  if (sub.eventType !== e.type) return false;
  if (sub.status !== "enabled" && sub.status !== "onProbation") return false;
  const pi = sub.publisherInputs;
  if (pi.projectId && pi.projectId.toLowerCase() !== e.project.id) return false;
  if (e.type === "git.push") {
    if (pi.repository && pi.repository.toLowerCase() !== e.repo.id) return false;
    if (pi.branch) {
      const want = pi.branch.replace(/^refs\/heads\//, "").toLowerCase();
      if (!e.push.refUpdates.some((r) => r.name.replace(/^refs\/heads\//, "").toLowerCase() === want)) return false;
    }
    if (pi.pushedBy) {
      const u = core.state.users.get(e.push.pushedByUserId);
      const k = pi.pushedBy.toLowerCase();
      if (!u || (u.id !== k && u.uniqueName.toLowerCase() !== k && u.displayName.toLowerCase() !== k)) return false;
    }
    return true;
  }
  const f = e.revision.fields;
  if (pi.workItemType && pi.workItemType.toLowerCase() !== String(f["System.WorkItemType"]).toLowerCase()) return false;
  if (pi.areaPath) {
    const want = norm(pi.areaPath).replace(/^([^\\]+)\\area(\\|$)/, "$1$2");
    const have = norm(String(f["System.AreaPath"] ?? ""));
    if (have !== want && !have.startsWith(`${want}\\`)) return false;
  }
  if (e.type === "workitem.updated" && pi.changedFields) {
    const wanted = pi.changedFields
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const prev = e.previous!.fields;
    const changed = Object.keys({ ...prev, ...f }).filter((k) => !BOOKKEEPING.has(k) && JSON.stringify(prev[k]) !== JSON.stringify(f[k]));
    if (!changed.some((k) => wanted.includes(k.toLowerCase()))) return false;
  }
  return true;
}

export class HookDeliveryManager {
  private log: HookDelivery[] = [];
  private pending = new Set<Promise<void>>();
  private chains = new Map<string, Promise<void>>();

  constructor(
    private core: SimCore,
    private deliver: (url: string, init: RequestInit) => Promise<Response>,
  ) {}

  clear(): void {
    this.log = [];
    this.chains.clear();
  }

  deliveries(): HookDelivery[] {
    return [...this.log];
  }

  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  publish(e: SimEvent): void {
    const state = e.org.hooks;
    // Keyed by the first notification number this event uses: unique per event that is delivered at all.
    const eventId = new Rng(`${e.org.id}/event/${state.nextNotificationId}`).uuid();
    for (const sub of state.subscriptions) {
      if (!matches(this.core, sub, e)) continue;
      const id = state.nextNotificationId++;
      const ids = { notificationId: id, eventId };
      const payload = e.type === "git.push" ? gitPushPayload(this.core, sub, e, ids) : workItemPayload(this.core, sub, e, ids);
      const now = this.core.clock().toISOString();
      const n: HookNotification = {
        id,
        subscriptionId: sub.id,
        eventId: payload.id,
        eventType: e.type,
        status: "queued",
        result: "pending",
        createdDate: now,
        modifiedDate: now,
        requestAttempts: 0,
        url: sub.consumerInputs.url,
        payload,
      };
      state.notifications.push(n);
      // Deliveries of one subscription go out in order; the API call that caused them never waits.
      const prev = this.chains.get(sub.id) ?? Promise.resolve();
      const p: Promise<void> = prev.then(() => this.run(e.org, sub, n)).catch(() => undefined);
      this.chains.set(sub.id, p);
      this.pending.add(p);
      void p.finally(() => {
        this.pending.delete(p);
        if (this.chains.get(sub.id) === p) this.chains.delete(sub.id);
      });
    }
  }

  /** Sends one notification directly (used by testnotifications). */
  send(org: Org, sub: HookSubscription, n: HookNotification): Promise<void> {
    const p = this.run(org, sub, n);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  private headersFor(sub: HookSubscription): Record<string, string> {
    const h: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    const ci = sub.consumerInputs;
    if (ci.basicAuthUsername || ci.basicAuthPassword)
      h.authorization = `Basic ${Buffer.from(`${ci.basicAuthUsername ?? ""}:${ci.basicAuthPassword ?? ""}`).toString("base64")}`;
    for (const line of (ci.httpHeaders ?? "").split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i > 0) h[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return h;
  }

  private async run(org: Org, sub: HookSubscription, n: HookNotification): Promise<void> {
    const opts = this.core.hookOptions;
    const attempts = 1 + opts.retryDelaysMs.length;
    const headers = this.headersFor(sub);
    const body = JSON.stringify(n.payload);
    n.status = "processing";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (sub.status !== "enabled" && sub.status !== "onProbation") break;
      n.status = "requestInProgress";
      n.requestAttempts = attempt;
      let status = 0;
      let error: string | undefined;
      let responseText = "";
      try {
        const res = await this.deliver(sub.consumerInputs.url, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        status = res.status;
        responseText = await res.text().catch(() => "");
      } catch (err) {
        error = (err as Error)?.message ?? String(err);
        const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
        if (cause) error += ` (${cause.code ?? cause.message})`;
      }
      const ok = status >= 200 && status < 300;
      const at = this.core.clock().toISOString();
      this.log.push({
        org: org.name,
        subscriptionId: sub.id,
        notificationId: n.id,
        eventType: n.eventType,
        url: sub.consumerInputs.url,
        attempt,
        status,
        ok,
        error,
        at,
        payload: n.payload,
        headers,
      });
      n.request = `POST ${sub.consumerInputs.url}`;
      n.response = status ? `HTTP ${status}\r\n${responseText.slice(0, 1000)}` : undefined;
      n.errorMessage = ok ? undefined : (error ?? `The remote server returned an error: (${status}).`);
      n.modifiedDate = at;
      if (ok) {
        n.status = "completed";
        n.result = "succeeded";
        if (sub.status === "onProbation") {
          sub.status = "enabled";
          sub.probationRetries = 0;
        }
        return;
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, opts.retryDelaysMs[attempt - 1]));
    }
    n.status = "completed";
    n.result = "failed";
    if (sub.status === "enabled" || sub.status === "onProbation") {
      sub.probationRetries += 1;
      sub.lastProbationRetryDate = this.core.clock().toISOString();
      sub.status = sub.probationRetries >= opts.maxProbationRetries ? "disabledBySystem" : "onProbation";
      sub.modifiedDate = sub.lastProbationRetryDate;
    }
  }
}

// ---------- REST ----------

function userRef(ctx: Ctx, id: string) {
  const u: User | undefined = ctx.state.users.get(id);
  if (!u) return { id };
  return {
    displayName: u.displayName,
    url: `${ctx.base}/${ctx.org.name}/_apis/Identities/${u.id}`,
    id: u.id,
    uniqueName: u.uniqueName,
    imageUrl: `${ctx.base}/${ctx.org.name}/_api/_common/identityImage?id=${u.id}`,
    descriptor: u.descriptor,
  };
}

function subscriptionJson(ctx: Ctx, s: HookSubscription) {
  const url = `${ctx.base}/${ctx.org.name}/_apis/hooks/subscriptions/${s.id}`;
  const consumerInputs = { ...s.consumerInputs };
  if (consumerInputs.basicAuthPassword) consumerInputs.basicAuthPassword = MASK;
  return {
    id: s.id,
    url,
    status: s.status,
    publisherId: s.publisherId,
    eventType: s.eventType,
    resourceVersion: s.resourceVersion,
    eventDescription: EVENT_DESCRIPTIONS[s.eventType] ?? s.eventType,
    consumerId: s.consumerId,
    consumerActionId: s.consumerActionId,
    actionDescription: `To host ${safeHost(s.consumerInputs.url)}`,
    probationRetries: s.probationRetries,
    ...(s.lastProbationRetryDate ? { lastProbationRetryDate: s.lastProbationRetryDate } : {}),
    createdBy: userRef(ctx, s.createdBy),
    createdDate: s.createdDate,
    modifiedBy: userRef(ctx, s.modifiedBy),
    modifiedDate: s.modifiedDate,
    publisherInputs: { ...s.publisherInputs, tfsSubscriptionId: guidFor(`tfs/${s.id}`) },
    consumerInputs,
    _links: {
      self: { href: url },
      consumer: { href: `${ctx.base}/${ctx.org.name}/_apis/hooks/consumers/${s.consumerId}` },
      actions: { href: `${ctx.base}/${ctx.org.name}/_apis/hooks/consumers/${s.consumerId}/actions` },
      notifications: { href: `${url}/notifications` },
      publisher: { href: `${ctx.base}/${ctx.org.name}/_apis/hooks/publishers/${s.publisherId}` },
    },
  };
}

function safeHost(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return u;
  }
}

type SubscriptionBody = Partial<Omit<HookSubscription, "publisherInputs" | "consumerInputs">> & {
  publisherInputs?: Record<string, unknown>;
  consumerInputs?: Record<string, unknown>;
};

const stringMap = (o: Record<string, unknown> | undefined) =>
  Object.fromEntries(
    Object.entries(o ?? {})
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );

/**
 * Azure DevOps Services: "Webhooks can't target localhost (loopback) or special range IPv4/IPv6
 * addresses" and "You must use HTTPS for basic authentication on a webhook"
 * (learn.microsoft.com/azure/devops/service-hooks/services/webhooks). Only literal host names are
 * judged here (the simulator resolves no DNS); the message texts are ours.
 */
function refuseServicesTarget(u: URL, ci: Record<string, string>): void {
  if (isLocalOrSpecialHost(u.hostname))
    throw badRequest(
      `The value '${u.origin}' for input 'url' is not valid: webhooks can't target localhost (loopback) or special range IPv4/IPv6 addresses.`,
      "InputValidationException",
    );
  if (u.protocol === "http:" && (ci.basicAuthUsername || ci.basicAuthPassword))
    throw badRequest(
      `Basic authentication requires an HTTPS URL: the value '${u.origin}' for input 'url' uses http.`,
      "InputValidationException",
    );
}

export function isLocalOrSpecialHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      a >= 224 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (h.includes(":")) return h === "::" || h === "::1" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith("::ffff:");
  return false;
}

function validateSubscription(ctx: Ctx, body: SubscriptionBody, existing?: HookSubscription): HookSubscription {
  if (!body || typeof body !== "object") throw badRequest("The subscription is required.", "ArgumentNullException");
  const eventType = String(body.eventType ?? "");
  if ((body.publisherId ?? "tfs") !== "tfs")
    throw badRequest(`VS800007: Publisher '${body.publisherId}' not found.`, "PublisherNotFoundException");
  if (![...WORK_ITEM_EVENTS, ...CODE_EVENTS].includes(eventType))
    throw badRequest(`VS800008: Event type '${eventType}' is not supported by publisher 'tfs'.`, "EventTypeNotFoundException");
  if ((body.consumerId ?? "webHooks") !== "webHooks")
    throw badRequest(`VS800013: Consumer '${body.consumerId}' is not supported by the simulator.`, "ConsumerNotFoundException");
  if ((body.consumerActionId ?? "httpRequest") !== "httpRequest")
    throw badRequest(`VS800014: Consumer action '${body.consumerActionId}' not found.`, "ConsumerActionNotFoundException");
  const pi = stringMap(body.publisherInputs);
  const ci = stringMap(body.consumerInputs);
  delete pi.tfsSubscriptionId;
  if (!ci.url) throw badRequest("VS800016: The input 'url' is required.", "InputValidationException");
  let target: URL;
  try {
    target = new URL(ci.url);
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new Error();
  } catch {
    throw badRequest(`VS800017: The value '${ci.url}' for input 'url' is not a valid URL.`, "InputValidationException");
  }
  if (ctx.org.deployment !== "server" && !ctx.sim.hookOptions.allowLocalTargets) refuseServicesTarget(target, ci);
  if (existing && ci.basicAuthPassword === MASK) ci.basicAuthPassword = existing.consumerInputs.basicAuthPassword ?? "";
  if (pi.projectId && !projectById(ctx.org, pi.projectId.toLowerCase()))
    throw badRequest(`VS800017: The value '${pi.projectId}' for input 'projectId' is not valid.`, "InputValidationException");
  // Scope: workitem.* needs vso.work, git.* needs vso.code (both include "receive notifications via hooks").
  const needs = eventType.startsWith("git.") ? ["vso.code", "vso.hooks_write"] : ["vso.work", "vso.hooks_write"];
  if (!hasScope(ctx.identity, needs)) throw scopeError(ctx.identity);
  // Permission: Edit subscriptions (project admins / collection admins).
  const allowed = pi.projectId ? isProjectAdmin(ctx.identity, pi.projectId.toLowerCase()) : isCollectionAdmin(ctx.identity);
  if (!allowed) throw permissionDenied(ctx.identity, "Edit subscriptions");
  const now = ctx.sim.clock().toISOString();
  return {
    id: existing?.id ?? new Rng(`${ctx.org.id}/${now}/${ctx.org.hooks.subscriptions.length}/${Math.random()}`).uuid(),
    publisherId: "tfs",
    eventType,
    resourceVersion: String(body.resourceVersion ?? "1.0"),
    consumerId: "webHooks",
    consumerActionId: "httpRequest",
    publisherInputs: pi,
    consumerInputs: ci,
    status: (body.status as SubscriptionStatus) ?? existing?.status ?? "enabled",
    probationRetries: existing && body.status !== "enabled" ? existing.probationRetries : 0,
    createdBy: existing?.createdBy ?? ctx.identity.user.id,
    createdDate: existing?.createdDate ?? now,
    modifiedBy: ctx.identity.user.id,
    modifiedDate: now,
  };
}

function findSub(ctx: Ctx): HookSubscription {
  const s = ctx.org.hooks.subscriptions.find((x) => x.id === ctx.params.id.toLowerCase());
  if (!s) throw notFound(`VS800044: The subscription '${ctx.params.id}' was not found.`, "SubscriptionNotFoundException");
  return s;
}

function notificationJson(ctx: Ctx, n: HookNotification, sub?: HookSubscription) {
  return {
    id: n.id,
    subscriptionId: n.subscriptionId,
    eventId: n.eventId,
    status: n.status,
    result: n.result,
    createdDate: n.createdDate,
    modifiedDate: n.modifiedDate,
    subscriberId: sub?.createdBy,
    details: {
      publisherId: "tfs",
      eventType: n.eventType,
      event: n.payload,
      consumerId: "webHooks",
      consumerActionId: "httpRequest",
      consumerInputs: sub ? { ...sub.consumerInputs, ...(sub.consumerInputs.basicAuthPassword ? { basicAuthPassword: MASK } : {}) } : {},
      publisherInputs: sub?.publisherInputs ?? {},
      request: n.request,
      response: n.response,
      errorMessage: n.errorMessage,
      requestAttempts: n.requestAttempts,
      queuedDate: n.createdDate,
      completedDate: n.status === "completed" ? n.modifiedDate : undefined,
    },
  };
}

const HOOK_SCOPES = ["vso.work", "vso.code", "vso.build", "vso.hooks", "vso.hooks_write"];

const filterMatch = (
  s: HookSubscription,
  inputs: Record<string, string>,
  filters: { conditions?: { inputId: string; operator?: string; inputValue?: string; caseSensitive?: boolean }[] }[] | undefined,
) =>
  !filters?.length ||
  filters.some((f) =>
    (f.conditions ?? []).every((c) => {
      const v = inputs[c.inputId] ?? "";
      const eq = c.caseSensitive ? v === (c.inputValue ?? "") : v.toLowerCase() === (c.inputValue ?? "").toLowerCase();
      return (c.operator ?? "equals").toLowerCase() === "notequals" ? !eq : eq;
    }),
  );

export const hookRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["org"],
    path: "hooks/subscriptions",
    scopes: HOOK_SCOPES,
    handler: (ctx) => {
      const q = (k: string) => ctx.q(k)?.toLowerCase();
      const subs = ctx.org.hooks.subscriptions.filter(
        (s) =>
          (!q("publisherId") || s.publisherId.toLowerCase() === q("publisherId")) &&
          (!q("eventType") || s.eventType.toLowerCase() === q("eventType")) &&
          (!q("consumerId") || s.consumerId.toLowerCase() === q("consumerId")) &&
          (!q("consumerActionId") || s.consumerActionId.toLowerCase() === q("consumerActionId")),
      );
      return list(subs.map((s) => subscriptionJson(ctx, s)));
    },
  },
  {
    method: "POST",
    levels: ["org"],
    path: "hooks/subscriptions",
    scopes: HOOK_SCOPES,
    handler: async (ctx) => {
      const s = validateSubscription(ctx, await ctx.body<SubscriptionBody>());
      ctx.org.hooks.subscriptions.push(s);
      return json(subscriptionJson(ctx, s));
    },
  },
  {
    method: "GET",
    levels: ["org"],
    path: "hooks/subscriptions/:id",
    scopes: HOOK_SCOPES,
    handler: (ctx) => json(subscriptionJson(ctx, findSub(ctx))),
  },
  {
    method: "PUT",
    levels: ["org"],
    path: "hooks/subscriptions/:id",
    scopes: HOOK_SCOPES,
    handler: async (ctx) => {
      const existing = findSub(ctx);
      const s = validateSubscription(ctx, await ctx.body<SubscriptionBody>(), existing);
      Object.assign(existing, s);
      return json(subscriptionJson(ctx, existing));
    },
  },
  {
    method: "DELETE",
    levels: ["org"],
    path: "hooks/subscriptions/:id",
    scopes: HOOK_SCOPES,
    handler: (ctx) => {
      const s = findSub(ctx);
      const allowed = s.publisherInputs.projectId
        ? isProjectAdmin(ctx.identity, s.publisherInputs.projectId.toLowerCase())
        : isCollectionAdmin(ctx.identity);
      if (!allowed) throw permissionDenied(ctx.identity, "Delete subscriptions");
      ctx.org.hooks.subscriptions = ctx.org.hooks.subscriptions.filter((x) => x !== s);
      return new Response(null, { status: 204 });
    },
  },
  {
    method: "GET",
    levels: ["org"],
    path: "hooks/subscriptions/:id/notifications",
    scopes: HOOK_SCOPES,
    handler: (ctx) => {
      const s = findSub(ctx);
      const top = Number(ctx.q("maxResults") ?? 100);
      const ns = ctx.org.hooks.notifications.filter(
        (n) =>
          n.subscriptionId === s.id &&
          (!ctx.q("status") || n.status === ctx.q("status")) &&
          (!ctx.q("result") || n.result === ctx.q("result")),
      );
      return list(
        ns
          .slice(-top)
          .reverse()
          .map((n) => notificationJson(ctx, n, s)),
      );
    },
  },
  {
    method: "GET",
    levels: ["org"],
    path: "hooks/subscriptions/:id/notifications/:nid",
    scopes: HOOK_SCOPES,
    handler: (ctx) => {
      const s = findSub(ctx);
      const n = ctx.org.hooks.notifications.find((x) => x.subscriptionId === s.id && x.id === Number(ctx.params.nid));
      if (!n) throw notFound(`Notification ${ctx.params.nid} not found.`);
      return json(notificationJson(ctx, n, s));
    },
  },
  {
    method: "POST",
    levels: ["org"],
    path: "hooks/subscriptionsquery",
    scopes: HOOK_SCOPES,
    handler: async (ctx) => {
      const q = (await ctx.body<Record<string, unknown>>()) ?? {};
      const eq = (a: unknown, b: string) => !a || String(a).toLowerCase() === b.toLowerCase();
      const results = ctx.org.hooks.subscriptions.filter(
        (s) =>
          eq(q.publisherId, s.publisherId) &&
          eq(q.eventType, s.eventType) &&
          eq(q.consumerId, s.consumerId) &&
          eq(q.consumerActionId, s.consumerActionId) &&
          filterMatch(s, s.publisherInputs, q.publisherInputFilters as never) &&
          filterMatch(s, s.consumerInputs, q.consumerInputFilters as never),
      );
      return json({ ...q, results: results.map((s) => subscriptionJson(ctx, s)) });
    },
  },
  {
    method: "GET",
    levels: ["org"],
    path: "hooks/publishers",
    scopes: HOOK_SCOPES,
    handler: (ctx) =>
      list([
        {
          id: "tfs",
          name: "Azure DevOps",
          description: "Azure DevOps events",
          supportedEvents: [...WORK_ITEM_EVENTS, ...CODE_EVENTS].map((id) => ({ id, name: EVENT_DESCRIPTIONS[id], publisherId: "tfs" })),
          url: `${ctx.base}/${ctx.org.name}/_apis/hooks/publishers/tfs`,
        },
      ]),
  },
  {
    method: "GET",
    levels: ["org"],
    path: "hooks/consumers",
    scopes: HOOK_SCOPES,
    handler: (ctx) =>
      list([
        {
          id: "webHooks",
          name: "Web Hooks",
          description: "Provides event communication via HTTP",
          actions: [
            {
              id: "httpRequest",
              consumerId: "webHooks",
              name: "Post via HTTP",
              description: "Posts the event to a URL",
              url: `${ctx.base}/${ctx.org.name}/_apis/hooks/consumers/webHooks/actions/httpRequest`,
            },
          ],
          url: `${ctx.base}/${ctx.org.name}/_apis/hooks/consumers/webHooks`,
        },
      ]),
  },
];

export { AdoError };
