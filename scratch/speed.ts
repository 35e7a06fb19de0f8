import { initEngine } from '../src/engine/setup.js';
import { benchmarkFor, runTrainingWithModel } from '../src/experiments/run.js';
import { checkpointFromTrained } from '../src/io/checkpoint.js';
import { encodeTaskModel, exportTask } from '../src/io/export.js';
import { checkpointNetwork, Predictor } from '../src/io/predictor.js';
import { parseTrainConfig } from '../src/train/config.js';
import { loadPredictor, TaskModelPredictor } from '../src/predictor/index.js';
import { nativeSparseKernels } from '../src/engine/native/sparse-kernels.js';
const eng = await initEngine();
console.log(eng.backend);
const arch = (process.argv[2] ?? 'mlp') as 'mlp';
const config = parseTrainConfig({ benchmark: 'hetero3', arch, hidden: [512, 512], method: 'fs', keep: 0.1, epochs: 1, trainPerTask: 300, testPerTask: 1000, fs: { warmupEpochs: 0, samples: 32 } });
const trained = await runTrainingWithModel(config);
const c = checkpointFromTrained(trained);
trained.model.dispose();
const { x, n } = benchmarkFor(config).tasks[0].test;
const dense = new Predictor(checkpointNetwork(c, 0));
const js = loadPredictor(encodeTaskModel(exportTask(c, 0)));
const nat = new TaskModelPredictor(js.model, nativeSparseKernels()!);
function time(f: () => void, reps: number) { for (let i = 0; i < 20; i++) f(); const t = performance.now(); for (let r = 0; r < reps; r++) f(); return (performance.now() - t) / reps; }
const x1 = x.subarray(0, 784 * (arch === 'mlp' ? 1 : 1));
console.log('cost', js.net.cost, 'resident', js.residentBytes);
for (const [name, f1, fb] of [
  ['dense', () => dense.logits(x1, 1), () => dense.logits(x, n)],
  ['js', () => js.outputs(x1, 1), () => js.outputs(x, n)],
  ['native', () => nat.outputs(x1, 1), () => nat.outputs(x, n)],
] as const) {
  console.log(name, 'b1 ms', time(f1, 2000).toFixed(3), 'b1000 ms', time(fb, 5).toFixed(1));
}
const a = dense.logits(x, n), b = nat.outputs(x, n);
let md = 0; for (let i = 0; i < a.length; i++) md = Math.max(md, Math.abs(a[i] - b[i]));
console.log('native maxdiff', md);
