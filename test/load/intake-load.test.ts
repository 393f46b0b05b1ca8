// Load on the intake API (faults issue, part 4): 50 intake clients, each with its own token, send
// 10,000 withdrawal requests with unique idempotency keys over keep-alive connections, 50 calls
// in flight at a time, and 1,000 retries of keys already used with the same body — some sent
// together with their original, so both are in flight at once, the others later. Afterwards
// every (client, key) has exactly one request row, every answer names that row, nothing answered
// 5xx, the audit chain verifies and holds one entry per request, and the database passes SQLite's
// own checks. Throughput and latency percentiles are printed, never asserted: this machine is
// shared and tests never depend on timing.
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChain } from '../../src/artifacts/hashChain.js';
import { startCoordinatorServer, type CoordinatorServer } from '../../src/coordinator/http/index.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { REQUEST_STATES, type RequestRecord } from '../../src/coordinator/store/index.js';
import { createToken } from '../../src/coordinator/tokens.js';
import { testDestination } from '../helpers/scenario.js';
import { makeIntakeHome, T0, type IntakeHome } from '../coordinator/intake-fixture.js';
import { percentile, planLoad, postWithdrawal, type Answer } from './loadClient.js';

const CLIENTS = 50;
const CONCURRENCY = 50;
const UNIQUE_REQUESTS = 10_000;
/** A tenth of the requests are retried with the same key and body. */
const RETRIES = 1_000;
/** Of those, this many are sent together with their original (both in flight at once). */
const TWIN_RETRIES = 250;
/** Every 20th request asks for more than perWithdrawalSat: stored as rejected, answered 422. */
const REJECT_EVERY = 20;
/** The documented seed of the plan (test/load/loadClient.ts); another shakes the interleaving differently. */
const SEED = 0x6b757261;

const PER_WITHDRAWAL_SAT = 1_000_000_000n;
// Room for every request of the run inside the rolling 24 h limits (the fixed clock puts them all
// in the same second): the load is about the store and the API, not about the limits.
const POLICY = {
  limits: {
    perWithdrawalSat: Number(PER_WITHDRAWAL_SAT),
    rolling24h: { amountSat: 1_000_000_000_000_000, count: 100_000 },
  },
};

let fixture: IntakeHome;
let server: CoordinatorServer;
const logged: string[] = [];
const tokens: { token: string; tokenId: string }[] = [];

beforeAll(async () => {
  fixture = makeIntakeHome(POLICY);
  for (let c = 0; c < CLIENTS; c++)
    tokens.push(createToken(fixture.home.store, 'intake', `load client ${c}`));
  server = await startCoordinatorServer({
    home: fixture.home,
    listen: { host: '127.0.0.1', port: 0 },
    now: () => fixture.clock.now,
    log: (line) => void logged.push(line),
  });
});

afterAll(async () => {
  await server.close();
  fixture.close();
});

