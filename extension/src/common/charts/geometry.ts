// Geometry of the small SVG charts shared by the work item form group and the dashboard widgets (pure;
// table-tested). Plain SVG keeps the pages light: no chart library fits React 16 and the bundle budgets.

/** A point of a pass-rate line: null when nothing ran (a gap in the line). */
export interface RatePoint {
  passRate: number | null;
}

/**
 * The pass-rate trend as SVG geometry in a w × h box: one point per run with a rate, oldest left;
 * 100% at the top. Runs where nothing ran leave a gap in the line.
 */
export function trendGeometry<P extends RatePoint>(points: readonly P[], w: number, h: number, pad = 3) {
  const n = points.length;
  const x = (i: number) => (n <= 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (n - 1));
  const y = (rate: number) => pad + (1 - rate) * (h - 2 * pad);
  const dots = points.flatMap((p, i) => (p.passRate === null ? [] : [{ x: x(i), y: y(p.passRate), point: p }]));
  let path = "";
  let pen = false;
  points.forEach((p, i) => {
    if (p.passRate === null) {
      pen = false;
      return;
    }
    path += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(p.passRate).toFixed(1)}`;
    pen = true;
  });
  return { path, dots };
}

export const STACK_ORDER = ["passed", "failed", "error", "skipped"] as const;
export type StackKey = (typeof STACK_ORDER)[number];
export type StackCounts = Record<StackKey, number>;

export interface StackRect {
  key: StackKey;
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
}

/**
 * Stacked bars, one per run (oldest left), each bar split by outcome from the bottom: passed, failed,
 * error, skipped. Heights are relative to the biggest run, so sizes compare across runs. With the bars
 * comes the pass-rate line across their centres (same scale as trendGeometry: 100% at the top).
 */
export function stackedBars<P extends StackCounts & RatePoint>(points: readonly P[], w: number, h: number, gap = 2) {
  const n = points.length;
  const total = (p: StackCounts) => STACK_ORDER.reduce((s, k) => s + Math.max(0, p[k]), 0);
  const max = Math.max(1, ...points.map(total));
  const slot = n ? w / n : w;
  const width = Math.max(1, slot - gap);
  const bars = points.map((p, i) => {
    const x = i * slot + (slot - width) / 2;
    let bottom = h;
    const rects: StackRect[] = [];
    for (const key of STACK_ORDER) {
      const count = Math.max(0, p[key]);
      if (!count) continue;
      const height = (count / max) * h;
      bottom -= height;
      rects.push({ key, x, y: bottom, width, height, count });
    }
    return { point: p, x, width, rects, total: total(p) };
  });
  let line = "";
  let pen = false;
  points.forEach((p, i) => {
    if (p.passRate === null) {
      pen = false;
      return;
    }
    const cx = i * slot + slot / 2;
    line += `${pen ? "L" : "M"}${cx.toFixed(1)},${((1 - p.passRate) * h).toFixed(1)}`;
    pen = true;
  });
  return { bars, line, max };
}

export interface Slice<K extends string = string> {
  key: K;
  value: number;
}

/**
 * A donut's arcs (SVG paths) around (cx, cy) between radii r and inner, clockwise from 12 o'clock,
 * skipping empty slices. A single non-empty slice is a full ring (two half arcs: one arc cannot close).
 */
export function donutArcs<K extends string>(slices: readonly Slice<K>[], cx: number, cy: number, r: number, inner: number) {
  const total = slices.reduce((s, x) => s + Math.max(0, x.value), 0);
  if (!total) return [];
  const pt = (radius: number, turn: number) => {
    const a = turn * 2 * Math.PI - Math.PI / 2;
    return `${(cx + radius * Math.cos(a)).toFixed(2)},${(cy + radius * Math.sin(a)).toFixed(2)}`;
  };
  const arc = (from: number, to: number) => {
    const large = to - from > 0.5 ? 1 : 0;
    return `M${pt(r, from)}A${r},${r} 0 ${large} 1 ${pt(r, to)}L${pt(inner, to)}A${inner},${inner} 0 ${large} 0 ${pt(inner, from)}Z`;
  };
  let at = 0;
  return slices
    .filter((s) => s.value > 0)
    .map((s) => {
      const share = s.value / total;
      const from = at;
      at += share;
      const d = share >= 1 ? arc(0, 0.5) + arc(0.5, 1) : arc(from, at);
      return { key: s.key, value: s.value, share, d };
    });
}

/** Horizontal bars for categories: width relative to `of` (e.g. all requirements), at least 0. */
export function barWidths<K extends string>(slices: readonly Slice<K>[], of: number, w: number) {
  const base = Math.max(1, of);
  return slices.map((s) => ({ ...s, width: (Math.max(0, Math.min(s.value, base)) / base) * w }));
}

/** 0.8333 → "83%"; null → "—" (nothing ran). */
export const pct = (r: number | null) => (r === null ? "—" : `${Math.round(r * 100)}%`);
