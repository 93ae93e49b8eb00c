// Build step: the package's bin (dist/cli/main.js) must be executable on its own. tsc writes it
// as 0644; npx sets the bit only when it links the bin itself, so a fresh clone would fail with
// "Permission denied" without this. Usage: node scripts/make-executable.mjs (after tsc).
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const bin of bins) {
  const path = join(root, bin);
  chmodSync(path, statSync(path).mode | 0o111);
}
