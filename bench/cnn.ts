// The cnn extractor's training step: forward + backward (extractor, one 10-class head, softmax
// cross-entropy; gradients of every parameter) for a batch of random images, median ms over repeats, and
// where the time goes per kernel.
//   node --import tsx bench/cnn.ts [--backend native|wasm] [--shape 64x64x3] [--batch 64] [--reps 10] [--arch cnn]
import { describeEngine, initEngine, tf } from '../src/engine/index.js';
import { EXTRACTOR_NAMES, makeExtractor, type ExtractorArch } from '../src/model/extractor.js';
import { MultiTaskModel } from '../src/model/multitask-model.js';
import { formatProfile, profileKernels } from './profile.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const backend = arg('--backend', 'native') as 'native' | 'wasm' | 'cpu';
const shape = arg('--shape', '64x64x3').split('x').map(Number) as [number, number, number];
const batch = Number(arg('--batch', '64'));
const reps = Number(arg('--reps', '10'));
const arch = arg('--arch', 'cnn') as ExtractorArch;
if (!EXTRACTOR_NAMES.includes(arch)) throw new Error(`--arch: one of ${EXTRACTOR_NAMES.join(', ')}`);

console.log(describeEngine(await initEngine({ backend })));
const model = new MultiTaskModel(makeExtractor(arch, shape, [512, 512]), [10], 0);
const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10);
const vars = model.allVariables();

function step(): void {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.logits(0, x, model.tower(0))) as tf.Scalar, vars);
  // Reading the loss and one gradient waits for the whole step (the backends compute synchronously anyway).
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

for (let i = 0; i < 2; i++) step();
const times: number[] = [];
for (let i = 0; i < reps; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = (times[(reps - 1) >> 1] + times[reps >> 1]) / 2;
console.log(`${arch} ${shape.join('×')}, batch ${batch}, ${model.sharedSize} shared parameters: ${median.toFixed(1)} ms/step (median of ${reps}; range ${times[0].toFixed(1)}–${times[reps - 1].toFixed(1)})`);
const p = await profileKernels(() => step());
console.log(formatProfile(p, 'step', 15));
