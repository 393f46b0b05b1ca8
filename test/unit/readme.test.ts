// The README is the treasury team's manual: every error code a command can answer and every
// command the CLI has must be in it, so a new code or command cannot ship undocumented.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.js';
import { ERROR_CODES } from '../../src/errors.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

function leafCommands(command: Command, prefix: string[]): string[] {
  const subcommands = command.commands as Command[];
  if (subcommands.length === 0) return [prefix.join(' ')];
  return subcommands.flatMap((c) => leafCommands(c, [...prefix, c.name()]));
}

describe('README', () => {
  it('lists every error code in its table', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('names every command in its CLI reference', () => {
    const program = buildProgram({
      out: () => undefined,
      err: () => undefined,
      interaction: {
        interactive: false,
        say: () => undefined,
        warn: () => undefined,
        ask: () => Promise.reject(new Error('no prompts here')),
        secret: () => Promise.reject(new Error('no prompts here')),
      },
    });
    const commands = (program.commands as Command[]).flatMap((c) => leafCommands(c, ['kura', c.name()]));
    expect(commands.length).toBeGreaterThan(40);
    const missing = commands.filter((c) => !readme.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
