// A task network compiled for the sparse path: each layer's kept weights in a compressed-by-output
// layout (src/predictor/kernels.ts), and a forward pass that computes only with them.
//   dense layer   row j = the kept weights into unit j; idx = input position.
//   conv layer    row f = the kept taps of filter f; idx = ci·hp·wp + dy·wp + dx, the tap's offset in
//                 the zero-padded channel-major input, so a tap is one load for any output pixel.
// Activations between conv layers stay channel-major (C, H, W) and padded; the first dense layer after
// them has its input positions renumbered from the H, W, C flattening the model was trained with.
// The head is dense (it is not masked) and runs as a full row per output.
import { FsmtlError } from '../util/errors.js';
import type { StoredParam } from '../io/task-model-reader.js';
import type { Index, SparseKernels } from './kernels.js';
import type { ForwardPlan } from './plan.js';

interface DenseOp {
  op: 'dense';
  inputs: number;
  units: number;
  ptr: Int32Array;
  idx: Index;
  val: Float32Array;
  bias: Float32Array;
}

interface ConvOp {
  op: 'conv-pool';
  cin: number;
  hp: number;
  wp: number;
  k: number;
  filters: number;
  /** Pooled output [filters][ph][pw] and the padding the next step wants around it. */
  ph: number;
  pw: number;
  outPad: number;
  ptr: Int32Array;
  idx: Index;
  val: Float32Array;
  bias: Float32Array;
}

type Op = DenseOp | ConvOp;

/** Largest intermediate a chunk of examples may take, in floats (the batch is cut into chunks under it). */
const CHUNK_FLOATS = 1 << 22;

function indexArray(n: number, max: number): Index {
  return max < 0x10000 ? new Uint16Array(n) : new Uint32Array(n);
}

/** Kept entries of one stored tensor: its sparse entries, or a dense tensor's non-zeros. */
function kept(p: StoredParam): { indices: ArrayLike<number>; values: Float32Array } {
  if (p.layout === 'sparse') return p;
  const ind: number[] = [];
  for (let i = 0; i < p.values.length; i++) if (p.values[i] !== 0) ind.push(i);
  return { indices: ind, values: Float32Array.from(ind, (i) => p.values[i]) };
}

function denseVector(p: StoredParam, size: number): Float32Array {
  if (p.layout === 'dense') return p.values;
  const v = new Float32Array(size);
  for (let j = 0; j < p.indices.length; j++) v[p.indices[j]] = p.values[j];
  return v;
}

/**
 * Groups entries (row r[e], position c[e], value v[e]) by row, sorted by position within a row (so that
 * loads go forward through memory).
 */
function compress(rows: number, maxPos: number, r: Int32Array, c: Int32Array, v: Float32Array): { ptr: Int32Array; idx: Index; val: Float32Array } {
  const n = r.length;
  const order = Array.from({ length: n }, (_, e) => e).sort((a, b) => r[a] - r[b] || c[a] - c[b]);
  const ptr = new Int32Array(rows + 1);
  for (let e = 0; e < n; e++) ptr[r[e] + 1]++;
  for (let j = 0; j < rows; j++) ptr[j + 1] += ptr[j];
  const idx = indexArray(n, maxPos);
  const val = new Float32Array(n);
  order.forEach((e, at) => {
    idx[at] = c[e];
    val[at] = v[e];
  });
  return { ptr, idx, val };
}

export interface SparseCost {
  /** Multiply-adds per example with the kept weights (what the sparse path does). */
  keptMacs: number;
  /** Multiply-adds per example of the dense network. */
  denseMacs: number;
}

function keptCount(p: StoredParam): number {
  if (p.layout === 'sparse') return p.indices.length;
  let k = 0;
  for (let i = 0; i < p.values.length; i++) if (p.values[i] !== 0) k++;
  return k;
}

