import { isIP } from "node:net";

/** A parsed Azure DevOps organization (cloud) or collection (Azure DevOps Server) URL. */
export interface OrgUrl {
  /** Canonical URL without trailing slash, e.g. https://dev.azure.com/fabrikam */
  url: string;
  /** Organization or collection name, as it appears in `SDK.getHost().name`. */
  name: string;
  kind: "cloud" | "legacy" | "server";
  host: string;
}

export type ParseResult = { ok: true; value: OrgUrl } | { ok: false; reason: string };

const ORG_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,49}$/;
const EXAMPLE = "e.g. https://dev.azure.com/fabrikam";

/** An IPv6 literal as eight 16-bit groups (embedded dotted IPv4 included), or null when it is not one. */
function ipv6Groups(ip: string): number[] | null {
  let x = ip.toLowerCase().replace(/%.*$/, "");
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(x);
  if (dotted) {
    if (isIP(dotted[2]) !== 4) return null;
    const [a, b, c, d] = dotted[2].split(".").map(Number);
    x = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = x.split("::");
  if (halves.length > 2) return null;
  const part = (h: string) => (h ? h.split(":").map((g) => parseInt(g, 16)) : []);
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || [...head, ...tail].some((g) => !(g >= 0 && g <= 0xffff))) return null;
  return [...head, ...Array<number>(fill).fill(0), ...tail];
}

/**
 * The IPv4 address an IPv6 literal carries, for the forms that reach it: IPv4-mapped (::ffff:a.b.c.d,
 * also written ::ffff:7f00:1), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48)
 * and 6to4 (2002:AABB:CCDD::/16).
 */
export function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4(g[6], g[7]);
  if (zero(0, 6) && (g[6] !== 0 || g[7] > 1)) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1)) return v4(g[6], g[7]);
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return null;
}

/** True for addresses a server must never be tricked into calling (SSRF guard). */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, "");
  const v = isIP(bare.replace(/%.*$/, ""));
  if (v === 4) {
    const [a, b] = bare.split(".").map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (v === 6) {
    const inner = embeddedIpv4(bare);
    if (inner) return isPrivateAddress(inner);
    const g = ipv6Groups(bare);
    if (!g) return true;
    return (
      g.every((x) => x === 0) || // ::
      (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) || // ::1
      (g[0] & 0xfe00) === 0xfc00 || // fc00::/7 unique local
      (g[0] & 0xffc0) === 0xfe80 || // fe80::/10 link local
      (g[0] & 0xffc0) === 0xfec0 || // fec0::/10 site local (deprecated, still routed by some stacks)
      (g[0] & 0xff00) === 0xff00 // multicast
    );
  }
  return false;
}

/** Whether `host` (lower-case `URL.host`, with a port if any) is listed: an entry names a host (any port) or host:port. */
export function hostListed(list: string[], host: string, hostname: string): boolean {
  return list.includes(host) || list.includes(hostname);
}

/**
 * Parses what a user typed as the organization URL. Accepts dev.azure.com/{org},
 * {org}.visualstudio.com and Azure DevOps Server https://host[:port]/[tfs/]{collection}.
 *
 * Only Microsoft's hosts and the Azure DevOps Server hosts an operator listed (`serverHosts`, from
 * ADO_SERVER_HOSTS) are accepted: whatever answers at this URL is believed about which organization it
 * is, and receives the user's access token and the connection's PAT. Any other host is refused here,
 * before a request is sent.
 */
