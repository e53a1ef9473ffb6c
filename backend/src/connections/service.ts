import { randomUUID } from "node:crypto";
import { and, count, eq, ne, sql } from "drizzle-orm";
import { AdoClient, type RequestOptions } from "../ado/client";
import { connectionData } from "../ado/endpoints";
import { AdoError, isAdoError } from "../ado/errors";
import { parseOrganizationUrl, sameOrganization, storedOrgUrl, type OrgUrl } from "../ado/urls";
import type { AppDeps } from "../context";
import { connectionHooks, connections, organizations } from "../db/schema";
import { recordAudit } from "../lib/audit";
import { ApiError, fieldError } from "../lib/errors";
import { registerSecret } from "../log";
import type { Connection, CreateConnectionInput, TestConnectionInput, TestResult, UpdateConnectionInput } from "../schemas/connections";
import { ensureHooks, removeHooks } from "./hooks";
import { clientOptions, newHookSecret, openPat, orgUrlOf, SealedSecretError, type ConnectionRow } from "./store";

export type { ConnectionRow };
import { testConnection } from "./probe";

export interface ActiveConnection {
  id: string;
  orgId: string;
  name: string;
  org: OrgUrl;
  status: "Active";
}

/** Who is changing a connection (audit) and where (tenancy). */
export interface Actor {
  orgId: string;
  orgName: string;
  /** The organization's canonical URL as bound when first seen (never a request header). */
  orgUrl: string;
  userId: string;
  userName: string | null;
  isOrgAdmin: boolean;
}

const SYSTEM = { id: "system", name: "TestOps" };

// ---- the contract other features use (docs: briefs/conn-contract) ----

export async function getActiveConnection(deps: AppDeps, orgId: string): Promise<ActiveConnection | undefined> {
  const [row] = await deps.database.db
    .select()
    .from(connections)
    .where(and(eq(connections.orgId, orgId), eq(connections.status, "Active")))
    .limit(1);
  if (!row) return undefined;
  return { id: row.id, orgId: row.orgId, name: row.name, org: orgUrlOf(row), status: "Active" };
}

/** An ADO client with the org's Active connection PAT; a bad-credentials answer on any call flips the connection to Error. */
export async function adoClientFor(deps: AppDeps, orgId: string): Promise<AdoClient> {
  const [row] = await deps.database.db
    .select()
    .from(connections)
    .where(and(eq(connections.orgId, orgId), eq(connections.status, "Active")))
    .limit(1);
  if (!row) {
    throw new ApiError(
      409,
      "no_connection",
      "This organization has no active Azure DevOps connection: connect the organization first (Organization settings → TestOps)",
    );
  }
  return new ReportingClient(deps, row.id, clientOptions(deps, orgUrlOf(row), await openPatOrFail(deps, row), row.id));
}

/**
 * For permission checks Azure DevOps does not answer for the extension's token: a client with the PAT of
 * the organization's connection (Active first; a Disconnected or Error one still tells who may reconnect
 * or fix it), sent only to the URL it was saved for; null when the organization has none.
 */
export function patClientSource(deps: AppDeps): (org: OrgUrl) => Promise<AdoClient | null> {
  return async (org) => {
    const [bound] = await deps.database.db
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.url, org.url))
      .limit(1);
    if (!bound) return null;
    const rows = await deps.database.db.select().from(connections).where(eq(connections.orgId, bound.id));
    const row = rows.find((r) => r.status === "Active") ?? rows.sort((a, b) => +b.statusChangedAt - +a.statusChangedAt)[0];
    if (!row) return null;
    // A PAT that cannot be decrypted puts the connection in Error and answers 409 saying so.
    return new AdoClient({
      ...clientOptions(deps, orgUrlOf(row), await openPatOrFail(deps, row), row.id),
      maxRetries: 1,
      timeoutMs: 15_000,
    });
  };
}

