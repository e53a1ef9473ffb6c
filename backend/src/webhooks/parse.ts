// Turning a service-hook delivery into an AdoEvent. Pure functions, tested against every captured
// payload in shared/fixtures/ado-webhooks: UTF-8 BOMs, trailing commas (hand-edited or older
// serializers), PascalCase envelopes, resource versions 1.0 to 5.1 (identities as "Name <mail>"
// strings or as objects), and workitem.updated whose resource.workItemId may be 0.
import { unstorableReason } from "../lib/text";

export const SUPPORTED_EVENTS = ["workitem.created", "workitem.updated", "workitem.deleted", "workitem.restored", "git.push"] as const;
export type SupportedEvent = (typeof SUPPORTED_EVENTS)[number];

export class WebhookRejection extends Error {
  constructor(
    public readonly status: 400 | 422,
    public readonly code: string,
    message: string,
    public readonly field?: string,
  ) {
    super(message);
  }
}

/** JSON.parse that forgives a leading BOM and trailing commas before } or ] (outside strings). */
export function parseLenientJson(text: string): unknown {
  const src = text.replace(/^\uFEFF+/, "");
  let out = "";
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (inString) {
      out += ch;
      if (ch === "\\") out += src[++i] ?? "";
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === ",") {
      let j = i + 1;
      while (j < src.length && /\s/.test(src[j])) j++;
      if (src[j] === "}" || src[j] === "]") continue;
    }
    out += ch;
  }
  try {
    return JSON.parse(out);
  } catch (e) {
    throw new WebhookRejection(400, "invalid_json", `The body is not JSON: ${(e as Error).message}`, "body");
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const camel = (k: string) => (/^[A-Z][a-z]/.test(k) || /^[A-Z]+$/.test(k) ? k.charAt(0).toLowerCase() + k.slice(1) : k);

/** Lower-cases the first letter of structural keys (SubscriptionId → subscriptionId); field reference names are left alone. */
function camelKeys(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const key = k.includes(".") ? k : camel(k);
    if (!(key in out)) out[key] = v;
  }
  return out;
}

function normaliseResource(resource: Obj): Obj {
  const r = camelKeys(resource);
  if (isObj(r.revision)) r.revision = camelKeys(r.revision);
  if (isObj(r.repository)) {
    const repo = camelKeys(r.repository);
    if (isObj(repo.project)) repo.project = camelKeys(repo.project);
    r.repository = repo;
  }
  return r;
}

const positiveInt = (v: unknown): number | undefined => {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
};
const idFromUrl = (url: unknown): number | undefined => {
  const m = typeof url === "string" ? /\/(?:workItems|recyclebin)\/(\d+)(?:[/?]|$)/i.exec(url) : null;
  return m ? Number(m[1]) : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);

/** The work item id of a workitem.* resource: resource.id is the update number for workitem.updated. */
export function workItemIdOf(eventType: string, r: Obj): number | undefined {
  const revision = isObj(r.revision) ? r.revision : undefined;
  if (eventType === "workitem.updated")
    return positiveInt(r.workItemId) ?? positiveInt(revision?.id) ?? idFromUrl(revision?.url) ?? idFromUrl(r.url);
  return positiveInt(r.id) ?? idFromUrl(r.url);
}

export interface NormalisedDelivery {
  eventId: string;
  eventType: SupportedEvent;
  resourceVersion: string | null;
  workItemId?: number;
  projectId?: string;
  repositoryId?: string;
  /** The organization (collection) id the payload says it comes from, when it says. */
  collectionId?: string;
  resource: Obj;
}

