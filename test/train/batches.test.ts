import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochBatches } from '../../src/train/batches.js';
import { Rng } from '../../src/util/rng.js';

test('every example of the largest task appears once per epoch; smaller tasks wrap', () => {
  const b = epochBatches([10, 4], 3, false, new Rng(0));
  assert.equal(b.length, 4);
  const seen = b.flatMap((s) => [...s[0]]).slice(0, 10).sort((x, y) => x - y);
  assert.deepEqual(seen, [...Array(10).keys()]);
  for (const s of b) for (const i of s[1]) assert.ok(i >= 0 && i < 4);
});

test('homogeneous benchmarks feed all tasks the same examples', () => {
  const b = epochBatches([9, 9], 4, true, new Rng(1));
  for (const s of b) assert.deepEqual(s[0], s[1]);
});

test('batches follow the seed', () => {
  assert.deepEqual(epochBatches([20], 5, false, new Rng(7)), epochBatches([20], 5, false, new Rng(7)));
  assert.notDeepEqual(epochBatches([20], 5, false, new Rng(7)), epochBatches([20], 5, false, new Rng(8)));
});
