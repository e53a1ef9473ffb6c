// The Simulator: owns the state, the Hono app, the in-process fetch, faults, throttling, the request log,
// webhook delivery, and helper methods that change data like a user would (firing the same hooks).
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { buildApp, RESET_HEADER } from "./app";
import { addPat, newTokenString } from "./auth";
import type { HookOptions, RateLimitOptions, SimCore } from "./core-types";
import type { SimEvent } from "./events";
import { Faults, type FaultSpec } from "./faults";
import { completeBuild, startPipelineRun, type BuildRecord, type StartPipelineRun } from "./builds";
import { pushToRepo, type PushInput } from "./git";
import type { GitRepo } from "./gitstore";
import { HookDeliveryManager, type HookDelivery } from "./hooks";
import { FIELD_BY_NAME, FIELD_BY_REF } from "./processes";
import { Rng } from "./prng";
import { RequestLog } from "./requestlog";
import { DEMO_PATS, DEMO_USERS, seedState, type SeedOptions } from "./seed/demo";
import { findOrg, findProject, newState, type Org, type Pat, type SimState } from "./state";
import { DEFAULT_RATE_LIMIT, Throttle } from "./throttle";
import { publishPipelineRun, type PipelineTestResult } from "./testruns";
import { createWorkItem, deleteWorkItem, renderWorkItem, restoreWorkItem, updateWorkItem, type PatchOp } from "./witmodel";

export interface SimulatorOptions {
  /** Default: the demo seed. false = empty state. */
  seed?: SeedOptions | false;
  /** How service hooks are POSTed (default global fetch). */
  deliver?: (url: string, init: RequestInit) => Promise<Response>;
  clock?: () => Date;
  /** Webhook retry/probation timings (make them 0 in tests). */
  hooks?: Partial<HookOptions>;
  /** Rate limiting (TSTU model). */
  rateLimit?: Partial<RateLimitOptions>;
  /** Base URL used in payloads created outside a request (default: the running URL, else https://dev.azure.com). */
  baseUrl?: string;
}

export interface WorkItemJson {
  id: number;
  rev: number;
  fields: Record<string, unknown>;
  relations?: { rel: string; url: string; attributes: Record<string, unknown> }[];
  url: string;
  _links?: Record<string, { href: string }>;
}

export interface CommitJson {
  commitId: string;
  treeId: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  comment: string;
  pushId: number;
  url: string;
}

export interface CreateWorkItemOptions {
  /** Links to add: work item links by target id, artifact links/hyperlinks by url. */
  relations?: { rel: string; targetId?: number; url?: string; attributes?: Record<string, unknown> }[];
  /** Acting user (default: the org's first collection admin). */
  byUserId?: string;
  bypassRules?: boolean;
}

export class SimulatorImpl implements SimCore {
  state: SimState = newState();
  readonly app;
  readonly requestLog = new RequestLog();
  readonly faults: Faults;
  readonly throttle: Throttle;
  readonly hookOptions: HookOptions;
  readonly rateLimit: RateLimitOptions;
  readonly clock: () => Date;
  readonly seedValue: number;
  readonly hooks: HookDeliveryManager;
  runningUrl?: string;
  private ids: Rng;

  constructor(readonly options: SimulatorOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.seedValue = (options.seed ? options.seed.seed : undefined) ?? 42;
    this.ids = new Rng(this.seedValue ^ 0xabcdef);
    this.faults = new Faults(this.seedValue);
    this.hookOptions = {
      retryDelaysMs: [1000, 5000, 15000],
      maxProbationRetries: 3,
      timeoutMs: 10_000,
      allowLocalTargets: false,
      ...options.hooks,
    };
    this.rateLimit = { ...DEFAULT_RATE_LIMIT, ...options.rateLimit };
    this.throttle = new Throttle(this.rateLimit, () => this.clock().getTime());
    this.hooks = new HookDeliveryManager(this, options.deliver ?? ((url, init) => fetch(url, init)));
    this.app = buildApp(this);
    this.reset(options.seed);
  }

  /** Re-creates the state from a seed (default: the options' seed). */
  reset(seed: SeedOptions | false | undefined = this.options.seed): void {
    this.state = newState();
    this.hooks.clear();
    this.throttle.reset();
    if (seed !== false) seedState(this, seed ?? {});
  }

  publicBase(): string {
    return this.options.baseUrl ?? this.runningUrl ?? "https://dev.azure.com";
  }

  emit(event: SimEvent): void {
    this.hooks.publish(event);
  }

  nextActivityId(): string {
    return this.ids.uuid();
  }

