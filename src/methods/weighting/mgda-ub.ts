// MGDA-UB (Sener & Koltun, NeurIPS 2018, Section 3.3): MGDA's min-norm weights computed on the
// gradients with respect to the shared representation Z instead of the shared parameters. Since
// ∇θ L_t = (∂Z/∂θ)ᵀ ∇Z L_t, the min-norm problem on ∇Z L_t bounds the one on parameters from above
// and costs one small backward pass per task, not a Gram matrix over every shared parameter.
import { FsmtlError } from '../../util/errors.js';
import { checkGrads, gram } from './linalg.js';
import { minNormCombination } from './mgda.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

/**
 * α = argmin_{α ∈ simplex} ||Σ α_t ∇Z L_t||²; grad = Σ α_t g_t on the shared parameters (headScale 1).
 * With heterogeneous tasks each task's Z comes from its own batch; the vectors have the same shape
 * (equal batch sizes) and the bound is then a heuristic, as in other implementations.
 */
export const mgdaUbWeighting: WeightingFactory = () => {
  const m: GradientWeighting<null> = {
    name: 'mgda-ub',
    summary: 'MGDA-UB: min-norm weights from gradients w.r.t. the shared representation (Sener & Koltun, NeurIPS 2018).',
    needsRepresentationGrads: true,
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const rep = ctx.representationGrads;
      if (!rep || rep.length !== grads.length) {
        throw new FsmtlError('mgda-ub needs each task\'s gradient with respect to the shared representation (ctx.representationGrads)');
      }
      if (rep.some((g) => g.length !== rep[0].length)) {
        throw new FsmtlError(
          `mgda-ub compares the tasks' representation gradients, which differ in size (${rep.map((g) => g.length).join(' vs ')}): ` +
            'the tasks\' batches differ in size; give every task at least batchSize training examples',
        );
      }
      return minNormCombination(grads, gram(rep), state);
    },
  };
  return m as GradientWeighting;
};
