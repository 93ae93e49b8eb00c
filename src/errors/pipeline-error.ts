/**
 * The one error tree of digitflow. Every error a user can cause or meet carries a stable `code`,
 * an exit code, a message that says what was wrong and where, and a hint that says what to do.
 * Exit codes: 0 ok; 1 bug; 2 user input; 3 cloud/service; 130 interrupted.
 * Codes come from the registry in ./codes.ts; each class accepts only the codes of its exit code.
 */
import type { ErrorCode, ErrorCodeWithExit } from './codes.js';

export type Fault = 'user' | 'cloud' | 'internal' | 'interrupted';

export interface PipelineErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra structured facts (file, line, job name, S3 URI...) rendered in --json output. */
  details?: Record<string, unknown>;
}

export abstract class PipelineError extends Error {
  abstract readonly fault: Fault;
  abstract readonly exitCode: number;
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** Bad input from the user: a malformed file, a wrong flag, a file that would be overwritten. */
export class UserInputError extends PipelineError {
  override readonly name = 'UserInputError' as const;
  readonly fault = 'user' as const;
  readonly exitCode = 2;
  constructor(code: ErrorCodeWithExit<2>, message: string, options: PipelineErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A cloud or service failure: S3, SageMaker, CloudWatch, credentials, network. */
export class CloudError extends PipelineError {
  override readonly name = 'CloudError' as const;
  readonly fault = 'cloud' as const;
  readonly exitCode = 3;
  constructor(code: ErrorCodeWithExit<3>, message: string, options: PipelineErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The user interrupted the run (Ctrl-C). */
export class InterruptedError extends PipelineError {
  override readonly name = 'InterruptedError' as const;
  readonly fault = 'interrupted' as const;
  readonly exitCode = 130;
  constructor(message = 'interrupted', options: PipelineErrorOptions = {}) {
    super('INTERRUPTED', message, options);
  }
}

/** A broken invariant inside digitflow: a bug, never the user's fault. */
export class InternalError extends PipelineError {
  override readonly name = 'InternalError' as const;
  readonly fault = 'internal' as const;
  readonly exitCode = 1;
  constructor(code: ErrorCodeWithExit<1>, message: string, options: PipelineErrorOptions = {}) {
    super(code, message, options);
  }
}

const NAMES = new Set(['UserInputError', 'CloudError', 'InterruptedError', 'InternalError']);

/** True for any error of the tree, also across module copies (checks `name` as well as instanceof). */
export function isPipelineError(e: unknown): e is PipelineError {
  if (e instanceof PipelineError) return true;
  return (
    typeof e === 'object' &&
    e !== null &&
    NAMES.has((e as { name?: string }).name ?? '') &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}
