// Issue "Speed measured against the libraries themselves", scenario 3: withdrawal intake with
// durable commits, against raw better-sqlite3 inserting N rows into a table like kura's
// `requests` with the same durability (WAL, synchronous=FULL, one transaction per row).
//
// Over HTTP: a coordinator server on a fresh home is loaded with POST /v1/withdrawals, each with
// a new Idempotency-Key, over 1, 8 and 32 keep-alive connections, by a load client in a process
// of its own: wrk (the Debian package; test/bench/intakeLoad.lua) for KURA_BENCH_SECONDS when it
// is installed, otherwise the Node client httpLoadClient.mjs, which costs the machine more CPU
// per request than the server does and so measures itself as much as kura. Every answer is sent
// after its request is committed; with several calls in flight the server commits the calls that
// arrived together in one transaction (group commit, src/coordinator/intake/submissions.ts).
//
// WARM-UP: every path is timed on a database that has already taken the same load once (one
// second of it over HTTP, N rows otherwise), from the same process. What is measured is a running
// service: V8 has compiled the hot path, and the WAL file has reached its size (extending a file
// makes each fsync also flush the file's metadata, which cost kura and the raw inserts alike
// 20-40 % on a fresh database).
//
// Without HTTP: the intake service called directly, one commit per request (submitWithdrawal:
// policy, idempotency, audit entry and the commit), to show where the time goes. Prints requests
// per second; never fails on a timing (only on a wrong answer or a request lost).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFile, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, bench, describe } from 'vitest';
import { startCoordinatorServer } from '../../src/coordinator/http/index.js';
import { submitWithdrawal } from '../../src/coordinator/intake/index.js';
import { createToken } from '../../src/coordinator/tokens.js';
import { makeIntakeHome, type IntakeHome } from '../coordinator/intake-fixture.js';
import { testDestination } from '../helpers/scenario.js';
import { printGrid, printRateTable, task, Timings } from './timings.js';

// KURA_BENCH_REQUESTS=2000 runs one size.
const SIZES = (process.env.KURA_BENCH_REQUESTS ?? '200,1000').split(',').map(Number);
// Connections the load client keeps busy: one at a time (every answer waits for its own fsync),
// and a service's normal load, where group commit shares a commit between the calls in flight.
const IN_FLIGHT = [1, 8, 32];
const AMOUNT_SAT = 50_000n;
// Room for every request of the run inside the rolling 24 h limits (the fixture's clock is fixed,
// so every request falls in the same window): the bench is about the store and the API.
const POLICY = {
  limits: {
    perWithdrawalSat: 1_000_000_000,
    rolling24h: { amountSat: 1_000_000_000_000_000, count: 100_000 },
  },
};
const destinations = Array.from({ length: 16 }, (_, i) => testDestination(i + 1));
const timings = new Timings();
/**
 * CPU milliseconds (user + system of the whole process: V8's garbage-collector threads count too,
 * so CPU can exceed wall time) of each run, beside its wall time.
 */
const cpu = new Timings();

/** Times `fn` in wall and CPU time: what the CPU does not account for is waiting (fsync). */
async function measure(who: string, n: number, fn: () => unknown): Promise<void> {
  const startCpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  timings.record(who, n, performance.now() - start);
  const used = process.cpuUsage(startCpu);
  cpu.record(who, n, (used.user + used.system) / 1000);
}

function bodyOf(i: number): string {
  return JSON.stringify({
    destination: destinations[i % destinations.length],
    amountSat: String(AMOUNT_SAT),
  });
}

/** A fresh home with an intake token; the caller closes it. */
function intakeHome(): { h: IntakeHome; token: string; tokenId: string } {
  const h = makeIntakeHome(POLICY);
  const { token, tokenId } = createToken(h.home.store, 'intake', 'bench');
  return { h, token, tokenId };
}

function dispose(h: IntakeHome): void {
  h.close();
  rmSync(join(h.path, '..'), { recursive: true, force: true });
}

function expectCount(h: IntakeHome, n: number): void {
  const stored = h.home.store.countRequestsByState().pending_approval;
  if (stored !== n) throw new Error(`${stored} requests pending, not ${n}`);
}

/** One HTTP load run: requests answered 201 in `milliseconds`, and the server's CPU meanwhile. */
interface HttpRun {
  readonly inFlight: number;
  readonly created: number;
  readonly milliseconds: number;
  readonly cpuMilliseconds: number;
}
const httpRuns: HttpRun[] = [];

/** wrk (Debian package `wrk`) when it is installed: a load client far cheaper than the server. */
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path));
const LOAD_SECONDS = Number(process.env.KURA_BENCH_SECONDS ?? '3');
/** Without wrk: this many requests per run through the Node load client. */
const NODE_CLIENT_REQUESTS = Math.max(...SIZES);

