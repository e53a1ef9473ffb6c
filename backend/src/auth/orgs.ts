import { eq } from "drizzle-orm";
import type { OrgUrl } from "../ado/urls";
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

const isCloud = (u: string) => /^https:\/\/(dev\.azure\.com\/|[a-z0-9-]+\.visualstudio\.com(\/|$))/i.test(u);

/**
 * Binds an organization id (the instanceId an Azure DevOps host answered) to where it was first seen.
 * Tenancy is keyed by that id, so an id must never be accepted from a second place: a collection on an
 * operator-listed server that answers with a cloud organization's id (or another server's) is refused.
 * Microsoft's hosts vouch for each other: the same id under another cloud name is the organization renamed.
 */
export class OrgBinder {
  private readonly known = new Map<string, BoundOrg>();

  constructor(private readonly database: Database) {}

  async bind(verified: VerifiedOrg, via: OrgUrl): Promise<BoundOrg> {
    const hit = this.known.get(verified.id);
    if (hit && sameSource(hit.url, via)) return hit;
    const db = this.database.db;
    await db.insert(organizations).values({ id: verified.id, name: via.name, url: via.url }).onConflictDoNothing();
    const [row] = await db.select().from(organizations).where(eq(organizations.id, verified.id)).limit(1);
    let bound: BoundOrg = { id: row.id, name: row.name, url: row.url };
    if (!sameSource(row.url, via)) {
      if (!(isCloud(row.url) && isCloud(via.url)))
        throw new ApiError(
          401,
          "organization_conflict",
          "This Azure DevOps host claims the identity of an organization this backend knows at another address; it is not trusted",
        );
      // Renamed in Azure DevOps: Microsoft answered for the new name with the same instance id.
      await db.update(organizations).set({ name: via.name, url: via.url, lastSeenAt: new Date() }).where(eq(organizations.id, row.id));
      bound = { id: row.id, name: via.name, url: via.url };
    } else {
      await db.update(organizations).set({ lastSeenAt: new Date() }).where(eq(organizations.id, row.id));
    }
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(bound.id, bound);
    return bound;
  }
}

/** dev.azure.com/x and x.visualstudio.com are one organization; a server collection is its host + path. */
function sameSource(storedUrl: string, via: OrgUrl): boolean {
  if (isCloud(storedUrl) && isCloud(via.url)) return cloudName(storedUrl) === via.name.toLowerCase();
  return storedUrl.toLowerCase() === via.url.toLowerCase();
}

function cloudName(url: string): string {
  const m = /^https:\/\/dev\.azure\.com\/([^/]+)/i.exec(url) ?? /^https:\/\/([^.]+)\.visualstudio\.com/i.exec(url);
  return (m?.[1] ?? "").toLowerCase();
}
