/**
 * The Kaggle digit-recognizer download: the competition zip (train.csv, test.csv,
 * sample_submission.csv inside) or the folder it unpacks to.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../../domain/dataset.js';
import { UserInputError } from '../../errors/index.js';
import { readKaggleCsvFile } from '../kaggle-csv-file.js';
import { listZipEntries, sniffCompression } from '../byte-source.js';
import type { Reporter } from '../../runtime/deps.js';

export async function loadKaggleDownload(
  path: string,
  options: { numClasses?: number; reporter?: Reporter; signal?: AbortSignal } = {},
): Promise<{ train: Dataset; test: Dataset; files: string[] }> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new UserInputError('FILE_NOT_FOUND', `${path} does not exist`, {
      hint: 'pass the digit-recognizer.zip downloaded from Kaggle, or the folder it unpacks to',
      details: { path },
    });
  }
  const read = (file: string, member: string | undefined, layout: 'train' | 'test') =>
    readKaggleCsvFile(file, {
      layout,
      zipMember: member,
      numClasses: options.numClasses,
      reporter: options.reporter,
      signal: options.signal,
    });
  if (isDir) {
    const train = await read(join(path, 'train.csv'), undefined, 'train');
    const test = await read(join(path, 'test.csv'), undefined, 'test');
    return { train: train.dataset, test: test.dataset, files: [join(path, 'train.csv'), join(path, 'test.csv')] };
  }
  if ((await sniffCompression(path)) !== 'zip') {
    throw new UserInputError('KAGGLE_SOURCE', `${path} is neither a zip archive nor a folder`, {
      hint: 'pass the digit-recognizer.zip downloaded from Kaggle, or the folder it unpacks to',
      details: { path },
    });
  }
  const names = await listZipEntries(path);
  const member = (n: string) => names.find((x) => x === n || x.endsWith(`/${n}`));
  const trainName = member('train.csv');
  const testName = member('test.csv');
  if (!trainName || !testName) {
    throw new UserInputError(
      'ZIP_MEMBER_MISSING',
      `${path} does not hold train.csv and test.csv (it has: ${names.join(', ') || 'nothing'})`,
      {
        hint: 'a Kaggle digit-recognizer zip holds train.csv, test.csv and sample_submission.csv',
        details: { path },
      },
    );
  }
  const train = await read(path, trainName, 'train');
  const test = await read(path, testName, 'test');
  return { train: train.dataset, test: test.dataset, files: [`${path}:${trainName}`, `${path}:${testName}`] };
}
