import { z } from "zod";

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
  /** Hosts (on-prem Azure DevOps Server) allowed even though they resolve to private addresses. */
  adoAllowedHosts: string[];
  logLevel: "debug" | "info" | "warn" | "error";
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
  ADO_ALLOWED_HOSTS: z.string().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

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
    adoAllowedHosts: list(e.ADO_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
    logLevel: e.LOG_LEVEL,
    generatedSecrets,
  };
}
