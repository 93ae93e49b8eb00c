/** Small Kaggle-format CSV texts for reader tests. */
export const PIX = 784;

export function header(layout: 'train' | 'test'): string {
  const px = Array.from({ length: PIX }, (_, i) => `pixel${i}`).join(',');
  return layout === 'train' ? `label,${px}` : px;
}

/** A row whose pixel j is (seed * 31 + j * 7) % 256. */
export function rowValues(seed: number): number[] {
  return Array.from({ length: PIX }, (_, j) => (seed * 31 + j * 7) % 256);
}

export function trainRow(label: number, seed: number): string {
  return `${label},${rowValues(seed).join(',')}`;
}

export function testRow(seed: number): string {
  return rowValues(seed).join(',');
}

export function trainCsv(rows: number, eol = '\n'): string {
  const lines = [header('train')];
  for (let i = 0; i < rows; i++) lines.push(trainRow(i % 10, i));
  return lines.join(eol) + eol;
}

export function testCsv(rows: number, eol = '\n'): string {
  const lines = [header('test')];
  for (let i = 0; i < rows; i++) lines.push(testRow(i));
  return lines.join(eol) + eol;
}