/** Runs wrk for LOAD_SECONDS with `inFlight` connections; resolves with what it counted. */
async function wrkLoad(
  url: string,
  token: string,
  inFlight: number,
  dir: string,
  seconds: number,
  keyPrefix: string,
) {
  const bodiesFile = join(dir, 'bodies.txt');
  writeFileSync(bodiesFile, destinations.map((_, i) => bodyOf(i)).join('\n') + '\n');
  const script = fileURLToPath(new URL('./intakeLoad.lua', import.meta.url));
  const args = [
    '-t1',
    `-c${inFlight}`,
    `-d${seconds}s`,
    '-s',
    script,
    url,
    '--',
    token,
    bodiesFile,
    keyPrefix,
  ];
  const out = await new Promise<string>((resolve, reject) =>
    execFile(WRK as string, args, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  const counted = JSON.parse(out.trim().split('\n').at(-1) ?? '') as {
    created: number;
    other: number;
    otherStatus: number;
    microseconds: number;
    socketErrors: number;
  };
  if (counted.other > 0 || counted.socketErrors > 0) {
    throw new Error(
      `wrk: ${counted.other} answers of ${counted.otherStatus}, ${counted.socketErrors} socket errors`,
    );
  }
  return { created: counted.created, milliseconds: counted.microseconds / 1000 };
}

/** Without wrk: httpLoadClient.mjs, in a process of its own. */
async function nodeLoad(url: string, token: string, inFlight: number, keyPrefix: string) {
  const child = fork(fileURLToPath(new URL('./httpLoadClient.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the load client exited with ${code}`)));
    });
    const bodies = Array.from({ length: NODE_CLIENT_REQUESTS }, (_, i) => bodyOf(i));
    const result = await new Promise<{ statuses: Record<string, number>; milliseconds: number }>(
      (resolve, reject) => {
        child.once(
          'message',
          (message: { statuses: Record<string, number>; milliseconds: number } | { error: string }) =>
            'error' in message ? reject(new Error(message.error)) : resolve(message),
        );
        child.send({ url, token, bodies, keyPrefix, concurrency: inFlight });
      },
    );
    const created = result.statuses['201'] ?? 0;
    if (created !== bodies.length) throw new Error(`answers: ${JSON.stringify(result.statuses)}`);
    return { created, milliseconds: result.milliseconds };
  } finally {
    child.kill();
  }
}

async function overHttp(inFlight: number): Promise<void> {
  const { h, token } = intakeHome();
  const logged: string[] = [];
  const server = await startCoordinatorServer({
    home: h.home,
    listen: { host: '127.0.0.1', port: 0 },
    now: () => h.clock.now,
    log: (line) => void logged.push(line),
  });
  try {
    const load = (seconds: number, keyPrefix: string) =>
      WRK === undefined
        ? nodeLoad(server.url, token, inFlight, keyPrefix)
        : wrkLoad(server.url, token, inFlight, join(h.path, '..'), seconds, keyPrefix);
    const warm = await load(1, 'warm'); // see WARM-UP
    // The server process's CPU over the run (the load client is another process).
    const startCpu = process.cpuUsage();
    const { created, milliseconds } = await load(LOAD_SECONDS, 'run');
    const used = process.cpuUsage(startCpu);
    httpRuns.push({ inFlight, created, milliseconds, cpuMilliseconds: (used.user + used.system) / 1000 });
    // Every request answered 201 is stored. wrk stops on a clock, so up to `inFlight` more per
    // wrk run may have been stored whose answers it no longer read; the server finishes them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answered = warm.created + created;
    const stored = h.home.store.countRequestsByState().pending_approval;
    if (stored < answered || stored > answered + 2 * inFlight) {
      throw new Error(`${stored} requests stored for ${answered} answered 201 with ${inFlight} in flight`);
    }
    if (logged.length > 0) throw new Error(`the server logged:\n${logged.join('\n')}`);
  } catch (error) {
    // vitest bench counts a failed run but does not print why
    console.error(`intake over HTTP, ${inFlight} in flight:`, error);
    throw error;
  } finally {
    await server.close();
    dispose(h);
  }
}

async function direct(n: number): Promise<void> {
  const { h, tokenId } = intakeHome();
  const submitRange = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const body = {
        destination: destinations[i % destinations.length] as string,
        amountSat: AMOUNT_SAT,
        expiresInSeconds: null,
      };
      const result = submitWithdrawal(
        h.home,
        { clientId: tokenId, idempotencyKey: `bench-${i}`, body },
        h.clock.now,
      );
      if (!result.created) throw new Error(`request ${i} was not created`);
    }
  };
  try {
    submitRange(0, n); // warm-up on the same database (see WARM-UP)
    await measure('kura submit', n, () => submitRange(n, 2 * n));
    expectCount(h, 2 * n);
  } finally {
    dispose(h);
  }
}

/** The columns and checks of kura's requests table (schema.sql), without its foreign key. */
const RAW_TABLE = `CREATE TABLE requests (
  request_id      TEXT    PRIMARY KEY CHECK (length(request_id) = 64),
  client_id       TEXT    NOT NULL,
  idempotency_key TEXT    NOT NULL,
  body_sha256     TEXT    NOT NULL CHECK (length(body_sha256) = 64),
  destination     TEXT    NOT NULL,
  script_pubkey   TEXT    NOT NULL,
  amount_sat      INTEGER NOT NULL CHECK (amount_sat > 0 AND amount_sat <= 2100000000000000),
  policy_hash     TEXT    NOT NULL CHECK (length(policy_hash) = 64),
  expires_at      INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  state           TEXT    NOT NULL,
  batch_id        TEXT,
  refusal         TEXT,
  UNIQUE (client_id, idempotency_key)
) STRICT`;

