// Characters a database cannot store: U+0000 (Postgres text and jsonb refuse it on both PGlite and
// Postgres) and lone UTF-16 surrogates (not Unicode scalar values: jsonb refuses their escapes, UTF-8
// cannot encode them). User input carrying them is refused naming the field (refuseText); data from
// Azure DevOps or a report is stored with them replaced by U+FFFD and the replacements counted (scrub).

/** NUL, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const UNSTORABLE_ONE = new RegExp(UNSTORABLE.source);

/** Why a string cannot be stored, or null when it can. */
export function unstorableReason(s: string): string | null {
  const m = UNSTORABLE_ONE.exec(s);
  if (!m) return null;
  const at = `at character ${m.index + 1}`;
  return m[0] === "\u0000"
    ? `must not contain the NUL character (U+0000) (${at})`
    : `must not contain a lone UTF-16 surrogate (U+${m[0].charCodeAt(0).toString(16).toUpperCase()}) (${at})`;
}

export interface FieldProblem {
  field: string;
  message: string;
}

const MAX_DEPTH = 64;

/**
 * The first string (or object key) in a JSON value that cannot be stored, with its path
 * ("links.0.name"); also refuses nesting deeper than any of our request bodies needs.
 */
export function findUnstorable(value: unknown, path = ""): FieldProblem | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path, depth: 0 }];
  while (stack.length) {
    const { v, path: p, depth } = stack.pop()!;
    if (typeof v === "string") {
      const why = unstorableReason(v);
      if (why) return { field: p || "body", message: why };
    } else if (v && typeof v === "object") {
      if (depth >= MAX_DEPTH) return { field: p || "body", message: `is nested more than ${MAX_DEPTH} levels deep` };
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      for (const [k, x] of entries) {
        const child = p ? `${p}.${k}` : k;
        const keyWhy = unstorableReason(k);
        if (keyWhy) return { field: child, message: `(a property name) ${keyWhy}` };
        stack.push({ v: x, path: child, depth: depth + 1 });
      }
    }
  }
  return null;
}

/** Counts replacements across many scrub() calls (one per sync job or upload). */
export class ReplacementCounter {
  count = 0;
  /** The string with every NUL and lone surrogate replaced by U+FFFD. */
  text(s: string): string;
  text(s: string | null): string | null;
  text(s: string | null): string | null {
    if (s === null || !UNSTORABLE_ONE.test(s)) return s;
    return s.replace(UNSTORABLE, () => {
      this.count++;
      return "\uFFFD";
    });
  }
  /** Every string (and key) of a JSON value, replaced in place where needed; returns the value. */
  deep<T>(value: T): T {
    return this.walk(value, 0) as T;
  }
  private walk(v: unknown, depth: number): unknown {
    if (typeof v === "string") return this.text(v);
    if (!v || typeof v !== "object" || depth > 256) return v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = this.walk(v[i], depth + 1);
      return v;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const key = this.text(k);
      const val = this.walk(o[k], depth + 1);
      if (key !== k) delete o[k];
      o[key] = val;
    }
    return o;
  }
}

/** One-off replacement (error texts, job results): no count kept. */
export const storable = (s: string): string => new ReplacementCounter().text(s);

/** A JSON-safe copy of a job result / error detail whose strings the database can store. */
export function storableJson<T>(value: T): T {
  return new ReplacementCounter().deep(structuredCloneSafe(value));
}
function structuredCloneSafe<T>(v: T): T {
  try {
    return JSON.parse(JSON.stringify(v)) as T;
  } catch {
    return v;
  }
}

/** Quick test on raw JSON text: could it hold something scrub() would replace (escaped or literal)? */
export function mayHoldUnstorable(jsonText: string): boolean {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
  return /\\u0000|\\u[dD][89a-fA-F]|[\u0000\uD800-\uDFFF]/.test(jsonText);
}
