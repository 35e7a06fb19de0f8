// fsmtl's wasm kernels vs the stock tfjs-backend-wasm ones, in one run, on two 3-task training steps:
//   MLP:   shared 784-512-512 (relu), three 10-way softmax heads, batch 256 per task
//   LeNet: shared conv5x5x6 → pool → conv5x5x16 → pool → dense 120 → 84 (relu), three 10-way heads,
//          batch 128 per task (28×28×1 inputs)
// A step = the gradients of the sum of the three cross-entropy losses w.r.t. every weight.
// ms/step is the median of 10 steps after 2 warm-up steps. The stock kernels have no
// Conv2DBackpropFilter, so the stock LeNet step is reported as unsupported (NaN in the returned record).
//
//   node --import tsx bench/kernels.ts [--threads N]
// The thread count is fixed when the wasm backend starts, so compare threads on/off with two runs.
import { pathToFileURL } from 'node:url';
import { initEngine, tf, useStockWasmKernels } from '../src/engine/index.js';
import { Rng } from '../src/util/rng.js';

const TASKS = 3;
const WARMUP = 2;
const STEPS = 10;

interface Net {
  vars: tf.Variable[];
  loss: () => tf.Scalar;
}

function randn(rng: Rng, shape: number[], scale: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * scale;
  return tf.tensor(v, shape);
}

function makeData(rng: Rng, batch: number, shape: number[]): { xs: tf.Tensor[]; ys: tf.Tensor[] } {
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (let t = 0; t < TASKS; t++) {
    xs.push(randn(rng, [batch, ...shape], 1));
    ys.push(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, () => rng.int(10)), 'int32'), 10));
  }
  return { xs, ys };
}

function dense(rng: Rng, name: string, fanIn: number, fanOut: number): [tf.Variable, tf.Variable] {
  return [
    tf.variable(randn(rng, [fanIn, fanOut], Math.sqrt(2 / fanIn)), true, `${name}/w`),
    tf.variable(tf.zeros([fanOut]), true, `${name}/b`),
  ];
}

export function mlp(rng: Rng): Net {
  const batch = 256;
  const { xs, ys } = makeData(rng, batch, [784]);
  const l1 = dense(rng, 'l1', 784, 512);
  const l2 = dense(rng, 'l2', 512, 512);
  const heads = Array.from({ length: TASKS }, (_, t) => dense(rng, `head${t}`, 512, 10));
  const loss = () => {
    let total = tf.scalar(0);
    for (let t = 0; t < TASKS; t++) {
      let h = tf.relu(tf.add(tf.matMul(xs[t], l1[0]), l1[1]));
      h = tf.relu(tf.add(tf.matMul(h, l2[0]), l2[1]));
      const logits = tf.add(tf.matMul(h, heads[t][0]), heads[t][1]);
      total = tf.add(total, tf.losses.softmaxCrossEntropy(ys[t], logits));
    }
    return total as tf.Scalar;
  };
  return { vars: [...l1, ...l2, ...heads.flat()], loss };
}

export function lenet(rng: Rng): Net {
  const batch = 128;
  const { xs, ys } = makeData(rng, batch, [28, 28, 1]);
  const conv = (name: string, k: number, cin: number, cout: number): [tf.Variable, tf.Variable] => [
    tf.variable(randn(rng, [k, k, cin, cout], Math.sqrt(2 / (k * k * cin))), true, `${name}/w`),
    tf.variable(tf.zeros([cout]), true, `${name}/b`),
  ];
  const c1 = conv('c1', 5, 1, 6);
  const c2 = conv('c2', 5, 6, 16);
  const d1 = dense(rng, 'd1', 256, 120);
  const d2 = dense(rng, 'd2', 120, 84);
  const heads = Array.from({ length: TASKS }, (_, t) => dense(rng, `head${t}`, 84, 10));
  const loss = () => {
    let total = tf.scalar(0);
    for (let t = 0; t < TASKS; t++) {
      let h = tf.relu(tf.add(tf.conv2d(xs[t] as tf.Tensor4D, c1[0] as tf.Tensor4D, 1, 'valid'), c1[1])) as tf.Tensor4D;
      h = tf.maxPool(h, 2, 2, 'valid');
      h = tf.relu(tf.add(tf.conv2d(h, c2[0] as tf.Tensor4D, 1, 'valid'), c2[1])) as tf.Tensor4D;
      h = tf.maxPool(h, 2, 2, 'valid');
      let f: tf.Tensor = tf.reshape(h, [batch, 256]);
      f = tf.relu(tf.add(tf.matMul(f, d1[0]), d1[1]));
      f = tf.relu(tf.add(tf.matMul(f, d2[0]), d2[1]));
      const logits = tf.add(tf.matMul(f, heads[t][0]), heads[t][1]);
      total = tf.add(total, tf.losses.softmaxCrossEntropy(ys[t], logits));
    }
    return total as tf.Scalar;
  };
  return { vars: [c1, c2, d1, d2, ...heads].flat(), loss };
}

function step(net: Net): void {
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(net.loss, net.vars);
    value.dataSync();
    for (const g of Object.values(grads)) g.dataSync();
  });
}

/** Median ms/step, or NaN if the step throws (e.g. a kernel the backend lacks). */
export function time(net: Net): number {
  try {
    for (let i = 0; i < WARMUP; i++) step(net);
  } catch {
    return NaN;
  }
  const ms: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    step(net);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return (ms[(STEPS - 1) >> 1] + ms[STEPS >> 1]) / 2;
}

export async function benchKernels(opts: { threads?: number } = {}): Promise<Record<string, number>> {
  const engine = await initEngine({ backend: 'wasm', threads: opts.threads });
  const previous = tf.getBackend();
  await tf.setBackend('wasm');
  const rng = new Rng(0);
  const out: Record<string, number> = { threads: engine.threads };
  for (const [name, make] of [['mlp', mlp], ['lenet', lenet]] as const) {
    const net = make(rng);
    const restore = useStockWasmKernels();
    let stock: number;
    try {
      stock = time(net);
    } finally {
      restore();
    }
    const fsmtl = time(net);
    out[`${name}.stock.msPerStep`] = stock;
    out[`${name}.fsmtl.msPerStep`] = fsmtl;
    out[`${name}.speedup`] = stock / fsmtl;
    tf.dispose(net.vars);
  }
  if (previous && previous !== 'wasm') await tf.setBackend(previous);
  return out;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--threads');
  const threads = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  const r = await benchKernels({ threads });
  const fmt = (v: number) => (Number.isNaN(v) ? 'unsupported' : v.toFixed(1));
  console.log(`wasm, ${r.threads} thread(s); median of ${STEPS} steps after ${WARMUP} warm-up, 3 tasks`);
  console.log('step                         stock ms   fsmtl ms   speed-up');
  for (const [name, label] of [['mlp', 'MLP 784-512-512, b=256/task'], ['lenet', 'LeNet, b=128/task']] as const) {
    const s = r[`${name}.stock.msPerStep`];
    const f = r[`${name}.fsmtl.msPerStep`];
    const x = r[`${name}.speedup`];
    console.log(`${label.padEnd(28)} ${fmt(s).padStart(9)}  ${fmt(f).padStart(9)}  ${Number.isNaN(x) ? '-' : x.toFixed(1) + '×'}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
