import type { JobStore } from "./store";
import type { JobHandler, JobRecord } from "./types";

/**
 * What both runners share: the jobs table answers reads and cancellation (our row is the authority:
 * a cancelled row is a no-op when a runner reaches it); runners differ only in how jobs get executed.
 */
export abstract class StoreBackedQueue {
  protected handlers = new Map<string, JobHandler>();

  constructor(protected readonly store: JobStore) {}

  register<P>(kind: string, handler: JobHandler<P>): void {
    this.handlers.set(kind, handler as JobHandler);
  }
  get(orgId: string, id: string): Promise<JobRecord | undefined> {
    return this.store.get(orgId, id);
  }
  list(orgId: string, f?: { resourceKey?: string; limit?: number }): Promise<JobRecord[]> {
    return this.store.list(orgId, f);
  }
  async cancel(orgId: string, id: string): Promise<JobRecord | undefined> {
    await this.store.requestCancel(orgId, { id });
    return this.store.get(orgId, id);
  }
  async cancelResource(orgId: string, resourceKey: string): Promise<number> {
    return (await this.store.requestCancel(orgId, { resourceKey })).length;
  }
}
