// The extractor registry and the cnn extractor: names everywhere come from the registry, sizes and shapes
// follow the architecture, inputs below an extractor's smallest size are FsmtlErrors naming that size.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { CNN_FEATURES, CNN_WIDTHS, EXTRACTOR_NAMES, EXTRACTORS, makeExtractor, type ExtractorArch } from '../../src/model/extractor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initParams } from '../../src/model/init.js';
import { MultiTaskModel } from '../../src/model/multitask-model.js';
import { squeezeExcitation } from '../../src/model/squeeze-excitation.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { FsmtlError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

const count = (arch: ExtractorArch, shape: [number, number, number]) => paramSpecs(makeExtractor(arch, shape, [16, 8]).layers).reduce((a, s) => a + s.size, 0);

test('registry: one entry per name, each builds its own architecture; the config takes exactly these names', () => {
  assert.deepEqual(EXTRACTOR_NAMES, ['mlp', 'lenet', 'cnn', 'segnet']);
  for (const name of EXTRACTOR_NAMES) {
    const entry = EXTRACTORS[name];
    assert.equal(entry.name, name);
    assert.ok(entry.summary.length > 0 && entry.accepts.length > 0);
    assert.equal(makeExtractor(name, [28, 28, 1], [16, 8]).arch, name);
    assert.equal(parseTrainConfig({ arch: name }).arch, name);
  }
  assert.throws(() => parseTrainConfig({ arch: 'resnet' as never }), /config\.arch/);
  assert.throws(() => makeExtractor('resnet' as never, [28, 28, 1], [8]), (e: Error) => e instanceof FsmtlError && /unknown extractor 'resnet' \(known: mlp, lenet, cnn, segnet\)/.test(e.message));
  // An inherited property is not an architecture.
  assert.throws(() => makeExtractor('toString' as never, [28, 28, 1], [8]), /unknown extractor/);
});

test("registry: each extractor accepts exactly its smallest side, and refuses one less with an FsmtlError naming it", () => {
  for (const name of EXTRACTOR_NAMES) {
    const min = EXTRACTORS[name].minSide;
    for (const c of [1, 3]) makeExtractor(name, [min, min, c], [4]);
    if (min === 1) continue;
    for (const shape of [[min - 1, min, 3], [min, min - 1, 1]] as [number, number, number][]) {
      assert.throws(
        () => makeExtractor(name, shape, [4]),
        (e: Error) => e instanceof FsmtlError && e.message === `${name} extractor needs inputs of at least ${min}×${min}, got ${shape[0]}×${shape[1]}`,
      );
    }
  }
});

test('cnn: parameter counts at 64×64×3 and 28×28×1 follow its widths', () => {
  // Four conv3×3 blocks (9·cin·cout + cout each), then dense from the last pooled map to CNN_FEATURES.
  const expected = (h: number, c: number) => {
    let total = 0;
    let cin = c;
    let side = h;
    for (const cout of CNN_WIDTHS) {
      total += 9 * cin * cout + cout;
      cin = cout;
      side = Math.floor(side / 2);
    }
    return total + side * side * cin * CNN_FEATURES + CNN_FEATURES;
  };
  assert.equal(count('cnn', [64, 64, 3]), expected(64, 3));
  assert.equal(count('cnn', [28, 28, 1]), expected(28, 1));
  // The figures docs/extractors.md quotes.
  assert.equal(count('cnn', [64, 64, 3]), 765_376);
  assert.equal(count('cnn', [28, 28, 1]), 273_280);
  assert.equal(makeExtractor('cnn', [64, 64, 3], []).featureDim, CNN_FEATURES);
});

test("preActivationShapes are the shapes the forward pass produces ('same' convs, odd sizes, every extractor)", () => {
  const shapes: Array<[number, number, number]> = [[28, 28, 1], [64, 64, 3], [17, 23, 3], [16, 16, 2], [31, 18, 1]];
  for (const name of EXTRACTOR_NAMES) {
    for (const shape of shapes) {
      const e = makeExtractor(name, shape, [6, 5]);
      const specs = paramSpecs(e.layers);
      const params = initParams(specs, new Rng(1)).map((v, i) => tf.tensor(v, specs[i].shape));
      const seen: number[][] = [];
      const inputs: number[][] = [];
      const feats = e.forward(tf.randomUniform([2, ...shape], 0, 1, 'float32', 2) as tf.Tensor4D, params, {
        input: (l, a) => void (inputs[l] = a.shape),
        preActivation: (l, z) => {
          seen[l] = z.shape;
          return z;
        },
      });
      const label = `${name} on ${shape.join('×')}`;
      assert.deepEqual(seen, e.preActivationShapes(2), label);
      const pixels = e.pixels ? e.pixels.height * e.pixels.width : 1;
      assert.deepEqual(feats.shape, [2, pixels * e.featureDim], label);
      // Each layer's declared input width is what reaches it.
      e.layers.forEach((layer, l) => assert.equal(layer.kind === 'dense' ? layer.inputs : layer.inChannels, inputs[l][inputs[l].length - 1], `${label}, layer ${l}`));
      tf.dispose([...params, feats]);
    }
  }
});

test("cnn: 'same' convolutions keep the size and only the 2×2 pools shrink it (floor on odd sizes)", () => {
  const e = makeExtractor('cnn', [17, 23, 3], []);
  assert.deepEqual(e.preActivationShapes(1), [[1, 17, 23, 32], [1, 8, 11, 64], [1, 4, 5, 128], [1, 2, 2, 128], [1, 256]]);
  assert.deepEqual(
    e.layers.map((l) => (l.kind === 'conv' ? [l.kernelSize, l.padding, l.inChannels, l.filters] : [l.inputs, l.units])),
    [[3, 'same', 3, 32], [3, 'same', 32, 64], [3, 'same', 64, 128], [3, 'same', 128, 128], [128, 256]],
  );
});

test('SE adapter on the cnn: one block per layer, sized by its output channels, gating every conv output map', () => {
  const ex = makeExtractor('cnn', [20, 20, 3], []);
  const model = new MultiTaskModel(ex, [4, 2], 0, false, squeezeExcitation(16));
  try {
    assert.deepEqual(
      model.adapterSpecs.filter((s) => s.name.endsWith('reduce/kernel')).map((s) => s.shape),
      [[32, 2], [64, 4], [128, 8], [128, 8], [256, 16]],
    );
    const x = tf.randomUniform([3, 20, 20, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const outputs: number[][] = [];
    const gated = model.extractor.forward(x, model.tower(0), {
      output: (l, a) => {
        outputs[l] = a.shape;
        return model.adapter!.apply(l, a, model.adapters[0], model.adapterSpecs);
      },
    });
    assert.deepEqual(outputs, [[3, 10, 10, 32], [3, 5, 5, 64], [3, 2, 2, 128], [3, 1, 1, 128], [3, 256]]);
    assert.deepEqual(gated.shape, [3, 256]);
    // The adapter changes the features (gates are in (0, 1), not all 1), and each task's differ.
    const plain = ex.forward(x, model.tower(0)).dataSync();
    const f0 = model.features(x, model.tower(0), model.adapters[0]).dataSync();
    const f1 = model.features(x, model.tower(0), model.adapters[1]).dataSync();
    assert.deepEqual(Array.from(gated.dataSync()), Array.from(f0));
    assert.ok(f0.some((v, i) => v !== plain[i]) && f0.some((v, i) => v !== f1[i]));
  } finally {
    model.dispose();
  }
});
