// The forward pass of each shared extractor as a list of steps, without TensorFlow.js, for the sparse
// path (src/predictor/sparse-net.ts). It restates src/model/extractor.ts (which builds the same layers on
// tfjs ops); test/predictor/plan.test.ts checks that both give the same parameters and outputs, so the
// two cannot drift apart unnoticed. An extractor without a plan here predicts on the dense path only.
import { FsmtlError } from '../util/errors.js';
import type { ParamLayer } from '../model/layers.js';

/** dense + bias + ReLU on [n, inputs] (a conv step before it is flattened in H, W, C order). */
export interface DenseStep {
  op: 'dense';
  layer: number;
  inputs: number;
  units: number;
}

/** conv k×k, stride 1, + bias + ReLU, then maxpool 2×2 stride 2 (floor), on [n, h, w, cin]. */
export interface ConvPoolStep {
  op: 'conv-pool';
  layer: number;
  h: number;
  w: number;
  cin: number;
  k: number;
  filters: number;
  /** Zero padding on each side: (k − 1)/2 for 'same', 0 for 'valid'. */
  pad: number;
}

export type Step = DenseStep | ConvPoolStep;

export interface ForwardPlan {
  arch: string;
  inputShape: [number, number, number];
  layers: ParamLayer[];
  steps: Step[];
  featureDim: number;
}

// The cnn's widths and feature width, as in src/model/extractor.ts (CNN_WIDTHS, CNN_FEATURES).
const CNN_WIDTHS = [32, 64, 128, 128];
const CNN_FEATURES = 256;

function convBlocks(inputShape: [number, number, number], k: number, widths: number[], same: boolean): { layers: ParamLayer[]; steps: ConvPoolStep[]; out: [number, number, number] } {
  let [h, w, c] = inputShape;
  const layers: ParamLayer[] = [];
  const steps: ConvPoolStep[] = [];
  widths.forEach((filters, i) => {
    const pad = same ? (k - 1) / 2 : 0;
    layers.push({ kind: 'conv', name: `conv${i}`, kernelSize: k, inChannels: c, filters, stride: 1, padding: same ? 'same' : 'valid' });
    steps.push({ op: 'conv-pool', layer: i, h, w, cin: c, k, filters, pad });
    h = Math.floor((h + 2 * pad - k + 1) / 2);
    w = Math.floor((w + 2 * pad - k + 1) / 2);
    c = filters;
  });
  return { layers, steps, out: [h, w, c] };
}

function denseStack(first: number, inputs: number, widths: number[]): { layers: ParamLayer[]; steps: DenseStep[] } {
  const layers: ParamLayer[] = [];
  const steps: DenseStep[] = [];
  widths.forEach((units, j) => {
    const i = first + j;
    const from = j === 0 ? inputs : widths[j - 1];
    layers.push({ kind: 'dense', name: `dense${i}`, inputs: from, units });
    steps.push({ op: 'dense', layer: i, inputs: from, units });
  });
  return { layers, steps };
}

const PLANS: Record<string, (inputShape: [number, number, number], hidden: number[]) => Omit<ForwardPlan, 'arch' | 'inputShape'>> = {
  mlp(inputShape, hidden) {
    if (hidden.length === 0) throw new FsmtlError('mlp extractor needs at least one hidden layer');
    const d = denseStack(0, inputShape[0] * inputShape[1] * inputShape[2], hidden);
    return { ...d, featureDim: hidden[hidden.length - 1] };
  },
  lenet(inputShape) {
    const c = convBlocks(inputShape, 5, [6, 16], false);
    if (c.out[0] < 1 || c.out[1] < 1) throw new FsmtlError(`lenet extractor needs inputs of at least 16×16, got ${inputShape[0]}×${inputShape[1]}`);
    const d = denseStack(2, c.out[0] * c.out[1] * c.out[2], [120, 84]);
    return { layers: [...c.layers, ...d.layers], steps: [...c.steps, ...d.steps], featureDim: 84 };
  },
  cnn(inputShape) {
    const c = convBlocks(inputShape, 3, CNN_WIDTHS, true);
    if (c.out[0] < 1 || c.out[1] < 1) throw new FsmtlError(`cnn extractor needs inputs of at least 16×16, got ${inputShape[0]}×${inputShape[1]}`);
    const d = denseStack(CNN_WIDTHS.length, c.out[0] * c.out[1] * c.out[2], [CNN_FEATURES]);
    return { layers: [...c.layers, ...d.layers], steps: [...c.steps, ...d.steps], featureDim: CNN_FEATURES };
  },
};

/** The extractors the sparse path and the TensorFlow.js-free predictor run. */
export const PLANNED_ARCHS = Object.keys(PLANS);

export function hasPlan(arch: string): boolean {
  return Object.hasOwn(PLANS, arch);
}

/** The forward plan of an extractor, or an error saying that only the dense predictor runs it. */
export function forwardPlan(arch: string, inputShape: [number, number, number], hidden: number[]): ForwardPlan {
  if (!hasPlan(arch)) {
    throw new FsmtlError(
      `the sparse predictor does not run extractor '${arch}' (it runs ${PLANNED_ARCHS.join(', ')}); predict with the main, TensorFlow.js predictor (fsmtl predict, or Predictor from 'fsmtl')`,
    );
  }
  return { arch, inputShape, ...PLANS[arch](inputShape, hidden) };
}
