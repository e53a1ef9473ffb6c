import type { AppDeps } from "../context";

/** A service-hook event after the receiver has validated and normalised it. */
export interface AdoEvent {
  orgId: string;
  connectionId: string;
  eventType: string;
  /** Work item id for workitem.* events. */
  workItemId?: number;
  projectId?: string;
  repositoryId?: string;
  resource: Record<string, unknown>;
}

export type AdoEventHandler = (deps: AppDeps, event: AdoEvent) => Promise<void>;

/** Features subscribe here (Boards: work item changes; Repos: pushes); the webhook receiver calls dispatch. */
const handlers: { prefix: string; handler: AdoEventHandler }[] = [];

export function onAdoEvent(eventTypePrefix: string, handler: AdoEventHandler): void {
  handlers.push({ prefix: eventTypePrefix, handler });
}

export async function dispatchAdoEvent(deps: AppDeps, event: AdoEvent): Promise<void> {
  for (const h of handlers) if (event.eventType.startsWith(h.prefix)) await h.handler(deps, event);
}
