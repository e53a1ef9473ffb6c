// Public API of @testops/ado-sim.
import type { Hono } from "hono";
import type { FaultSpec } from "./faults";
import type { HookDelivery } from "./hooks";
import type { RequestLogEntry, RequestLogFilter } from "./requestlog";
import { listen, SimulatorImpl, type CommitJson, type CreateWorkItemOptions, type SimulatorOptions, type WorkItemJson } from "./simulator";
import type { Org, SimState } from "./state";
import type { FileChange, PushInput } from "./types-reexport";

export type {
  FaultSpec,
  HookDelivery,
  RequestLogEntry,
  RequestLogFilter,
  SimulatorOptions,
  SimState,
  CommitJson as Commit,
  WorkItemJson as WorkItem,
  CreateWorkItemOptions,
  FileChange,
  PushInput,
};
export type { SeedOptions, OrgSeed } from "./seed/demo";
export type { HookOptions, RateLimitOptions } from "./core-types";
export { DEMO_PATS, DEMO_USERS, DEMO_ORGS } from "./seed/demo";
export { generateKatalonProject, readKatalonFixture, KATALON_FIXTURE_DIR } from "./seed/katalon";
export { PROCESSES } from "./processes";
export { SECURITY_NAMESPACES } from "./auth";

export interface Simulator {
  /** The Hono app serving the ADO REST surface and /_sim control endpoints. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the app's env type is internal
  app: Hono<any>;
  /** In-process fetch: absolute URLs of any origin are routed by path to the app. */
  fetch: typeof fetch;
  state: SimState;
  /** An organization of the state by name (throws when unknown). */
  org(name: string): Org;
  requestLog: { entries(): RequestLogEntry[]; clear(): void; count(filter?: RequestLogFilter): number };
  faults: { set(spec: FaultSpec): void; clear(): void };
  /** Rate limiting (TSTU model); configure e.g. { limit: 5, costPerRequest: 1 } to provoke 429s. */
  throttle: { configure(o: Partial<import("./core-types").RateLimitOptions>): void; reset(): void };
  createWorkItem(org: string, project: string, type: string, fields: Record<string, unknown>, opts?: CreateWorkItemOptions): WorkItemJson;
  updateWorkItem(org: string, id: number, fields: Record<string, unknown>, opts?: CreateWorkItemOptions): WorkItemJson;
  deleteWorkItem(org: string, id: number, opts?: { destroy?: boolean; byUserId?: string }): void;
  restoreWorkItem(org: string, id: number, opts?: { byUserId?: string }): WorkItemJson;
  pushCommit(
    org: string,
    project: string,
    repo: string,
    input: { branch: string; changes: FileChange[]; comment?: string; byUserId?: string; oldObjectId?: string },
  ): CommitJson;
  /** A Bearer "user access token" as SDK.getAccessToken() would hand out (limited to `scopes` when given). */
  issueAccessToken(org: string, userId: string, validForMs?: number, scopes?: string[]): string;
  /** A build in progress with its job access token (System.AccessToken) and the agent variables a task sees. */
  startPipelineRun(
    org: string,
    project: string,
    input?: {
      pipeline?: string;
      branch?: string;
      workItemIds?: number[];
      commits?: { message: string; author?: string }[];
      repository?: string;
    },
  ): {
    buildId: number;
    buildNumber: string;
    accessToken: string;
    identity: { id: string; displayName: string };
    variables: Record<string, string>;
  };
  /** Finishes a build: its job access tokens stop working. */
  completeBuild(org: string, buildId: number, result?: "succeeded" | "partiallySucceeded" | "failed" | "canceled"): void;
  /** What PublishTestResults@2 leaves in Azure Test Plans: a completed automated run tied to the build. */
  publishPipelineTestRun(
    org: string,
    buildId: number,
    input: {
      title?: string;
      results: {
        name: string;
        className?: string;
        outcome: "Passed" | "Failed" | "NotExecuted" | "Error" | "Timeout" | "Aborted" | "Inconclusive";
        durationInMs?: number;
        errorMessage?: string;
        stackTrace?: string;
      }[];
      at?: Date;
    },
  ): { runId: number };
  /** Adds a PAT with specific scopes/expiry for tests; returns it (use .token). */
  addPat(pat: {
    token?: string;
    userId: string;
    org?: string | null;
    scopes: string[];
    validTo?: Date;
    revoked?: boolean;
    name?: string;
  }): { token: string };
  /** Every webhook delivery attempt, with its HTTP status. */
  deliveries(): HookDelivery[];
  /** Resolves when queued webhook deliveries (and their retries) are done. */
  flushDeliveries(): Promise<void>;
  /** Rebuilds the state from a seed (default: the one the simulator was created with). */
  reset(seed?: import("./seed/demo").SeedOptions | false): void;
}

export type RunningSimulator = Simulator & { url: string; close(): Promise<void> };

/** A simulator without a port: use `sim.fetch` (or `sim.app.fetch`). */
export function createSimulator(opts: SimulatorOptions = {}): Simulator {
  return new SimulatorImpl(opts) as unknown as Simulator;
}

/** A simulator listening on host:port (default 127.0.0.1, random port). */
export async function startSimulator(opts: SimulatorOptions & { port?: number; host?: string } = {}): Promise<RunningSimulator> {
  const sim = new SimulatorImpl(opts);
  const server = await listen(sim, opts.port ?? 0, opts.host ?? "127.0.0.1");
  const running = sim as unknown as RunningSimulator;
  Object.assign(running, { url: server.url, close: server.close });
  return running;
}
