/**
 * Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, so the
 * commonest typos (`capabilites`, `cap:metircs.emit`) count as one edit.
 */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The candidate closest to `input`, when it is close enough to be a plausible typo: a
 * case-only difference, or at most a third of the input's length in edits (so one- and
 * two-character inputs get only case-only hints).
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const limit = Math.floor(input.length / 3);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const distance =
      candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean 'x'?)` when a candidate is close to `input`, else the empty string. */
export function didYouMean(input: unknown, candidates: readonly string[]): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > 200) return '';
  const match = closest(input, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
