// The layer-wise architectures (cross-stitch, PLE, MTAN) train end to end on hetero3, multimnist and
// morpho, dense (mtl) and with FS masks; see architectures-training.test.ts for the mixtures of experts.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/setup.js';
import { runTraining } from '../../src/experiments/run.js';
import { tinyArchitecture } from '../fixtures/configs.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

const ARCHS = ['cross-stitch', 'ple', 'mtan'];

for (const architecture of ARCHS) {
  test(`${architecture}: trains on hetero3, multimnist and morpho, dense (mtl) and with FS masks`, async () => {
    for (const benchmark of ['hetero3', 'multimnist', 'morpho'] as const) {
      for (const method of ['mtl', 'fs'] as const) {
        const r = await runTraining({ ...tinyArchitecture(architecture), benchmark, method, backend: 'wasm' });
        const where = `${architecture} ${method} on ${benchmark}`;
        assert.equal(r.config.architecture, architecture);
        assert.ok(r.history.every((h) => h.loss.every(Number.isFinite)), where);
        for (const t of r.perTask) assert.ok(Object.values(t.metrics).every(Number.isFinite), `${where}: ${t.task} ${JSON.stringify(t.metrics)}`);
        if (method === 'fs') {
          assert.ok(r.masks!.density.every((d) => Math.abs(d - 0.3) < 0.01), `${where}: density ${r.masks!.density}`);
        } else {
          assert.equal(r.masks, null);
        }
      }
    }
  });
}

