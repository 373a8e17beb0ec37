/**
 * The dictionary name a mistyped attribute name most likely meant, for "did you mean" hints: the
 * nearest by edit distance (case ignored), at most 2 edits and fewer than a third of the name.
 */

import type { Dictionary } from './dictionary.js';

/** Most names compared: a loaded FreeRADIUS tree has about 8,000. */
const MAX_NAMES = 20_000;

/** The attribute name closest to `name`, or undefined when none is close. */
export function closestAttributeName(dictionary: Dictionary, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const limit = Math.min(2, Math.floor(wanted.length / 3));
  if (limit === 0) return undefined;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let seen = 0;
  for (const def of dictionary.attributes()) {
    if (++seen > MAX_NAMES) break;
    const candidate = def.name.toLowerCase();
    if (Math.abs(candidate.length - wanted.length) >= bestDistance) continue;
    const d = distance(wanted, candidate, bestDistance);
    if (d < bestDistance) {
      best = def.name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance of a and b, or `bound` once it is certain to be at least that. */
function distance(a: string, b: string, bound: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      current.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= bound) return bound;
    previous = current;
  }
  return previous[b.length];
}
