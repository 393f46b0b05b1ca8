// Issue "Speed measured against the libraries themselves", scenario 6: peak memory of signing and
// of building a 3,000-input package. vitest bench gives no --expose-gc and cannot sample inside a
// synchronous call, and one process's high-water mark mixes everything it ever did; so each
// operation runs once in a child process of its own (memoryProbe.ts) that resets the kernel's
// peak-RSS counter after preparing, and reports the peak resident set during the operation, and
// the heap right after it (its garbage still there) and after a full collection. bitcoinjs-lib's
// build on the same data is measured beside kura's; its signing loop at 3,000 inputs takes over
// 20 s (quadratic, see the signer table), so it runs only with KURA_BENCH_MEMORY_ALL=1. The RSS
// before an operation can hold pages its preparation freed but kept, which the operation then
// reuses: for a small operation the heap growth (right after − before, garbage included) is the
// steadier number. The timings vitest prints here include starting the child; the table is what
// counts. Never fails on a number.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, bench, describe } from 'vitest';
import { benchPackage, benchSigner } from './signerFixture.js';
import { printGrid, task } from './timings.js';

const INPUTS = Number(process.env.KURA_BENCH_MEMORY_INPUTS ?? 3000);
const OPERATIONS = [
  'kura-sign',
  ...(process.env.KURA_BENCH_MEMORY_ALL === '1' ? ['bitcoinjs-sign'] : []),
  'kura-build',
  'bitcoinjs-build',
];
const PROBE = fileURLToPath(new URL('./memoryProbe.ts', import.meta.url));

interface Probe {
  readonly operation: string;
  readonly inputs: number;
  readonly rssBefore: number;
  readonly peakRss: number;
  /** False when the peak could not be reset before the operation (it may then be the preparation's). */
  readonly peakReset: boolean;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly heapRetained: number;
  readonly externalAfter: number;
}

const dir = mkdtempSync(join(tmpdir(), 'kura-bench-memory-'));
const packagePath = join(dir, `package-${INPUTS}.psbt`);
writeFileSync(packagePath, benchPackage(benchSigner(), INPUTS, Math.floor(Date.now() / 1000)));
const results: Probe[] = [];

function probe(operation: string): void {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', PROBE, operation, String(INPUTS), packagePath],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`${operation} probe failed: ${child.stderr}`);
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(line) as Probe;
  if (parsed.operation !== operation || parsed.inputs !== INPUTS)
    throw new Error(`unexpected probe answer ${line}`);
  results.push(parsed);
}

describe(`memory: ${INPUTS} inputs, each operation once in its own process`, () => {
  for (const operation of OPERATIONS) {
    bench(
      operation,
      task(() => probe(operation)),
      { time: 0, iterations: 1, warmupIterations: 0, warmupTime: 0 },
    );
  }
});

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  printGrid(
    `memory: ${INPUTS} inputs, each operation once in a fresh process (peak RSS: the kernel's high-water mark, reset before the operation; "≤" where it could not be reset)`,
    [
      'operation',
      'RSS before',
      'peak RSS',
      'peak - before',
      'heap before',
      'heap right after',
      'heap growth',
      'heap after GC',
      'external + buffers after',
    ],
    results.map((r) => [
      r.operation,
      mib(r.rssBefore),
      `${r.peakReset ? '' : '≤ '}${mib(r.peakRss)}`,
      `${r.peakReset ? '' : '≤ '}${mib(r.peakRss - r.rssBefore)}`,
      mib(r.heapBefore),
      mib(r.heapAfter),
      mib(r.heapAfter - r.heapBefore),
      mib(r.heapRetained),
      mib(r.externalAfter),
    ]),
  );
});
