import { initEngine } from '../src/engine/setup.js';
import { benchmarkFor, runTrainingWithModel } from '../src/experiments/run.js';
import { checkpointFromTrained } from '../src/io/checkpoint.js';
import { encodeTaskModel, exportTask } from '../src/io/export.js';
import { checkpointNetwork, Predictor } from '../src/io/predictor.js';
import { parseTrainConfig } from '../src/train/config.js';
import { loadPredictor } from '../src/predictor/index.js';
import { smallHetero3 } from '../test/fixtures/configs.js';
await initEngine();
for (const arch of ['mlp', 'lenet', 'cnn'] as const) {
  const config = parseTrainConfig({ ...smallHetero3, arch, method: 'fs', keep: 0.1, epochs: arch === 'cnn' ? 1 : 2, trainPerTask: arch === 'cnn' ? 100 : 200, fs: { warmupEpochs: 0, samples: 32 } });
  const t0 = performance.now();
  const trained = await runTrainingWithModel(config);
  const c = checkpointFromTrained(trained);
  trained.model.dispose();
  const bench = benchmarkFor(config);
  console.log(arch, 'train ms', (performance.now() - t0).toFixed(0));
  c.tasks.forEach((task, t) => {
    const { x, n } = bench.tasks[t].test;
    const dense = new Predictor(checkpointNetwork(c, t));
    const a = dense.logits(x, n);
    dense.dispose();
    const p = loadPredictor(encodeTaskModel(exportTask(c, t)));
    const t1 = performance.now();
    const b = p.outputs(x, n);
    const ms = performance.now() - t1;
    let md = 0, mx = 0;
    for (let i = 0; i < a.length; i++) { md = Math.max(md, Math.abs(a[i] - b[i])); mx = Math.max(mx, Math.abs(a[i])); }
    console.log(task, n, 'maxdiff', md, 'max', mx, 'ms', ms.toFixed(1), 'kept/dense macs', p.net.cost.keptMacs, p.net.cost.denseMacs);
  });
}
