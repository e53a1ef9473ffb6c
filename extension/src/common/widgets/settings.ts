// The widgets' custom settings (issue #20): what a team picks in a widget's configuration panel, stored
// by the dashboard as a JSON string. The string is untrusted (any dashboard editor, any old version, a
// hand-edited REST call): parsing never throws, keeps only known fields of the right type and range,
// and falls back to the defaults. Pure and zod-free (pages must not load zod at runtime).
import type { RunOrigin } from "@testops/backend/schemas/results";

/** Version of the settings' shape, stored beside them (WidgetSettings.customSettings.version). */
export const SETTINGS_VERSION = { major: 1, minor: 0, patch: 0 } as const;

export const ORIGINS: readonly RunOrigin[] = ["upload", "task", "key", "import"];
export const ORIGIN_LABEL: Record<RunOrigin, string> = {
  task: "Pipeline task",
  key: "Upload key",
  import: "Import",
  upload: "Page upload",
};

export interface PassRateSettings {
  /** Count only results linked to this Boards link's requirements; undefined = the whole project. */
  linkId?: string;
  /** The last N runs (1–50). */
  runs: number;
  origin?: RunOrigin;
  pathPrefix?: string;
}

export interface CoverageSettings {
  /** The Boards link; undefined = the project's only (or first) link. */
  linkId?: string;
  scope: "current" | "sprint" | "release";
  /** A sprint or release id from /api/boards/plans (scope "sprint" / "release"). */
  iterationId?: string;
  /** Shown as bars or as a donut. */
  chart: "bar" | "donut";
}

export interface FlakySettings {
  linkId?: string;
  /** How many tests (1–50). */
  top: number;
  by: "failures" | "flakiness";
  /** The window: each test's last N results (2–50). */
  runs: number;
}

export const PASS_RATE_DEFAULTS: PassRateSettings = { runs: 10 };
export const COVERAGE_DEFAULTS: CoverageSettings = { scope: "current", chart: "bar" };
export const FLAKY_DEFAULTS: FlakySettings = { top: 10, by: "failures", runs: 20 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Control characters (NUL included) never belong in a setting; the backend would refuse them anyway.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The stored JSON as an object, or {} when it is missing, not JSON, not an object, or absurdly large. */
export function readObject(data: unknown): Record<string, unknown> {
  if (typeof data !== "string" || !data || data.length > 20_000) return {};
  try {
    const v: unknown = JSON.parse(data);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const uuid = (v: unknown) => (typeof v === "string" && UUID.test(v) ? v.toLowerCase() : undefined);
/** A whole number in [min, max]; numeric strings count (older settings stored them as text). */
function int(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === "string" && /^\d{1,4}$/.test(v.trim()) ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}
function text(v: unknown, max: number): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t && t.length <= max && !CONTROL.test(t) ? t : undefined;
}
function oneOf<T extends string>(v: unknown, options: readonly T[]): T | undefined {
  return typeof v === "string" && (options as readonly string[]).includes(v) ? (v as T) : undefined;
}
/** Drops undefined fields so the stored JSON stays small and comparable. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function parsePassRate(data: unknown): PassRateSettings {
  const o = readObject(data);
  return compact({
    linkId: uuid(o.linkId),
    runs: int(o.runs, 1, 50) ?? PASS_RATE_DEFAULTS.runs,
    origin: oneOf(o.origin, ORIGINS),
    pathPrefix: text(o.pathPrefix, 1000),
  });
}

export function parseCoverage(data: unknown): CoverageSettings {
  const o = readObject(data);
  const scope = oneOf(o.scope, ["current", "sprint", "release"] as const) ?? COVERAGE_DEFAULTS.scope;
  const iterationId = scope === "current" ? undefined : text(o.iterationId, 100);
  return compact({
    linkId: uuid(o.linkId),
    // A sprint or release without its id cannot be counted: follow the current sprint instead.
    scope: iterationId ? scope : "current",
    iterationId,
    chart: oneOf(o.chart, ["bar", "donut"] as const) ?? COVERAGE_DEFAULTS.chart,
  });
}

export function parseFlaky(data: unknown): FlakySettings {
  const o = readObject(data);
  return compact({
    linkId: uuid(o.linkId),
    top: int(o.top, 1, 50) ?? FLAKY_DEFAULTS.top,
    by: oneOf(o.by, ["failures", "flakiness"] as const) ?? FLAKY_DEFAULTS.by,
    runs: int(o.runs, 2, 50) ?? FLAKY_DEFAULTS.runs,
  });
}

/** The customSettings the configuration hands the dashboard (and the preview). */
export function customSettings(settings: object): { data: string; version: typeof SETTINGS_VERSION } {
  return { data: JSON.stringify(compact(settings)), version: SETTINGS_VERSION };
}

/** The widget's size in dashboard cells, read defensively (the host sends it, but a bad one must not crash). */
export function sizeOf(size: unknown): { rowSpan: number; columnSpan: number } {
  const s = (size && typeof size === "object" ? size : {}) as Record<string, unknown>;
  return { rowSpan: int(s.rowSpan, 1, 10) ?? 2, columnSpan: int(s.columnSpan, 1, 10) ?? 2 };
}

/** Dashboard cells are 160 px with 10 px gutters: a widget of n cells is 160n + 10(n − 1) px. */
export const cellsToPixels = (n: number) => 160 * n + 10 * (n - 1);
