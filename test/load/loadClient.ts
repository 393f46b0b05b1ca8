// The load test's side of the wire: the plan of calls (which client sends which key and body, in
// which order, which keys are retried and how) and an intake client that sends one withdrawal
// over a keep-alive connection and answers with what came back and how long it took.
import { request as httpRequest, type Agent } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadShape {
  readonly clients: number;
  readonly uniqueRequests: number;
  /** Keys sent a second time with the same body. */
  readonly retries: number;
  /** Of the retries, how many go out together with their original (both in flight at once). */
  readonly twinRetries: number;
  /** Every n-th request asks for more than `perWithdrawalSat` (stored as rejected). */
  readonly rejectEvery: number;
  readonly perWithdrawalSat: bigint;
  readonly destinations: readonly string[];
  readonly seed: number;
}

export interface Planned {
  /** Index of the client (and its token) that owns the key. */
  readonly client: number;
  /** Every client counts its keys from 1, so the same key text is used by many clients. */
  readonly key: string;
  readonly body: string;
  readonly amountSat: bigint;
  readonly rejected: boolean;
}

/** One call to make, or two (an original and its retry) made together: indexes into `requests`. */
export type Job = readonly number[];

/** A small seeded PRNG (mulberry32), so the plan is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The requests and the order of the calls: request i is sent at place i; a twin retry is sent
 * in the same job as its original; a later retry somewhere 1–2,000 places after it.
 */
export function planLoad(shape: LoadShape): { requests: Planned[]; jobs: Job[] } {
  const random = prng(shape.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const keysOf = new Array<number>(shape.clients).fill(0);
  const requests: Planned[] = [];
  for (let i = 0; i < shape.uniqueRequests; i++) {
    const client = Math.floor(random() * shape.clients);
    keysOf[client] = (keysOf[client] ?? 0) + 1;
    const rejected = i % shape.rejectEvery === shape.rejectEvery - 1;
    const amountSat = rejected
      ? shape.perWithdrawalSat + 1n + BigInt(i)
      : BigInt(1_000 + Math.floor(random() * 1_000_000));
    const destination = pick(shape.destinations);
    requests.push({
      client,
      key: `order-${keysOf[client]}`,
      body: JSON.stringify({ destination, amountSat: amountSat.toString() }),
      amountSat,
      rejected,
    });
  }
  // Distinct requests get the retries, so each retried key is sent exactly twice.
  const retried = new Set<number>();
  while (retried.size < shape.retries) retried.add(Math.floor(random() * shape.uniqueRequests));
  const twins = new Set([...retried].slice(0, shape.twinRetries));
  const ordered = requests.map((_, i) => ({ at: i, job: twins.has(i) ? [i, i] : [i] }));
  for (const i of [...retried].slice(shape.twinRetries)) {
    ordered.push({ at: i + 1 + random() * 2_000, job: [i] });
  }
  ordered.sort((a, b) => a.at - b.at);
  return { requests, jobs: ordered.map((o) => o.job) };
}

export interface Answer {
  readonly status: number;
  /** The request the answer names: the withdrawal's id, or a rejection's requestId. */
  readonly requestId: string | undefined;
  readonly code: string | undefined;
  readonly ms: number;
}

export interface WithdrawalCall {
  readonly agent: Agent;
  readonly url: string;
  readonly token: string;
  readonly idempotencyKey: string;
  readonly body: string;
}

/**
 * POSTs one withdrawal. 'connection lost' when a reused keep-alive connection was closed under
 * the call before any answer: the server closes connections idle for 5 s, and when the (shared,
 * busy) machine stalls that close can cross a new call. Node's documentation says to send such
 * a call again, and a client does, with the same idempotency key.
 */
export function postWithdrawal(call: WithdrawalCall): Promise<Answer | 'connection lost'> {
  const { hostname, port } = new URL(call.url);
  const body = Buffer.from(call.body, 'utf8');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent: call.agent,
        host: hostname,
        port: Number(port),
        method: 'POST',
        path: '/v1/withdrawals',
        headers: {
          Authorization: `Bearer ${call.token}`,
          'Idempotency-Key': call.idempotencyKey,
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            withdrawal?: { requestId?: string };
            error?: { code?: string; requestId?: string };
          };
          resolve({
            status: res.statusCode ?? 0,
            requestId: json.withdrawal?.requestId ?? json.error?.requestId,
            code: json.error?.code,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up')) {
        resolve('connection lost');
      } else reject(error);
    });
    req.end(body);
  });
}

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
