/**
 * Small statistics over samples: medians and quantiles, as the bench's
 * tables report them.
 */

/** The value below which a share `q` (0..1) of the sorted samples lie. */
export function quantile(samples, q) {
  if (samples.length === 0) {
    return Number.NaN;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** The median of the samples. */
export function median(samples) {
  return quantile(samples, 0.5);
}
