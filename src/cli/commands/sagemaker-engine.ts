/**
 * The `--engine sagemaker` half of `train`, `predict` and `run`. (Placeholder until the managed
 * engine lands: the shapes are fixed so the local commands can dispatch here.)
 */
import type { Command } from 'commander';
import { UserInputError } from '../../errors/index.js';

/** Adds the SageMaker-only flags (--bucket, --role, --region, --instance-type, ...) to `train`/`run`. */
export function addSageMakerTrainOptions(command: Command): Command {
  return command;
}

/** Adds the SageMaker-only flags to `predict`. */
export function addSageMakerPredictOptions(command: Command): Command {
  return command;
}

const notYet = () =>
  new UserInputError('ENGINE_UNAVAILABLE', 'the sagemaker engine is not available in this build', {
    hint: 'use --engine local',
  });

/** `train --engine sagemaker`. `opts` are the parsed options of the command. */
export async function trainWithSageMaker(opts: Record<string, unknown>, cmd: Command): Promise<void> {
  void opts;
  void cmd;
  throw notYet();
}

/** `predict --engine sagemaker`. */
export async function predictWithSageMaker(opts: Record<string, unknown>, cmd: Command): Promise<void> {
  void opts;
  void cmd;
  throw notYet();
}

/** `run --engine sagemaker`. */
export async function runWithSageMaker(opts: Record<string, unknown>, cmd: Command): Promise<void> {
  void opts;
  void cmd;
  throw notYet();
}
