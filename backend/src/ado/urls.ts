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

/** True for addresses a server must never be tricked into calling (SSRF guard). */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split(".").map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (v === 6) {
    const x = ip.toLowerCase();
    if (x.startsWith("::ffff:")) return isPrivateAddress(x.slice(7));
    return x === "::" || x === "::1" || x.startsWith("fc") || x.startsWith("fd") || x.startsWith("fe80");
  }
  return false;
}

/**
 * Parses what a user typed as the organization URL. Accepts dev.azure.com/{org},
 * {org}.visualstudio.com and Azure DevOps Server https://host[:port]/[tfs/]{collection}.
 * `allowedHosts` lists on-prem hosts an operator allows even when they are private addresses.
 */
export function parseOrganizationUrl(input: string, allowedHosts: string[] = []): ParseResult {
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
  const segments = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);

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
  // Azure DevOps Server: https://host[:port]/[tfs/]Collection
  const isAllowed = allowedHosts.includes(host);
  const bareHost = host.replace(/^\[|\]$/g, "");
  if (!isAllowed && (host === "localhost" || host.endsWith(".localhost") || isPrivateAddress(bareHost))) {
    return {
      ok: false,
      reason: `points to a private or local address (${host}); an operator must allow this Azure DevOps Server host (ADO_ALLOWED_HOSTS)`,
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

/**
 * Where a request for `orgUrl` really goes. With a simulator configured (dev, demo, tests) every
 * organization maps to `{simulator}/{name}`, mirroring the dev.azure.com path layout.
 */
export function transportBase(org: OrgUrl, simulatorUrl?: string): string {
  return simulatorUrl ? `${simulatorUrl}/${encodeURIComponent(org.name)}` : org.url;
}
