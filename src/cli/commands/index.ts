/** Registers every command. Keep the order: it is the order `--help` lists them in. */
import type { Command } from 'commander';
import { registerRun } from './run.js';
import { registerPrepare } from './prepare.js';
import { registerInspect } from './inspect.js';
import { registerShow } from './show.js';
import { registerUpload } from './upload.js';
import { registerDownload } from './download.js';
import { registerTrain } from './train.js';
import { registerPredict } from './predict.js';
import { registerArgmax } from './argmax.js';
import { registerEvaluate } from './evaluate.js';
import { registerValidateSubmission } from './validate-submission.js';
import { registerSubmit } from './submit.js';
import { registerSubmissions } from './submissions.js';
import { registerCompare } from './compare.js';
import { registerReport } from './report.js';
import { registerCleanup } from './cleanup.js';
import { registerAttach } from './attach.js';
import { registerShare } from './share.js';
import { registerBlend } from './blend.js';
import { registerRuns } from './runs.js';
import { registerTune } from './tune.js';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerPrepare(program);
  registerInspect(program);
  registerShow(program);
  registerUpload(program);
  registerDownload(program);
  registerTrain(program);
  registerPredict(program);
  registerArgmax(program);
  registerEvaluate(program);
  registerValidateSubmission(program);
  registerSubmit(program);
  registerSubmissions(program);
  registerCompare(program);
  registerReport(program);
  registerCleanup(program);
  registerAttach(program);
  registerShare(program);
  registerBlend(program);
  registerRuns(program);
  registerTune(program);
}
