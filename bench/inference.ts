// Inference speed of one task (issue #6): its dense network straight from the checkpoint (dense path)
// vs its exported sparse task model after a save/load round trip, as the predictor runs it by default
// (batch 1000: the sparse path where src/io/sparse-crossover.ts says it pays; bench/sparse.ts has more).
import { benchmarkFor, runTrainingWithModel } from '../src/experiments/run.js';
import { checkpointFromTrained } from '../src/io/checkpoint.js';
import { decodeTaskModel, encodeTaskModel, exportTask, taskModelSize } from '../src/io/export.js';
import { checkpointNetwork, Predictor, taskModelNetwork, type TaskNetwork } from '../src/io/predictor.js';
import { parseTrainConfig } from '../src/train/config.js';

function throughput(net: TaskNetwork, x: Float32Array, n: number, reps: number, path: 'dense' | 'auto'): number {
  const p = new Predictor(net, { path });
  try {
    p.predict(x, n, 1000); // warm-up
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) p.predict(x, n, 1000);
    return (reps * n) / ((performance.now() - t0) / 1000);
  } finally {
    p.dispose();
  }
}

export async function benchInference(): Promise<void> {
  const config = parseTrainConfig({ benchmark: 'hetero3', method: 'fs', keep: 0.3, trainPerTask: 2000, testPerTask: 2000, epochs: 2, fs: { warmupEpochs: 1 }, seed: 0 });
  const trained = await runTrainingWithModel(config);
  const c = checkpointFromTrained(trained);
  trained.model.dispose();
  const task = c.tasks[0];
  const { x, n } = benchmarkFor(config).tasks[0].test;

  const t0 = performance.now();
  const bytes = encodeTaskModel(exportTask(c, task));
  const t1 = performance.now();
  const loaded = decodeTaskModel(bytes, 'memory');
  const sparseNet = taskModelNetwork(loaded);
  const t2 = performance.now();
  const size = taskModelSize(loaded);

  const reps = 10;
  const dense = throughput(checkpointNetwork(c, task), x, n, reps, 'dense');
  const sparse = throughput(sparseNet, x, n, reps, 'auto');
  console.log(`## Inference: hetero3 task '${task}', FS p = 0.3, MLP 784-512-512, batch 1000, ${reps} × ${n} images`);
  console.log(`exported model: ${size.bytes} bytes vs ${size.denseBytes} dense (${fmt((100 * size.bytes) / size.denseBytes)}%), ${size.params} parameters vs ${size.denseParams}`);
  console.log(`export + encode ms                       ${fmt(t1 - t0)}`);
  console.log(`decode ms                                ${fmt(t2 - t1)}`);
  console.log(`dense network, predictions/s             ${fmt(dense, 0)}`);
  console.log(`exported sparse model, predictions/s     ${fmt(sparse, 0)}   (the predictor's default path choice)`);
}

const fmt = (x: number, d = 1) => x.toFixed(d);
