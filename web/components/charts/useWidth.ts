"use client";
import { useEffect, useRef, useState } from "react";

/**
 * The element's width in CSS pixels, followed as it resizes. Charts draw in a viewBox of this
 * width, so one unit is one pixel and their 11 px labels stay 11 px on a phone (a fixed 1100-unit
 * viewBox squeezed into 350 px drew them 4 px tall).
 */
export function useWidth<T extends HTMLElement>(fallback: number) {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => el.clientWidth > 0 && setWidth(Math.round(el.clientWidth));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

/** Axis labels that fit their margin: 12 500 reads 12.5K, not a clipped "2,500". */
export const compactNumber = (v: number) => (Math.abs(v) >= 10_000 ? new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(v) : v.toLocaleString("en", { maximumFractionDigits: 2 }));

/** Left margin wide enough for the longest tick label at ~7 px a character. */
export const labelMargin = (labels: string[]) => Math.max(36, 10 + 7.5 * Math.max(...labels.map((l) => l.length)));
