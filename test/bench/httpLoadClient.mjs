// The HTTP load client of intake.bench.ts, in a process of its own: the way a withdrawal service
// is loaded in life (its clients are other machines), and so that the server process's CPU is the
// server's alone. Plain JavaScript so that `node` runs it without a TypeScript loader.
//
// It says { ready: true } once loaded; the parent then sends one message:
// { url, token, bodies, keyPrefix, concurrency }. The client opens
// `concurrency` keep-alive connections, POSTs every body once to /v1/withdrawals with its own
// Idempotency-Key, and answers { statuses: { "201": n, … }, milliseconds } when all are answered.
import { Agent, request } from 'node:http';

function post(agent, url, token, key, body) {
  return new Promise((resolve, reject) => {
    const req = request(
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

async function run({ url, token, bodies, keyPrefix, concurrency }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  let next = 0;
  const start = performance.now();
  const connection = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const status = await post(agent, url, token, `${keyPrefix}-${i}`, bodies[i]);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, connection));
  const milliseconds = performance.now() - start;
  agent.destroy();
  return { statuses, milliseconds };
}

process.send({ ready: true });
process.once('message', (job) => {
  run(job).then(
    (result) => process.send(result, () => process.exit(0)),
    (error) => process.send({ error: String(error) }, () => process.exit(1)),
  );
});
