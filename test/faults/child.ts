// The real `kura` program in a child process, for the crash tests: a fault point kills the whole
// process by SIGKILL, which an in-process run could not survive. The child runs the TypeScript
// sources through tsx (test/faults/kuraChild.ts), as test/integration/demo.test.ts runs the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultPoint } from '../../src/coordinator/faults.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = 'test/faults/kuraChild.ts';
/** A child that has not ended by then is stuck: the test fails instead of hanging. */
const CHILD_TIMEOUT_MS = 60_000;

export interface ChildRun {
  /** The exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a child: `fault` armed (it fires only with NODE_ENV=test, which `nodeEnv`
 * can change to prove that), or no fault at all.
 */
export function childEnv(fault: FaultPoint | undefined, nodeEnv = 'test'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: nodeEnv };
  delete env.KURA_TEST_FAULT;
  if (fault !== undefined) env.KURA_TEST_FAULT = fault;
  return env;
}

export function spawnKura(args: readonly string[], fault?: FaultPoint, nodeEnv?: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: root,
    env: childEnv(fault, nodeEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A started child: what it printed so far, and its end. */
export interface Watched {
  readonly child: ChildProcess;
  readonly done: Promise<ChildRun>;
  /** Resolves with stdout once `pattern` matches it (rejects if the child ends first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

export function watch(child: ChildProcess): Watched {
  let stdout = '';
  let stderr = '';
  const waiting: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (t: string) => {
    stdout += t;
    for (const w of [...waiting]) {
      const match = w.pattern.exec(stdout);
      if (match !== null) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(match);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (t: string) => void (stderr += t));
  const done = new Promise<ChildRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kura child did not end within ${CHILD_TIMEOUT_MS} ms`));
    }, CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const match = pattern.exec(stdout);
        if (match !== null) return resolve(match);
        waiting.push({ pattern, resolve });
        void done.then((run) =>
          reject(
            new Error(
              `the child ended (${run.signal ?? run.code}) before printing ${pattern}: ${run.stderr}`,
            ),
          ),
        );
      }),
  };
}

/** Runs `kura ARGS` in a child process, with `fault` armed if given. */
export function runKuraChild(
  args: readonly string[],
  fault?: FaultPoint,
  nodeEnv?: string,
): Promise<ChildRun> {
  return watch(spawnKura(args, fault, nodeEnv)).done;
}
