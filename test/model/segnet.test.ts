// The segnet encoder–decoder (src/model/segnet.ts): features at every input pixel (odd sizes too),
// its parameter count, and every sharing method and the SE adapters working on it unchanged.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { makeExtractor } from '../../src/model/extractor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initParams } from '../../src/model/init.js';
import { MultiTaskModel } from '../../src/model/multitask-model.js';
import { SEGNET_WIDTHS } from '../../src/model/segnet.js';
import { squeezeExcitation } from '../../src/model/squeeze-excitation.js';
import { createMethod, methodNames } from '../../src/methods/registry.js';
import { runTraining } from '../../src/experiments/run.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { FsmtlError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

const count = (shape: [number, number, number]) => paramSpecs(makeExtractor('segnet', shape, []).layers).reduce((a, s) => a + s.size, 0);

test('segnet: parameter counts follow its widths (the figures docs/extractors.md quotes)', () => {
  const [a, b, c] = SEGNET_WIDTHS;
  const convs = (cin: number) => [[cin, a], [a, b], [b, c], [c, c], [c, b], [b, a], [a, a]].reduce((s, [i, o]) => s + 9 * i * o + o, 0);
  assert.equal(count([64, 64, 1]), convs(1));
  assert.equal(count([128, 256, 3]), convs(3));
  assert.equal(count([64, 64, 1]), 85_632);
  assert.equal(count([128, 256, 3]), 85_920);
  // Convolutions only: the count does not depend on the input's size.
  assert.equal(count([30, 37, 1]), count([64, 64, 1]));
});

test('segnet: features at every input pixel, odd sizes included, and each depends on the whole encoder', () => {
  for (const shape of [[64, 64, 1], [30, 37, 3], [8, 8, 2]] as Array<[number, number, number]>) {
    const e = makeExtractor('segnet', shape, []);
    assert.deepEqual(e.pixels, { height: shape[0], width: shape[1] });
    assert.equal(e.featureDim, SEGNET_WIDTHS[0]);
    const specs = paramSpecs(e.layers);
    const ps = initParams(specs, new Rng(1)).map((v, i) => tf.tensor(v, specs[i].shape));
    const x = tf.randomUniform([2, ...shape], 0, 1, 'float32', 3) as tf.Tensor4D;
    const f = e.forward(x, ps);
    assert.deepEqual(f.shape, [2, shape[0] * shape[1] * SEGNET_WIDTHS[0]]);
    tf.dispose([...ps, x, f]);
  }
  // Zeroing the bottleneck's kernel changes the full-resolution features: the decoder reads the encoder's deepest stage.
  const e = makeExtractor('segnet', [16, 16, 1], []);
  const specs = paramSpecs(e.layers);
  const ps = initParams(specs, new Rng(2)).map((v, i) => tf.tensor(v, specs[i].shape));
  const x = tf.randomUniform([1, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const mid = specs.findIndex((s) => s.name === 'mid/kernel');
  const cut = ps.map((p, i) => (i === mid ? tf.zerosLike(p) : p));
  const a = e.forward(x, ps).dataSync();
  const b = e.forward(x, cut).dataSync();
  assert.ok(a.some((v, i) => v !== b[i]));
});

test('segnet: refuses inputs below 8×8 with an FsmtlError naming the size', () => {
  assert.throws(() => makeExtractor('segnet', [7, 64, 1], []), (e: Error) => e instanceof FsmtlError && /at least 8×8, got 7×64/.test(e.message));
});

test('every sharing method gives masks for segnet that fit its parameters; SE gates every conv output', () => {
  const e = makeExtractor('segnet', [16, 16, 1], []);
  const specs = paramSpecs(e.layers);
  for (const name of methodNames()) {
    const method = createMethod(parseTrainConfig({ method: name, arch: 'segnet', keep: 0.3, fs: { warmupEpochs: 0 } }));
    const rng = new Rng(3);
    const { masks } = method.masksFor(
      {
        epoch: 0,
        specs,
        numTasks: 2,
        fisher: () => specs.map((s) => Float32Array.from({ length: s.size }, () => rng.next())),
      },
      method.init(2),
    );
    if (masks === null) continue;
    assert.equal(masks.length, 2, name);
    masks.forEach((m) => m.forEach((part, i) => assert.equal(part.length, specs[i].size, `${name}: ${specs[i].name}`)));
    const kept = masks[0].reduce((a, p) => a + p.reduce((s, v) => s + v, 0), 0);
    assert.ok(kept > 0 && kept < specs.reduce((a, s) => a + s.size, 0), `${name}: a strict subset is kept`);
  }
  const model = new MultiTaskModel(e, [3, 1], 0, false, squeezeExcitation(4));
  try {
    assert.deepEqual(
      model.adapterSpecs.filter((s) => s.name.endsWith('reduce/kernel')).map((s) => s.shape[0]),
      e.layers.map((l) => (l.kind === 'conv' ? l.filters : l.units)),
    );
    const x = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    const out = model.logits(0, x, model.tower(0));
    assert.deepEqual(out.shape, [2, 16 * 16 * 3]);
    const f0 = model.features(x, model.tower(0), model.adapters[0]).dataSync();
    const f1 = model.features(x, model.tower(0), model.adapters[1]).dataSync();
    assert.ok(f0.some((v, i) => v !== f1[i]), "each task's adapters give its own features");
  } finally {
    model.dispose();
  }
});

test('training a per-example task on segnet is refused, naming the task and what segnet needs', async () => {
  await assert.rejects(
    runTraining({ benchmark: 'hetero3', method: 'mtl', arch: 'segnet', trainPerTask: 20, testPerTask: 10, epochs: 1, backend: 'cpu' }),
    (e: Error) => e instanceof FsmtlError && /task '\w+' predicts one value per example but extractor 'segnet' predicts per pixel \(28×28\)/.test(e.message),
  );
});