/** Multiply-adds per example with the kept weights and with all of them, without compiling the network. */
export function sparseCost(plan: ForwardPlan, params: StoredParam[], outputs: number): SparseCost {
  let keptMacs = plan.featureDim * outputs;
  let denseMacs = keptMacs;
  plan.steps.forEach((s, i) => {
    const n = keptCount(params[2 * i]);
    if (s.op === 'dense') {
      keptMacs += n;
      denseMacs += s.inputs * s.units;
    } else {
      const oh = s.h + 2 * s.pad - s.k + 1;
      const ow = s.w + 2 * s.pad - s.k + 1;
      // Only the pixels the 2×2 pool reads are computed.
      keptMacs += n * 4 * (oh >> 1) * (ow >> 1);
      denseMacs += s.k * s.k * s.cin * s.filters * oh * ow;
    }
  });
  return { keptMacs, denseMacs };
}

export class SparseNet {
  private readonly ops: Op[];
  private readonly head: DenseOp;
  private readonly scratch: Float32Array[] = [];
  private scratchFor = 0;
  readonly cost: SparseCost;
  readonly inputSize: number;

  constructor(
    readonly plan: ForwardPlan,
    params: StoredParam[],
    head: { kernel: Float32Array; bias: Float32Array },
    readonly outputs: number,
    /** The dense layers' layout: the kernels' that will run it (SparseKernels.denseLayout). */
    readonly denseLayout: 'by-output' | 'by-input' = 'by-output',
  ) {
    const byInput = denseLayout === 'by-input';
    const steps = plan.steps;
    if (params.length !== 2 * steps.length) throw new FsmtlError(`sparse predictor: ${params.length} parameter tensors for ${steps.length} layers of ${plan.arch}`);
    const [h0, w0, c0] = plan.inputShape;
    this.inputSize = h0 * w0 * c0;
    // The layout of the previous step's output: null = H, W, C as trained (the input, or a dense output).
    let chw: { c: number; h: number; w: number } | null = null;
    this.ops = steps.map((s, i) => {
      const kp = kept(params[2 * i]);
      const n = kp.values.length;
      const r = new Int32Array(n);
      const c = new Int32Array(n);
      if (s.op === 'dense') {
        const u = s.units;
        for (let e = 0; e < n; e++) {
          const flat = kp.indices[e];
          const at = Math.floor(flat / u);
          r[e] = flat % u;
          // H, W, C position → C, H, W position in the pooled conv output.
          c[e] = chw ? (at % chw.c) * chw.h * chw.w + Math.floor(at / chw.c) : at;
        }
        chw = null;
        const rows = byInput ? compress(s.inputs, u - 1, c, r, kp.values) : compress(u, s.inputs - 1, r, c, kp.values);
        return { op: 'dense', inputs: s.inputs, units: u, ...rows, bias: denseVector(params[2 * i + 1], u) };
      }
      const { k, cin, filters: F, pad } = s;
      const hp = s.h + 2 * pad;
      const wp = s.w + 2 * pad;
      for (let e = 0; e < n; e++) {
        const flat = kp.indices[e];
        const rest = Math.floor(flat / F);
        const ci = rest % cin;
        const tap = Math.floor(rest / cin);
        r[e] = flat % F;
        c[e] = ci * hp * wp + Math.floor(tap / k) * wp + (tap % k);
      }
      const oh = hp - k + 1;
      const ow = wp - k + 1;
      const ph = oh >> 1;
      const pw = ow >> 1;
      const next = steps[i + 1];
      chw = { c: F, h: ph, w: pw };
      return {
        op: 'conv-pool', cin, hp, wp, k, filters: F, ph, pw,
        outPad: next?.op === 'conv-pool' ? next.pad : 0,
        ...compress(F, cin * hp * wp - 1, r, c, kp.values),
        bias: denseVector(params[2 * i + 1], F),
      };
    });
    // The head: every entry of the [features, outputs] kernel.
    const F = plan.featureDim;
    const O = outputs;
    if (head.kernel.length !== F * O || head.bias.length !== O) throw new FsmtlError(`sparse predictor: head of ${head.kernel.length} weights for ${F} features × ${O} outputs`);
    const hr = new Int32Array(F * O);
    const hc = new Int32Array(F * O);
    for (let f = 0; f < F; f++) for (let j = 0; j < O; j++) {
      hr[f * O + j] = byInput ? f : j;
      hc[f * O + j] = byInput ? j : f;
    }
    const hrows = byInput ? compress(F, O - 1, hr, hc, head.kernel) : compress(O, F - 1, hr, hc, head.kernel);
    this.head = { op: 'dense', inputs: F, units: O, ...hrows, bias: Float32Array.from(head.bias) };
    this.cost = sparseCost(plan, params, O);
  }

