// A small TTL cache whose concurrent misses for one key share one load: sixteen first requests with a
// fresh token make one Azure DevOps call, not sixteen. Failures are not cached (the next caller retries).

export class CoalescingCache {
  private readonly values = new Map<string, { at: number; value: unknown }>();
  private readonly loading = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.values.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return Promise.resolve(hit.value as T);
    const pending = this.loading.get(key);
    if (pending) return pending as Promise<T>;
    const p = (async () => {
      try {
        const value = await load();
        if (this.values.size >= this.maxEntries) this.values.clear();
        this.values.set(key, { at: Date.now(), value });
        return value;
      } finally {
        this.loading.delete(key);
      }
    })();
    this.loading.set(key, p);
    return p;
  }

  delete(key: string): void {
    this.values.delete(key);
  }
}
