/** Registers every command. Keep the order: it is the order `--help` lists them in. */
import type { Command } from 'commander';
import { registerArgmax } from './argmax.js';
import { registerValidateSubmission } from './validate-submission.js';
import { registerSubmit } from './submit.js';
import { registerEvaluate } from './evaluate.js';

export function registerCommands(program: Command): void {
  void program;
  registerArgmax(program);
  registerValidateSubmission(program);
  registerSubmit(program);
  registerEvaluate(program);
}
