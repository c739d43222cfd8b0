"use client";
import { labelMargin, useWidth } from "./useWidth.ts";

export type Point = { x: number; y: number; label?: string };

/** A step line (values hold until the next event), e.g. a reputation score over settlements. */
export function LineChart({ points, summary, yMin = 0, yMax, height = 180, formatY = String }: { points: Point[]; summary: string; yMin?: number; yMax?: number; height?: number; formatY?: (v: number) => string }) {
  const [ref, width] = useWidth<HTMLDivElement>(600);
  const top0 = yMax ?? Math.max(1, ...points.map((p) => p.y));
  const pad = { top: 12, right: 12, bottom: 20, left: labelMargin([yMin, (yMin + top0) / 2, top0].map(formatY)) };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const top = yMax ?? Math.max(1, ...points.map((p) => p.y));
  const n = points.length;
  const x = (i: number) => pad.left + (n <= 1 ? innerW / 2 : (i / (n - 1)) * innerW);
  const y = (v: number) => pad.top + innerH - ((v - yMin) / (top - yMin || 1)) * innerH;
  let d = "";
  points.forEach((p, i) => {
    d += i === 0 ? `M${x(i)},${y(p.y)}` : `H${x(i)}V${y(p.y)}`;
  });
  const ticks = [yMin, (yMin + top) / 2, top];
  return (
    <div ref={ref}>
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      {ticks.map((t) => (
        <g key={t}>
          <line className="grid-line" x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} />
          <text x={pad.left - 6} y={y(t) + 4} textAnchor="end">
            {formatY(t)}
          </text>
        </g>
      ))}
      <path d={d} fill="none" stroke="var(--chart-1)" strokeWidth={2} />
      {points.map((p, i) => (
        <circle key={i} cx={x(i)} cy={y(p.y)} r={3.5} fill="var(--chart-1)">
          <title>{p.label ?? formatY(p.y)}</title>
        </circle>
      ))}
      <text x={pad.left} y={height - 4}>
        {n > 1 ? "registered" : "no settlements yet"}
      </text>
      {n > 1 && (
        <text x={width - pad.right} y={height - 4} textAnchor="end">
          latest
        </text>
      )}
    </svg>
    </div>
  );
}
