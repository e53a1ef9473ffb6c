import type { AdoClient } from "../ado/client";
import { adoClientFor, getActiveConnection, reportAdoFailure } from "../connections/service";
import type { AppDeps } from "../context";

/**
 * How Boards reaches Azure DevOps for an organization: the org's Active connection (its PAT) via the
 * connections service. Kept behind one function so the engine and routes share it and benchmarks can
 * hand in a client built directly on the simulator.
 */
export interface BoardsConnection {
  connectionId: string | null;
  client: AdoClient;
}
export type ConnectionProvider = (deps: AppDeps, orgId: string) => Promise<BoardsConnection>;

let override: ConnectionProvider | undefined;

/** Tests and benchmarks: use this provider instead of the connections service (undefined restores it). */
export function setConnectionProvider(p: ConnectionProvider | undefined): void {
  override = p;
}

export async function boardsConnection(deps: AppDeps, orgId: string): Promise<BoardsConnection> {
  if (override) return override(deps, orgId);
  const client = await adoClientFor(deps, orgId); // 409 no_connection when none is Active
  const conn = await getActiveConnection(deps, orgId);
  return { connectionId: conn?.id ?? null, client };
}

/** Lets the connection show "PAT expired/revoked" when ADO rejects its credentials. */
export async function reportConnectionFailure(deps: AppDeps, conn: BoardsConnection, err: unknown): Promise<void> {
  if (override || !conn.connectionId) return;
  await reportAdoFailure(deps, conn.connectionId, err);
}
