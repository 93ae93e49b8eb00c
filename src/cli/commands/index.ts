/** Registers every command. Keep the order: it is the order `--help` lists them in. */
import type { Command } from 'commander';
import { registerPrepare } from './prepare.js';
import { registerInspect } from './inspect.js';
import { registerUpload } from './upload.js';
import { registerDownload } from './download.js';
import { registerArgmax } from './argmax.js';
import { registerValidateSubmission } from './validate-submission.js';
import { registerSubmit } from './submit.js';
import { registerEvaluate } from './evaluate.js';
import { registerCleanup } from './cleanup.js';
import { registerAttach } from './attach.js';
import { registerTrain } from './train.js';
import { registerPredict } from './predict.js';
import { registerCompare } from './compare.js';
import { registerReport } from './report.js';

export function registerCommands(program: Command): void {
  void program;
  registerPrepare(program);
  registerInspect(program);
  registerUpload(program);
  registerDownload(program);
  registerArgmax(program);
  registerValidateSubmission(program);
  registerSubmit(program);
  registerEvaluate(program);
  registerCleanup(program);
  registerAttach(program);
  registerTrain(program);
  registerPredict(program);
  registerCompare(program);
  registerReport(program);
}
