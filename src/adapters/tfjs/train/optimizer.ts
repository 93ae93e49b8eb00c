/**
 * The optimiser of local training: one interface over flat weights (like tfjs-core's
 * `applyGradients`, but on Float32Arrays the steppers own) and one Adam. The gradient arrives as
 * weighted parts (the data-parallel stepper's per-thread slices), summed in part order inside
 * the update pass, so averaging and the update cost one pass over the weights.
 * Same maths as `tf.train.adam` (beta1 0.9, beta2 0.999, epsilon 1e-7; differential test in
 * test/unit/adapters/tfjs/optimizer.test.ts).
 */

/** One term of a step's gradient: the gradient is the sum of `weight * grad` over the parts. */
export interface GradientPart {
  grad: Float32Array;
  weight: number;
}

export interface Optimizer {
  /** Moves `params` (in place) one step against the gradient at learning rate `lr`. */
  applyGradients(params: Float32Array, parts: readonly GradientPart[], lr: number): void;
}

export interface AdamConfig {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam over `size` weights (its moment estimates are sized once). */
export function adam(size: number, config: AdamConfig = {}): Optimizer {
  const b1 = config.beta1 ?? 0.9;
  const b2 = config.beta2 ?? 0.999;
  const eps = config.epsilon ?? 1e-7;
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  let t = 0;
  return {
    applyGradients(params, parts, lr) {
      if (params.length !== size) throw new Error(`Adam holds ${size} weights, got ${params.length}`);
      if (parts.length === 0) return;
      t++;
      const c1 = 1 - Math.pow(b1, t);
      const c2 = 1 - Math.pow(b2, t);
      const g0 = parts[0].grad;
      const w0 = parts[0].weight;
      const g1 = parts[1]?.grad ?? g0;
      const w1 = parts[1]?.weight ?? 0;
      const rest = parts.slice(2);
      for (let k = 0; k < size; k++) {
        let g = w0 * g0[k] + w1 * g1[k];
        for (let i = 0; i < rest.length; i++) g += rest[i].weight * rest[i].grad[k];
        const mk = (m[k] = b1 * m[k] + (1 - b1) * g);
        const vk = (v[k] = b2 * v[k] + (1 - b2) * g * g);
        params[k] -= (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
      }
    },
  };
}
