/**
 * Picks the TensorFlow.js backend at run time: tfjs-node (native) if it loads, else wasm (SIMD,
 * single-threaded in Node), else the pure-JS cpu backend. `--backend` forces one.
 *
 * tfjs-node is an optionalDependency whose install downloads libtensorflow; offline that fails and
 * npm removes it (MODULE_NOT_FOUND), but with --ignore-scripts it stays installed without its
 * native binding and `import` throws a plain Error with no code. So ANY load failure falls back,
 * and the reason is kept so the user is told why the faster backend was not used.
 */
import { UserInputError } from '../../../errors/index.js';
import { registerConvGradKernels } from './wasm-conv-grad-kernels.js';
import { registerWasmMatMulKernel } from './wasm-matmul-kernel.js';
import { registerWasmPoolSumKernels } from './wasm-pool-sum-kernels.js';
import { requirePackage, tfCore as tf } from './tfjs-modules.js';

export type BackendName = 'node' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

/** The tfjs engine (tfjs-core) every tfjs adapter shares: one engine per process. */
export { tf };

export interface BackendChoice {
  backend: BackendName;
  /** Why each faster backend was not used (empty when the first choice loaded). */
  skipped: { backend: BackendName; reason: string }[];
  /** One line for the user: "wasm (tfjs-node not used: ...)". */
  summary: string;
}

/** How each backend package is loaded; injectable so tests can simulate absent or broken packages. */
export interface BackendLoaders {
  node: () => Promise<unknown>;
  wasm: () => Promise<unknown>;
  /** Default: the tfjs-backend-cpu package. */
  cpu?: () => Promise<unknown>;
}

// Required, not imported: see tfjs-modules.ts. tfjs-node is optional, so it has no types here.
export const defaultLoaders: BackendLoaders = {
  node: async () => requirePackage('@tensorflow/tfjs-node'),
  wasm: async () => requirePackage('@tensorflow/tfjs-backend-wasm'),
  cpu: async () => requirePackage('@tensorflow/tfjs-backend-cpu'),
};

/** The tfjs backend registry name for each of our names. */
const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const first = String(err?.message ?? e)
    .split('\n')[0]
    .trim();
  if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') return 'not installed';
  return `failed to load: ${first}`;
}

async function tryBackend(name: BackendName, loaders: BackendLoaders): Promise<string | undefined> {
  try {
    if (name === 'node') await loaders.node();
    if (name === 'wasm') await loaders.wasm();
    if (name === 'cpu') await (loaders.cpu ?? defaultLoaders.cpu)?.();
    if (!tf.findBackendFactory(TF_NAME[name])) return `the package loaded but registered no '${TF_NAME[name]}' backend`;
    const ok = await tf.setBackend(TF_NAME[name]);
    if (!ok) return `the '${TF_NAME[name]}' backend failed to initialise`;
    await tf.ready();
    // The cpu backend prints a "install tfjs-node" banner on first use; we already said why.
    if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return undefined;
  } catch (e) {
    return describe(e);
  }
}

let current: BackendChoice | undefined;
let currentKey: string | undefined;

/**
 * Loads and activates a backend. `auto` tries node → wasm → cpu; a forced backend that cannot
 * load is a BACKEND_UNAVAILABLE error saying why. Idempotent per request within a process.
 */
export async function selectBackend(
  request: BackendRequest = 'auto',
  loaders: BackendLoaders = defaultLoaders,
): Promise<BackendChoice> {
  const key = request;
  if (current && currentKey === key && loaders === defaultLoaders && tf.getBackend() === TF_NAME[current.backend]) {
    return current;
  }
  const order: BackendName[] = request === 'auto' ? ['node', 'wasm', 'cpu'] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    const reason = await tryBackend(name, loaders);
    if (reason === undefined) {
      // Both the missing wasm filter-gradient and cpu's pathologically slow one get the shim.
      if (name === 'wasm' || name === 'cpu') registerConvGradKernels(TF_NAME[name]);
      if (name === 'wasm') {
        registerWasmMatMulKernel();
        registerWasmPoolSumKernels();
      }
      const pkg = name === 'node' ? 'tfjs-node' : name;
      const why = skipped.map((s) => `${s.backend === 'node' ? 'tfjs-node' : s.backend} ${s.reason}`).join('; ');
      const choice: BackendChoice = { backend: name, skipped, summary: why ? `${pkg} (${why})` : pkg };
      if (loaders === defaultLoaders) {
        current = choice;
        currentKey = key;
      }
      return choice;
    }
    skipped.push({ backend: name, reason });
  }
  const forced = request !== 'auto';
  throw new UserInputError(
    'BACKEND_UNAVAILABLE',
    forced
      ? `tfjs backend '${request}' is not available: ${skipped[0]?.reason}`
      : `no tfjs backend could be loaded: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
    {
      hint:
        request === 'node'
          ? 'install @tensorflow/tfjs-node (needs network access to download libtensorflow), or use --backend auto'
          : 'use --backend auto, or reinstall the dependencies with npm ci',
      details: { request, skipped },
    },
  );
}
