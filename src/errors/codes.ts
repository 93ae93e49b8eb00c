/**
 * The registry of error codes: every code digitflow prints is listed here once, with the exit code
 * it ends the command with and a one-line meaning. `PipelineError` and its subclasses only accept
 * codes of this registry (and each class only the codes of its own exit code), so the compiler
 * rejects an unregistered or misfiled code. The README table "Error codes" is generated from this
 * object (`node scripts/error-codes-table.mjs`) and a test keeps the two equal.
 *
 * Exit codes: 1 a bug in digitflow (InternalError), 2 bad input or flag (UserInputError),
 * 3 cloud or service failure (CloudError), 130 interrupted (InterruptedError), 143 terminated.
 * Reuse a code when it means the same thing; never add a synonym.
 */
export type ExitCode = 1 | 2 | 3 | 130 | 143;

export interface ErrorCodeEntry {
  readonly exit: ExitCode;
  readonly summary: string;
}

export const ERROR_CODES = {
  // --- AWS (SageMaker, IAM, quotas) ---
  AWS_ACCESS_DENIED: { exit: 3, summary: 'the AWS caller (or the --role) lacks a permission the request needs' },
  AWS_ERROR: { exit: 3, summary: 'an AWS call kept failing after retries (network, region or service health)' },
  AWS_NO_CREDENTIALS: { exit: 3, summary: 'no AWS credentials were found for a SageMaker call' },
  AWS_QUOTA: { exit: 3, summary: 'an AWS service quota (e.g. instances of a type) is exhausted' },
  AWS_VALIDATION: { exit: 2, summary: 'SageMaker rejected a request parameter (the message names the flag)' },
  NAME_IN_USE: { exit: 2, summary: 'a SageMaker resource name is already taken (names can never be reused)' },
  REGION_REQUIRED: { exit: 2, summary: 'no AWS region is configured (--region or AWS_REGION)' },
  REGION_UNSUPPORTED: { exit: 2, summary: 'Linear Learner has no known image in that region' },
  ROLE_ARN_INVALID: { exit: 2, summary: '--role is not an IAM role ARN' },
  INSTANCE_TYPE_INVALID: { exit: 2, summary: '--instance-type is not a SageMaker instance type' },
  FLAG_REQUIRED: { exit: 2, summary: '--engine sagemaker needs a flag that was not given' },
  MINI_BATCH_TOO_LARGE: { exit: 2, summary: '--mini-batch-size is larger than the training rows' },
  JOB_NAME_INVALID: { exit: 2, summary: 'the argument is not a SageMaker job name' },
  JOB_NOT_FOUND: { exit: 2, summary: 'no SageMaker job with that name in this region' },
  TRAINING_JOB_FAILED: { exit: 3, summary: 'the SageMaker training job failed (reason, logs and console link shown)' },
  TRAINING_JOB_STOPPED: { exit: 3, summary: 'the SageMaker training job was stopped' },
  TRANSFORM_JOB_FAILED: {
    exit: 3,
    summary: 'the SageMaker batch transform job failed (reason, logs and console link shown)',
  },
  TRANSFORM_JOB_STOPPED: { exit: 3, summary: 'the SageMaker batch transform job was stopped' },
  TUNING_JOB_FAILED: {
    exit: 3,
    summary: 'the SageMaker hyperparameter tuning job failed, or ended without a completed trial',
  },
  TUNING_JOB_STOPPED: {
    exit: 3,
    summary: 'the SageMaker hyperparameter tuning job was stopped before any trial completed',
  },
  NO_MODEL_ARTIFACT: { exit: 3, summary: 'a training job completed without a model artifact' },
  TRANSFORM_OUTPUT_MISSING: { exit: 3, summary: 'a batch transform wrote no output for an input shard' },
  TRANSFORM_OUTPUT_ROWS: { exit: 3, summary: 'a batch transform output has a different row count than its input' },
  LL_CSV_EMPTY: { exit: 2, summary: 'a Linear Learner CSV to upload is empty' },
  LL_CSV_INVALID: { exit: 2, summary: 'a Linear Learner CSV row is malformed (file:line given)' },
  TOO_FEW_TEST_ROWS: { exit: 2, summary: 'the test set has fewer rows than --instance-count' },
  VALIDATION_EMPTY: { exit: 2, summary: '--validation-fraction leaves no validation rows' },
  RUN_NOT_TRAINED: { exit: 2, summary: 'the run folder holds no trained SageMaker model' },
  TEST_REQUIRED: { exit: 2, summary: 'the run has no uploaded test set and --test was not given' },
  CONFIRMATION_REQUIRED: {
    exit: 2,
    summary: 'cleanup would delete resources but cannot ask (not a terminal; pass --yes)',
  },

  // --- S3 ---
  S3_ACCESS_DENIED: { exit: 3, summary: 'the identity lacks permission for the S3 operation' },
  S3_BAD_CREDENTIALS: { exit: 3, summary: 'S3 rejected the access key id or the signature' },
  S3_BUCKET_INVALID: { exit: 2, summary: 'not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)' },
  S3_CREDENTIALS_EXPIRED: { exit: 3, summary: 'the AWS session token or SSO login has expired' },
  S3_DELETE_FAILED: { exit: 3, summary: 'S3 refused to delete some objects' },
  S3_DOWNLOAD_CORRUPT: { exit: 3, summary: 'a downloaded object does not match the sha256 recorded at upload' },
  S3_DOWNLOAD_INCOMPLETE: { exit: 3, summary: 'a download ended before all bytes arrived' },
  S3_EMPTY_BODY: { exit: 3, summary: 'S3 returned no body for an object' },
  S3_ERROR: { exit: 3, summary: "any other S3 error, with S3's own code and message" },
  S3_NETWORK: { exit: 3, summary: 'the S3 endpoint could not be reached, after retries' },
  S3_NO_CREDENTIALS: { exit: 3, summary: 'no AWS credentials were found for an S3 call' },
  S3_NO_SUCH_BUCKET: { exit: 2, summary: 'the bucket does not exist at that endpoint' },
  S3_NO_SUCH_KEY: { exit: 2, summary: 'the S3 object does not exist' },
  S3_NOTHING_FOUND: { exit: 2, summary: 'nothing to download: no object and no objects under the prefix' },
  S3_REFUSE_BUCKET_ROOT: { exit: 2, summary: 'refusing to delete everything in a bucket' },
  S3_SERVICE: { exit: 3, summary: 'S3 answered with a server-side error (5xx, SlowDown) after retries' },
  S3_UNSAFE_KEY: { exit: 2, summary: 'refusing to download a key that would escape the target folder' },
  S3_UPLOAD_CORRUPT: { exit: 3, summary: 'an uploaded object was stored with the wrong size (it was deleted)' },
  S3_URI_INVALID: { exit: 2, summary: 'not an s3://bucket/key URI' },
  S3_WRONG_REGION: { exit: 2, summary: 'the bucket lives in another region (named when S3 tells it)' },
  SHARE_NO_BUCKET: { exit: 2, summary: 'share has nowhere to put the file (no run S3 prefix and no --bucket)' },
  EXPIRES_INVALID: { exit: 2, summary: '--expires is not a duration S3 allows for a presigned URL' },

  // --- Input files: CSV, zip, gzip, IDX ---
  CSV_HEADER: { exit: 2, summary: 'the CSV header is not the Kaggle layout' },
  CSV_WIDTH: { exit: 2, summary: 'a CSV row has a different number of columns than the header' },
  CSV_VALUE: { exit: 2, summary: 'a pixel is not a whole number 0-255' },
  CSV_LABEL: { exit: 2, summary: 'a label is not a class number 0..N-1' },
  CSV_EMPTY_LINE: { exit: 2, summary: 'a blank line before the end of the CSV' },
  CSV_NO_ROWS: { exit: 2, summary: 'the CSV has no data rows' },
  CSV_SYNTAX: { exit: 2, summary: 'the file is not valid CSV at that line' },
  FILE_NOT_FOUND: { exit: 2, summary: 'an input file does not exist or is not readable' },
  GZIP_INVALID: { exit: 2, summary: 'the file is not valid gzip' },
  ZIP_INVALID: { exit: 2, summary: 'the file is not a readable zip archive' },
  ZIP_MEMBER_MISSING: { exit: 2, summary: 'the zip archive has no member of that name' },
  ZIP_MEMBER_REQUIRED: { exit: 2, summary: 'a zip archive with several files: say which member to read' },
  IDX_DIR_NOT_FOUND: { exit: 2, summary: 'the IDX folder is not a readable folder' },
  IDX_INVALID: { exit: 2, summary: 'the IDX files are malformed or disagree' },
  IDX_MISSING: { exit: 2, summary: 'the IDX folder lacks one of the four MNIST files' },
  KAGGLE_SOURCE: { exit: 2, summary: 'the Kaggle source is neither a zip archive nor a folder' },
  SOURCE_PATH_REQUIRED: { exit: 2, summary: '--source idx needs a folder' },
  SOURCE_PATH_UNUSED: { exit: 2, summary: '--source bundled reads no path, but one was given' },
  SOURCE_UNRECOGNISED: { exit: 2, summary: 'the path is neither a Kaggle download nor an IDX folder' },
  BAD_TEST_SIZE: { exit: 2, summary: '--test-size is out of range for the data' },

  // --- Datasets, training, models ---
  TRAIN_NO_LABELS: { exit: 2, summary: 'the training data has no label column' },
  TRAIN_TOO_SMALL: { exit: 2, summary: 'no training rows are left after the validation split' },
  LABEL_INVALID: { exit: 2, summary: 'a label is not a class 0..N-1' },
  NUM_CLASSES: { exit: 2, summary: 'the class count is not a positive whole number' },
  VALIDATION_FRACTION: { exit: 2, summary: '--validation-fraction is not in [0, 1)' },
  SPLIT_MISMATCH: { exit: 2, summary: 'the run already holds out a different validation split' },
  SHARDS_INVALID: { exit: 2, summary: '--shards is not a whole number >= 1' },
  MODEL_UNKNOWN: { exit: 2, summary: 'unknown local model kind (use linear or cnn)' },
  MODEL_NOT_FOUND: { exit: 2, summary: 'the model folder lacks a model file' },
  MODEL_INVALID: { exit: 2, summary: 'the model folder holds a model of another shape' },
  BACKEND_UNAVAILABLE: { exit: 2, summary: 'the requested TensorFlow.js backend is not available' },

  // --- Runs and manifests ---
  RUN_NOT_FOUND: { exit: 2, summary: 'the folder is not a digitflow run (no manifest.json)' },
  RUN_INPUTS: { exit: 2, summary: 'run needs both --train and --test, or neither' },
  RUN_ID_INVALID: { exit: 2, summary: 'the run id cannot be used in an S3 key' },
  RUN_ID_MISMATCH: { exit: 2, summary: '--run-id differs from the run id of the run folder' },
  MANIFEST_INVALID: { exit: 2, summary: 'manifest.json is not valid JSON' },
  MANIFEST_VERSION: { exit: 2, summary: 'manifest.json has a version this digitflow cannot read' },
  UPLOAD_NOTHING: { exit: 2, summary: 'upload was given neither --train nor --test' },
  OUTPUT_EXISTS: { exit: 2, summary: 'the output already exists (pass --force or another --out)' },

  // --- Probabilities, submissions, evaluation ---
  PROB_CLASS_COUNT: { exit: 2, summary: 'a probability row has the wrong number of class scores' },
  PROB_CSV: { exit: 2, summary: 'a probability CSV line is not valid CSV' },
  PROB_EMPTY: { exit: 2, summary: 'the probability file is empty' },
  PROB_FIELD_COUNT: { exit: 2, summary: 'a probability CSV row has a different number of fields than the header' },
  PROB_FORMAT_UNKNOWN: { exit: 2, summary: 'unknown probability file format (pass --format)' },
  PROB_HEADER: { exit: 2, summary: 'the probability CSV header is not recognised' },
  PROB_ID: { exit: 2, summary: 'a probability row id is not a positive whole number' },
  PROB_JSON: { exit: 2, summary: 'a JSON Lines probability row is not valid JSON' },
  PROB_JSON_SHAPE: { exit: 2, summary: 'a JSON probability row is not an object with a "score" array' },
  PROB_NEGATIVE: { exit: 2, summary: 'a class score is negative' },
  PROB_NOT_A_NUMBER: { exit: 2, summary: 'a class score is not a finite number' },
  PROB_ZIP: { exit: 2, summary: 'argmax reads plain or gzip probability files, not zip archives' },
  SUBMISSION_INVALID: { exit: 2, summary: 'the submission file has problems (each listed with its line)' },
  LABELS_INVALID: { exit: 2, summary: 'the labels file is not an ImageId,Label CSV' },
  TEST_UNREADABLE: { exit: 2, summary: 'the test file given to check a submission cannot be read' },
  IDS_MISMATCH: { exit: 2, summary: 'an ImageId of one file is missing from the other' },
  METRICS_INVALID: { exit: 2, summary: 'a metrics file is not readable' },
  NO_RUNS: { exit: 2, summary: 'compare was given no run folder' },
  SHOW_NOTHING: { exit: 2, summary: 'the selection matches no rows of the file' },
  SHOW_NO_LABELS: { exit: 2, summary: '--label cannot pick digits from a test file (no label column)' },
  SHOW_TOO_MANY: { exit: 2, summary: 'show draws at most a fixed number of digits at a time' },

  // --- Kaggle ---
  KAGGLE_CLI_FAILED: { exit: 3, summary: 'the kaggle CLI could not be run' },
  KAGGLE_CLI_NOT_FOUND: { exit: 3, summary: 'no kaggle CLI on PATH, so nothing was sent' },
  KAGGLE_NO_CREDENTIALS: { exit: 3, summary: 'no Kaggle credentials, so nothing was sent' },
  KAGGLE_SCORING_FAILED: { exit: 3, summary: 'Kaggle could not score a submission' },
  KAGGLE_SUBMIT_FAILED: { exit: 3, summary: 'kaggle competitions submit exited non-zero' },
  KAGGLE_WAIT_TIMEOUT: { exit: 3, summary: 'the Kaggle score did not arrive in time (the submission stays pending)' },

  // --- Files and limits (reliability) ---
  NOT_A_FILE: {
    exit: 2,
    summary: 'an input or output is a folder, device, FIFO, socket or link where a regular file is needed',
  },
  OUTPUT_PATH_INVALID: {
    exit: 2,
    summary: 'an output path cannot be created (a parent is a file, or the path is not writable)',
  },
  LOCKED: { exit: 2, summary: 'another digitflow command is writing the same data folder' },
  CSV_LINE_TOO_LONG: { exit: 2, summary: 'a CSV line is longer than --max-line-bytes' },
  CSV_NOT_TEXT: { exit: 2, summary: 'the input is binary or UTF-16, not a text CSV' },
  ZIP_TOO_LARGE: { exit: 2, summary: 'a zip member expands past --max-zip-bytes or --max-zip-ratio' },
  MODEL_TOO_LARGE: { exit: 2, summary: "a model folder's weights exceed --max-model-bytes" },
  S3_KEY_CONFLICT: {
    exit: 2,
    summary: 'two S3 keys would need the same local path as a file and a folder (x and x/y)',
  },

  // --- Data sources and runs ---
  MNIST_CHECKSUM: { exit: 2, summary: 'an MNIST file does not match the pinned sha256 of the original' },
  MNIST_DOWNLOAD_FAILED: { exit: 3, summary: 'no mirror delivered the MNIST files (each mirror and why is named)' },
  SPLIT_UNSUPPORTED: { exit: 2, summary: '--split is not available for that --source' },
  PIXELS_INVALID: { exit: 2, summary: 'pixels given to a loaded model are not rows of 784 values 0-255' },
  RUN_NOT_PREDICTED: { exit: 2, summary: 'a run given to blend has no probabilities yet' },
  TEST_FILE_MISMATCH: { exit: 2, summary: 'runs given together predicted different test files or ImageIds' },
  VALIDATION_MISSING: { exit: 2, summary: 'a run lacks the held-out validation probabilities blend needs' },
  WEIGHTS_INVALID: { exit: 2, summary: '--weights does not give one non-negative weight per run' },
  BLEND_METHOD: { exit: 2, summary: '--method is not mean or geometric' },
  SORT_UNKNOWN: { exit: 2, summary: '--sort names no known column' },
  RUNS_DIR_NOT_FOUND: { exit: 2, summary: 'the --dir given to runs does not exist' },
  FLAG_CONFLICT: { exit: 2, summary: 'two flags contradict each other (e.g. --full with --validation-fraction)' },
  TRIALS_INVALID: { exit: 2, summary: '--trials, --parallel or the search settings are out of range' },

  // --- Managed-engine plan ---
  FLAG_NOT_APPLICABLE: {
    exit: 2,
    summary: 'a flag has no meaning for the chosen engine or model (named in the message)',
  },
  HYPERPARAMETER_INVALID: {
    exit: 2,
    summary: 'a --hp name or value is not a documented Linear Learner hyperparameter/range',
  },
  TOO_FEW_TRAIN_ROWS: { exit: 2, summary: 'too few training rows for the instance count (each host needs rows)' },
  MAX_WAIT_TOO_SHORT: { exit: 2, summary: '--max-wait is shorter than --max-runtime' },
  THREAD_EXIT: { exit: 1, summary: 'a worker thread ended without an answer' },

  // --- Whole program ---
  USAGE: { exit: 2, summary: 'wrong command-line usage (unknown flag, missing argument, conflicting options)' },
  INTERRUPTED: { exit: 130, summary: 'interrupted (Ctrl-C); the message says what was kept and how to resume' },
  BUG: { exit: 1, summary: 'an unexpected error: a bug in digitflow (the stack is printed)' },
  BUNDLED_DATA: { exit: 1, summary: 'the bundled digits file is corrupt (a packaging bug)' },
  CONV_GRAD_UNSUPPORTED: {
    exit: 1,
    summary: 'a convolution gradient was asked for a shape the kernel does not support',
  },
  KERNEL_MISSING: { exit: 1, summary: 'the TensorFlow.js backend lacks a kernel digitflow registers' },
  METRICS_LENGTH: { exit: 1, summary: 'truth and predictions differ in length' },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes whose registry entry has exit code `E` (what each error class accepts). */
export type ErrorCodeWithExit<E extends ExitCode> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['exit'] extends E ? K : never;
}[ErrorCode];

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, x);
}

/** `x` as a registered code of exit code `exit` (e.g. a code that crossed a worker boundary as a string). */
export function errorCodeWithExit<E extends ExitCode>(x: unknown, exit: E): ErrorCodeWithExit<E> | undefined {
  return isErrorCode(x) && ERROR_CODES[x].exit === exit ? (x as ErrorCodeWithExit<E>) : undefined;
}
