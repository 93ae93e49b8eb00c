/** Turns an SDK exception into a CloudError (or UserInputError) that says what failed and what to do. */
import { CloudError, UserInputError, isPipelineError, type PipelineError } from '../../errors/index.js';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** `what` names the call, e.g. "CreateTrainingJob digitflow-train-<id>". */
export function describeAwsError(e: unknown, what: string): PipelineError {
  if (isPipelineError(e)) return e;
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode;
  const details = { call: what, awsError: name, httpStatus: status, requestId: err.$metadata?.requestId };
  const msg = `${what}: ${name}${err.message ? `: ${err.message}` : ''}`;
  if (name === 'CredentialsProviderError' || (/credential/i.test(err.message ?? '') && !status)) {
    return new CloudError('AWS_NO_CREDENTIALS', msg, {
      hint: 'configure credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)',
      details,
      cause: e,
    });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || status === 403) {
    return new CloudError('AWS_ACCESS_DENIED', msg, {
      hint: 'the caller (or the --role) lacks a permission named above',
      details,
      cause: e,
    });
  }
  if (name === 'ResourceLimitExceeded') {
    return new CloudError('AWS_QUOTA', msg, {
      hint: 'request a quota increase for this instance type, or pick another with --instance-type',
      details,
      cause: e,
    });
  }
  if (name === 'ResourceInUse') {
    return new UserInputError('NAME_IN_USE', msg, {
      hint: 'SageMaker names can never be reused: start a new run (another --out)',
      details,
      cause: e,
    });
  }
  if (name === 'ValidationException') {
    return new UserInputError('AWS_VALIDATION', msg, {
      hint: 'SageMaker rejected the request: check the flag named in the message',
      details,
      cause: e,
    });
  }
  return new CloudError('AWS_ERROR', msg, {
    hint: 'retried with backoff and still failing: check the network, region and service health',
    details,
    cause: e,
  });
}
