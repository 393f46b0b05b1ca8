// Named fault points for the crash tests (test/faults/crash.test.ts; docs/faults.md). Each call
// sits right after the store transaction that makes one step of a withdrawal durable. When a test
// asks for that point, the process kills itself there with SIGKILL: no finally block, exit
// handler or buffered output runs, exactly as an OOM kill or a power cut would stop it. The test
// then restarts the coordinator on the same database and checks that nothing acknowledged was
// lost and nothing was paid twice.
//
// Inert in production, by two locks: a point fires only when BOTH `NODE_ENV=test` and
// `KURA_TEST_FAULT=<point name>` are set. A stray KURA_TEST_FAULT alone (copied from a test
// script into a service file) does nothing; NODE_ENV=test is what test runners set and what no
// production deployment runs with. Neither variable is a secret, and an unknown name does nothing.

/** The steps a crash test can stop the coordinator after, in the order a withdrawal meets them. */
export const FAULT_POINTS = [
  'request-stored',
  'approval-stored',
  'batch-built',
  'coins-locked',
  'signature-imported',
  'finalized',
  'broadcast-sent',
  'broadcast-recorded',
  'confirmation-recorded',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** The environment variable naming the point to die at (only together with NODE_ENV=test). */
export const FAULT_ENV = 'KURA_TEST_FAULT';

/** Whether `name` is the point the environment asks to die at. */
export function faultArmed(name: FaultPoint, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === 'test' && env[FAULT_ENV] === name;
}

/**
 * The point this process dies at, read once: a crash test starts the process with its
 * environment, and reading process.env on every request cost more than the check is worth.
 */
const armedPoint = FAULT_POINTS.find((name) => faultArmed(name));

/** Dies by SIGKILL right here when the test build asks for this point; otherwise does nothing. */
export function faultPoint(name: FaultPoint): void {
  if (armedPoint === name) process.kill(process.pid, 'SIGKILL');
}