export function parseOrganizationUrl(input: string, serverHosts: string[] = []): ParseResult {
  const raw = input.trim();
  if (!raw) return { ok: false, reason: `is required (${EXAMPLE})` };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: `is not a valid URL (${EXAMPLE})` };
  }
  if (u.protocol === "http:") return { ok: false, reason: "must use https:// (Azure DevOps does not accept PATs over plain http)" };
  if (u.protocol !== "https:") return { ok: false, reason: `must be an https:// URL (${EXAMPLE})` };
  if (u.username || u.password) return { ok: false, reason: "must not contain a user name or password" };
  const host = u.hostname.toLowerCase();
  let segments: string[];
  try {
    segments = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { ok: false, reason: "has a malformed percent-encoding" };
  }

  if (host === "dev.azure.com") {
    const org = segments[0];
    if (!org) return { ok: false, reason: `must include the organization name (${EXAMPLE})` };
    if (!ORG_NAME.test(org)) return { ok: false, reason: `"${org}" is not a valid organization name` };
    return { ok: true, value: { url: `https://dev.azure.com/${org}`, name: org, kind: "cloud", host } };
  }
  const legacy = /^([a-z0-9][a-z0-9-]{0,49})\.visualstudio\.com$/.exec(host);
  if (legacy) {
    if (u.port) return { ok: false, reason: "must not include a port for visualstudio.com" };
    return { ok: true, value: { url: `https://${legacy[1]}.visualstudio.com`, name: legacy[1], kind: "legacy", host } };
  }
  if (host.endsWith(".visualstudio.com") || host.endsWith(".azure.com") || host === "azure.com") {
    return { ok: false, reason: `is not an Azure DevOps organization URL (${EXAMPLE})` };
  }
  // Azure DevOps Server: https://host[:port]/[tfs/]Collection, on a host the operator trusts.
  const bareHost = host.replace(/^\[|\]$/g, "");
  if (isIP(bareHost) === 6 && embeddedIpv4(bareHost))
    return { ok: false, reason: `must not be an IPv6 address that carries an IPv4 address (${host})` };
  if (!hostListed(serverHosts, u.host.toLowerCase(), host)) {
    const local = host === "localhost" || host.endsWith(".localhost") || isPrivateAddress(bareHost);
    return {
      ok: false,
      reason: local
        ? `points to a private or local address (${host}); an operator must list this Azure DevOps Server host in ADO_SERVER_HOSTS`
        : `is not an Azure DevOps Services URL (${EXAMPLE}) and ${u.host} is not an Azure DevOps Server this backend trusts; an operator must list it in ADO_SERVER_HOSTS`,
    };
  }
  const collectionIdx = segments[0]?.toLowerCase() === "tfs" ? 1 : 0;
  const collection = segments[collectionIdx];
  if (!collection)
    return { ok: false, reason: "must include the collection for Azure DevOps Server, e.g. https://ado.example.com/tfs/DefaultCollection" };
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(collection))
    return { ok: false, reason: `"${collection}" is not a valid collection name` };
  const prefix = collectionIdx === 1 ? `/${segments[0]}` : "";
  const port = u.port ? `:${u.port}` : "";
  return {
    ok: true,
    value: { url: `https://${host}${port}${prefix}/${encodeURIComponent(collection)}`, name: collection, kind: "server", host },
  };
}

/** A URL this backend stored after validating it (its host was trusted then): parsed back without the allow-list. */
export function storedOrgUrl(url: string): OrgUrl {
  const parsed = parseOrganizationUrl(url, [new URL(url).host.toLowerCase()]);
  if (!parsed.ok) throw new Error(`stored organization URL is invalid: ${parsed.reason}`);
  return parsed.value;
}

/**
 * Where a request for `orgUrl` really goes. With a simulator configured (dev, demo, tests) every
 * organization maps to `{simulator}/{name}`, mirroring the dev.azure.com path layout.
 */
export function transportBase(org: OrgUrl, simulatorUrl?: string): string {
  return simulatorUrl ? `${simulatorUrl}/${encodeURIComponent(org.name)}` : org.url;
}

/** dev.azure.com/x and x.visualstudio.com are the same organization; servers compare host + collection. */
export function sameOrganization(a: OrgUrl, b: OrgUrl): boolean {
  const cloud = (o: OrgUrl) => o.kind === "cloud" || o.kind === "legacy";
  if (cloud(a) && cloud(b)) return a.name.toLowerCase() === b.name.toLowerCase();
  if (cloud(a) !== cloud(b)) return false;
  return a.url.toLowerCase() === b.url.toLowerCase();
}