  /** In-process fetch: absolute URLs (any origin) are routed by path to the app. */
  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let req: Request;
    if (input instanceof Request) req = init ? new Request(input, init) : input;
    else {
      const s = String(input);
      req = new Request(/^[a-z]+:\/\//i.test(s) ? s : `http://ado-sim.local${s.startsWith("/") ? "" : "/"}${s}`, init);
    }
    const res = await this.app.fetch(req, {});
    if (res.headers.get(RESET_HEADER)) {
      // What undici throws when the server resets the connection.
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
    }
    return res;
  }) as typeof fetch;

  org(name: string): Org {
    const org = findOrg(this.state, name);
    if (!org) throw new Error(`Unknown organization ${name}`);
    return org;
  }

  private actor(org: Org, byUserId?: string): string {
    if (byUserId) return byUserId;
    const admin = [...org.members.values()].find((m) => m.collectionAdmin) ?? [...org.members.values()][0];
    if (!admin) throw new Error(`Organization ${org.name} has no users`);
    return admin.userId;
  }

  private render(org: Org, id: number, projectId: string): WorkItemJson {
    const rev = org.workItems.latest(id);
    return renderWorkItem({ base: this.publicBase(), org, users: this.state.users }, id, rev, {
      expand: "relations",
      links: true,
      projectId,
    }) as unknown as WorkItemJson;
  }

  private fieldOps(fields: Record<string, unknown>): PatchOp[] {
    return Object.entries(fields).map(([k, v]) => {
      const d = FIELD_BY_REF.get(k.toLowerCase()) ?? FIELD_BY_NAME.get(k.toLowerCase());
      const path = `/fields/${d?.referenceName ?? k}`;
      return v === null || v === undefined ? { op: "remove", path } : { op: "add", path, value: v };
    });
  }

  createWorkItem(
    orgName: string,
    project: string,
    type: string,
    fields: Record<string, unknown>,
    opts: CreateWorkItemOptions = {},
  ): WorkItemJson {
    const org = this.org(orgName);
    const p = findProject(org, project);
    if (!p) throw new Error(`Unknown project ${project}`);
    const ops = this.fieldOps(fields);
    for (const r of opts.relations ?? [])
      ops.push({
        op: "add",
        path: "/relations/-",
        value: {
          rel: r.rel,
          url: r.url ?? `${this.publicBase()}/${org.name}/_apis/wit/workItems/${r.targetId}`,
          attributes: r.attributes ?? {},
        },
      });
    const res = createWorkItem(this, org, p, type, ops, { byUserId: this.actor(org, opts.byUserId), bypassRules: opts.bypassRules });
    return this.render(org, res.id, p.id);
  }

  updateWorkItem(orgName: string, id: number, fields: Record<string, unknown>, opts: CreateWorkItemOptions = {}): WorkItemJson {
    const org = this.org(orgName);
    const ops = this.fieldOps(fields);
    for (const r of opts.relations ?? [])
      ops.push({
        op: "add",
        path: "/relations/-",
        value: {
          rel: r.rel,
          url: r.url ?? `${this.publicBase()}/${org.name}/_apis/wit/workItems/${r.targetId}`,
          attributes: r.attributes ?? {},
        },
      });
    const res = updateWorkItem(this, org, id, ops, { byUserId: this.actor(org, opts.byUserId), bypassRules: opts.bypassRules });
    return this.render(org, res.id, res.project.id);
  }

  deleteWorkItem(orgName: string, id: number, opts: { destroy?: boolean; byUserId?: string } = {}): void {
    const org = this.org(orgName);
    deleteWorkItem(this, org, id, this.actor(org, opts.byUserId), opts.destroy);
  }

  restoreWorkItem(orgName: string, id: number, opts: { byUserId?: string } = {}): WorkItemJson {
    const org = this.org(orgName);
    const res = restoreWorkItem(this, org, id, this.actor(org, opts.byUserId));
    return this.render(org, id, res.project.id);
  }

  /** Pushes one commit to a branch (creating the branch if needed) and fires git.push hooks. */
  pushCommit(
    orgName: string,
    project: string,
    repoName: string,
    input: Omit<PushInput, "pushedByUserId"> & { byUserId?: string },
  ): CommitJson {
    const org = this.org(orgName);
    const p = findProject(org, project);
    if (!p) throw new Error(`Unknown project ${project}`);
    const repo = findRepo(p.repos, repoName);
    if (!repo) throw new Error(`Unknown repository ${repoName}`);
    const { push, commitId } = pushToRepo(this, org, p, repo, { ...input, pushedByUserId: this.actor(org, input.byUserId) });
    const c = repo.commits.get(commitId)!;
    return {
      commitId,
      treeId: c.treeId,
      parents: c.parents,
      author: c.author,
      committer: c.committer,
      comment: c.comment,
      pushId: push.pushId,
      url: `${this.publicBase()}/${org.name}/${p.id}/_apis/git/repositories/${repo.id}/commits/${commitId}`,
    };
  }

  /**
   * A Bearer "user access token" as SDK.getAccessToken() hands out: the user's rights, limited to the
   * extension's scopes (pass the manifest's `scopes`; omitted = unscoped, like a full session).
   */
  issueAccessToken(orgName: string, userId: string, validForMs = 60 * 60_000, scopes?: string[]): string {
    const org = this.org(orgName);
    if (!org.members.has(userId)) throw new Error(`User ${userId} is not a member of ${orgName}`);
    const token = `eyJ0eXAiOiJKV1Qi.${newTokenString()}.${newTokenString()}`;
    this.state.accessTokens.set(token, {
      token,
      userId,
      org: org.name.toLowerCase(),
      validTo: new Date(this.clock().getTime() + validForMs),
      ...(scopes ? { scopes: [...scopes] } : {}),
    });
    return token;
  }

  /**
   * A pipeline run: a build of `pipeline` in the project, in progress, with the job access token
   * (System.AccessToken) its job gets, and the agent variables a task sees (as INPUT-less env vars).
   */
  startPipelineRun(orgName: string, project: string, input: StartPipelineRun = {}) {
    const org = this.org(orgName);
    const p = findProject(org, project);
    if (!p) throw new Error(`Unknown project ${project}`);
    const { build, token, identity } = startPipelineRun(this, org, p, input);
    const collectionUri = `${this.publicBase()}/${org.name}/`;
    return {
      buildId: build.id,
      buildNumber: build.buildNumber,
      accessToken: token,
      identity: { id: identity.id, displayName: identity.displayName },
      variables: {
        SYSTEM_ACCESSTOKEN: token,
        SYSTEM_COLLECTIONURI: collectionUri,
        SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: collectionUri,
        SYSTEM_TEAMPROJECT: p.name,
        SYSTEM_TEAMPROJECTID: p.id,
        SYSTEM_COLLECTIONID: org.id,
        SYSTEM_DEFINITIONID: String(build.definition.id),
        BUILD_BUILDID: String(build.id),
        BUILD_BUILDNUMBER: build.buildNumber,
        BUILD_DEFINITIONNAME: build.definition.name,
        BUILD_SOURCEBRANCH: build.sourceBranch,
        BUILD_SOURCEVERSION: build.sourceVersion,
        BUILD_REPOSITORY_NAME: build.repository.name,
      } as Record<string, string>,
    };
  }

  /** Finishes a build: its job access tokens stop working. */
  completeBuild(orgName: string, buildId: number, result?: BuildRecord["result"]): void {
    completeBuild(this, this.org(orgName), buildId, result);
  }

  /** What PublishTestResults@2 does in a build: a completed automated test run tied to the build. */
  publishPipelineTestRun(
    orgName: string,
    buildId: number,
    input: { title?: string; results: PipelineTestResult[]; at?: Date },
  ): { runId: number } {
    const org = this.org(orgName);
    const build = org.builds.builds.find((b) => b.id === buildId);
    if (!build) throw new Error(`Unknown build ${buildId}`);
    const p = org.projects.find((x) => x.id === build.projectId)!;
    const run = publishPipelineRun(
      org,
      p,
      {
        id: build.id,
        buildNumber: build.buildNumber,
        definitionId: build.definition.id,
        branch: build.sourceBranch,
        ownerId: build.requestedForId,
      },
      {
        title: input.title ?? `JUnit_TestResults_${build.id}`,
        results: input.results,
        at: input.at ?? this.clock(),
        baseUrl: this.publicBase(),
      },
    );
    return { runId: run.id };
  }

  /** Adds a PAT (e.g. with specific scopes) for tests. */
  addPat(pat: {
    token?: string;
    userId: string;
    org?: string | null;
    scopes: string[];
    validTo?: Date;
    revoked?: boolean;
    name?: string;
  }): Pat {
    return addPat(this.state, {
      token: pat.token ?? newTokenString(),
      name: pat.name ?? "test",
      userId: pat.userId,
      org: pat.org === undefined ? null : (pat.org?.toLowerCase() ?? null),
      scopes: pat.scopes,
      validTo: pat.validTo,
      revoked: pat.revoked,
    });
  }

  deliveries(): HookDelivery[] {
    return this.hooks.deliveries();
  }

  /** Resolves when every queued webhook delivery (including retries) has finished. */
  flushDeliveries(): Promise<void> {
    return this.hooks.flush();
  }

  setFaults(spec: FaultSpec): void {
    this.faults.set(spec);
  }
}

export function findRepo(repos: GitRepo[], idOrName: string): GitRepo | undefined {
  const k = idOrName.toLowerCase();
  return repos.find((r) => r.id === k || r.name.toLowerCase() === k);
}

export { DEMO_PATS, DEMO_USERS };

export async function listen(sim: SimulatorImpl, port = 0, host = "127.0.0.1"): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: sim.app.fetch, port, hostname: host }, (info: AddressInfo) => {
      const h = host.includes(":") ? `[${host}]` : host;
      const url = `http://${h}:${info.port}`;
      sim.runningUrl = url;
      resolve({
        url,
        close: () =>
          new Promise<void>((res) => {
            const s = server as unknown as { closeAllConnections?: () => void; close: (cb: () => void) => void };
            s.closeAllConnections?.();
            s.close(() => res());
          }),
      });
    });
    server.on("error", reject);
  });
}