  /** Bytes of weights held: the compressed layers (indices, values, row pointers, biases) and the head. */
  get residentBytes(): number {
    return [...this.ops, this.head].reduce((a, o) => a + o.ptr.byteLength + o.idx.byteLength + o.val.byteLength + o.bias.byteLength, 0);
  }

  /** Floats one example takes at the input of step i (i = steps: the head's input). */
  private floatsAt(i: number): number {
    if (i === 0) {
      const s = this.ops[0];
      return s.op === 'conv-pool' ? s.cin * s.hp * s.wp : this.inputSize;
    }
    const p = this.ops[i - 1];
    return p.op === 'dense' ? p.units : p.filters * (p.ph + 2 * p.outPad) * (p.pw + 2 * p.outPad);
  }

  /** Head outputs [n, outputs] for n inputs (row-major N×H×W×C). */
  forward(x: Float32Array, n: number, kernels: SparseKernels): Float32Array {
    if (!Number.isSafeInteger(n) || n < 0 || x.length !== n * this.inputSize) {
      const [h, w, c] = this.plan.inputShape;
      throw new FsmtlError(`expected ${n} inputs of ${h}×${w}×${c} = ${n * this.inputSize} values, got ${x.length}`);
    }
    const O = this.outputs;
    const out = new Float32Array(n * O);
    const steps = this.ops.length;
    let widest = 0;
    for (let i = 0; i <= steps; i++) widest = Math.max(widest, this.floatsAt(i));
    const chunk = Math.max(1, Math.min(n, Math.floor(CHUNK_FLOATS / widest)));
    if (chunk > this.scratchFor) {
      // Buffers[i]: the input of step i. Borders are never written, so they stay zero across calls.
      this.scratch.length = 0;
      for (let i = 0; i <= steps; i++) this.scratch.push(new Float32Array(chunk * this.floatsAt(i)));
      this.scratchFor = chunk;
    }
    const [H, W, C] = this.plan.inputShape;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      let cur = x.subarray(s * this.inputSize, (s + m) * this.inputSize);
      const first = this.ops[0];
      if (first.op === 'conv-pool') {
        // N, H, W, C → N, C, H + 2p, W + 2p
        const p = (first.hp - H) / 2;
        const xp = this.scratch[0];
        const per = C * first.hp * first.wp;
        for (let b = 0; b < m; b++)
          for (let y = 0; y < H; y++)
            for (let xx = 0; xx < W; xx++)
              for (let c = 0; c < C; c++) xp[b * per + c * first.hp * first.wp + (y + p) * first.wp + xx + p] = cur[((b * H + y) * W + xx) * C + c];
        cur = xp.subarray(0, m * per);
      }
      for (let i = 0; i < steps; i++) {
        const o = this.ops[i];
        const dst = this.scratch[i + 1].subarray(0, m * this.floatsAt(i + 1));
        if (o.op === 'dense') kernels.dense(cur, m, o.inputs, o.ptr, o.idx, o.val, o.bias, true, dst);
        else kernels.convPool(cur, m, o.cin, o.hp, o.wp, o.k, o.ptr, o.idx, o.val, o.bias, o.filters, dst, o.outPad);
        cur = dst;
      }
      const hd = this.head;
      kernels.dense(cur, m, hd.inputs, hd.ptr, hd.idx, hd.val, hd.bias, false, out.subarray(s * O, (s + m) * O));
    }
    return out;
  }
}
