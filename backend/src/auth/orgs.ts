import { eq } from "drizzle-orm";
import { sameOrganization, storedOrgUrl, type OrgUrl } from "../ado/urls";
import type { Database } from "../db/client";
import { organizations } from "../db/schema";
import { ApiError } from "../lib/errors";
import type { VerifiedOrg } from "./identity";

export interface BoundOrg {
  id: string;
  name: string;
  /** The canonical URL stored when the organization was first seen: links and PAT targets use it, never a header. */
  url: string;
}

/**
 * Binds an organization id (the instanceId an Azure DevOps host answered) to where it was first seen.
 * Tenancy is keyed by that id, so an id must never be accepted from a second place: a collection on an
 * operator-listed server that answers with a cloud organization's id (or another server's) is refused.
 * Microsoft's hosts vouch for each other: the same id under another cloud name is the organization renamed.
 */
export class OrgBinder {
  /** Bound organizations by id, with their parsed URL (the check runs on every request). */
  private readonly known = new Map<string, { bound: BoundOrg; at: OrgUrl }>();

  constructor(private readonly database: Database) {}

  async bind(verified: VerifiedOrg, via: OrgUrl): Promise<BoundOrg> {
    const hit = this.known.get(verified.id);
    if (hit && sameOrganization(hit.at, via)) return hit.bound;
    const db = this.database.db;
    await db.insert(organizations).values({ id: verified.id, name: via.name, url: via.url }).onConflictDoNothing();
    const [row] = await db.select().from(organizations).where(eq(organizations.id, verified.id)).limit(1);
    let bound: BoundOrg = { id: row.id, name: row.name, url: row.url };
    let stored = storedOrgUrl(row.url);
    if (!sameOrganization(stored, via)) {
      if (stored.kind === "server" || via.kind === "server")
        throw new ApiError(
          401,
          "organization_conflict",
          "This Azure DevOps host claims the identity of an organization this backend knows at another address; it is not trusted",
        );
      // Renamed in Azure DevOps: Microsoft answered for the new name with the same instance id.
      await db.update(organizations).set({ name: via.name, url: via.url, lastSeenAt: new Date() }).where(eq(organizations.id, row.id));
      bound = { id: row.id, name: via.name, url: via.url };
      stored = via;
    } else {
      await db.update(organizations).set({ lastSeenAt: new Date() }).where(eq(organizations.id, row.id));
    }
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(bound.id, { bound, at: stored });
    return bound;
  }
}
