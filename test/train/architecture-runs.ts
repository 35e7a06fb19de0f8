// The end-to-end check the architecture tests share: an architecture trains on hetero3, multimnist and
// morpho, dense (mtl) and with FS masks, with finite losses and metrics and masks at the keep ratio.
import assert from 'node:assert/strict';
import { runTraining } from '../../src/experiments/run.js';
import { tinyArchitecture } from '../fixtures/configs.js';

export async function assertTrainsEverywhere(architecture: string): Promise<void> {
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
}
