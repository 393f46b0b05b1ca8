// What every command gets: where to print, how to ask, and how much to say. Data goes to stdout
// (JSON with --json); everything else — progress, details, warnings, errors — goes to stderr, so
// a script reading stdout is never disturbed by it (docs/cli.md).
import type { Interaction } from '../src/interaction.js';

/** `--quiet`: data and errors only. `--verbose`: also details such as node retries. */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

/** What the global flags decide. buildProgram fills it in before any command's action runs. */
export interface CliSettings {
  verbosity: Verbosity;
  /** The interaction as given, before --quiet filtered it: for warnings that are never silenced. */
  readonly unfiltered: Interaction;
}

export interface CliContext {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly interaction: Interaction;
  /** Absent when a test wires a command group by hand: kura then speaks at the normal level. */
  readonly settings?: CliSettings;
}

/** Prints a result: JSON on stdout with --json, otherwise the human lines. */
export function emit(ctx: CliContext, json: boolean, data: unknown, human: () => string[]): void {
  if (json) ctx.out(`${JSON.stringify(data, bigintReplacer, 2)}\n`);
  else ctx.out(`${human().join('\n')}\n`);
}

/**
 * A progress line of long work (a sync, a scan, a large tree), on stderr unless --quiet. --json
 * changes stdout only, so a script that wants a silent stderr passes --quiet as well.
 */
export function progress(ctx: CliContext, text: string): void {
  if (ctx.settings?.verbosity !== 'quiet') ctx.err(`kura: ${text}\n`);
}

/** A detail only --verbose shows: node retries, where a default came from. */
export function detail(ctx: CliContext, text: string): void {
  if (ctx.settings?.verbosity === 'verbose') ctx.err(`kura: ${text}\n`);
}

/**
 * The interaction for creating a key: its warnings (the unattended-backup warning, a folder
 * others can read) are about the safety of that key and are shown even with --quiet.
 */
export function keySafetyInteraction(ctx: CliContext): Interaction {
  const unfiltered = ctx.settings?.unfiltered;
  if (unfiltered === undefined) return ctx.interaction;
  const filtered = ctx.interaction;
  return {
    get interactive() {
      return filtered.interactive;
    },
    say: (text) => filtered.say(text),
    warn: (text) => unfiltered.warn(text),
    ask: (question) => filtered.ask(question),
    secret: (question) => filtered.secret(question),
  };
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
