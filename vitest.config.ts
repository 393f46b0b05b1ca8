import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Key ceremonies run a memory-hard KDF; give them room on a two-core CI machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    benchmark: {
      include: ['test/bench/**/*.bench.ts'],
    },
  },
});
