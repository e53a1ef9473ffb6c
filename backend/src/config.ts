import { z } from "zod";
import { RESULTS_LIMITS } from "./schemas/results";

/** Validated process configuration. Every field is explained in README "Configuration". */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  /** HS256 secrets of the extension (Marketplace "Certificate"); the first one is current, the rest still accepted. */
  extensionSecrets: string[];
  /** Expected `aud` of app tokens; empty = not pinned. */
  extensionAudiences: string[];
  /** Clock-skew leeway on app tokens' nbf/exp (they carry Azure DevOps' clock). */
  appTokenLeewaySeconds: number;
  /** Encryption keys "kid:base64(32 bytes)"; the first one encrypts, all decrypt. */
  encryptionKeys: { id: string; key: Buffer }[];
  publicUrl: string;
  corsOrigins: string[];
  /** Dev/demo/tests only: route all Azure DevOps traffic to this simulator. */
  adoSimulatorUrl?: string;
  /**
   * Azure DevOps Server hosts (`host` or `host:port`, lower case) the operator trusts: besides Microsoft's
   * own hosts, the only places an organization's identity is accepted from and a PAT is sent to.
   */
  adoServerHosts: string[];
  logLevel: "debug" | "info" | "warn" | "error";
  /** Safety net: an incremental sync of every live link this often (0 = off); hooks only make it faster. */
  syncIntervalMinutes: number;
  /** How often the state of the service-hook subscriptions is read from Azure DevOps and repaired (0 = off). */
  hookCheckMinutes: number;
  /** How long a client may take to send its request headers / its whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long a sync asked for by a work item hook waits for the rest of a burst (0 = none). */
  hookSyncDelayMs: number;
  /** Most test cases accepted in one JUnit upload (refused while reading, not after). */
  resultsMaxCases: number;
  /** True when secrets were generated because none were configured (embedded/dev mode). */
  generatedSecrets: string[];
}

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  EXTENSION_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  EXTENSION_SECRETS: z.string().optional(),
  EXTENSION_AUDIENCES: z.string().optional(),
  APP_TOKEN_LEEWAY_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  ENCRYPTION_KEY: z.string().optional(),
  PUBLIC_URL: z.url("must be an absolute URL").optional(),
  CORS_ORIGINS: z.string().optional(),
  ADO_SIMULATOR_URL: z.url("must be an absolute URL").optional(),
  ADO_SERVER_HOSTS: z.string().optional(),
  /** Deprecated name of ADO_SERVER_HOSTS (same meaning; both lists are merged). */
  ADO_ALLOWED_HOSTS: z.string().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SYNC_INTERVAL_MINUTES: z.coerce.number().min(0).max(1440).default(15),
  HOOK_CHECK_MINUTES: z.coerce.number().min(0).max(1440).default(15),
  HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(20),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  HOOK_SYNC_DELAY_SECONDS: z.coerce.number().min(0).max(300).default(2),
  RESULTS_MAX_CASES: z.coerce.number().int().min(1).max(1_000_000).default(RESULTS_LIMITS.maxCases),
});

/** "https://Ado.Example.com:8443/tfs" or "ado.example.com:8443" → "ado.example.com:8443" (what URL.host gives). */
function serverHost(entry: string): string {
  const s = entry.trim().toLowerCase();
  try {
    return new URL(/^[a-z]+:\/\//.test(s) ? s : `https://${s}`).host;
  } catch {
    return s;
  }
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

function parseKeys(raw: string, problems: string[]): { id: string; key: Buffer }[] {
  return list(raw).flatMap((entry, i) => {
    const [id, b64] = entry.includes(":") ? entry.split(":", 2) : [`k${i + 1}`, entry];
    const key = Buffer.from(b64, "base64");
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      problems.push(`ENCRYPTION_KEY: key id "${id}" must be 1-32 letters, digits, _ or -`);
      return [];
    }
    if (key.length !== 32) {
      problems.push(`ENCRYPTION_KEY: key "${id}" must be 32 bytes base64-encoded (got ${key.length} bytes)`);
      return [];
    }
    return [{ id, key }];
  });
}

/**
 * Reads the environment. `generated` supplies secrets for the embedded default (no configuration at
 * all); with DATABASE_URL (production) secrets must be configured explicitly.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  generated?: { extensionSecret: () => string; encryptionKey: () => string },
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const generatedSecrets: string[] = [];
  const production = Boolean(e.DATABASE_URL);

  let extensionSecrets = [...list(e.EXTENSION_SECRET), ...list(e.EXTENSION_SECRETS)];
  if (extensionSecrets.some((s) => s.length < 16)) problems.push("EXTENSION_SECRETS: every secret must be at least 16 characters");
  if (extensionSecrets.length === 0) {
    if (production || !generated)
      problems.push("EXTENSION_SECRET: required when DATABASE_URL is set (the extension's Marketplace certificate)");
    else {
      extensionSecrets = [generated.extensionSecret()];
      generatedSecrets.push("EXTENSION_SECRET");
    }
  }
  let encryptionKeys = parseKeys(e.ENCRYPTION_KEY ?? "", problems);
  if (!e.ENCRYPTION_KEY) {
    if (production || !generated) problems.push("ENCRYPTION_KEY: required when DATABASE_URL is set (kid:base64 of 32 random bytes)");
    else {
      encryptionKeys = parseKeys(generated.encryptionKey(), problems);
      generatedSecrets.push("ENCRYPTION_KEY");
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    extensionSecrets,
    extensionAudiences: list(e.EXTENSION_AUDIENCES),
    appTokenLeewaySeconds: e.APP_TOKEN_LEEWAY_SECONDS,
    encryptionKeys,
    publicUrl,
    corsOrigins: list(e.CORS_ORIGINS),
    adoSimulatorUrl: e.ADO_SIMULATOR_URL?.replace(/\/+$/, ""),
    adoServerHosts: [...new Set([...list(e.ADO_SERVER_HOSTS), ...list(e.ADO_ALLOWED_HOSTS)].map(serverHost))],
    logLevel: e.LOG_LEVEL,
    syncIntervalMinutes: e.SYNC_INTERVAL_MINUTES,
    hookCheckMinutes: e.HOOK_CHECK_MINUTES,
    headersTimeoutMs: e.HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: Math.max(e.REQUEST_TIMEOUT_SECONDS, e.HEADERS_TIMEOUT_SECONDS) * 1000,
    hookSyncDelayMs: e.HOOK_SYNC_DELAY_SECONDS * 1000,
    resultsMaxCases: e.RESULTS_MAX_CASES,
    generatedSecrets,
  };
}
