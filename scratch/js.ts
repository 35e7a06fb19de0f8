import { jsKernels } from '../src/predictor/kernels.js';
import { Rng } from '../src/util/rng.js';
const rng = new Rng(1);
const inputs = 784, units = 512, dens = 0.1;
const rows: number[][] = Array.from({ length: units }, () => []);
for (let i = 0; i < inputs; i++) for (let j = 0; j < units; j++) if (rng.next() < dens) rows[j].push(i);
const nnz = rows.reduce((a, r) => a + r.length, 0);
const ptr = new Int32Array(units + 1); const idx = new Uint16Array(nnz); const val = new Float32Array(nnz);
let e = 0; rows.forEach((r, j) => { for (const i of r) { idx[e] = i; val[e++] = rng.next() - 0.5; } ptr[j + 1] = e; });
const bias = new Float32Array(units);
for (const n of [1, 1000]) {
  const x = Float32Array.from({ length: n * inputs }, () => (rng.next() < 0.2 ? rng.next() : 0));
  const y = new Float32Array(n * units);
  const reps = n === 1 ? 3000 : 5;
  for (let r = 0; r < 20; r++) jsKernels.dense(x, n, inputs, ptr, idx, val, bias, true, y);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let r = 0; r < reps; r++) jsKernels.dense(x, n, inputs, ptr, idx, val, bias, true, y);
  const cpu = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log(n, 'ns/MAC cpu', ((cpu.user + cpu.system) * 1000 / (reps * n * nnz)).toFixed(2), 'wall', (wall * 1e6 / (reps * n * nnz)).toFixed(2));
}
