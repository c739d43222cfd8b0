"use client";
import { labelMargin, useWidth } from "./useWidth.ts";

/** `href`: the label links there (an address's bar to its page), focusable like any link. */
export type Bar = { label: string; values: number[]; href?: string };

/**
 * Grouped bars in plain SVG: small, themeable through CSS variables, and readable by screen
 * readers through `summary` (the figure's accessible name).
 */
export function BarChart({
  bars,
  series,
  summary,
  width: initialWidth = 600,
  height = 180,
  format = String,
  tickFormat,
}: {
  bars: Bar[];
  series: string[];
  summary: string;
  width?: number;
  height?: number;
  format?: (v: number) => string;
  /** Axis labels; by default `format` of the tick rounded to 2 decimals (too coarse for prices under 0.01). */
  tickFormat?: (v: number) => string;
}) {
  const [ref, width] = useWidth<HTMLElement>(initialWidth);
  const max = Math.max(1, ...bars.flatMap((b) => b.values));
  const ticks = [0, max / 2, max];
  const tickLabels = ticks.map((t) => (tickFormat ? tickFormat(t) : format(Math.round(t * 100) / 100)));
  const pad = { top: 12, right: 8, bottom: 26, left: labelMargin(tickLabels) };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const slot = innerW / Math.max(1, bars.length);
  const barW = Math.max(2, (slot * 0.75) / series.length);
  // As many bar labels as fit at ~7 px a character, with a gap.
  const longest = Math.max(1, ...bars.map((b) => b.label.length));
  const every = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(innerW / (longest * 7 + 12)))));
  return (
    <figure style={{ margin: 0 }} ref={ref}>
      <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
        {ticks.map((t, i) => {
          const y = pad.top + innerH - (t / max) * innerH;
          return (
            <g key={t}>
              <line className="grid-line" x1={pad.left} x2={width - pad.right} y1={y} y2={y} />
              <text x={pad.left - 6} y={y + 4} textAnchor="end">
                {tickLabels[i]}
              </text>
            </g>
          );
        })}
        {bars.map((b, i) => (
          <g key={`${b.label}-${i}`}>
            {b.values.map((v, s) => {
              const h = (v / max) * innerH;
              return (
                <rect key={s} x={pad.left + i * slot + slot * 0.125 + s * barW} y={pad.top + innerH - h} width={barW} height={h} rx={2} fill={`var(--chart-${(s % 3) + 1})`}>
                  <title>{`${b.label}: ${series[s]} ${format(v)}`}</title>
                </rect>
              );
            })}
            {i % every === 0 &&
              (b.href ? (
                <a href={b.href}>
                  <text x={pad.left + i * slot + slot / 2} y={height - 8} textAnchor="middle" className="chart-link">
                    {b.label}
                  </text>
                </a>
              ) : (
                <text x={pad.left + i * slot + slot / 2} y={height - 8} textAnchor="middle">
                  {b.label}
                </text>
              ))}
          </g>
        ))}
      </svg>
      {series.length > 1 && (
        <figcaption className="legend">
          {series.map((s, i) => (
            <span key={s}>
              <i style={{ background: `var(--chart-${(i % 3) + 1})` }} />
              {s}
            </span>
          ))}
        </figcaption>
      )}
    </figure>
  );
}
