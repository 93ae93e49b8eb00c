/** Versions recorded in manifests and printed by --version. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

/** The package root (the folder holding package.json), from src/ or dist/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

let cached: string | undefined;
export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}

/** Installed version of a dependency, or undefined when it is absent. */
export function dependencyVersion(name: string): string | undefined {
  try {
    const require = createRequire(join(packageRoot, 'package.json'));
    const pkgPath = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}
