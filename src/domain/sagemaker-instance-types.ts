/**
 * Which ml.* instance types a Linear Learner job may use, per job kind. The service's own lists
 * are the SDK enums (`TrainingInstanceType`, `TransformInstanceType`: e.g. ml.t3.* trains but
 * cannot transform); Linear Learner documents CPU instances plus the P2, P3, G4dn and G5 GPU
 * families, so other accelerators (p4d, p5, g6, inf, trn...) are refused too. Checked before
 * anything is uploaded, so a transform type the service refuses never fails after training was billed.
 */
import { createRequire } from 'node:module';
import type * as SageMakerSdk from '@aws-sdk/client-sagemaker';
import { UserInputError } from '../errors/index.js';

export type JobKindForInstance = 'training' | 'transform';

let serviceTypes: Record<JobKindForInstance, ReadonlySet<string>> | undefined;

/**
 * The SDK's enums, loaded on first use: importing the SageMaker client costs every command's
 * start-up ~0.2 s (0.6 s of CPU on a loaded machine) that only the managed engine needs.
 */
function SERVICE_TYPES(): Record<JobKindForInstance, ReadonlySet<string>> {
  if (!serviceTypes) {
    const sdk = createRequire(import.meta.url)('@aws-sdk/client-sagemaker') as typeof SageMakerSdk;
    serviceTypes = {
      training: new Set(Object.values(sdk.TrainingInstanceType)),
      transform: new Set(Object.values(sdk.TransformInstanceType)),
    };
  }
  return serviceTypes;
}

/** GPU families Linear Learner documents. */
const LL_GPU_FAMILIES = /^(p2|p3|g4dn|g5)$/;
/** Accelerated families (GPU, Inferentia, Trainium, Gaudi): only the documented GPU ones are allowed. */
const ACCELERATED = /^(p|g|inf|trn|dl)\d/;

/** The family of `ml.<family>.<size>`, e.g. `m5`, `g4dn`. */
export function instanceFamily(type: string): string | undefined {
  return /^ml\.([a-z0-9-]+)\.[a-z0-9-]+$/.exec(type)?.[1];
}

/** Why `type` cannot run a Linear Learner job of `kind`, or undefined when it can. */
export function instanceTypeProblem(type: string, kind: JobKindForInstance): string | undefined {
  const family = instanceFamily(type);
  if (!family) return 'is not a SageMaker instance type (they look like ml.m5.large)';
  if (!SERVICE_TYPES()[kind].has(type)) return `is not a SageMaker ${kind} instance type`;
  if (ACCELERATED.test(family) && !LL_GPU_FAMILIES.test(family)) {
    return `is not supported by Linear Learner (CPU instances or the P2, P3, G4dn and G5 GPU families)`;
  }
  return undefined;
}

/** Throws INSTANCE_TYPE_INVALID naming the flag unless `type` can run a Linear Learner `kind` job. */
export function assertInstanceType(type: string, kind: JobKindForInstance, flag: string): void {
  const problem = instanceTypeProblem(type, kind);
  if (!problem) return;
  const alternatives =
    kind === 'training'
      ? 'ml.m5.large, ml.m5.xlarge, ml.c5.xlarge or ml.p3.2xlarge'
      : 'ml.m5.large, ml.m5.xlarge or ml.c5.xlarge';
  throw new UserInputError('INSTANCE_TYPE_INVALID', `${flag} '${type}' ${problem}`, {
    hint:
      `pick a ${kind} type such as ${alternatives}` +
      (kind === 'transform' ? ' (set it with --transform-instance-type)' : ''),
    details: { instanceType: type, jobKind: kind },
  });
}
