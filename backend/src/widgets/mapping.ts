// Pure mappings of the dashboard widgets (table-tested in backend/test/widgets.test.ts).
import type { Outcome } from "../schemas/results";
import type { WidgetStatusSchema } from "../schemas/widgets";
import type { z } from "zod";

type Status = z.infer<typeof WidgetStatusSchema>;

/**
 * The smallest string greater than every string starting with `prefix`, in code point order (the "C"
 * collation of run_path_totals.path): the prefix with its last code point raised by one, so a prefix
 * filter is the index range [prefix, upper). Null when no such string exists (all U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | null {
  const cps = [...prefix].map((c) => c.codePointAt(0)!);
  while (cps.length) {
    let last = cps.pop()! + 1;
    if (last >= 0xd800 && last <= 0xdfff) last = 0xe000; // lone surrogates are never stored
    if (last <= 0x10ffff) return String.fromCodePoint(...cps, last);
  }
  return null;
}

/** passed / (total − skipped), null when nothing ran. */
export function passRate(c: { passed: number; failed: number; error: number }): number | null {
  const ran = c.passed + c.failed + c.error;
  return ran ? c.passed / ran : null;
}

/** The organization's connections (their statuses) as the widget shows them. */
export function connectionStatus(statuses: readonly string[]): Status["connection"] {
  if (statuses.includes("Active")) return "connected";
  return statuses.length ? "problem" : "none";
}

const LETTERS: Record<string, Outcome> = { p: "passed", f: "failed", e: "error", s: "skipped" };
/** project_tests.recent ("pfes…", newest first) → outcomes, at most `n`. */
export function outcomesOf(letters: string, n: number): Outcome[] {
  return [...letters.slice(0, n)].map((l) => LETTERS[l] ?? "skipped");
}

/** Failures (failed + error) and pass⇄fail flips (skips ignored) of a window, as the SQL ranking counts them. */
export function windowCounts(outcomes: readonly Outcome[]): { failures: number; flips: number } {
  let failures = 0;
  let flips = 0;
  let prev: boolean | null = null;
  for (const o of outcomes) {
    if (o === "skipped") continue;
    const failed = o === "failed" || o === "error";
    if (failed) failures++;
    if (prev !== null && prev !== failed) flips++;
    prev = failed;
  }
  return { failures, flips };
}
