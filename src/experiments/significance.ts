// The significance test of the report: a two-sided paired t-test across seeds. Pure functions.
//
// Why paired: in fsmtl the run seed fixes the initial weights, the batch order and the random parts of
// every method identically, and the data split does not depend on it. Two methods run with the same
// seed therefore share that source of variation, and the per-seed difference removes it. Why a t-test:
// with 3 seeds there is nothing to check normality on and rank tests cannot reach p < 0.05 at all
// (Wilcoxon's smallest two-sided p with n = 3 is 0.25). The price is low power: with n = 3 the test
// has 2 degrees of freedom and needs |t| > 4.30 for p < 0.05, so only large, consistent differences
// show up as significant, and "not significant" is weak evidence of no difference.
import jstatModule from 'jstat';

interface JStat {
  studentt: { cdf(x: number, dof: number): number };
}
const { jStat } = jstatModule as unknown as { jStat: JStat };

export interface TTestResult {
  /** Mean of a − b over the pairs. */
  meanDiff: number;
  /** The t statistic (±Infinity when every pair differs by the same non-zero amount). */
  t: number;
  /** Degrees of freedom: pairs − 1. */
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** Number of pairs. */
  n: number;
}

/** Two-sided Student t tail: P(|T| ≥ |t|) with `df` degrees of freedom. */
export function twoSidedP(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
}

/**
 * Paired t-test of a against b (a[i] and b[i] from the same seed). Needs at least two pairs.
 * When all differences are equal the variance is 0: identical samples give t = 0, p = 1, and a
 * constant non-zero shift gives t = ±Infinity, p = 0 (scipy returns NaN for the former).
 */
export function pairedTTest(a: number[], b: number[]): TTestResult {
  if (a.length !== b.length) throw new Error(`pairedTTest: ${a.length} vs ${b.length} values`);
  const n = a.length;
  if (n < 2) throw new Error('pairedTTest: needs at least two pairs');
  const d = a.map((x, i) => x - b[i]);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const se = Math.sqrt(variance / n);
  // Differences equal up to rounding count as exactly equal.
  const degenerate = se <= 1e-12 * Math.max(1, Math.abs(mean));
  const t = degenerate ? (Math.abs(mean) <= 1e-15 ? 0 : Math.sign(mean) * Infinity) : mean / se;
  return { meanDiff: mean, t, df: n - 1, p: twoSidedP(t, n - 1), n };
}
