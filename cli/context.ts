// What every command gets: where to print, how to ask, and the --json switch.
import type { Interaction } from '../src/interaction.js';

export interface CliContext {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly interaction: Interaction;
}

/** Prints a result: JSON on stdout with --json, otherwise the human lines. */
export function emit(ctx: CliContext, json: boolean, data: unknown, human: () => string[]): void {
  if (json) ctx.out(`${JSON.stringify(data, bigintReplacer, 2)}\n`);
  else ctx.out(`${human().join('\n')}\n`);
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Parses a non-negative integer flag, naming the flag on refusal. */
export function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidOption(`--${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export class InvalidOption extends Error {}
