import { registerSecret, scrubSecrets } from "./lib/scrub";

/**
 * Structured JSON logs, one line per event. Anything that looks like a secret is redacted here, at
 * the single exit point, so a careless call site cannot leak a PAT or a token.
 */
export type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// Field names whose string values are always secrets ("pat", "accessToken", "basicAuthPassword", "encryptionKey"; not "path").
const SECRET_KEYS = /(^pat$|pat$|token|secret|password|authorization|cookie|key$)/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Values registered here are replaced by "[redacted]" wherever they appear in a log line (and in stored error text). */
export { registerSecret };

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (typeof value === "string") {
    return scrubSecrets(value);
  }
  if (value instanceof Error) {
    // The SQLSTATE or system code and the cause chain: a job's error is wrapped with the reason users see.
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
      ...(value.cause !== undefined ? { cause: redact(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) && typeof v === "string" ? "[redacted]" : redact(v, depth + 1)]),
    );
  }
  return value;
}

export type Sink = (line: string) => void;

export function createLogger(
  level: Level = "info",
  sink: Sink = (l) => process.stdout.write(l + "\n"),
  base: Record<string, unknown> = {},
): Logger {
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < order[level]) return;
    sink(JSON.stringify(redact({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields })));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
}

/** A logger that keeps lines in memory: tests use it to prove secrets never reach a log. */
export function memoryLogger(level: Level = "debug"): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(
    createLogger(level, (l) => lines.push(l)),
    { lines },
  );
}
