import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2-core machine: keep parallelism modest so tfjs/wasm tests do not starve each other.
    maxWorkers: 2,
    restoreMocks: true,
  },
});