/** Validates and normalises a parsed delivery; throws WebhookRejection naming what is unusable. */
export function normaliseDelivery(payload: unknown): NormalisedDelivery {
  if (!isObj(payload)) throw new WebhookRejection(400, "invalid_payload", "The body must be a JSON object (a service-hook event)", "body");
  const env = camelKeys(payload);
  const eventType = str(env.eventType);
  if (!eventType) throw new WebhookRejection(400, "invalid_payload", "eventType is missing", "eventType");
  if (!(SUPPORTED_EVENTS as readonly string[]).includes(eventType))
    throw new WebhookRejection(
      422,
      "unsupported_event",
      `Event type "${eventType}" is not used by TestOps (${SUPPORTED_EVENTS.join(", ")})`,
      "eventType",
    );
  const publisherId = str(env.publisherId);
  if (publisherId && publisherId !== "tfs")
    throw new WebhookRejection(
      422,
      "unsupported_event",
      `Publisher "${publisherId}" is not used by TestOps (expected "tfs")`,
      "publisherId",
    );
  const eventId = str(env.id);
  if (!eventId)
    throw new WebhookRejection(400, "invalid_payload", "id (the event id) is missing: it is needed to handle each event once", "id");
  if (eventId.length > 200) throw new WebhookRejection(400, "invalid_payload", "id is too long", "id");
  // Ids are stored and compared: refused rather than altered (an altered id would deduplicate the wrong event).
  const idWhy = unstorableReason(eventId);
  if (idWhy) throw new WebhookRejection(400, "invalid_payload", `id ${idWhy}`, "id");
  if (!isObj(env.resource)) throw new WebhookRejection(400, "invalid_payload", "resource is missing", "resource");
  const resource = normaliseResource(env.resource);
  const containers = isObj(env.resourceContainers) ? camelKeys(env.resourceContainers) : {};
  const containerId = (name: string) => {
    const c = containers[name];
    return isObj(c) ? str(camelKeys(c).id) : undefined;
  };
  const out: NormalisedDelivery = {
    eventId,
    eventType: eventType as SupportedEvent,
    resourceVersion: str(env.resourceVersion) ?? null,
    projectId: containerId("project"),
    collectionId: containerId("collection"),
    resource,
  };
  if (eventType === "git.push") {
    const repo = isObj(resource.repository) ? resource.repository : undefined;
    out.repositoryId = str(repo?.id);
    if (!out.repositoryId)
      throw new WebhookRejection(400, "invalid_payload", "resource.repository.id is missing", "resource.repository.id");
    out.projectId ??= isObj(repo?.project) ? str(repo.project.id) : undefined;
    const refUpdates = resource.refUpdates ?? resource.RefUpdates;
    if (refUpdates !== undefined && refUpdates !== null) {
      if (!Array.isArray(refUpdates))
        throw new WebhookRejection(422, "invalid_payload", "resource.refUpdates must be an array of ref updates", "resource.refUpdates");
      refUpdates.forEach((u, i) => {
        if (!isObj(u))
          throw new WebhookRejection(422, "invalid_payload", `resource.refUpdates[${i}] must be an object`, `resource.refUpdates.${i}`);
        const name = u.name ?? u.Name;
        if (name !== undefined && name !== null && typeof name !== "string")
          throw new WebhookRejection(
            422,
            "invalid_payload",
            `resource.refUpdates[${i}].name must be a string`,
            `resource.refUpdates.${i}.name`,
          );
      });
      resource.refUpdates = refUpdates.map((u) => camelKeys(u as Obj));
    }
  } else {
    out.workItemId = workItemIdOf(eventType, resource);
    if (!out.workItemId)
      throw new WebhookRejection(
        400,
        "invalid_payload",
        "The work item id is missing (resource.workItemId, resource.id or resource.url)",
        "resource.workItemId",
      );
  }
  for (const [field, value] of [
    ["resourceContainers.project.id", out.projectId],
    ["resourceContainers.collection.id", out.collectionId],
    ["resource.repository.id", out.repositoryId],
  ] as const) {
    const why = value === undefined ? null : unstorableReason(value);
    if (why) throw new WebhookRejection(400, "invalid_payload", `${field} ${why}`, field);
  }
  return out;
}

/** Identity fields differ by resource version: "Name <mail>" strings (1.0) or IdentityRef objects (5.x). */
export function identityOf(value: unknown): { displayName: string; uniqueName?: string; id?: string } | undefined {
  if (typeof value === "string") {
    const m = /^(.*?)\s*<([^<>]+)>$/.exec(value.trim());
    return m ? { displayName: m[1], uniqueName: m[2] } : { displayName: value.trim() };
  }
  if (isObj(value)) {
    const displayName = str(value.displayName) ?? str(value.name);
    if (!displayName) return undefined;
    // Some payloads put the "Name <mail>" form into displayName/uniqueName as well.
    const parsed = identityOf(displayName);
    const uniqueName = str(value.uniqueName);
    return {
      displayName: parsed?.displayName ?? displayName,
      uniqueName: uniqueName && !uniqueName.includes("<") ? uniqueName : parsed?.uniqueName,
      ...(str(value.id) ? { id: str(value.id) } : {}),
    };
  }
  return undefined;
}
