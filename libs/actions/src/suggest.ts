/**
 * Near-miss suggestions ("did you mean 'context.set'?") for names written by people.
 */

/**
 * Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions counted
 * as one edit), so `endpont` → `endpoint` is 1 and `conetxt` → `context` is 1.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows are enough for the transposition look-back.
  let prevPrev: number[] = new Array<number>(b.length + 1).fill(0);
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr: number[] = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] ?? 0) + 1, (curr[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (prevPrev[j - 2] ?? 0) + 1);
      }
      curr[j] = best;
    }
    [prevPrev, prev, curr] = [prev, curr, prevPrev];
  }
  return prev[b.length] ?? 0;
}

/**
 * The closest candidate to `input`, if it is close enough to be a plausible typo: a
 * case-insensitive exact match; else at most 1 edit for short names and 2 for names of 6+
 * characters (or `maxDistance` edits when given); else, without `maxDistance`, the unique
 * candidate that is a prefix of the input or that the input is a prefix of (`warning` →
 * `warn`). Ties resolve to the first candidate in the given order, so results are stable.
 */
export function closestMatch(input: string, candidateList: Iterable<string>, maxDistance?: number): string | undefined {
  if (input.length === 0 || input.length > 200) return undefined;
  const candidates = [...candidateList];
  const lowered = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    if (candidate.toLowerCase() === lowered) return candidate;
    const distance = editDistance(lowered, candidate.toLowerCase());
    const allowed = maxDistance ?? (Math.min(input.length, candidate.length) >= 6 ? 2 : 1);
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || maxDistance !== undefined) return best;
  // Abbreviations and elaborations (`warning` → `warn`, `desc` → `description`): a unique
  // candidate that is a prefix of the input, or that the input is a prefix of.
  const prefixed = candidates.filter((candidate) => {
    const c = candidate.toLowerCase();
    return Math.min(c.length, lowered.length) >= 4 && (c.startsWith(lowered) || lowered.startsWith(c));
  });
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
