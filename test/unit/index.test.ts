import { describe, expect, it } from 'vitest';
import * as digitflow from '../../src/index.js';

describe('the library API', () => {
  it('keeps the names stages had before they were all called <verb>Stage', () => {
    expect(digitflow.prepare).toBe(digitflow.prepareStage);
    expect(digitflow.inspect).toBe(digitflow.inspectStage);
    expect(digitflow.trainLocal).toBe(digitflow.localTrainStage);
    expect(digitflow.predictLocal).toBe(digitflow.localPredictStage);
    expect(digitflow.runLocal).toBe(digitflow.localRunStage);
    for (const name of [
      'argmaxStage',
      'evaluateStage',
      'compareStage',
      'loadRun',
      'readManifest',
      'defaultDeps',
      'fitLocalModel',
    ]) {
      expect(typeof (digitflow as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