async function rawSqlite(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kura-bench-sqlite-'));
  const db = new Database(join(dir, 'raw.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(RAW_TABLE);
    const insert = db.prepare(
      `INSERT INTO requests VALUES (?, 'client', ?, ?, ?, '0014${'11'.repeat(20)}', ?, ?, ?, ?, ?, 'pending_approval', NULL, NULL)`,
    );
    const hex = () => randomBytes(32).toString('hex');
    const one = db.transaction((i: number) =>
      insert.run(
        hex(),
        `bench-${i}`,
        hex(),
        destinations[i % destinations.length],
        AMOUNT_SAT,
        hex(),
        2e9,
        1e9,
        1e9,
      ),
    );
    for (let i = 0; i < n; i++) one.immediate(i); // warm-up on the same database (see WARM-UP)
    await measure('sqlite', n, () => {
      for (let i = n; i < 2 * n; i++) one.immediate(i);
    });
    const count = Number(db.prepare('SELECT count(*) FROM requests').pluck().get());
    if (count !== 2 * n) throw new Error(`${count} rows, not ${2 * n}`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`intake over HTTP (${WRK === undefined ? `Node load client, ${NODE_CLIENT_REQUESTS} requests` : `wrk, ${LOAD_SECONDS} s`} per run)`, () => {
  for (const inFlight of IN_FLIGHT) {
    bench(
      `kura POST /v1/withdrawals, ${inFlight} in flight`,
      task(() => overHttp(inFlight)),
      { time: 0, iterations: 3, warmupIterations: 0, warmupTime: 0 },
    );
  }
});

for (const size of SIZES) {
  // Each run commits `size` transactions with fsync: a few runs are enough.
  const options = { time: 0, iterations: 3, warmupIterations: 1, warmupTime: 0 };
  describe(`intake: ${size} withdrawals`, () => {
    bench(
      'kura submitWithdrawal (no HTTP)',
      task(() => direct(size)),
      options,
    );
    bench(
      'better-sqlite3 one-row inserts (WAL, synchronous=FULL)',
      task(() => rawSqlite(size)),
      options,
    );
  });
}

const WHO = ['kura submit', 'sqlite'];

/** The median of `values` (runs of one kind). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

afterAll(() => {
  printRateTable(
    'intake: kura submit (no HTTP) vs raw better-sqlite3 inserts',
    timings,
    'kura submit',
    'sqlite',
    SIZES,
    'req',
  );
  // HTTP runs against the raw inserts' rate at the largest size, measured in the same run.
  const largest = Math.max(...SIZES);
  const sqliteMs = timings.median('sqlite', largest);
  const sqliteRate = sqliteMs === undefined ? undefined : (largest * 1000) / sqliteMs;
  const load =
    WRK === undefined ? 'Node load client (install wrk for a cheaper one)' : `wrk -t1, ${LOAD_SECONDS} s`;
  printGrid(
    `intake over HTTP (${load}; medians of the runs) vs raw better-sqlite3 one-row inserts at ${largest} rows: ${sqliteRate === undefined ? '-' : Math.round(sqliteRate)} req/s`,
    ['in flight', 'requests', 'kura req/s', 'server CPU per request', 'rate ratio kura/sqlite'],
    IN_FLIGHT.map((inFlight) => {
      const runs = httpRuns.filter((r) => r.inFlight === inFlight);
      if (runs.length === 0) return [String(inFlight), '-', '-', '-', '-'];
      const rate = median(runs.map((r) => (r.created * 1000) / r.milliseconds));
      const cpuPer = median(runs.map((r) => r.cpuMilliseconds / r.created));
      return [
        String(inFlight),
        String(Math.round(median(runs.map((r) => r.created)))),
        String(Math.round(rate)),
        `${cpuPer.toFixed(3)} ms`,
        sqliteRate === undefined ? '-' : (rate / sqliteRate).toFixed(3),
      ];
    }),
  );
  const rows = SIZES.flatMap((size) =>
    WHO.map((who) => {
      const wall = timings.median(who, size);
      const used = cpu.median(who, size);
      const per = (value: number | undefined) =>
        value === undefined ? '-' : `${(value / size).toFixed(3)} ms`;
      return [
        String(size),
        who,
        per(wall),
        per(used),
        per(wall === undefined || used === undefined ? undefined : wall - used),
      ];
    }),
  );
  printGrid(
    'intake without HTTP, one commit per request: where the time goes (CPU: user + system of this process, V8 helper threads included, so it can pass wall; wall - CPU is about the fsync wait)',
    ['size', 'path', 'wall', 'CPU', 'wall - CPU'],
    rows,
  );
});
