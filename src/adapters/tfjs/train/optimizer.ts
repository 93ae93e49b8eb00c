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

/** Adam's moment estimates; in SharedArrayBuffers when other threads update ranges of the weights. */
export interface AdamMoments {
  m: Float32Array;
  v: Float32Array;
}

/** Adam, with what a thread needs to update a range of the weights itself (`adamRange`). */
export interface Adam extends Optimizer {
  readonly moments: AdamMoments;
  readonly config: Required<AdamConfig>;
  /** Starts the next step and returns its number, for `adamRange` calls that together make the step. */
  begin(): number;
}

/** One range [lo, hi) of Adam step `t`: the same arithmetic as `applyGradients`, element by element. */
export interface AdamRange {
  params: Float32Array;
  parts: readonly GradientPart[];
  lr: number;
  t: number;
  moments: AdamMoments;
  config: Required<AdamConfig>;
  lo: number;
  hi: number;
}

/**
 * Updates weights lo..hi-1. Every element depends only on its own weight, moments and gradient
 * terms, so ranges updated by different threads give exactly the weights of one whole pass.
 */
export function adamRange(r: AdamRange): void {
  const { params, parts, lr, t, lo, hi } = r;
  const { m, v } = r.moments;
  const { beta1: b1, beta2: b2, epsilon: eps } = r.config;
  if (parts.length === 0) return;
  const c1 = 1 - Math.pow(b1, t);
  const c2 = 1 - Math.pow(b2, t);
  const g0 = parts[0].grad;
  const w0 = parts[0].weight;
  const g1 = parts[1]?.grad ?? g0;
  const w1 = parts[1]?.weight ?? 0;
  const rest = parts.slice(2);
  for (let k = lo; k < hi; k++) {
    let g = w0 * g0[k] + w1 * g1[k];
    for (let i = 0; i < rest.length; i++) g += rest[i].weight * rest[i].grad[k];
    const mk = (m[k] = b1 * m[k] + (1 - b1) * g);
    const vk = (v[k] = b2 * v[k] + (1 - b2) * g * g);
    params[k] -= (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
  }
}

/** Adam over `size` weights (its moment estimates are sized once; pass shared ones to split steps). */
export function adam(size: number, config: AdamConfig = {}, moments?: AdamMoments): Adam {
  const cfg: Required<AdamConfig> = {
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-7,
  };
  const mv = moments ?? { m: new Float32Array(size), v: new Float32Array(size) };
  if (mv.m.length !== size || mv.v.length !== size)
    throw new Error(`Adam moments hold ${mv.m.length} weights, expected ${size}`);
  let t = 0;
  return {
    moments: mv,
    config: cfg,
    begin: () => ++t,
    applyGradients(params, parts, lr) {
      if (params.length !== size) throw new Error(`Adam holds ${size} weights, got ${params.length}`);
      if (parts.length === 0) return;
      t++;
      adamRange({ params, parts, lr, t, moments: mv, config: cfg, lo: 0, hi: size });
    },
  };
}
