// A writer for test/faults/files.test.ts, to be killed by SIGKILL at a random moment: it writes the
// same file again and again with writeFileAtomic. Each generation describes itself — a header
// line "kura-fault-test <generation> <size>" and then <size> bytes that all equal generation % 251
// — so a reader can tell a whole file from a partial or mixed one without trusting anything else.
// Generations count up from FIRST, so a test that starts one writer after another can tell the
// file a killed writer left from an older one.
// It prints "ready" before the first write and "wrote N" after each one, and gives up after
// LIFETIME_MS in case the test that should kill it is gone.
import { writeFileAtomic } from '../../src/artifacts/atomicWrite.js';

const [path, sizeText, firstText] = process.argv.slice(2);
const size = Number(sizeText);
const first = Number(firstText);
if (path === undefined || !Number.isSafeInteger(size) || size <= 0 || !Number.isSafeInteger(first)) {
  process.stderr.write('usage: writerChild.ts PATH SIZE FIRST-GENERATION\n');
  process.exit(2);
}
const LIFETIME_MS = 30_000;
const deadline = Date.now() + LIFETIME_MS;
const body = Buffer.alloc(size);
process.stdout.write('ready\n');
for (let generation = first; Date.now() < deadline; generation++) {
  body.fill(generation % 251);
  const header = Buffer.from(`kura-fault-test ${generation} ${size}\n`, 'utf8');
  writeFileAtomic(path, Buffer.concat([header, body]), { mode: 0o600 });
  process.stdout.write(`wrote ${generation}\n`);
}