/** The stored PAT; one that cannot be decrypted puts the connection in Error and answers 409 with the reason. */
async function openPatOrFail(deps: AppDeps, row: ConnectionRow): Promise<string> {
  try {
    return openPat(deps, row);
  } catch (e) {
    if (!(e instanceof SealedSecretError)) throw e;
    await deps.database.db
      .update(connections)
      .set({ status: "Error", statusReason: e.message, statusChangedAt: new Date() })
      .where(and(eq(connections.id, row.id), eq(connections.status, "Active")));
    deps.log.error("stored PAT cannot be decrypted; connection in Error", { connectionId: row.id });
    throw new ApiError(409, "connection_error", e.message);
  }
}

/** Marks an Active connection Error when Azure DevOps says its PAT no longer works (expired or revoked). */
export async function reportAdoFailure(deps: AppDeps, connectionId: string, err: unknown): Promise<void> {
  if (!isAdoError(err, "bad_credentials")) return;
  const why = err.details.lostAccess
    ? "its owner no longer has access to the organization. Edit the connection and enter a PAT of a user who has"
    : "it expired or was revoked. Edit the connection and enter a new PAT";
  const reason = `Azure DevOps rejected the PAT on ${new Date().toISOString().slice(0, 10)}: ${why}.`;
  const updated = await deps.database.db
    .update(connections)
    .set({ status: "Error", statusReason: reason, statusChangedAt: new Date() })
    .where(and(eq(connections.id, connectionId), eq(connections.status, "Active")))
    .returning({ id: connections.id, orgId: connections.orgId });
  if (updated.length === 0) return;
  deps.log.warn("connection PAT rejected; status Error", { connectionId });
  await recordAudit(deps.database.db, {
    orgId: updated[0].orgId,
    actorId: SYSTEM.id,
    actorName: SYSTEM.name,
    action: "connection.error",
    targetType: "connection",
    targetId: connectionId,
    details: { reason },
  });
}

class ReportingClient extends AdoClient {
  constructor(
    private readonly deps: AppDeps,
    private readonly connectionId: string,
    opts: ConstructorParameters<typeof AdoClient>[0],
  ) {
    super(opts);
  }
  override async request<T = unknown>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    try {
      return await super.request<T>(method, path, o);
    } catch (e) {
      await reportAdoFailure(this.deps, this.connectionId, e);
      throw e;
    }
  }
  override async *pages<T>(path: string, o: RequestOptions = {}): AsyncGenerator<T[]> {
    try {
      yield* super.pages<T>(path, o);
    } catch (e) {
      await reportAdoFailure(this.deps, this.connectionId, e);
      throw e;
    }
  }
}

// ---- internals ----

export async function findConnection(deps: AppDeps, orgId: string, id: string): Promise<ConnectionRow> {
  const [row] = await deps.database.db
    .select()
    .from(connections)
    .where(and(eq(connections.orgId, orgId), eq(connections.id, id)))
    .limit(1);
  if (!row) throw new ApiError(404, "not_found", "No such connection in this organization");
  return row;
}

