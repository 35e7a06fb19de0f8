import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedTTest, twoSidedP } from '../../src/experiments/significance.js';

// jstat's incomplete beta is accurate to about 1e-9 in p.
const close = (a: number, b: number, tol = 1e-8) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// Reference values from SciPy 1.17.1: scipy.stats.ttest_rel(a, b) and 2 * scipy.stats.t.sf(t, df).
test('paired t-test matches scipy.stats.ttest_rel', () => {
  const r1 = pairedTTest([0.801, 0.795, 0.808], [0.784, 0.786, 0.782]);
  close(r1.t, 3.5299900131710795);
  close(r1.p, 0.07172453045714755);
  assert.equal(r1.df, 2);
  assert.equal(r1.n, 3);
  close(r1.meanDiff, (0.017 + 0.009 + 0.026) / 3);

  const r2 = pairedTTest([0.5, 0.6, 0.7, 0.65], [0.52, 0.58, 0.71, 0.6]);
  close(r2.t, 0.6324555320336759);
  close(r2.p, 0.5720033807006412);
  assert.equal(r2.df, 3);

  const r3 = pairedTTest([0.8, 0.81, 0.79], [0.81, 0.8, 0.8]);
  close(r3.t, -0.5);
  close(r3.p, 0.6666666666666667);
});

test('two-sided t tail matches scipy.stats.t.sf', () => {
  close(twoSidedP(2.5, 2), 0.12961172022151082);
  close(twoSidedP(-2.5, 2), 0.12961172022151082);
  close(twoSidedP(4.302652729911275, 2), 0.05); // the 5% critical value with 3 seeds
  close(twoSidedP(1.0, 10), 0.34089313230206);
});

test('degenerate pairs: identical samples, constant shift, too few pairs', () => {
  const same = pairedTTest([0.7, 0.8, 0.9], [0.7, 0.8, 0.9]);
  assert.equal(same.t, 0);
  assert.equal(same.p, 1);
  const shift = pairedTTest([0.71, 0.81, 0.91], [0.7, 0.8, 0.9]);
  assert.equal(shift.t, Infinity);
  assert.equal(shift.p, 0);
  assert.throws(() => pairedTTest([1], [2]), /at least two pairs/);
  assert.throws(() => pairedTTest([1, 2], [2]), /2 vs 1/);
});
