import "./charts.css";
import * as React from "react";
import { donutArcs, pct, stackedBars, trendGeometry, type RatePoint, type Slice, type StackCounts } from "./geometry";

const cls = (...c: (string | false | undefined)[]) => c.filter(Boolean).join(" ");

export interface TrendChartPoint extends RatePoint {
  runId: string;
  runName: string;
}

/** The pass rate per run as a small line chart (the work item form group's; colours from the theme). */
export function TrendChart({
  points,
  label,
  className,
  width = 160,
  height = 36,
}: {
  points: readonly TrendChartPoint[];
  label: string;
  className?: string;
  width?: number;
  height?: number;
}) {
  const { path, dots } = trendGeometry(points, width, height);
  return (
    <svg className={className} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      <line className="tc-grid" x1={0} x2={width} y1={3} y2={3} />
      <line className="tc-grid" x1={0} x2={width} y1={height / 2} y2={height / 2} />
      <line className="tc-grid" x1={0} x2={width} y1={height - 3} y2={height - 3} />
      {path ? <path className="tc-line" d={path} /> : null}
      {dots.map((d) => (
        <circle key={d.point.runId} className={cls("tc-dot", d.point.passRate !== 1 && "tc-dot-failing")} cx={d.x} cy={d.y} r={2.5}>
          <title>{`${d.point.runName}: ${pct(d.point.passRate)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

export interface RunBar extends StackCounts, RatePoint {
  id: string;
  /** What the bar's tooltip and screen reader say about the run. */
  title: string;
}

/**
 * One stacked bar per run (passed, failed, error, skipped from the bottom) with the pass-rate line over
 * them; a bar is a button when `onSelect` is given (click-through to the run).
 */
export function StackedRunsChart({
  points,
  width,
  height,
  onSelect,
  label,
}: {
  points: readonly RunBar[];
  width: number;
  height: number;
  label: string;
  onSelect?: (p: RunBar) => void;
}) {
  const { bars, line } = stackedBars(points, width, height);
  return (
    <svg className="tc-stacked" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={label}>
      <line className="tc-grid" x1={0} x2={width} y1={0.5} y2={0.5} />
      <line className="tc-grid" x1={0} x2={width} y1={height / 2} y2={height / 2} />
      {bars.map((b) => (
        <g key={b.point.id}>
          {b.rects.map((r) => (
            <rect key={r.key} className={`tc-${r.key}`} x={r.x} y={r.y} width={r.width} height={r.height} />
          ))}
        </g>
      ))}
      {line ? <path className="tc-line" d={line} /> : null}
      {bars.map((b) => (
        <rect
          key={b.point.id}
          className="tc-bar-hit"
          data-run={b.point.id}
          x={b.x}
          y={0}
          width={b.width}
          height={height}
          role={onSelect ? "button" : "img"}
          aria-label={b.point.title}
          tabIndex={onSelect ? 0 : undefined}
          onClick={onSelect ? () => onSelect(b.point) : undefined}
          onKeyDown={
            onSelect
              ? (e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onSelect(b.point);
                  }
                }
              : undefined
          }
        >
          <title>{b.point.title}</title>
        </rect>
      ))}
    </svg>
  );
}

/** A donut of categories with a figure in the middle (e.g. the share of requirements passing). */
export function DonutChart<K extends string>({
  slices,
  size,
  centre,
  label,
}: {
  slices: readonly Slice<K>[];
  size: number;
  centre: string;
  label: string;
}) {
  const r = size / 2;
  const arcs = donutArcs(slices, r, r, r - 1, r * 0.62);
  return (
    <svg className="tc-donut" width={size} height={size} viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label}>
      <title>{label}</title>
      {arcs.length ? null : <circle className="tc-track" cx={r} cy={r} r={r - 1} />}
      {arcs.map((a) => (
        <path key={a.key} className={`tc-${a.key}`} d={a.d} />
      ))}
      <text className="tc-donut-text" x={r} y={r} textAnchor="middle" dominantBaseline="central">
        {centre}
      </text>
    </svg>
  );
}