async function hookCounts(deps: AppDeps, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await deps.database.db
    .select({ id: connectionHooks.connectionId, n: count() })
    .from(connectionHooks)
    .where(
      sql`${connectionHooks.connectionId} IN (${sql.join(
        ids.map((i) => sql`${i}`),
        sql`, `,
      )})`,
    )
    .groupBy(connectionHooks.connectionId);
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

/** The API view of a connection: what is known about the PAT, never the PAT (nor any part of it). */
export function toDto(row: ConnectionRow, hooks: number): Connection {
  return {
    id: row.id,
    name: row.name,
    organizationUrl: row.organizationUrl,
    organizationName: row.organizationName,
    description: row.description,
    status: row.status,
    statusReason: row.statusReason,
    statusChangedAt: row.statusChangedAt.toISOString(),
    pat: { setAt: row.patSetAt.toISOString(), expiresOn: row.patExpiresOn, ownerName: row.patOwnerName },
    hooks: { count: hooks, error: row.hooksError },
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listConnections(deps: AppDeps, orgId: string): Promise<Connection[]> {
  const rows = await deps.database.db
    .select()
    .from(connections)
    .where(eq(connections.orgId, orgId))
    .orderBy(sql`CASE ${connections.status} WHEN 'Inactive' THEN 1 ELSE 0 END`, connections.createdAt);
  const counts = await hookCounts(
    deps,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toDto(r, counts.get(r.id) ?? 0));
}

export async function getConnectionDto(deps: AppDeps, orgId: string, id: string): Promise<Connection> {
  const row = await findConnection(deps, orgId, id);
  return toDto(row, (await hookCounts(deps, [id])).get(id) ?? 0);
}

function parseUrlField(deps: AppDeps, input: string): OrgUrl {
  const parsed = parseOrganizationUrl(input, deps.config.adoServerHosts);
  if (!parsed.ok) throw fieldError("organizationUrl", parsed.reason);
  return parsed.value;
}

/**
 * A saved connection points at the caller's own organization, as bound when first seen: checked before
 * its PAT is sent anywhere (Azure DevOps then confirms the instance id as well).
 */
function ownOrgUrlField(deps: AppDeps, actor: Actor, input: string): OrgUrl {
  const org = parseUrlField(deps, input);
  if (!sameOrganization(org, storedOrgUrl(actor.orgUrl)))
    throw fieldError("organizationUrl", `is a different Azure DevOps organization than the one you are in (${actor.orgName})`);
  return org;
}

async function assertNameFree(deps: AppDeps, orgId: string, name: string, exceptId?: string) {
  const [clash] = await deps.database.db
    .select({ id: connections.id })
    .from(connections)
    .where(
      and(
        eq(connections.orgId, orgId),
        sql`lower(${connections.name}) = lower(${name})`,
        exceptId ? ne(connections.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  if (clash)
    throw new ApiError(409, "conflict", `name: a connection named "${name}" already exists in this organization`, [
      { field: "name", message: "is already used by another connection in this organization" },
    ]);
}

async function assertNoLiveConnection(deps: AppDeps, orgId: string, exceptId?: string) {
  const [live] = await deps.database.db
    .select({ id: connections.id, name: connections.name, status: connections.status })
    .from(connections)
    .where(and(eq(connections.orgId, orgId), ne(connections.status, "Inactive"), exceptId ? ne(connections.id, exceptId) : undefined))
    .limit(1);
  if (live) throw liveConflict(live.name);
}

const liveConflict = (name: string) =>
  new ApiError(
    409,
    "conflict",
    `organizationUrl: this organization already has a connection in use ("${name}"); disconnect it first, or edit it to replace its PAT`,
    [
      {
        field: "organizationUrl",
        message: `already has a connection in use ("${name}"); disconnect it first, or edit it to replace its PAT`,
      },
    ],
  );

/** Unique-index races (two admins saving at once) become the same 409s as the checks above. */
function mapUniqueViolation(e: unknown, name: string): never {
  const msg = String((e as { message?: string })?.message ?? "") + String((e as { cause?: { message?: string } })?.cause?.message ?? "");
  if (msg.includes("connections_one_live_per_org")) throw liveConflict("another connection");
  if (msg.includes("connections_name_per_org"))
    throw new ApiError(409, "conflict", `name: a connection named "${name}" already exists in this organization`, [
      { field: "name", message: "is already used by another connection in this organization" },
    ]);
  throw e;
}

/**
 * Before storing a PAT: it must work and belong to this organization. Its failures are field errors
 * (pat, organizationUrl) or 429/502 for Azure DevOps being busy; nothing is stored on failure.
 */
async function verifyPat(deps: AppDeps, actor: Actor, org: OrgUrl, pat: string): Promise<{ ownerId: string; ownerName: string }> {
  registerSecret(pat);
  const client = new AdoClient(clientOptions(deps, org, pat, undefined, { maxRetries: 1 }));
  let who: Awaited<ReturnType<typeof connectionData>>;
  try {
    who = await connectionData(client);
  } catch (e) {
    if (!(e instanceof AdoError)) throw e;
    if (e.kind === "bad_credentials" || e.kind === "missing_scope")
      throw fieldError("pat", "was rejected by Azure DevOps: it is wrong, expired or revoked, or not valid for this organization");
    if (e.kind === "unreachable" || e.kind === "not_found") throw fieldError("organizationUrl", `could not be reached: ${e.message}`);
    if (e.kind === "throttled")
      throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests for this organization; try again in a minute");
    throw new ApiError(502, "ado_unavailable", `Azure DevOps could not answer: ${e.message}`);
  }
  if (who.instanceId?.toLowerCase() !== actor.orgId.toLowerCase())
    throw fieldError("organizationUrl", `is a different Azure DevOps organization than the one you are in (${actor.orgName})`);
  return { ownerId: who.authenticatedUser.id, ownerName: who.authenticatedUser.providerDisplayName ?? who.authenticatedUser.id };
}

const patRequiredForNewUrl = () =>
  fieldError("pat", "must be entered again to use another organization URL: the stored PAT is only ever sent to the URL it was saved for");

function requireAdmin(actor: Actor) {
  if (!actor.isOrgAdmin)
    throw new ApiError(403, "forbidden", "Only organization administrators (Project Collection Administrators) can change connections");
}

async function audit(deps: AppDeps, actor: Actor, action: string, id: string, details: Record<string, unknown>) {
  await recordAudit(deps.database.db, {
    orgId: actor.orgId,
    actorId: actor.userId,
    actorName: actor.userName,
    action,
    targetType: "connection",
    targetId: id,
    details,
  });
}

// ---- operations behind the routes ----

export async function createConnection(deps: AppDeps, actor: Actor, input: CreateConnectionInput): Promise<Connection> {
  requireAdmin(actor);
  const org = ownOrgUrlField(deps, actor, input.organizationUrl);
  await assertNameFree(deps, actor.orgId, input.name);
  await assertNoLiveConnection(deps, actor.orgId);
  const owner = await verifyPat(deps, actor, org, input.pat);
  const id = randomUUID();
  const now = new Date();
  let row: ConnectionRow;
  try {
    [row] = await deps.database.db
      .insert(connections)
      .values({
        id,
        orgId: actor.orgId,
        name: input.name,
        organizationUrl: org.url,
        organizationName: org.name,
        description: input.description ?? "",
        status: "Active",
        statusChangedAt: now,
        patSealed: deps.secrets.encrypt(input.pat, `pat:${id}`),
        patSetAt: now,
        patExpiresOn: input.patExpiresOn ?? null,
        patOwnerId: owner.ownerId,
        patOwnerName: owner.ownerName,
        hookSecretSealed: deps.secrets.encrypt(newHookSecret(), `hook:${id}`),
        createdBy: actor.userId,
        updatedBy: actor.userId,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
  } catch (e) {
    mapUniqueViolation(e, input.name);
  }
  const hooks = await ensureHooks(deps, row, input.pat);
  await audit(deps, actor, "connection.created", id, {
    name: input.name,
    organizationUrl: org.url,
    description: input.description ?? "",
    patExpiresOn: input.patExpiresOn ?? null,
    patOwner: owner.ownerName,
    hooksCreated: hooks.created,
    ...(hooks.error ? { hooksError: hooks.error } : {}),
  });
  return getConnectionDto(deps, actor.orgId, id);
}

export async function updateConnection(deps: AppDeps, actor: Actor, id: string, input: UpdateConnectionInput): Promise<Connection> {
  requireAdmin(actor);
  const row = await findConnection(deps, actor.orgId, id);
  const changes: Partial<typeof connections.$inferInsert> = {};
  const changed: string[] = [];
  if (input.name !== undefined && input.name !== row.name) {
    await assertNameFree(deps, actor.orgId, input.name, id);
    changes.name = input.name;
    changed.push("name");
  }
  if (input.description !== undefined && input.description !== row.description) {
    changes.description = input.description;
    changed.push("description");
  }
  if (input.patExpiresOn !== undefined && input.patExpiresOn !== row.patExpiresOn) {
    changes.patExpiresOn = input.patExpiresOn;
    changed.push("patExpiresOn");
  }
  let org = orgUrlOf(row);
  if (input.organizationUrl !== undefined) {
    const next = ownOrgUrlField(deps, actor, input.organizationUrl);
    if (next.url !== row.organizationUrl) {
      org = next;
      changes.organizationUrl = next.url;
      changes.organizationName = next.name;
      changed.push("organizationUrl");
    }
  }
  // The stored PAT goes only to the URL it was saved for: another URL needs the PAT typed again.
  if (changes.organizationUrl && input.pat === undefined) throw patRequiredForNewUrl();
  const patReplaced = input.pat !== undefined;
  let pat: string | undefined;
  let recovered = false;
  if (patReplaced || changes.organizationUrl) {
    pat = input.pat ?? openPat(deps, row);
    const owner = await verifyPat(deps, actor, org, pat);
    if (patReplaced) {
      changes.patSealed = deps.secrets.encrypt(pat, `pat:${id}`);
      changes.patSetAt = new Date();
      changes.patOwnerId = owner.ownerId;
      changes.patOwnerName = owner.ownerName;
      // A new PAT without a new expiry date: the old date belonged to the old PAT.
      if (input.patExpiresOn === undefined) changes.patExpiresOn = null;
      changed.push("pat");
    }
    if (row.status === "Error") {
      // The PAT works again: the connection is back in use.
      changes.status = "Active";
      changes.statusReason = null;
      changes.statusChangedAt = new Date();
      recovered = true;
    }
  }
  if (changed.length === 0 && !recovered) return getConnectionDto(deps, actor.orgId, id);
  let updated: ConnectionRow;
  try {
    [updated] = await deps.database.db
      .update(connections)
      .set({ ...changes, updatedBy: actor.userId, updatedAt: new Date() })
      .where(and(eq(connections.orgId, actor.orgId), eq(connections.id, id)))
      .returning();
  } catch (e) {
    mapUniqueViolation(e, input.name ?? row.name);
  }
  let hooks: Awaited<ReturnType<typeof ensureHooks>> | undefined;
  if (updated.status === "Active" && pat && (recovered || changes.organizationUrl)) hooks = await ensureHooks(deps, updated, pat);
  await audit(deps, actor, "connection.updated", id, {
    changed,
    ...(changes.name ? { name: changes.name } : {}),
    ...(changes.organizationUrl ? { organizationUrl: changes.organizationUrl } : {}),
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    ...(patReplaced ? { patReplaced: true, patOwner: changes.patOwnerName } : {}),
    ...(recovered ? { status: "Active" } : {}),
    ...(hooks ? { hooksCreated: hooks.created, ...(hooks.error ? { hooksError: hooks.error } : {}) } : {}),
  });
  return getConnectionDto(deps, actor.orgId, id);
}

export async function disconnectConnection(deps: AppDeps, actor: Actor, id: string): Promise<Connection> {
  requireAdmin(actor);
  const row = await findConnection(deps, actor.orgId, id);
  if (row.status === "Inactive") throw new ApiError(409, "conflict", `"${row.name}" is already disconnected`);
  // Inactive first: from here on the receiver refuses this connection's events and syncs stop.
  const [updated] = await deps.database.db
    .update(connections)
    .set({
      status: "Inactive",
      statusReason: `Disconnected by ${actor.userName ?? actor.userId}`,
      statusChangedAt: new Date(),
      updatedBy: actor.userId,
      updatedAt: new Date(),
    })
    .where(and(eq(connections.orgId, actor.orgId), eq(connections.id, id)))
    .returning();
  // A PAT that cannot be decrypted cannot remove hooks: removeHooks records that, deliveries are refused anyway.
  const removed = await removeHooks(deps, updated, () => openPat(deps, row));
  await audit(deps, actor, "connection.disconnected", id, {
    previousStatus: row.status,
    hooksRemoved: removed.removed,
    ...(removed.error ? { hooksError: removed.error } : {}),
  });
  return getConnectionDto(deps, actor.orgId, id);
}

export async function reconnectConnection(deps: AppDeps, actor: Actor, id: string): Promise<Connection> {
  requireAdmin(actor);
  const row = await findConnection(deps, actor.orgId, id);
  if (row.status !== "Inactive") throw new ApiError(409, "conflict", `"${row.name}" is not disconnected (status ${row.status})`);
  await assertNoLiveConnection(deps, actor.orgId, id);
  let pat: string;
  try {
    pat = openPat(deps, row);
  } catch (e) {
    if (e instanceof SealedSecretError) throw fieldError("pat", e.message);
    throw e;
  }
  const owner = await verifyPat(deps, actor, orgUrlOf(row), pat).catch((e: unknown) => {
    if (e instanceof ApiError && e.fields?.[0]?.field === "pat")
      throw fieldError("pat", "stored for this connection no longer works (expired or revoked): edit the connection and enter a new PAT");
    throw e;
  });
  let updated: ConnectionRow;
  try {
    [updated] = await deps.database.db
      .update(connections)
      .set({
        status: "Active",
        statusReason: null,
        statusChangedAt: new Date(),
        patOwnerId: owner.ownerId,
        patOwnerName: owner.ownerName,
        updatedBy: actor.userId,
        updatedAt: new Date(),
      })
      .where(and(eq(connections.orgId, actor.orgId), eq(connections.id, id)))
      .returning();
  } catch (e) {
    mapUniqueViolation(e, row.name);
  }
  const hooks = await ensureHooks(deps, updated, pat);
  await audit(deps, actor, "connection.reconnected", id, {
    hooksCreated: hooks.created,
    ...(hooks.error ? { hooksError: hooks.error } : {}),
  });
  return getConnectionDto(deps, actor.orgId, id);
}

/** Test Connection without saving, or for a saved connection (its stored PAT unless a new one is given). */
export async function testConnectionFor(deps: AppDeps, actor: Actor, input: TestConnectionInput): Promise<TestResult> {
  requireAdmin(actor);
  let org: OrgUrl;
  let pat: string;
  let throttleKey: string | undefined;
  if (input.connectionId) {
    const row = await findConnection(deps, actor.orgId, input.connectionId);
    org = input.organizationUrl !== undefined ? parseUrlField(deps, input.organizationUrl) : orgUrlOf(row);
    if (!input.pat && org.url !== row.organizationUrl) throw patRequiredForNewUrl();
    pat = input.pat ?? (await openPatOrFail(deps, row));
    throttleKey = input.pat ? undefined : row.id;
  } else {
    org = parseUrlField(deps, input.organizationUrl!);
    pat = input.pat!;
  }
  registerSecret(pat);
  // One retry at most: an admin waiting on a button wants an answer, not a minute of backoff.
  const client = new AdoClient(clientOptions(deps, org, pat, throttleKey, { maxRetries: 1 }));
  const result = await testConnection(client, {
    expectedOrgId: actor.orgId,
    orgName: actor.orgName,
    orgUrl: org.url,
    requesterId: actor.userId,
    requesterIsAdmin: actor.isOrgAdmin,
  });
  if (input.connectionId && !input.pat && result.outcome === "bad_credentials")
    await reportAdoFailure(deps, input.connectionId, new AdoError("bad_credentials", result.message));
  return result;
}