describe('intake under load', () => {
  it(`takes ${UNIQUE_REQUESTS} requests and ${RETRIES} retries from ${CLIENTS} clients: one request per key, none lost`, async () => {
    const { requests, jobs } = planLoad({
      clients: CLIENTS,
      uniqueRequests: UNIQUE_REQUESTS,
      retries: RETRIES,
      twinRetries: TWIN_RETRIES,
      rejectEvery: REJECT_EVERY,
      perWithdrawalSat: PER_WITHDRAWAL_SAT,
      destinations: Array.from({ length: 16 }, (_, i) => testDestination(i + 1)),
      seed: SEED,
    });
    const before = fixture.home.store.verifyAudit();
    const agent = new Agent({ keepAlive: true, maxSockets: 2 * CONCURRENCY });
    const answers = requests.map((): Answer[] => []);

    /** Calls made again after their keep-alive connection was lost (see postWithdrawal). */
    const transportRetries = new Map<number, number>();
    const send = async (index: number): Promise<void> => {
      const planned = requests[index];
      const token = tokens[planned?.client ?? -1]?.token;
      if (planned === undefined || token === undefined) throw new Error(`no request ${index}`);
      const call = { agent, url: server.url, token, idempotencyKey: planned.key, body: planned.body };
      for (;;) {
        const answer = await postWithdrawal(call);
        if (answer !== 'connection lost') {
          answers[index]?.push(answer);
          return;
        }
        transportRetries.set(index, (transportRetries.get(index) ?? 0) + 1);
      }
    };

    let next = 0;
    const worker = async (): Promise<void> => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) await Promise.all(job.map(send));
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();

    // Every call was answered, none with 5xx, and the server logged no internal error.
    const all = answers.flat();
    const calls = UNIQUE_REQUESTS + RETRIES;
    expect(all).toHaveLength(calls);
    expect(all.filter((a) => a.status >= 500)).toEqual([]);
    expect(logged).toEqual([]);

    // Exactly one row per (client, key), and every answer for a key names that row.
    const { store } = fixture.home;
    const rows = store.listRequests({ limit: 100_000 });
    expect(rows).toHaveLength(UNIQUE_REQUESTS);
    const byKey = new Map<string, RequestRecord>();
    for (const row of rows) {
      const id = `${row.clientId} ${row.idempotencyKey}`;
      expect(byKey.has(id), id).toBe(false);
      byKey.set(id, row);
    }
    let accepted = 0;
    requests.forEach((planned, i) => {
      const row = byKey.get(`${tokens[planned.client]?.tokenId} ${planned.key}`);
      const got = answers[i] ?? [];
      expect(row, planned.key).toBeDefined();
      expect(got.map((a) => a.requestId)).toEqual(got.map(() => row?.requestId));
      expect(row?.amountSat).toBe(planned.amountSat);
      if (planned.rejected) {
        expect(row?.state).toBe('rejected');
        expect(got.map((a) => [a.status, a.code])).toEqual(got.map(() => [422, 'POLICY_REFUSED']));
      } else {
        accepted += 1;
        expect(row?.state).toBe('pending_approval');
        // one call created it and every other call was answered with it; a call made again after
        // its connection was lost may have been the one that created it, unseen
        const created = got.filter((a) => a.status === 201).length;
        expect(created).toBe(transportRetries.has(i) ? Math.min(created, 1) : 1);
        expect(got.filter((a) => a.status !== 201 && a.status !== 200)).toEqual([]);
      }
    });
    const rejected = UNIQUE_REQUESTS - accepted;

    // Counts by state add up, and the rolling usage counts exactly the accepted requests.
    const counts = store.countRequestsByState();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(UNIQUE_REQUESTS);
    expect(counts).toEqual({
      ...Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])),
      pending_approval: accepted,
      rejected,
    });
    expect(store.requestUsageSince(T0 - 86_400).count).toBe(accepted);

    // The audit chain verifies and grew by one entry per request, naming exactly the stored ones.
    const after = store.verifyAudit();
    expect(after.entries - before.entries).toBe(UNIQUE_REQUESTS);
    const added = parseChain(store.exportAudit(), 'STORE_CORRUPT').slice(before.entries);
    expect(added.filter((e) => e.type === 'request.create')).toHaveLength(accepted);
    expect(added.filter((e) => e.type === 'request.reject')).toHaveLength(rejected);
    const audited = new Set(added.map((e) => (e.data as { requestId: string }).requestId));
    expect(audited).toEqual(new Set(rows.map((r) => r.requestId)));

    // SQLite's own checks on the file, and the home opens again with the same rows.
    const db = new Database(store.path, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
    const reopened = openCoordinatorHome(fixture.path, { now: () => fixture.clock.now });
    try {
      expect(reopened.store.countRequestsByState()).toEqual(counts);
      expect(reopened.store.verifyAudit()).toEqual(after);
    } finally {
      reopened.close();
    }

    const latencies = all.map((a) => a.ms).sort((a, b) => a - b);
    console.info(
      `intake load: ${calls} calls (${UNIQUE_REQUESTS} keys from ${CLIENTS} clients, ${RETRIES} retries, ` +
        `${TWIN_RETRIES} of them in flight with their original) at concurrency ${CONCURRENCY} in ` +
        `${seconds.toFixed(1)} s: ${(calls / seconds).toFixed(0)} requests/s; latency p50 ` +
        `${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
        `max ${percentile(latencies, 100).toFixed(1)} ms; ${transportRetries.size} calls made again after a ` +
        `lost keep-alive connection; ${rows.length} rows checked ` +
        `(${accepted} pending_approval, ${rejected} rejected), ${after.entries} audit entries verified`,
    );
  }, 300_000);
});
