/** Small statistics and formatting helpers shared by the benchmarks. */

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The value at quantile `q` (0..1) of an ascending-sorted typed array of `n` valid entries. */
export function quantileSorted(sorted: Float64Array, n: number, q: number): number {
  if (n === 0) return Number.NaN;
  return sorted[Math.min(n - 1, Math.floor(n * q))];
}

/** `12345.6` → `12,346`. */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** A ratio as `3.41x`. */
export function fmtRatio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a';
}

/** Pads cells into aligned columns (first column left-aligned, the rest right-aligned). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, r[i].length);
  }
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}
