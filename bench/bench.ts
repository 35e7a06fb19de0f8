// npm run bench: speed and memory figures of issue #3, each ratio measured within this one run.
//   1. fsmtl's wasm kernels vs the stock ones on a 3-task MLP step (bench/kernels.ts)
//   2. FS step / MTL step on hetero3 with the same model and batch
//   3. one Fisher estimate (N = 256 per task) / one training step
//   4. live tensors after the first and the last epoch, and peak memory of a demo-sized run
//   5. every sharing method and weighting: ms per step relative to MTL (bench/methods.ts, issue #4), and
//      every weighting's combine alone at the MLP's P, relative to EW (bench/weighting.ts, issue #18)
//   5b. every multi-task architecture: ms per step relative to hard sharing (bench/architectures.ts, issue #18)
//   6. inference: predictions/s of a task's dense network and of its exported sparse model (issue #6)
//   7. cost as tasks grow: ms per step and peak memory at T = 2, 8, 40 binary tasks, one FS mask update at
//      T = 40 in MTL steps, with the targets (bench/scaling.ts; --skip-scaling)
//   8. sparse inference: dense vs the sparse path vs the TF-free predictor at p = 0.1, 0.3, 0.5 (bench/sparse.ts,
//      issue #19; --sparse-only runs only this part, e.g. with FSMTL_NATIVE=0 for the wasm engine's figures)
//   0. first: native engine vs wasm vs PyTorch on the same shapes (bench/native.ts, issue #7; --skip-native)
//   8. dense prediction: a segnet MTL step on a scenes-shaped batch of 8 and one Fisher estimate, native vs
//      PyTorch (bench/dense.ts, issue 16; --skip-dense)
// --only weightings,architectures (or sparse) runs only those sections, e.g. on a quiet machine.
import { benchKernels } from './kernels.js';
import { initEngine } from '../src/engine/setup.js';
import { runTraining } from '../src/experiments/run.js';
import type { TrainConfigInput } from '../src/train/config.js';
import { benchMethods } from './methods.js';
import { benchWeightings } from './weighting.js';
import { benchArchitectures } from './architectures.js';
import { benchInference } from './inference.js';
import { benchNative, type NativeSummary } from './native.js';
import { benchDense } from './dense.js';
import { benchScaling } from './scaling.js';
import { benchSparse } from './sparse.js';

const fmt = (x: number, d = 1) => x.toFixed(d);
const arg = (name: string) => process.argv.includes(name);

async function main() {
  const engine = await initEngine({});
  console.log(`engine: ${engine.backend}, ${engine.threads} thread(s); fsmtl kernels: ${engine.registeredKernels.join(', ') || 'none'}\n`);

  // hetero3, 784-512-512 MLP, batch 128 per task. FS with warm-up 0 so that every step is a masked step.
  const base: TrainConfigInput = { benchmark: 'hetero3', trainPerTask: 3840, testPerTask: 500, epochs: 3, batchSize: 128, seed: 0 };
  if (arg('--sparse-only') || arg('--only')) {
    const only = arg('--sparse-only') ? ['sparse'] : (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',');
    const sections: Record<string, () => Promise<void>> = {
      sparse: () => benchSparse({ quick: arg('--quick') }),
      weightings: () => benchWeightings({ calls: arg('--quick') ? 8 : 20 }),
      architectures: () => benchArchitectures(base),
    };
    for (const name of only) {
      if (!sections[name]) throw new Error(`--only: unknown section '${name}' (known: ${Object.keys(sections).join(', ')})`);
      await sections[name]();
      console.log();
    }
    return;
  }

  let native: NativeSummary | null = null;
  if (!arg('--skip-native')) {
    native = await benchNative({ quick: arg('--quick') });
    await initEngine({ backend: engine.backend as 'native' | 'wasm' | 'cpu' | 'tensorflow' });
  }

  if (!arg('--skip-kernels')) {
    console.log('## Kernels: stock tfjs-backend-wasm vs fsmtl-registered (same run)');
    const k = await benchKernels();
    for (const [name, v] of Object.entries(k)) {
      console.log(`${name.padEnd(40)} ${Number.isNaN(v) ? 'unsupported (stock wasm has no Conv2DBackpropFilter)' : fmt(v, 2)}`);
    }
    console.log();
  }

  const mtl = await runTraining({ ...base, method: 'mtl' });
  const fs = await runTraining({ ...base, method: 'fs', keep: 0.3, fs: { warmupEpochs: 0, samples: 256, interval: 1 } });
  const stepRatio = fs.timings.msPerStep / mtl.timings.msPerStep;
  const fisherPerTask = fs.timings.msPerFisher;
  console.log('## hetero3, MLP 784-512-512, batch 128 per task, 3 tasks');
  console.log(`MTL ms/step                              ${fmt(mtl.timings.msPerStep)}`);
  console.log(`FS  ms/step (p = 0.3, masked)            ${fmt(fs.timings.msPerStep)}`);
  console.log(`FS step / MTL step                       ${fmt(stepRatio, 2)}   (target ≤ 1.3)`);
  console.log(`Fisher estimate, N = 256, one task, ms   ${fmt(fisherPerTask)}`);
  console.log(`Fisher estimate / FS step                ${fmt(fisherPerTask / fs.timings.msPerStep, 2)}   (target ≤ 1)`);
  console.log();
  await benchMethods(base);
  console.log();
  await benchWeightings({ calls: arg('--quick') ? 8 : 20 });
  console.log();
  if (!arg('--skip-architectures')) {
    await benchArchitectures(base);
    console.log();
  }
  console.log('## Memory');
  for (const r of [mtl, fs]) {
    const m = r.memory;
    const ok = m.tensorsAfterFirstEpoch === m.tensorsAfterLastEpoch ? 'no leak' : 'LEAK';
    console.log(
      `${r.config.method.toUpperCase().padEnd(4)} live tensors after epoch 1: ${m.tensorsAfterFirstEpoch}, after epoch ${r.config.epochs}: ${m.tensorsAfterLastEpoch} (${ok}); ` +
        `peak RSS ${fmt(m.peakRssBytes / 2 ** 20, 0)} MiB, peak tensor memory ${fmt(m.peakTensorBytes / 2 ** 20, 0)} MiB`,
    );
  }
  console.log();
  await benchInference();
  console.log();
  await benchSparse({ quick: arg('--quick') });
  if (!arg('--skip-scaling')) {
    console.log();
    await benchScaling({ quick: arg('--quick'), fsEpochVsPytorch: native?.fsEpochVsPytorch ?? null });
  }
  if (!arg('--skip-dense')) {
    console.log();
    await benchDense({ quick: arg('--quick') });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
