// Deterministic weight initialisation from the run's seed (He-uniform kernels, zero biases).
import { Rng } from '../util/rng.js';
import type { ParamSpec } from './layers.js';

export function initParams(specs: ParamSpec[], rng: Rng): Float32Array[] {
  return specs.map((s) => {
    const data = new Float32Array(s.size);
    if (s.role === 'kernel') {
      const fanIn = s.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const limit = Math.sqrt(6 / fanIn);
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * limit;
    }
    return data;
  });
}

/** Glorot-uniform kernel for a linear task head. */
export function initHead(inputs: number, classes: number, rng: Rng): { kernel: Float32Array; bias: Float32Array } {
  const limit = Math.sqrt(6 / (inputs + classes));
  const kernel = new Float32Array(inputs * classes);
  for (let i = 0; i < kernel.length; i++) kernel[i] = (2 * rng.next() - 1) * limit;
  return { kernel, bias: new Float32Array(classes) };
}
