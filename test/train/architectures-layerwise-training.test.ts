// The layer-wise architectures (cross-stitch, PLE, MTAN) train end to end on hetero3, multimnist and
// morpho, dense (mtl) and with FS masks; see architectures-training.test.ts for the mixtures of experts.
import { before, test } from 'node:test';
import { initEngine } from '../../src/engine/setup.js';
import { assertTrainsEverywhere } from './architecture-runs.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

const ARCHS = ['cross-stitch', 'ple', 'mtan'];

for (const architecture of ARCHS) {
  test(`${architecture}: trains on hetero3, multimnist and morpho, dense (mtl) and with FS masks`, () => assertTrainsEverywhere(architecture));
}

