// Issue "Speed measured against the libraries themselves", scenario 3: withdrawal intake with
// durable commits. N withdrawals are POSTed to `POST /v1/withdrawals` of a coordinator server on a
// fresh home (one after the other, and 8 in flight over keep-alive connections), against raw
// better-sqlite3 inserting N rows into a table like kura's `requests` with the same durability
// (WAL, synchronous=FULL, one transaction per row). To show where the time goes, the intake
// service is also called directly (submitWithdrawal: policy, idempotency, audit entry and the
// commit, without HTTP). The client runs in the same process as the server, so the HTTP rows
// include the client's own work. Prints requests per second; never fails on a timing (only on a
// wrong answer).
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const CONCURRENCY = 8;
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

function post(agent: Agent, url: string, token: string, key: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/v1/withdrawals`,
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'Idempotency-Key': key,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
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

async function overHttp(who: string, n: number, concurrency: number): Promise<void> {
  const { h, token } = intakeHome();
  const logged: string[] = [];
  const server = await startCoordinatorServer({
    home: h.home,
    listen: { host: '127.0.0.1', port: 0 },
    now: () => h.clock.now,
    log: (line) => void logged.push(line),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        const status = await post(agent, server.url, token, `bench-${i}`, bodyOf(i));
        if (status !== 201) throw new Error(`request ${i} answered ${status}`);
      }
    };
    await measure(who, n, () => Promise.all(Array.from({ length: concurrency }, worker)));
    expectCount(h, n);
    if (logged.length > 0) throw new Error(`the server logged:\n${logged.join('\n')}`);
  } finally {
    agent.destroy();
    await server.close();
    dispose(h);
  }
}

async function direct(n: number): Promise<void> {
  const { h, tokenId } = intakeHome();
  try {
    await measure('kura submit', n, () => {
      for (let i = 0; i < n; i++) {
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
    });
    expectCount(h, n);
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
    await measure('sqlite', n, () => {
      for (let i = 0; i < n; i++) one.immediate(i);
    });
    const count = Number(db.prepare('SELECT count(*) FROM requests').pluck().get());
    if (count !== n) throw new Error(`${count} rows, not ${n}`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const size of SIZES) {
  // Each run commits `size` transactions with fsync: a few runs are enough.
  const options = { time: 0, iterations: 3, warmupIterations: 1, warmupTime: 0 };
  describe(`intake: ${size} withdrawals`, () => {
    bench(
      'kura POST /v1/withdrawals, one at a time',
      task(() => overHttp('kura http', size, 1)),
      options,
    );
    bench(
      `kura POST /v1/withdrawals, ${CONCURRENCY} in flight`,
      task(() => overHttp(`kura http x${CONCURRENCY}`, size, CONCURRENCY)),
      options,
    );
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

const WHO = ['kura http', `kura http x${CONCURRENCY}`, 'kura submit', 'sqlite'];

afterAll(() => {
  for (const who of WHO.slice(0, 3)) {
    printRateTable(`intake: ${who} vs raw better-sqlite3 inserts`, timings, who, 'sqlite', SIZES, 'req');
  }
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
    'intake: where the time goes, per request (CPU: user + system of all threads of this process, V8 helper threads included, so it can pass wall; wall - CPU is about the fsync wait)',
    ['size', 'path', 'wall', 'CPU', 'wall - CPU'],
    rows,
  );
});
