import type { AdoClient } from "../ado/client";
import type { AppDeps } from "../context";

/**
 * How Boards reaches Azure DevOps for an organization: the org's Active connection (its PAT) via the
 * connections service (docs: conn-contract). Kept behind one function so the engine and routes share it
 * and tests/benchmarks can hand in a client built directly on the simulator.
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

interface ConnectionService {
  getActiveConnection(deps: AppDeps, orgId: string): Promise<{ id: string } | undefined>;
  adoClientFor(deps: AppDeps, orgId: string): Promise<AdoClient>;
  reportAdoFailure(deps: AppDeps, connectionId: string, err: unknown): Promise<void>;
}

// The connections area is built in parallel; resolve it at call time.
function service(): ConnectionService {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../connections/service") as ConnectionService;
}

export async function boardsConnection(deps: AppDeps, orgId: string): Promise<BoardsConnection> {
  if (override) return override(deps, orgId);
  const svc = service();
  const client = await svc.adoClientFor(deps, orgId); // 409 no_connection when none is Active
  const conn = await svc.getActiveConnection(deps, orgId);
  return { connectionId: conn?.id ?? null, client };
}

/** Lets the connection show "PAT expired/revoked" when ADO rejects its credentials. */
export async function reportConnectionFailure(deps: AppDeps, conn: BoardsConnection, err: unknown): Promise<void> {
  if (override || !conn.connectionId) return;
  await service().reportAdoFailure(deps, conn.connectionId, err);
}
