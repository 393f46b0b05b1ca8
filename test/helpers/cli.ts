// Drives the real `kura` program in-process with a scripted person at the keyboard.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKura } from '../../cli/main.js';
import type { Interaction } from '../../src/interaction.js';

export interface ScriptedAnswers {
  /** Answers to `ask`, in order; a function gets the question. */
  readonly asks?: (string | ((question: string, said: string) => string))[];
  readonly secrets?: string[];
  readonly interactive?: boolean;
}

export interface KuraRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly said: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = unknown>(): T;
}

export function scripted(answers: ScriptedAnswers, said: string[]): Interaction {
  const asks = [...(answers.asks ?? [])];
  const secrets = [...(answers.secrets ?? [])];
  return {
    interactive: answers.interactive ?? true,
    say: (t) => void said.push(t),
    warn: (t) => void said.push(`WARNING: ${t}`),
    ask: async (question) => {
      said.push(question);
      const next = asks.shift();
      if (next === undefined) throw new Error(`unexpected question: ${question}`);
      return typeof next === 'function' ? next(question, said.join('\n')) : next;
    },
    secret: async (question) => {
      const next = secrets.shift();
      if (next === undefined) throw new Error(`unexpected secret prompt: ${question}`);
      return next;
    },
  };
}

export async function kura(
  args: string[],
  answers: ScriptedAnswers = { interactive: false },
): Promise<KuraRun> {
  let stdout = '';
  let stderr = '';
  const said: string[] = [];
  const code = await runKura(args, {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    interaction: scripted(answers, said),
  });
  return {
    code,
    stdout,
    stderr,
    said: said.join('\n'),
    json: <T>() => JSON.parse(stdout) as T,
  };
}

export function tempDir(prefix = 'kura-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The error code a failed `--json` run printed. */
export function errorCode(run: KuraRun): string | undefined {
  try {
    return (JSON.parse(run.stdout) as { error?: { code?: string } }).error?.code;
  } catch {
    return /kura: ([A-Z_]+):/.exec(run.stderr)?.[1];
  }
}
