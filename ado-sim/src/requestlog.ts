// Every request the simulator answered, for tests and benchmarks that count calls.
export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  at: string;
  /** User id of the caller when authenticated. */
  userId?: string;
}

export interface RequestLogFilter {
  method?: string;
  pathIncludes?: string;
  status?: number;
}

export class RequestLog {
  private list: RequestLogEntry[] = [];
  constructor(private max = 100_000) {}

  add(e: RequestLogEntry): void {
    this.list.push(e);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
  }

  entries(): RequestLogEntry[] {
    return [...this.list];
  }

  clear(): void {
    this.list = [];
  }

  count(filter: RequestLogFilter = {}): number {
    return this.list.filter(
      (e) =>
        (!filter.method || e.method.toUpperCase() === filter.method.toUpperCase()) &&
        (!filter.pathIncludes || e.path.toLowerCase().includes(filter.pathIncludes.toLowerCase())) &&
        (filter.status === undefined || e.status === filter.status),
    ).length;
  }
}
